"""Firm: an actor at a site, in an economy and sector.

Its physical state (what it generates, absorbs and holds) lives in the model's arrays
(:class:`sim.state.FirmArrays`); the agent keeps its row index and makes the decisions:
whether to take part in exchanges, which streams to register, what to invest in. Offering,
buying and disposal of the month's leftovers are cleared for all firms at once by the market
kernels following the rules stated there.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.world import WASTE


class Firm(mesa.Agent):
    def __init__(self, model, index: int, firm_id: str, sector: str):
        super().__init__(model)
        self.index = index
        self.firm_id = firm_id
        self.sector = sector

    @property
    def economy(self) -> int:
        return int(self.model.firms.economy[self.index])

    @property
    def regulator(self):
        return self.model.regulators[self.economy]

    def step(self) -> None:
        """This month: hear about exchanges, decide to take part, register streams, invest."""
        self.learn_about_exchanges()
        if self.model.firms.participating[self.index]:
            self.apply_for_status()
            if self.model.is_investment_month:
                self.consider_investments()
        else:
            self.decide_participation()

    def learn_about_exchanges(self) -> None:
        """Awareness grows with outreach and with peers who trade, towards the level outreach
        can reach (raised by platforms and facilitators)."""
        firms, model, i = self.model.firms, self.model, self.index
        gap = model.awareness_ceiling - firms.awareness[i]
        if gap > 0.0:
            growth = model.awareness_growth_per_month * (1.0 + model.peer_participation[firms.economy[i]])
            firms.awareness[i] += growth * gap

    def decide_participation(self) -> None:
        firms, i = self.model.firms, self.index
        if firms.awareness[i] >= firms.trust_threshold[i]:
            firms.participating[i] = True

    def apply_for_status(self) -> None:
        """Ask the regulator to register as by-product / end-of-waste what it could."""
        firms, i = self.model.firms, self.index
        regulator = self.regulator
        candidates = np.flatnonzero(
            firms.offers[i] & ~firms.applied[i] & (firms.status[i] == WASTE) & (regulator.grantable_status != WASTE)
        )
        for material in candidates:
            firms.applied[i, material] = True
            regulator.receive_application(i, int(material))

    def consider_investments(self) -> None:
        for project in self.model.investment_options(self):
            if project.npv(self.model.financing_terms(self, project)) > 0.0:
                self.model.invest(self, project)
