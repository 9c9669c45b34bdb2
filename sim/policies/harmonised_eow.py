"""Harmonised end-of-waste and by-product criteria, mutually recognised across the WB6.

Each economy adopts common criteria for the listed materials, so its regulator can grant the
status (firms still apply and wait for the laboratories). With mutual recognition, a status
granted in one economy holds in the other, so such shipments cross that border as goods
instead of waste under prior notification and consent.

Recognition is agreed pair by pair of economies and material by material, over time. Seed 001
(roadmap.approach) has policy pilots "begin as bilateral agreements and gradually expand to the
CRM framework": once negotiations open, each pair of adopting economies that share a border
crossing agrees on each material with a monthly hazard; pairs without a common crossing, and
neighbours too, are drawn in faster the more pairs already recognise that material (the
regional framework spreading). So recognition arrives at scattered months, neighbours first,
and is never complete and simultaneous.
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
    #: statuses granted in one adopting economy may come to hold in the others
    mutual_recognition: bool = param("true/false")
    #: months from adoption until negotiations on mutual recognition open
    recognition_delay_months: int = param("months")
    #: mean months for two neighbouring economies to agree on recognising one material
    recognition_mean_months: float = param("months")


@register("harmonised_eow")
class HarmonisedEow(Policy):
    Params = HarmonisedEowParams
    description = (
        "The WB6 adopt common end-of-waste and by-product criteria, so each regulator can grant the status; "
        "governments agree on mutual recognition pair by pair and material by material over the months "
        "(neighbours first), and where agreed a status granted in one economy holds in the other and the "
        "material crosses that border as a product instead of as waste."
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
        economies = sorted(self.economies)
        #: (a, b) pairs of adopting economies, a < b, and whether they share a border crossing
        self.pairs = [(a, b) for i, a in enumerate(economies) for b in economies[i + 1:]]
        crossings = {frozenset(model.economy_index[e] for e in post.economies) for post in model.customs}
        self.neighbours = np.array([frozenset(pair) in crossings for pair in self.pairs], dtype=bool)
        self.recognised_materials = sorted(set(self.eow) | set(self.by_product))

    def on_step(self, model) -> None:
        # from the start month (the model calls on_step right after apply)
        if self.params.mutual_recognition and model.month >= self.start_month + self.params.recognition_delay_months:
            self.negotiate(model)

    def negotiate(self, model) -> None:
        """This month's bilateral agreements: pair (a, b) agrees on material m with probability
        ``1 - exp(-h)``, ``h = (neighbours + share of pairs recognising m) / recognition_mean_months``."""
        if not self.pairs:
            return
        a, b = (np.array(side) for side in zip(*self.pairs))
        mats = np.array(self.recognised_materials)
        agreed = model.mutual_recognition[mats[:, None], a[None, :], b[None, :]]  # [material, pair]
        spread = agreed.mean(axis=1, keepdims=True)
        hazard = (self.neighbours[None, :] + spread) / max(self.params.recognition_mean_months, 1e-9)
        draws = model.rng.random(agreed.shape)  # drawn for every pair, agreed or not, to keep the stream fixed
        new = ~agreed & (draws < -np.expm1(-hazard))
        m, k = np.nonzero(new)
        model.mutual_recognition[mats[m], a[k], b[k]] = True
        model.mutual_recognition[mats[m], b[k], a[k]] = True
