"""Customs post at a border crossing: files shipments by class, refuses some waste
shipments (prior notification and consent), inspects a share of each class and clears freight
through a queue it shares with the crossing's other traffic, up to its capacity.

A waste shipment needs the consent of the authorities on both sides of the post (the regulators
of its two economies, :meth:`sim.agents.regulator.Regulator.consent_days`); it waits for the
slower of the two, which grows with the notifications each authority handles. A common regional
procedure may cap that time (``waste_days_cap``, set by customs streamlining).

Clearance time and the share of the capacity other freight takes are read from the monitoring of
freight waiting times at WB6 crossings (sim/data/parameters.yaml border_clearance_days,
border_background_utilisation), so a post's wait grows with the load the model puts on it and
a backlog forms where shipments exceed what it can clear in a month."""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.world import DAYS_PER_MONTH, STATUSES, WASTE

#: utilisation above which the steady-state queue formula is not used (the overflow waits in
#: the backlog instead, cleared month by month)
MAX_UTILISATION = 0.99


@actor_kind("customs")
class Customs(mesa.Agent):
    def __init__(self, model, crossing: int, row):
        super().__init__(model)
        self.crossing = crossing
        self.crossing_id = row.crossing_id
        self.economies = (row.economy_a, row.economy_b)
        self.capacity_t_month = float(row.capacity_t_month)
        params = model.params
        #: per shipment class: documentary days at the post and EUR/t in fees and paperwork (a
        #: waste shipment also waits for consent, :meth:`consent_days`)
        self.delay_days = np.array([params["border_delay_days"][s] for s in STATUSES], dtype=float)
        self.fee_eur_t = np.array([params["border_fee_eur_t"][s] for s in STATUSES], dtype=float)
        self.fee_eur_t[WASTE] += params["waste_notification_cost_eur_t"]
        #: share of consignments physically inspected, per class: waste is checked against its
        #: notification, goods at the post's risk-based rate
        self.inspection_rate = np.full(len(STATUSES), float(row.inspection_rate))
        self.inspection_rate[WASTE] = max(self.inspection_rate[WASTE], float(params["waste_inspection_rate"]))
        #: competent authorities whose consent a waste shipment through this post needs
        self.authorities = [model.regulators[model.economy_index[e]] for e in self.economies]
        #: most days notification and consent may take here (a common regional procedure)
        self.waste_days_cap = np.inf
        self.refusal_probability = float(params["waste_refusal_probability"])
        self.inspection_days = float(params["inspection_days"])
        self.clearance_days = float(params["border_clearance_days"])
        #: share of the post's capacity the crossing's other freight uses (not modelled as shipments)
        self.background_utilisation = float(params["border_background_utilisation"])
        self.queue: deque[list] = deque()  # [shipment id, buyer, material, tonnes left]
        self.backlog_t = 0.0
        self.cleared_t = 0.0
        self.filings = np.zeros(len(STATUSES), dtype=np.int64)
        self.refusals = 0

    @property
    def free_capacity_t_month(self) -> float:
        """Tonnes a month the post can clear of the modelled shipments, besides its other traffic."""
        return self.capacity_t_month * (1.0 - self.background_utilisation)

    def waiting_days(self) -> float:
        """Expected wait of a consignment filed now, days. In the lane queue it waits
        ``rho / (1 - rho)`` clearance times at utilisation ``rho`` (the other traffic plus the
        freight filed ahead of it, as a single-server queue with random arrivals and clearances,
        M/M/1); freight ahead of it beyond this month's capacity adds the days until it is
        cleared. Infinite when the post is closed."""
        free = self.free_capacity_t_month
        if free <= 0.0:
            return np.inf
        rho = min(self.background_utilisation + min(self.backlog_t, free) / self.capacity_t_month, MAX_UTILISATION)
        overflow = max(self.backlog_t - free, 0.0) / free * DAYS_PER_MONTH
        return self.clearance_days * (1.0 + rho / (1.0 - rho)) + overflow

    def consent_days(self) -> float:
        """Days a waste shipment filed now waits for notification and consent: the slower of the
        two authorities, at most ``waste_days_cap``."""
        return min(max(authority.consent_days() for authority in self.authorities), self.waste_days_cap)

    def documentary_days(self) -> np.ndarray:
        """float[class]: paperwork days per shipment class, consent included for waste."""
        days = self.delay_days.copy()
        days[WASTE] += self.consent_days()
        return days

    def crossing_days(self, shipment_class: int) -> float:
        """Days a consignment of the class filed now spends at this post: paperwork (and consent),
        the expected inspection and the queue."""
        return (self.documentary_days()[shipment_class] + self.inspection_rate[shipment_class] * self.inspection_days
                + self.waiting_days())

    def crossing_cost(self, holding_cost_eur_t_day: float) -> np.ndarray:
        """EUR/t to pass this post for each shipment class (fees plus time at holding cost), as
        traders expect it when they plan: at the load the post carries before the month's filings."""
        days = self.documentary_days() + self.inspection_rate * self.inspection_days + self.waiting_days()
        return self.fee_eur_t + days * holding_cost_eur_t_day

    def file(self, shipment: int, buyer: int, material: int, tonnes: float, shipment_class: int) -> bool:
        """Lodge a shipment; a waste shipment may be refused consent. Returns True if accepted."""
        self.filings[shipment_class] += 1
        if shipment_class == WASTE:
            for authority in self.authorities:
                authority.receive_notification()
        if shipment_class == WASTE and self.model.random.random() < self.refusal_probability:
            self.refusals += 1
            return False
        self.queue.append([shipment, buyer, material, tonnes])
        self.backlog_t += tonnes
        return True

    def step(self) -> None:
        """Clear the queue first come, first served, up to this month's capacity left by the
        crossing's other traffic."""
        budget = self.free_capacity_t_month
        self.cleared_t = 0.0
        while self.queue and budget > 0.0:
            entry = self.queue[0]
            take = min(entry[3], budget)
            budget -= take
            entry[3] -= take
            self.cleared_t += take
            self.model.market.deliver(entry[0], entry[1], entry[2], take)
            if entry[3] <= 0.0:
                self.queue.popleft()
        self.backlog_t = sum(entry[3] for entry in self.queue)

    def reset_month(self) -> None:
        self.filings[:] = 0
        self.refusals = 0
