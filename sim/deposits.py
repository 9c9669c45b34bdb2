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
  ``remining_electricity_price_eur_mwh``;
- each deposit carries an ESG risk index (process hazards and setting): a financier with an ESG
  condition refuses a project above its screen (``de_risking.esg_risk_screen``), and the risk scales
  the social-licence hazard: each month of its permitting a re-mining plant is refused with the
  chance ``social_licence_refusal_per_month`` of its economy times its ESG risk (seed 000: new
  mining "politically and socially contentious across the region", the opposition to a copper and
  gold mine in North Macedonia, lithium mining in Bosnia and Herzegovina and Serbia's Jadar lithium
  project, whose permits the government revoked in January 2022 after mass protests), a risk the
  safeguards a financier requires cut (``FinancingTerms.esg_risk_cut``).

Deposits the table does not list take ``remining_opex_eur_t``, ``remining_energy_kwh_t``,
``remining_grade_uncertainty`` and ``remining_esg_risk``. Two factors move the assumed figures of
every deposit at once (sensitivity studies; 1 leaves the data as it is):
``remining_processing_cost_factor`` multiplies each processing cost, and
``remining_crm_share_factor`` the share of a deposit's in-situ value its CRM metals hold
(:func:`split_grades`).
"""

from __future__ import annotations

import numpy as np

from sim.errors import ConfigError
from sim.kernels import grade_factors
from sim.parameters import KEYED, declare

for _name in ("remining_energy_kwh_t", "remining_grade_uncertainty", "remining_esg_risk",
              "remining_electricity_price_eur_mwh", "exploration_cost_eur", "exploration_months"):
    declare(_name)
#: the WB6 economies, whose permitting the social-licence hazard is given for
WB6_CODES = ("AL", "BA", "ME", "MK", "RS", "XK")
declare("social_licence_refusal_per_month", KEYED, WB6_CODES)
declare("remining_processing_cost_factor", default=1.0, unit="multiplier on every deposit's processing cost",
        source="https://soma-website.pages.dev/resources/glossary/aace-18r-97/: the deposits' costs are estimates by "
               "processing route without project definition, an AACE class 5 (concept screening) estimate, whose "
               "accuracy is -50 % to +100 %: 0.5-2 in sensitivity studies")
declare("remining_crm_share_factor", default=1.0,
        unit="multiplier on the share of a deposit's in-situ value held by its CRM metals",
        source="assumption: the seed gives deposits' in-situ values, the split between their metals is assumed "
               "(remining.csv: Bor's gold and silver, the metals of Gornje Polje III and Zitkovac); "
               "0.5-1.5 in sensitivity studies")
#: keys of the random streams the true grades and the permit refusals are drawn from (apart from
#: the model's own stream)
GRADE_DRAWS, REFUSAL_DRAWS = 13, 14


def split_grades(remining, factor: float) -> np.ndarray:
    """Grades (kg/t) of the rows of ``remining`` (remining.csv) with the share of each deposit's
    in-situ value (grade x price over its metals) that its CRM metals hold multiplied by
    ``factor``; its other metals share the rest in the table's proportions, so the deposit's value
    is unchanged. A deposit of only CRM or only other metals keeps its grades."""
    grade = remining["grade_kg_t"].to_numpy(dtype=float).copy()
    value = grade * remining["metal_price_eur_t"].to_numpy(dtype=float)
    crm = remining["crm"].to_numpy(dtype=bool)
    firm = remining["firm_id"].to_numpy()
    for deposit in dict.fromkeys(firm):
        rows = firm == deposit
        crm_value, other_value = value[rows & crm].sum(), value[rows & ~crm].sum()
        if crm_value == 0.0 or other_value == 0.0:
            continue
        other_factor = 1.0 + (1.0 - factor) * crm_value / other_value
        if other_factor < 0.0:
            raise ConfigError("parameters.remining_crm_share_factor",
                              f"{factor!r} gives the CRM metals of {deposit} more than its whole in-situ value "
                              f"(their share is {crm_value / (crm_value + other_value):.3f})")
        grade[rows & crm] *= factor
        grade[rows & ~crm] *= other_factor
    return grade


class Deposits:
    """Per firm row: processing cost (EUR/t), energy use (kWh/t), grade uncertainty, ESG risk, the
    true grade factor, whether the grade is known, and the monthly social-licence hazard."""

    def __init__(self, model):
        p = model.params
        n = model.firms.n_firms
        self.processing_cost_eur_t = np.full(n, float(p["remining_opex_eur_t"]))
        self.energy_kwh_t = np.full(n, float(p["remining_energy_kwh_t"]))
        self.grade_uncertainty = np.full(n, float(p["remining_grade_uncertainty"]))
        self.esg_risk = np.full(n, float(p["remining_esg_risk"]))
        row_of = {f: i for i, f in enumerate(model.region.firms["firm_id"])}
        for row in model.region.deposits.itertuples():
            f = row_of[row.firm_id]
            self.processing_cost_eur_t[f] = row.processing_cost_eur_t
            self.energy_kwh_t[f] = row.energy_kwh_t
            self.grade_uncertainty[f] = row.grade_uncertainty
            self.esg_risk[f] = row.esg_risk
        self.processing_cost_eur_t *= float(p["remining_processing_cost_factor"])
        #: grade (kg/t) of each row of remining.csv as the run takes it (``split_grades``), before the true-grade factor
        self.metal_grade_kg_t = split_grades(model.region.remining, float(p["remining_crm_share_factor"]))
        draws = np.random.default_rng([int(model.config.seed), GRADE_DRAWS]).standard_normal(n)
        #: true grade / data grade
        self.grade_factor = grade_factors(draws, self.grade_uncertainty)
        self.explored = self.grade_uncertainty == 0.0
        self.electricity_eur_kwh = float(p["remining_electricity_price_eur_mwh"]) / 1000.0
        self.exploration_cost_eur = float(p["exploration_cost_eur"])
        self.exploration_months = int(p["exploration_months"])
        hazard = dict(p["social_licence_refusal_per_month"])
        by_economy = np.array([float(hazard.get(code, 0.0)) for code in model.economy_codes])
        #: monthly chance a re-mining plant's permit is refused, without safeguards
        self.refusal_per_month = np.minimum(by_economy[model.firms.economy] * self.esg_risk, 1.0)
        self.seed = int(model.config.seed)

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

    def permit_odds(self, rows, months: int) -> np.ndarray:
        """Chance that a re-mining plant of deposits ``rows`` keeps its social licence through
        ``months`` of permitting, without safeguards."""
        return (1.0 - self.refusal_per_month[rows]) ** months

    def refusals(self, month: int, rows: np.ndarray, hazards: np.ndarray) -> np.ndarray:
        """bool[n]: which of the plants in permitting of deposits ``rows`` with monthly ``hazards``
        are refused this month. Each plant's draw comes from a stream of its own deposit and month,
        so a pilot that adds or removes other plants leaves its luck unchanged (paired runs compare
        like with like)."""
        refused = np.zeros(len(hazards), dtype=bool)
        for i in np.flatnonzero(hazards > 0.0):
            refused[i] = np.random.default_rng([self.seed, REFUSAL_DRAWS, month, int(rows[i])]).random() < hazards[i]
        return refused
