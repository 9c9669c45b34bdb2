"""Landfill tax and enforcement: a tax on top of the gate fee, higher fines for illegal
dumping and more inspections, phased in over some months.

Firms weigh their leftovers' disposal cost when they sell (a dearer outside option makes
more deals worthwhile) and split what they cannot sell between the landfill and dumping by
comparing the fee with the expected fine (see ``sim.kernels.split_disposal``): a tax without
enforcement pushes waste into dumping; with enforcement it pushes it into exchanges.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.base import Policy, PolicyParams, param, ramp, register


@dataclass(kw_only=True)
class LandfillFeeParams(PolicyParams):
    #: economies introducing the measures (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: tax added to the landfill gate fee
    landfill_tax_eur_t: float = param("EUR per tonne landfilled")
    #: fine for illegal dumping (raised to, never lowered)
    dumping_fine_eur_t: float = param("EUR per tonne dumped")
    #: chance a dumping firm is caught in a month (raised to, never lowered)
    enforcement_probability: float = param("probability per month", 1.0)
    #: months over which the measures phase in linearly
    ramp_months: int = param("months")


@register("landfill_fee")
class LandfillFee(Policy):
    Params = LandfillFeeParams
    description = (
        "A landfill tax on top of the gate fee, with higher fines and more inspections against illegal "
        "dumping, phased in over some months, so that selling leftovers pays better than dumping or "
        "landfilling them."
    )

    def apply(self, model) -> None:
        self.before = {
            e: (r.landfill_fee_eur_t, r.dumping_fine_eur_t, r.enforcement_probability)
            for e, r in ((e, model.regulators[e]) for e in self.economies)
        }

    def on_step(self, model) -> None:
        p, share = self.params, ramp(model, self.start_month, self.params.ramp_months)
        for e, (fee, fine, enforcement) in self.before.items():
            regulator = model.regulators[e]
            regulator.landfill_fee_eur_t = fee + share * p.landfill_tax_eur_t
            regulator.dumping_fine_eur_t = fine + share * max(p.dumping_fine_eur_t - fine, 0.0)
            regulator.enforcement_probability = enforcement + share * max(p.enforcement_probability - enforcement, 0.0)
