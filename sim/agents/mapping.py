"""IS mapping technical task force of an economy: maps firms' streams and needs (GIS / MFA) and
tells each mapped firm which partners could take or supply them.

Seed 001: "Establish an IS Mapping Technical Task Force to conduct technical mapping of
symbiotic relationships using GIS, MFA, and industrial metabolism approaches"
(``kpi.short_term.2_mapping_task_force``); "WB6 still doesn't have a proper industrial
symbiosis mapping" (``is.mapping_status``); a mapping project takes 6 to 12 months
(``is.mapping_project_duration``). Mapping reveals latent supply and demand: it reaches firms
that take no part in exchanges yet (their streams are listed nowhere), biggest streams first,
at ``firms_per_month`` and ``cost_per_firm_eur`` per economy. A mapped firm learns of its
nearest partners per material, whether or not they trade yet, and hears about exchanges (its
awareness closes ``awareness_boost`` of its gap to full).
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.relations import every_material


@actor_kind("mapping_task_force")
class MappingTaskForce(mesa.Agent):
    def __init__(self, model, economy: int, firms_per_month: float, cost_per_firm_eur: float, contacts: int,
                 awareness_boost: float):
        super().__init__(model)
        self.economy = economy
        self.firms_per_month = firms_per_month
        self.cost_per_firm_eur = cost_per_firm_eur
        self.contacts = contacts
        self.awareness_boost = awareness_boost
        self.months_running = 0
        self.spent_eur = 0.0
        #: bool[F] firms mapped so far
        self.mapped = np.zeros(model.firms.n_firms, dtype=bool)
        #: whether every firm of its economy is mapped
        self.finished = False

    def step(self) -> None:
        due = int((self.months_running + 1) * self.firms_per_month) - int(self.months_running * self.firms_per_month)
        self.months_running += 1
        if due == 0 or self.finished:
            return
        rows = self.next_firms(due)
        # fewer firms left than were due: after these, every firm of its economy is mapped
        self.finished = len(rows) < due
        if len(rows):
            self.map(rows)

    def next_firms(self, n: int) -> np.ndarray:
        """The ``n`` firms of its economy not mapped yet with the most tonnes generated and taken
        in a month, those taking no part in exchanges first."""
        firms = self.model.firms
        rows = np.flatnonzero((firms.economy == self.economy) & ~self.mapped)
        size = firms.generation[rows].sum(axis=1) + firms.capacity[rows].sum(axis=1)
        order = np.lexsort((rows, -size, firms.participating[rows]))
        return rows[order[:n]]

    def map(self, rows: np.ndarray) -> None:
        model, firms, relations = self.model, self.model.firms, self.model.relations
        relations.link(*relations.nearest(*every_material(rows, model.n_materials), self.contacts),
                       relations.trust_initial, "mapping")
        relations.commit()
        firms.awareness[rows] += self.awareness_boost * (1.0 - firms.awareness[rows])
        self.mapped[rows] = True
        self.spent_eur += self.cost_per_firm_eur * len(rows)

    def scale(self, factor: float) -> None:
        """A bigger task force, or automatic (AI/ICT) mapping: faster mapping."""
        self.firms_per_month *= factor
