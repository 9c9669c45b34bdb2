"""Firm: an actor at a site, in an economy and sector.

Its physical state (what it generates, absorbs and holds) lives in the model's arrays
(:class:`sim.state.FirmArrays`); the agent keeps its row index and makes the decisions:
whether to take part in exchanges, which streams to register, what to invest in. Offering,
buying and disposal of the month's leftovers are cleared for all firms at once by the market
kernels following the rules stated there.
"""

from __future__ import annotations

from collections.abc import Iterable

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.investment import Project
from sim.world import WASTE


@actor_kind("firm")
class Firm(mesa.Agent):
    # the month's loop over every firm reads these; slots keep them beside the object header
    __slots__ = ("index", "firm_id", "sector", "model")

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
        """This month: file the status applications it decided on and, at the year's end, weigh
        the investment projects open to it. (Learning about exchanges, joining them, choosing the
        streams to register and finding its projects were done for all firms at once by
        :func:`plan_month`.)"""
        if self.index not in self.model.firm_tasks:
            return
        for material in self.model.firm_tasks[self.index]:
            self.regulator.receive_application(self.index, material)
        self.consider_investments(self.model.firm_projects.get(self.index, ()))

    def consider_investments(self, projects: Iterable[Project]) -> None:
        """Go ahead with each project that pays on the terms offered now."""
        for project in projects:
            terms = self.model.pipeline.financing_terms(self, project)
            if project.npv(terms) > 0.0:
                self.model.pipeline.invest(self, project, terms)


def plan_month(model) -> None:
    """The month's decisions each firm takes from its own row only, for all firms at once (so
    their order does not matter), leaving in ``model.firm_tasks`` what each firm then does in
    its step, in the shuffled order (regulators serve applications first come, first served):

    - awareness grows with outreach and with peers who trade, towards the level outreach can
      reach (raised by platforms and facilitators);
    - a firm that is not yet taking part joins once its awareness reaches its trust threshold
      (it trades from this month, files applications from the next);
    - a firm taking part asks its regulator to register as by-product / end-of-waste each
      stream it offers that the regulator could grant and that it has not applied for yet;
    - at the year's end a firm taking part with investment prospects weighs them. Its projects
      are figured here (``model.firm_projects``); the terms it is offered, and so whether it
      goes ahead, are settled in its step (a financier's budget goes first come, first served).
    """
    firms = model.firms
    gap = model.awareness_ceiling - firms.awareness
    growth = model.awareness_growth_per_month * (1.0 + model.peer_participation[firms.economy])
    np.add(firms.awareness, growth * gap, out=firms.awareness, where=gap > 0.0)
    took_part = firms.participating.copy()
    firms.participating |= firms.awareness >= firms.trust_threshold
    can_grant = np.array([regulator.grantable_status != WASTE for regulator in model.regulators])[firms.economy]
    applying = took_part[:, None] & firms.offers & ~firms.applied & (firms.status == WASTE) & can_grant
    firms.applied |= applying
    rows, materials = np.divmod(np.flatnonzero(applying), model.n_materials)
    projects: dict[int, list[Project]] = {}
    if model.is_investment_month:
        projects = model.pipeline.options_of(np.flatnonzero(took_part & model.pipeline.prospects()))
    tasks: dict[int, list[int]] = {f: [] for f in projects}
    for f, material in zip(rows.tolist(), materials.tolist()):
        tasks.setdefault(f, []).append(material)
    model.firm_tasks, model.firm_projects = tasks, projects


def search_partners(model) -> None:
    """Firms' own search for partners, at the month's end, for all firms at once: a firm taking
    part that landfilled or dumped some of its output, or used under half of a capacity, looks
    for partners with the chance ``partner_search_per_month`` (partner mapping takes time, seed
    001 ``legal.transaction_costs``) and comes to know its nearest ones for that material
    among the firms taking part (``relation_seed_contacts`` of them)."""
    firms, flows, relations = model.firms, model.market.flows, model.relations
    unsold = (flows.landfilled + flows.dumped > 0.0) & firms.offers
    idle = (firms.capacity > 0.0) & (firms.utilisation < 0.5)
    wants = (unsold | idle) & firms.participating[:, None]
    searching = model.rng.random(firms.n_firms) < float(model.params["partner_search_per_month"])
    for m in range(model.n_materials):
        rows = np.flatnonzero(wants[:, m] & searching)
        if len(rows):
            relations.link(*relations.nearest(rows, m, relations.contacts, among=firms.participating),
                           relations.trust_initial, "own_search")
    relations.commit()
