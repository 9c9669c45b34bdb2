"""Digital industrial-symbiosis platform with its facilitators: a register where firms list
what they offer and need, run with outreach campaigns.

Firms taking part in exchanges list on it. The more of them are listed, the cheaper finding a
partner gets (search cost per tonne falls from the scenario's level towards the platform's
floor). Its campaigns, sales agents and facilitators reach a share of the firms each month
(``outreach_share_per_month``): a firm reached hears about exchanges once more, as from any other
contact (see ``Firm.grow_awareness``), so firms still join one by one as their awareness passes
their own trust threshold. It grows into that role over its start-up months.

Listing is matchmaking: a firm that lists learns of its nearest listed partners per material
(``relation_seed_contacts`` of them; seed 001: "Include databases of operators",
``kpi.short_term.exchange_platform``). A member is active if it traded in the last six months
(the seed's "six months activity threshold").
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.relations import every_material


@actor_kind("platform")
class Platform(mesa.Agent):
    def __init__(self, model, search_cost_floor_eur_t: float, outreach_share_per_month: float, ramp_months: int):
        super().__init__(model)
        self.search_cost_floor_eur_t = search_cost_floor_eur_t
        self.outreach_share_per_month = outreach_share_per_month
        self.ramp_months = ramp_months
        self.months_running = 0
        #: what firms faced before the platform
        self.search_cost_before = model.search_cost_eur_t
        self.outreach_before = model.outreach_contacts_per_month
        self.listed_share = 0.0
        #: bool[F] firms listed on it
        self.listed = np.zeros(model.firms.n_firms, dtype=bool)
        #: int[F] last month each firm traded (-1: never)
        self.last_trade = np.full(model.firms.n_firms, -1, dtype=np.int64)

    #: months without a trade after which a member no longer counts as active (seed 001)
    ACTIVE_MONTHS = 6

    def active_members(self) -> int:
        return int((self.listed & (self.last_trade >= self.model.month - self.ACTIVE_MONTHS)).sum())

    def list_firms(self) -> None:
        """Firms taking part list; each new one learns of its nearest listed partners."""
        model, firms = self.model, self.model.firms
        shipments = model.market.shipments
        self.last_trade[shipments.seller[shipments.sent]] = model.month - 1
        self.last_trade[shipments.buyer[shipments.sent]] = model.month - 1
        new = np.flatnonzero(firms.participating & ~self.listed)
        self.listed |= firms.participating
        relations = model.relations
        relations.link(*relations.nearest(*every_material(new, model.n_materials), relations.contacts,
                                          among=self.listed), relations.trust_initial, "platform")
        relations.commit()

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
        self.list_firms()
        self.listed_share = float(self.listed.mean())
        saving = max(self.search_cost_before - self.search_cost_floor_eur_t, 0.0)
        model.search_cost_eur_t = self.search_cost_before - saving * self.listed_share * maturity
        model.outreach_contacts_per_month = self.outreach_before + maturity * self.outreach_share_per_month
