"""Eco-industrial park coordinator of one industrial zone: its tenants get to know each other
and share infrastructure (transfer, storage, weighbridges), which lowers what moving material
between tenant sites costs.

Seed 001: the plan "should also cover Eco-Industrial Park (EIP) development and IS integration
among nearby companies through identifying priority industrial zones, linking waste and
resource flows between proximate firms"; "proximity-based symbiosis facilitates faster
implementation, easier oversight, and lower transaction costs"
(``kpi.short_term.programmatic_financing_planning``); "co-located industrial symbiosis that
minimises logistics barriers" (``is.colocation``); the vision is EIPs aligned with the
UNIDO/World Bank/GIZ framework (``is.vision``). The zones are clusters of real sites of the
scenario named in the pilot's config. Once engaged, tenants whose streams fit come to know of
each other, and delivered cost between tenant sites falls by ``saving_eur_t`` over
``ramp_months``.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents.kinds import actor_kind


@actor_kind("park_coordinator")
class ParkCoordinator(mesa.Agent):
    def __init__(self, model, name: str, sites: list[int], saving_eur_t: float, ramp_months: int, tenant_trust: float):
        super().__init__(model)
        self.name = name
        self.sites = sites
        self.saving_eur_t = saving_eur_t
        self.ramp_months = ramp_months
        self.tenant_trust = tenant_trust
        self.months_running = 0
        #: firm rows of the tenants (firms at the park's sites)
        self.tenants = np.flatnonzero(np.isin(model.firms.node, sites))
        self.engage_tenants()

    def engage_tenants(self) -> None:
        """Tenants take part in the park's assessment and planning: those whose streams fit meet."""
        relations = self.model.relations
        relations.link(*relations.complementary(self.tenants), self.tenant_trust, "park")
        relations.commit()

    def step(self) -> None:
        """Shared infrastructure comes into use over the ramp months."""
        self.months_running += 1
        share = min(1.0, self.months_running / self.ramp_months) if self.ramp_months > 0 else 1.0
        savings = self.model.market.site_savings
        for a in self.sites:
            for b in self.sites:
                if a != b:
                    savings[(a, b)] = self.saving_eur_t * share

    def scale(self, factor: float) -> None:
        """More shared infrastructure (a pilot scaled up)."""
        self.saving_eur_t *= factor
