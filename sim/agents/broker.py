"""Facilitator (broker) of a local promoter and technical expert team, hosted by the chamber of
its economy: a caseload of leads it turns into business cases, pilot exchanges and, where the
pilot works, regular exchanges.

Seed 001: "Form a local promotional wide agent team to animate local companies and a narrow
technical expert team to map potential, draft business cases and propose IS projects"
(``roadmap.phase.low_hanging_fruits``); "Activate sales agents" (``kpi.short_term.exchange_platform``);
FISS's regional facilitators drive the outcomes (``fiss.facilitators``). Lead conversion is an
outcome here: a lead is a firm's stream that went to landfill or a dump last month, matched to
the nearest buyer that takes that grade and does not know the firm yet. After
``business_case_months`` the business case is the pair's surplus per tonne (buyer's price plus
the disposal cost the seller saves, less delivered cost); it becomes a pilot with the chance
``1 - exp(-surplus / conversion_scale_eur_t)`` (none if the surplus is not positive). A pilot
introduces the pair and brings both into exchanges; after ``pilot_months`` it is a regular
exchange if the pair traded, otherwise it failed.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents.kinds import actor_kind

STAGES = ("lead", "pilot", "regular", "failed", "dropped")
#: stages of a case still being worked on; the others are final
OPEN_STAGES = ("lead", "pilot")


@actor_kind("broker")
class Broker(mesa.Agent):
    def __init__(self, model, economy: int, caseload: int, business_case_months: int, pilot_months: int,
                 conversion_scale_eur_t: float, pilot_trust: float, host=None):
        super().__init__(model)
        self.economy = economy
        self.caseload = caseload
        self.business_case_months = business_case_months
        self.pilot_months = pilot_months
        self.conversion_scale_eur_t = conversion_scale_eur_t
        self.pilot_trust = pilot_trust
        #: the chamber hosting its team, if one runs in its economy
        self.host = host
        #: one dict per case: seller, buyer, material, stage, since (month the stage began), traded_t
        self.cases: list[dict] = []
        #: the open cases (leads and pilots) in the order they were found, and the closed ones by stage
        self._open: list[dict] = []
        self._closed = dict.fromkeys(STAGES, 0)

    def count(self, stage: str) -> int:
        return self._closed.get(stage, 0) + sum(case["stage"] == stage for case in self._open)

    @property
    def open_cases(self) -> int:
        return sum(case["stage"] in OPEN_STAGES for case in self._open)

    def _close_finished(self) -> None:
        """Move the cases that reached a final stage out of the open ones."""
        for case in self._open:
            if case["stage"] not in OPEN_STAGES:
                self._closed[case["stage"]] = self._closed.get(case["stage"], 0) + 1
        self._open = [case for case in self._open if case["stage"] in OPEN_STAGES]

    def step(self) -> None:
        """This month: note what pilot pairs traded last month, move cases on, find new leads."""
        self.note_trades()
        self.review_cases()
        self._close_finished()
        self.find_leads()

    def note_trades(self) -> None:
        shipments = self.model.market.shipments
        for case in self._open:
            if case["stage"] == "pilot":
                pair = (shipments.seller == case["seller"]) & (shipments.buyer == case["buyer"]) & shipments.sent
                case["traded_t"] += float(shipments.tonnes[pair].sum())

    def review_cases(self) -> None:
        model, month = self.model, self.model.month
        disposal_cost = None  # what disposal costs the firms: the same for every case this month
        for case in self._open:
            age = month - case["since"]
            if case["stage"] == "lead" and age >= self.business_case_months:
                if disposal_cost is None:
                    disposal_cost = model.disposal_cost_eur_t()
                surplus = self.business_case(case["seller"], case["buyer"], case["material"], disposal_cost)
                chance = 1.0 - np.exp(-max(surplus, 0.0) / self.conversion_scale_eur_t)
                if model.rng.random() < chance:
                    self.start_pilot(case)
                else:
                    case["stage"], case["since"] = "dropped", month
            elif case["stage"] == "pilot" and age >= self.pilot_months:
                case["stage"], case["since"] = ("regular" if case["traded_t"] > 0 else "failed"), month

    def business_case(self, seller: int, buyer: int, material: int, disposal_cost: np.ndarray | None = None) -> float:
        """Surplus per tonne of the pair's exchange at today's prices and costs, EUR/t
        (``disposal_cost``: ``model.disposal_cost_eur_t()``, if the caller has it already)."""
        model, firms = self.model, self.model.firms
        market = model.market
        if market.cost is None:
            market.refresh_costs()
        shipment_class = model.shipment_class_matrix(material)[firms.status[seller, material], firms.economy[seller],
                                                              firms.economy[buyer]]
        cost = market.cost[shipment_class, market.origin_row[firms.node[seller]], firms.node[buyer]]
        wtp = model.willingness_to_pay(np.array([buyer]), material)[0]
        if disposal_cost is None:
            disposal_cost = model.disposal_cost_eur_t()
        return float(wtp + disposal_cost[seller] - cost)

    def start_pilot(self, case: dict) -> None:
        """Introduce the pair and bring both into exchanges."""
        model, firms = self.model, self.model.firms
        pair = np.array([case["seller"], case["buyer"]])
        model.relations.link(pair[:1], pair[1:], self.pilot_trust, "broker")
        model.relations.commit()
        firms.awareness[pair] = np.maximum(firms.awareness[pair], firms.trust_threshold[pair])
        firms.participating[pair] = True
        case["stage"], case["since"] = "pilot", model.month

    def find_leads(self) -> None:
        """Fill the free places of the caseload with the biggest streams of its economy that were
        disposed of last month and have a buyer nearby that does not know the seller yet."""
        model, firms, flows = self.model, self.model.firms, self.model.market.flows
        free = self.caseload - self.open_cases
        if free <= 0 or flows is None:
            return
        mine = np.flatnonzero(firms.economy == self.economy)
        disposed = flows.landfilled[mine] + flows.dumped[mine]
        taken = {(c["seller"], c["material"]) for c in self._open if c["stage"] in OPEN_STAGES}
        # the biggest disposed streams, enough of them to fill the free places
        cells = np.flatnonzero(disposed > 0)
        need = free + len(taken) + 16
        if len(cells) > need:
            cells = cells[np.argpartition(-disposed.flat[cells], need)[:need]]
        cells = cells[np.lexsort((cells, -disposed.flat[cells]))]
        rows, materials = np.divmod(cells, model.n_materials)
        for f, m in zip(mine[rows].tolist(), materials.tolist()):
            if free == 0:
                break
            if (f, m) in taken:
                continue
            _, buyers = model.relations.nearest(np.array([f]), m, 1, unknown_only=True)
            buyers = buyers[firms.capacity[buyers, m] > 0]
            if len(buyers):
                case = {"seller": f, "buyer": int(buyers[0]), "material": m, "stage": "lead", "since": model.month,
                        "traded_t": 0.0}
                self.cases.append(case)
                self._open.append(case)
                free -= 1

    def scale(self, factor: float) -> None:
        """A bigger team: a larger caseload (a pilot scaled up)."""
        self.caseload = int(round(self.caseload * factor))
