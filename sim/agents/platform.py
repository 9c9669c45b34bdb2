"""Digital industrial-symbiosis platform with its facilitators: a register where firms list
what they offer and need, run with outreach campaigns.

Firms taking part in exchanges list on it. The more of them are listed, the cheaper finding a
partner gets (search cost per tonne falls from the scenario's level towards the platform's
floor). Its campaigns speed up how firms hear about exchanges and raise the awareness they
can reach. It grows into that role over its start-up months.
"""

from __future__ import annotations

import mesa

from sim.agents.kinds import actor_kind


@actor_kind("platform")
class Platform(mesa.Agent):
    def __init__(self, model, search_cost_floor_eur_t: float, awareness_ceiling: float,
                 awareness_growth_per_month: float, ramp_months: int):
        super().__init__(model)
        self.search_cost_floor_eur_t = search_cost_floor_eur_t
        self.awareness_ceiling = awareness_ceiling
        self.awareness_growth_per_month = awareness_growth_per_month
        self.ramp_months = ramp_months
        self.months_running = 0
        #: what firms faced before the platform
        self.search_cost_before = model.search_cost_eur_t
        self.ceiling_before = model.awareness_ceiling
        self.growth_before = model.awareness_growth_per_month
        self.listed_share = 0.0

    @property
    def maturity(self) -> float:
        """Share of its full reach the platform has, growing over its start-up months."""
        if self.ramp_months <= 0:
            return 1.0
        return min(1.0, self.months_running / self.ramp_months)

    def step(self) -> None:
        """This month: firms in exchanges list, search gets cheaper, outreach goes on."""
        self.months_running += 1
        model, maturity = self.model, self.maturity
        self.listed_share = float(model.firms.participating.mean())
        saving = max(self.search_cost_before - self.search_cost_floor_eur_t, 0.0)
        model.search_cost_eur_t = self.search_cost_before - saving * self.listed_share * maturity
        model.awareness_ceiling = self.ceiling_before + maturity * max(self.awareness_ceiling - self.ceiling_before, 0.0)
        model.awareness_growth_per_month = self.growth_before + maturity * max(
            self.awareness_growth_per_month - self.growth_before, 0.0)
