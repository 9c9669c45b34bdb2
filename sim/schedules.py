"""A changing region: dated changes of what firms generate and absorb (coal plant closures,
growth of construction waste, ...), read from a schedule table (``schedules.csv`` of the
scenario, or ``schedules/<name>.csv`` chosen with ``schedule=<name>``).

Each (firm, material, role) has a path of (year, factor) points: its generation or capacity is
the scenario's figure times the factor, linear between the points (a plant's units close one
by one), the first factor before the first point and the last one after the last. Month ``t``
is the year ``start_year + t / 12``. Only the scenario's own figure is scaled: capacity that
investment or a pilot added stays.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import declare
from sim.state import MONTHS_PER_YEAR

declare("start_year")


class Schedules:
    def __init__(self, model, table):
        self.model = model
        firms = model.firms
        self.start_year = float(model.params["start_year"])
        row_of = {f: i for i, f in enumerate(model.region.firms["firm_id"])}
        table = table.sort_values(["firm_id", "material", "role", "year"], kind="mergesort")
        self.paths = []  # (target array name, firm row, material column, years, factors, base)
        for (firm_id, material, role), path in table.groupby(["firm_id", "material", "role"], sort=True):
            f, m = row_of[firm_id], model.material_index[material]
            target = "generation" if role == "generates" else "capacity"
            base = float(getattr(firms, target)[f, m])
            self.paths.append((target, f, m, path["year"].to_numpy(dtype=float), path["factor"].to_numpy(), base))
        self.factor = np.ones(len(self.paths))
        #: float[paths, months]: each path's factor in each month of the run, once asked for
        self._factors: np.ndarray | None = None

    def factor_at(self, month: int) -> np.ndarray:
        """The factor of each path in month ``month`` (those of the run's months worked out at once)."""
        if self._factors is None:
            years = self.start_year + np.arange(self.model.config.months) / MONTHS_PER_YEAR
            self._factors = np.array([np.interp(years, xp, fp) for _, _, _, xp, fp, _ in self.paths]).reshape(
                len(self.paths), len(years))
        if 0 <= month < self._factors.shape[1]:
            return self._factors[:, month].copy()
        year = self.start_year + month / MONTHS_PER_YEAR
        return np.array([np.interp(year, years, factors) for _, _, _, years, factors, _ in self.paths])

    def apply(self, month: int) -> None:
        """Move each scheduled figure to this month's factor (by the change since last month)."""
        if not self.paths:
            return
        firms, now = self.model.firms, self.factor_at(month)
        for (target, f, m, _, _, base), before, after in zip(self.paths, self.factor, now):
            values = getattr(firms, target)
            added = values[f, m] - base * before  # by investment or pilots; rounding dust is none
            added = 0.0 if abs(added) <= 1e-9 * max(base, 1.0) else added
            values[f, m] = max(base * after + added, 0.0)
        self.factor = now
