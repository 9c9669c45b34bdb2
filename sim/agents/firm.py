"""Firm: an actor at a site, in an economy and sector.

Its physical state (what it generates, absorbs and holds) and descriptors (economy, sector,
size) live in the model's arrays (:class:`sim.state.FirmArrays`); the agent keeps its row
index and makes the decisions: whether to take part in exchanges, which streams to register,
what to invest in. Each decision is a named class method deciding for many firms at once
(the model calls them through the firm class the config names, so a subclass that overrides
one rule changes only that rule); going ahead with a project is decided firm by firm. Offering,
buying and disposal of the month's leftovers are cleared for all firms at once by the market
kernels following the rules stated there.
"""

from __future__ import annotations

from collections.abc import Iterable

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.investment import FinancingTerms, Project
from sim.kernels import dump_shares, poisson_counts
from sim.state import FirmArrays
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
        :meth:`plan_month`.)"""
        if self.index not in self.model.firm_tasks:
            return
        for material in self.model.firm_tasks[self.index]:
            self.regulator.receive_application(self.index, material)
        self.consider_investments(self.model.firm_projects.get(self.index, ()))

    def consider_investments(self, projects: Iterable[Project]) -> None:
        """Weigh each project on the terms offered now; go ahead where :meth:`goes_ahead` says so."""
        pipeline = self.model.pipeline
        for project in projects:
            terms = pipeline.financing_terms(self, project)
            if self.goes_ahead(project, terms):
                pipeline.invest(self, project, terms)

    def goes_ahead(self, project: Project, terms: FinancingTerms) -> bool:
        """Whether the firm invests in ``project`` on ``terms``: when its net present value is positive."""
        return project.npv(terms) > 0.0

    # ---- the rules decided for many firms at once (override any one in a subclass) --------
    @classmethod
    def initial_participation(cls, model, firms: FirmArrays) -> np.ndarray:
        """bool[F]: the firms taking part in exchanges at month 0 (built before the trust
        thresholds and dump propensities are drawn). Sectors with established exchanges
        (``sectors_trading_at_start``) trade from the start; elsewhere a random share of firms
        (``awareness_initial``, seed 001 is.mapping_status: no IS mapping, scattered data)."""
        established = np.isin(firms.sector, [i for i, name in enumerate(model.sector_names)
                                             if name in model.params["sectors_trading_at_start"]])
        return (model.rng.random(firms.n_firms) < model.params["awareness_initial"]) | established

    @classmethod
    def hearing_rate(cls, model) -> np.ndarray:
        """float[F]: contacts per month through which each firm hears about exchanges, its
        receptiveness times the sum of its sources: trade contacts, suppliers and authorities
        (``awareness_contacts_per_month``), peers taking part (``awareness_peer_contacts_per_month``
        times the share of its peers who do, ``model.peer_share``) and outreach campaigns of the
        pilots running (``model.outreach_contacts_per_month``; seed 001 legal.transaction_costs,
        is.trust_areas: firms do not know the benefits)."""
        p = model.params
        sources = (float(p["awareness_contacts_per_month"]) + model.outreach_contacts_per_month
                   + float(p["awareness_peer_contacts_per_month"]) * model.peer_share)
        return model.firms.receptiveness * sources

    @classmethod
    def grow_awareness(cls, model) -> None:
        """Firms hear about exchanges through contacts: each month a firm's contacts are a
        Poisson draw at its :meth:`hearing_rate` (one uniform per firm from the model's own stream
        of contact draws, :func:`sim.kernels.poisson_counts`), and each closes
        ``awareness_per_contact`` of the gap between its awareness and full awareness. Awareness
        has no ceiling: it keeps rising while firms have contacts, faster where more peers take
        part and outreach runs."""
        firms = model.firms
        heard = poisson_counts(model.contact_draws.random(firms.n_firms), cls.hearing_rate(model))
        kept = (1.0 - float(model.params["awareness_per_contact"])) ** heard
        firms.awareness[:] = 1.0 - (1.0 - firms.awareness) * kept

    @classmethod
    def decide_joining(cls, model, rows: np.ndarray) -> np.ndarray:
        """bool[len(rows)]: which of the firms ``rows`` (not yet taking part) join this month:
        those whose awareness has reached their trust threshold."""
        firms = model.firms
        return firms.awareness[rows] >= firms.trust_threshold[rows]

    @classmethod
    def streams_to_register(cls, model, rows: np.ndarray) -> np.ndarray:
        """bool[len(rows), M]: the streams the firms ``rows`` (taking part since before this
        month) ask their regulator to register as by-product / end-of-waste: each stream they
        offer that the regulator could grant and that they have not applied for yet; again for
        renewal once a status is ``status_validity_months`` old, and after a refusal once
        ``status_refiling_months`` have passed."""
        firms = model.firms
        can_grant = np.array([regulator.can_grant for regulator in model.regulators])
        decided = firms.status_month[rows]
        age = model.month - decided
        due = np.where(firms.status[rows] == WASTE, (decided < 0) | (age >= model.status_refiling_months),
                       age >= model.status_validity_months)
        return firms.offers[rows] & ~firms.applied[rows] & due & can_grant[firms.economy[rows]]

    @classmethod
    def disposal_choice(cls, model) -> tuple[np.ndarray, np.ndarray]:
        """float[F] each: the share of its unsold output each firm dumps (a logit choice between
        the landfill and dumping, :func:`sim.kernels.dump_shares`; seed 001 legal.enforcement) and
        what disposing of a tonne costs it in expectation, EUR/t: the outside option a sale must beat."""
        fee, fine = model.disposal_prices()
        detection = np.array([r.enforcement_probability for r in model.regulators])[model.firms.economy]
        share = dump_shares(fee, fine, detection, model.firms.dump_propensity,
                            float(model.params["dumping_choice_scale_eur_t"]))
        return share, fee * (1.0 - share) + fine * share

    @classmethod
    def weigh_investments(cls, model, rows: np.ndarray) -> dict[int, list[Project]]:
        """The projects firms weigh at the year's end, those with investment prospects, their
        options as the pipeline figures them: the firms ``rows`` (taking part since before this
        month) weigh recycling lines, which expand an intake they buy on the exchanges; every
        firm whose deposits a re-mining plant could reprocess weighs that plant whether it takes
        part in exchanges or not. Seed 000 sees re-mining of legacy tailings as mining companies'
        projects with investors, not as exchange: "matchmaking between local project promoters
        and European investors", pilots such as "reprocessing copper-rich tailings at Bor
        (Serbia)" that "attract private investments in re-mining opportunities"."""
        pipeline = model.pipeline
        remining, lines = pipeline.prospects()
        return pipeline.options_of(np.flatnonzero(remining), rows[lines[rows]])

    @classmethod
    def plan_month(cls, model) -> None:
        """The month's decisions each firm takes from its own row only, for all firms at once (so
        their order does not matter), leaving in ``model.firm_tasks`` what each firm then does in
        its step, in the shuffled order (regulators serve applications first come, first served):
        awareness grows (:meth:`grow_awareness`); firms not yet taking part may join
        (:meth:`decide_joining`: they trade from this month, file applications from the next);
        firms taking part file applications (:meth:`streams_to_register`); at the year's end firms
        weigh their projects (:meth:`weigh_investments`: recycling lines those taking part,
        re-mining plants every deposit's owner). The terms a firm is offered, and so
        whether it goes ahead, are settled in its step (a budget goes first come, first served)."""
        firms = model.firms
        cls.grow_awareness(model)
        took_part = firms.participating.copy()
        outside, inside = np.flatnonzero(~took_part), np.flatnonzero(took_part)
        firms.participating[outside[cls.decide_joining(model, outside)]] = True
        row, materials = np.nonzero(cls.streams_to_register(model, inside))
        rows = inside[row]
        firms.applied[rows, materials] = True
        projects = cls.weigh_investments(model, inside) if model.is_investment_month else {}
        tasks: dict[int, list[int]] = {f: [] for f in projects}
        for f, material in zip(rows.tolist(), materials.tolist()):
            tasks.setdefault(f, []).append(material)
        model.firm_tasks, model.firm_projects = tasks, projects

    @classmethod
    def search_partners(cls, model) -> None:
        """Firms' own search for partners, at the month's end, for all firms at once: a firm
        taking part that landfilled or dumped some of its output, or used under half of a
        capacity, looks for partners with the chance ``partner_search_per_month`` (partner
        mapping takes time, seed 001 legal.transaction_costs) and comes to know its nearest
        ones for that material among the firms taking part (``relation_seed_contacts`` of them)."""
        firms, flows, relations = model.firms, model.market.flows, model.relations
        unsold = (flows.landfilled + flows.dumped > 0.0) & firms.offers
        idle = (firms.capacity > 0.0) & (firms.utilisation < 0.5)
        wants = (unsold | idle) & firms.participating[:, None]
        searching = model.rng.random(firms.n_firms) < float(model.params["partner_search_per_month"])
        relations.link(*relations.nearest(*np.nonzero(wants & searching[:, None]), relations.contacts,
                                          among=firms.participating), relations.trust_initial, "own_search")
        relations.commit()
