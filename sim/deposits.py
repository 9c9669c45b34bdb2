"""Legacy deposits: what reprocessing one costs (processing and energy, deposit by deposit,
``deposits.csv``), how well its grade is known, and the exploration that finds it out.

Seed 000 names the data gap: "information on tailings and slag deposits still relying heavily on
historical records rather than modern sampling and resource classification", and calls recovery
"energy-intensive ... depending on the technologies applied and the energy mix". So

- each deposit's true grade is its data grade (``remining.csv``, which reproduces the seed's
  in-situ values) times a factor drawn once per run, lognormal with mean 1 and the deposit's
  ``grade_uncertainty`` (``sim.kernels.grade_factors``; one factor for all of a deposit's
  metals): the seed's values hold in expectation, the plant recovers what is there;
- investors know only the expected grade until an exploration programme (sampling, assays,
  metallurgical tests and a resource estimate: ``exploration_cost_eur``, ``exploration_months``)
  resolves it; a plant is financed only on a resource estimate, so a firm weighs a deposit it has
  not explored as a staged project, worth exploring when the plant it may build pays on average
  over the grades it may find (``sim.investment.Project.npv``);
- a tonne reprocessed costs the deposit's processing cost plus its energy use at
  ``remining_electricity_price_eur_mwh``. Deposits the table does not list take
  ``remining_opex_eur_t``, ``remining_energy_kwh_t`` and ``remining_grade_uncertainty``.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import grade_factors
from sim.parameters import declare

for _name in ("remining_energy_kwh_t", "remining_grade_uncertainty", "remining_electricity_price_eur_mwh",
              "exploration_cost_eur", "exploration_months"):
    declare(_name)
#: key of the random stream the true grades are drawn from (apart from the model's own stream)
GRADE_DRAWS = 13


class Deposits:
    """Per firm row: processing cost (EUR/t), energy use (kWh/t), grade uncertainty, the true grade
    factor and whether the grade is known."""

    def __init__(self, model):
        p = model.params
        n = model.firms.n_firms
        self.processing_cost_eur_t = np.full(n, float(p["remining_opex_eur_t"]))
        self.energy_kwh_t = np.full(n, float(p["remining_energy_kwh_t"]))
        self.grade_uncertainty = np.full(n, float(p["remining_grade_uncertainty"]))
        row_of = {f: i for i, f in enumerate(model.region.firms["firm_id"])}
        for row in model.region.deposits.itertuples():
            f = row_of[row.firm_id]
            self.processing_cost_eur_t[f] = row.processing_cost_eur_t
            self.energy_kwh_t[f] = row.energy_kwh_t
            self.grade_uncertainty[f] = row.grade_uncertainty
        draws = np.random.default_rng([int(model.config.seed), GRADE_DRAWS]).standard_normal(n)
        #: true grade / data grade
        self.grade_factor = grade_factors(draws, self.grade_uncertainty)
        self.explored = self.grade_uncertainty == 0.0
        self.electricity_eur_kwh = float(p["remining_electricity_price_eur_mwh"]) / 1000.0
        self.exploration_cost_eur = float(p["exploration_cost_eur"])
        self.exploration_months = int(p["exploration_months"])

    def cost_eur_t(self, rows) -> np.ndarray:
        """Operating cost of reprocessing a tonne of deposits ``rows``, energy included, EUR/t."""
        return self.processing_cost_eur_t[rows] + self.energy_kwh_t[rows] * self.electricity_eur_kwh

    def believed_share(self, rows) -> np.ndarray:
        """What investors take the recoverable metal of deposits ``rows`` to be, as a share of what
        is there: 1 once explored, the data grade over the true one before."""
        return np.where(self.explored[rows], 1.0, 1.0 / self.grade_factor[rows])

    def uncertainty_left(self, rows) -> np.ndarray:
        """Log standard deviation of the grade investors face: 0 once explored."""
        return np.where(self.explored[rows], 0.0, self.grade_uncertainty[rows])
