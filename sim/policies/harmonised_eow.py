"""Harmonised end-of-waste and by-product criteria, mutually recognised across the WB6.

Each economy adopts common criteria for the listed materials, so its regulator can grant the
status (firms still apply and wait for the laboratories). With mutual recognition, a status
granted in one economy holds in the others, so such shipments cross WB6 borders as goods
instead of waste under prior notification and consent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.policies.base import Policy, PolicyParams, materials, param, register, wb6_economies
from sim.world import BY_PRODUCT, EOW


@dataclass(kw_only=True)
class HarmonisedEowParams(PolicyParams):
    #: materials that get common end-of-waste criteria
    eow_materials: list[str] = param("material names")
    #: materials that get common by-product criteria
    by_product_materials: list[str] = param("material names")
    #: economies adopting the criteria (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: statuses granted in one adopting economy hold in the others
    mutual_recognition: bool = param("true/false")
    #: months from adoption until mutual recognition applies
    recognition_delay_months: int = param("months")


@register("harmonised_eow")
class HarmonisedEow(Policy):
    Params = HarmonisedEowParams
    description = (
        "The WB6 adopt common end-of-waste and by-product criteria, so each regulator can grant the status; "
        "once recognised mutually, a status granted in one economy holds in the others and the material "
        "crosses borders as a product instead of as waste."
    )

    def check(self, model) -> None:
        p = self.params
        self.economies = wb6_economies(model, p.economies, f"{self.where}.economies")
        self.eow = materials(model, p.eow_materials, f"{self.where}.eow_materials")
        self.by_product = materials(model, p.by_product_materials, f"{self.where}.by_product_materials")

    def apply(self, model) -> None:
        for e in self.economies:
            model.status_possible[EOW, e, self.eow] = True
            model.status_possible[BY_PRODUCT, e, self.by_product] = True
            model.regulators[e].set_status_matrix(model.status_possible[BY_PRODUCT, e], model.status_possible[EOW, e])

    def on_step(self, model) -> None:
        # from the start month (the model calls on_step right after apply)
        if self.params.mutual_recognition and model.month == self.start_month + self.params.recognition_delay_months:
            self.recognise(model)

    def recognise(self, model) -> None:
        pairs = np.ix_(sorted(set(self.eow) | set(self.by_product)), self.economies, self.economies)
        model.mutual_recognition[pairs] = True
