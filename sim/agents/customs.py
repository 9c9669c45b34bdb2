"""Customs post at a border crossing: files shipments by class, refuses some waste
shipments (prior notification and consent), and clears freight up to its capacity."""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.world import DAYS_PER_MONTH, STATUSES, WASTE


@actor_kind("customs")
class Customs(mesa.Agent):
    def __init__(self, model, crossing: int, row):
        super().__init__(model)
        self.crossing = crossing
        self.crossing_id = row.crossing_id
        self.economies = (row.economy_a, row.economy_b)
        self.capacity_t_month = float(row.capacity_t_month)
        self.inspection_rate = float(row.inspection_rate)
        params = model.params
        #: per shipment class: days at the border and EUR/t in fees and paperwork
        self.delay_days = np.array([params["border_delay_days"][s] for s in STATUSES], dtype=float)
        self.fee_eur_t = np.array([params["border_fee_eur_t"][s] for s in STATUSES], dtype=float)
        self.fee_eur_t[WASTE] += params["waste_notification_cost_eur_t"]
        self.refusal_probability = float(params["waste_refusal_probability"])
        self.inspection_days = float(params["inspection_days"])
        self.queue: deque[list] = deque()  # [shipment id, buyer, material, tonnes left]
        self.backlog_t = 0.0
        self.cleared_t = 0.0
        self.filings = np.zeros(len(STATUSES), dtype=np.int64)
        self.refusals = 0

    def waiting_days(self) -> float:
        """Expected wait in the queue, days (infinite when the post is closed)."""
        if self.capacity_t_month <= 0.0:
            return np.inf
        return self.backlog_t / self.capacity_t_month * DAYS_PER_MONTH

    def crossing_cost(self, holding_cost_eur_t_day: float) -> np.ndarray:
        """EUR/t to pass this post for each shipment class (fees plus time at holding cost)."""
        days = self.delay_days + self.inspection_rate * self.inspection_days + self.waiting_days()
        return self.fee_eur_t + days * holding_cost_eur_t_day

    def file(self, shipment: int, buyer: int, material: int, tonnes: float, shipment_class: int) -> bool:
        """Lodge a shipment; a waste shipment may be refused consent. Returns True if accepted."""
        self.filings[shipment_class] += 1
        if shipment_class == WASTE and self.model.random.random() < self.refusal_probability:
            self.refusals += 1
            return False
        self.queue.append([shipment, buyer, material, tonnes])
        self.backlog_t += tonnes
        return True

    def step(self) -> None:
        """Clear the queue first come, first served, up to this month's capacity."""
        budget = self.capacity_t_month
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
