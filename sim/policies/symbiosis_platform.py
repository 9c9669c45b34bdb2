"""Digital industrial-symbiosis platform (see :class:`sim.agents.platform.Platform`): cheaper
partner search as firms list on it, and outreach that spreads awareness of exchanges.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.base import Policy, PolicyParams, add_actors, param, register


@dataclass(kw_only=True)
class SymbiosisPlatformParams(PolicyParams):
    #: search cost when every firm is listed
    search_cost_eur_t: float = param("EUR per tonne traded")
    #: share of the firms its campaigns, sales agents and facilitators reach each month at full reach
    outreach_share_per_month: float = param("share of firms per month", 1.0)
    #: months until the platform reaches full reach
    ramp_months: int = param("months")


@register("symbiosis_platform")
class SymbiosisPlatform(Policy):
    Params = SymbiosisPlatformParams
    description = (
        "An online platform where firms list their waste and by-products, which cuts the cost of finding a "
        "partner, with campaigns and facilitators that make more firms aware of exchanges."
    )

    def apply(self, model) -> None:
        p = self.params
        self.platform = model.actor_classes["platform"](model, p.search_cost_eur_t, p.outreach_share_per_month,
                                                        p.ramp_months)
        add_actors(model, "platform", [self.platform])

    def on_step(self, model) -> None:
        self.platform.step()
