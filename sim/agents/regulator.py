"""Regulator: one per economy. Holds the legal-status matrix and the landfill regime, and
processes firms' by-product / end-of-waste applications with limited laboratory capacity."""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.world import BY_PRODUCT, EOW, WASTE


@actor_kind("regulator")
class Regulator(mesa.Agent):
    def __init__(self, model, economy: int, row):
        super().__init__(model)
        self.economy = economy
        self.code = row.economy
        self.list_of_waste = row.list_of_waste
        self.landfill_fee_eur_t = float(row.landfill_fee_eur_t)
        self.dumping_fine_eur_t = float(row.dumping_fine_eur_t)
        self.enforcement_probability = float(row.enforcement_probability)
        self.lab_capacity_per_month = float(row.lab_capacity_per_month)
        #: months from an application to the decision (tests, dossier review)
        self.decision_months = float(model.params["status_application_months"])
        self.hurdle_rate = float(row.hurdle_rate)
        #: status the economy can grant, per material (WASTE where it can grant none)
        self.grantable_status = np.full(model.n_materials, WASTE, dtype=np.int64)
        self.queue: deque[tuple[int, int, int]] = deque()  # (firm, material, month filed)
        self._lab_budget = 0.0
        self.certificates_this_month = 0
        self.certificates_issued = 0

    def set_status_matrix(self, by_product_possible: np.ndarray, eow_possible: np.ndarray) -> None:
        """End-of-waste is preferred where both are possible: it frees the material entirely."""
        self.grantable_status[:] = WASTE
        self.grantable_status[by_product_possible] = BY_PRODUCT
        self.grantable_status[eow_possible] = EOW

    @property
    def expected_fine_eur_t(self) -> float:
        return self.dumping_fine_eur_t * self.enforcement_probability

    def receive_application(self, firm: int, material: int) -> None:
        self.queue.append((firm, material, self.model.month))

    def step(self) -> None:
        """Test what the laboratories can this month; register the approved streams."""
        self.certificates_this_month = 0
        self._lab_budget = min(self._lab_budget + self.lab_capacity_per_month, max(self.lab_capacity_per_month, 1.0))
        min_months = self.decision_months
        while self.queue and self._lab_budget >= 1.0:
            firm, material, filed = self.queue[0]
            if self.model.month - filed < min_months:
                break
            self.queue.popleft()
            self._lab_budget -= 1.0
            self.certificates_this_month += 1
            self.register(firm, material)
        self.certificates_issued += self.certificates_this_month

    def register(self, firm: int, material: int) -> None:
        status = self.grantable_status[material]
        if status != WASTE:
            self.model.firms.status[firm, material] = status
