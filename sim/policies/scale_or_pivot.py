"""Scale up successful pilots, pivot or abandon the others: at the end of each roadmap phase
the IS coordinating body reviews every running pilot it has a rule for by one of the pilot's
KPIs, averaged over the months since the last review, and

- scales it (``scale_factor`` more means: events, caseload, mapping speed, savings) if the KPI
  reached ``scale_at``;
- drops it (it stops acting from next month; what it did stays) if the KPI is below
  ``drop_below``;
- keeps it otherwise.

Seed 001 roadmap, medium term: "Scale up successful pilot policy projects, pivot the
unsuccessful but necessary ones, abandon the non-priority unsuccessful initiatives"
(``roadmap.phase.medium_term``); reviews fall at the phase ends of the roadmap (months 12, 24
and 48: ``roadmap_phase_start_months``). Each decision is one row of the run's
``pilot_decisions`` table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.errors import ConfigError
from sim.kpis import REVIEW_KPIS
from sim.policies.base import REGISTRY, Policy, PolicyParams, check_value, param, register

RULE_KEYS = ("kpi", "scale_at", "drop_below")


@dataclass(kw_only=True)
class ScaleOrPivotParams(PolicyParams):
    #: pilot name -> {kpi: KPI column, scale_at: value, drop_below: value}
    rules: dict = param("mapping of pilot name to its rule")
    #: how much more means a scaled pilot gets
    scale_factor: float = param("times")


@register("scale_or_pivot")
class ScaleOrPivot(Policy):
    Params = ScaleOrPivotParams
    description = (
        "At the end of each roadmap phase each running pilot is judged by its KPI: pilots that did well get "
        "more means, pilots that did badly are dropped, the others are kept."
    )

    def check(self, model) -> None:
        self.rules = {}
        for name, rule in self.params.rules.items():
            where = f"{self.where}.rules.{name}"
            if name not in REGISTRY or name == self.name:
                raise ConfigError(where, "unknown pilot", choices=sorted(set(REGISTRY) - {self.name}), value=name)
            if not isinstance(rule, dict) or set(rule) != set(RULE_KEYS):
                raise ConfigError(where, f"needs the keys {list(RULE_KEYS)}, got {rule!r}", choices=RULE_KEYS)
            kpi = rule["kpi"]
            if kpi not in REVIEW_KPIS:
                raise ConfigError(f"{where}.kpi", "not a KPI a pilot can be judged by", choices=REVIEW_KPIS,
                                  value=str(kpi))
            self.rules[name] = (kpi, check_value(f"{where}.scale_at", rule["scale_at"], float, None),
                                check_value(f"{where}.drop_below", rule["drop_below"], float, None))
        self.review_months = sorted(m for m in model.params["roadmap_phase_start_months"].values() if m > 0)
        self.last_review = 0

    def on_step(self, model) -> None:
        if model.month not in self.review_months:
            return
        rows = [r for r in model.kpis.rows if r["step"] >= self.last_review]
        for policy in [p for p in model.active_policies if p.name in self.rules]:
            kpi, scale_at, drop_below = self.rules[policy.name]
            since = [r[kpi] for r in rows if r["step"] >= policy.start_month]
            if not since:
                continue  # started this month: nothing to judge yet
            value = sum(since) / len(since)
            if value >= scale_at:
                decision = "scale"
                policy.scale(model, self.params.scale_factor)
            elif value < drop_below:
                decision = "drop"
                policy.stop(model)
            else:
                decision = "keep"
            model.pilot_decisions.append({"step": model.month, "pilot": policy.name, "kpi": kpi, "value": value,
                                          "scale_at": scale_at, "drop_below": drop_below, "decision": decision})
        self.last_review = model.month
