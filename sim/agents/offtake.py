"""EU offtake of secondary critical raw materials (seed 002, RESourceEU): the Raw Materials
Mechanism lets EU buyers "aggregate demand and jointly purchase raw materials, and for nascent
projects to secure offtake agreements", and the Commission studies "a price floor to unlock
investments ... into extracting critical minerals in Europe and partner countries".

Without offtake, a re-mining project's metal revenue carries the price risk that seed 002
names as what keeps investors away ("price volatility and non-transparent market practices",
"investors' reluctance to commit to long-term and complex operations"): investors add
``metal_price_risk_premium`` to the rate they discount the project at. Under an offtake
agreement (the ``eu_offtake`` pilot) the contracted share of a deposit's CRM output is bought
by EU buyers at no less than the floor, so

- the premium falls in proportion to the share of the project's revenue the agreement covers
  (a deposit whose value is mostly gold or zinc keeps most of it);
- where the floor is above the market price, the covered metal earns the floor.

The contracted metal recovered each month is what the EU takes (``crm_offtake_eu_t``).
"""

from __future__ import annotations

import numpy as np

from sim.parameters import KEYED, declare

declare("metal_price_risk_premium")
#: EU annual use of the CRM metals the deposits hold (the CRMA benchmark KPIs' denominators)
declare("eu_crm_demand_t_yr", KEYED, ("antimony", "cobalt", "copper", "nickel", "ree"))


class CrmOfftake:
    def __init__(self, model):
        self.model = model
        n = model.firms.n_firms
        row_of = {f: i for i, f in enumerate(model.region.firms["firm_id"])}
        self.premium = float(model.params["metal_price_risk_premium"])
        #: per deposit (firm row), at its true grade: value of its recoverable CRM per t reprocessed
        #: at market and reference (data) prices, EUR/t, and t of CRM metal per t reprocessed
        self.crm_value_eur_t = np.zeros(n)
        self.crm_reference_eur_t = np.zeros(n)
        self.crm_yield_t_t = np.zeros(n)
        for row, grade in zip(model.region.remining.itertuples(), model.deposits.metal_grade_kg_t):
            if row.crm:
                f = row_of[row.firm_id]
                t_t = grade * model.deposits.grade_factor[f] * row.recovery / 1000.0
                self.crm_value_eur_t[f] += t_t * row.metal_price_eur_t * model.price_multiplier
                self.crm_reference_eur_t[f] += t_t * row.metal_price_eur_t
                self.crm_yield_t_t[f] += t_t
        #: share of each deposit's CRM output under an offtake agreement
        self.coverage = np.zeros(n)
        #: EUR per t reprocessed the floor adds over the market price
        self.floor_uplift_eur_t = np.zeros(n)

    def contract(self, economies: list[int], coverage: float, floor_share: float) -> None:
        """Offtake agreements for the CRM output of every deposit in ``economies``: ``coverage``
        of it bought at no less than ``floor_share`` x the reference price."""
        firms = self.model.firms
        rows = np.flatnonzero(np.isin(firms.economy, economies) & (self.crm_yield_t_t > 0))
        self.coverage[rows] = np.maximum(self.coverage[rows], coverage)
        gap = np.maximum(floor_share * self.crm_reference_eur_t[rows] - self.crm_value_eur_t[rows], 0.0)
        self.floor_uplift_eur_t[rows] = np.maximum(self.floor_uplift_eur_t[rows], coverage * gap)

    def revenue_eur_t(self, rows) -> np.ndarray:
        """Recoverable metal value per t reprocessed of deposits ``rows``, floor payments included."""
        return self.model.remining_revenue_eur_t[rows] + self.floor_uplift_eur_t[rows]

    def risk_premium(self, project) -> float:
        """What investors add to the discount rate of ``project`` for metal price risk: the full
        premium on a re-mining plant's uncovered revenue share, none on other projects."""
        if project.kind != "remining":
            return 0.0
        f = project.firm
        total = self.revenue_eur_t(f)
        covered = self.coverage[f] * self.crm_value_eur_t[f] + self.floor_uplift_eur_t[f]
        return self.premium * (1.0 - covered / total) if total > 0 else self.premium

    def bought_t(self, reprocessed_t: np.ndarray) -> np.ndarray:
        """t of CRM metal the EU buys this month, per firm row, from the t reprocessed."""
        return reprocessed_t * self.crm_yield_t_t * self.coverage
