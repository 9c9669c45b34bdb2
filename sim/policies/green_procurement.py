"""Recycled-content rules and green public procurement: product criteria and public tenders
reward secondary inputs, so buyers of the listed materials pay more for them (a share of the
gap to the virgin substitute's price), and deals reach farther.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.policies.base import Policy, PolicyParams, materials, param, register


@dataclass(kw_only=True)
class GreenProcurementParams(PolicyParams):
    #: secondary materials the criteria reward
    materials: list[str] = param("material names")
    #: what buyers add to a secondary material's value
    premium_share: float = param("share of (virgin price - secondary value)", 1.0)


@register("green_procurement")
class GreenProcurement(Policy):
    Params = GreenProcurementParams
    description = (
        "Public tenders and product rules reward recycled content, so buyers pay more for secondary "
        "materials: a share of the gap to the price of the virgin material they replace."
    )

    def check(self, model) -> None:
        self.materials = materials(model, self.params.materials, f"{self.where}.materials")

    def apply(self, model) -> None:
        premium = model.recycled_content_premium
        premium[self.materials] = np.maximum(premium[self.materials], self.params.premium_share)
