"""A regional tailings re-mining fund: capital grants plus an offtake premium on the metal
revenue of re-mining plants, from a budget of its own (worked example (b) of docs/extending.md).

Seed 000 names the pilot candidates (wb6.pilot_candidates: "reprocessing copper-rich tailings at
Bor (Serbia) or integrated remediation and re-use of legacy tailings at Trepça-Trepča (Kosovo)")
and the de-risking channels for secondary CRM (finance.derisking_tools). The fund is a financial
instrument of its own: combined with ``de_risking`` it is asked after the window when both start
in the same month (start month, then pilot name), supports what is still not viable on the
terms so far (additionality), and books only its own money.

    python -m sim 'extensions=[examples.remining_fund]' policies=[de_risking] \\
        +policies.remining_fund.start_month=0
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.agents.instrument import FinancialInstrument
from sim.agents.kinds import actor_kind
from sim.investment import FinancingTerms, Project
from sim.policies.base import Policy, PolicyParams, param, register


@dataclass(kw_only=True)
class ReminingFundParams(PolicyParams):
    #: public money the fund may commit (grants plus the premium over the plant's lifetime)
    budget_eur: float = param("EUR")
    #: capital grant, on the capex no grant covers yet
    grant_share: float = param("share of capex", 1.0)
    #: premium paid on top of the metal revenue, every year of the plant's life
    offtake_premium_share: float = param("share of metal revenue", 1.0)
    #: support only deposits that yield critical raw materials
    crm_only: bool = param("true/false")
    #: support only projects not viable on the terms offered before the fund
    additionality: bool = param("true/false")


@actor_kind("remining_fund")
class ReminingFund(FinancialInstrument):
    def __init__(self, model, params: ReminingFundParams, name: str):
        super().__init__(model, name, "re-mining fund", params.budget_eur)
        self.params = params

    def terms(self, firm, project: Project, terms: FinancingTerms) -> FinancingTerms:
        p = self.params
        if project.kind != "remining" or (p.crm_only and not project.crm_output):
            return terms
        if p.additionality and project.npv(terms) > 0.0:
            return terms
        grant = p.grant_share * (project.capex_eur + terms.safeguards_eur - terms.grant_eur)
        premium = p.offtake_premium_share * self.model.remining_revenue_eur_t[project.firm] * project.capacity_t_yr
        public = grant + premium * project.lifetime_years
        if public > self.remaining_eur:
            return terms
        return terms.supported(self.name, public, grant_eur=terms.grant_eur + grant,
                               revenue_support_eur_yr=terms.revenue_support_eur_yr + premium)


@register("remining_fund")
class ReminingFundPilot(Policy):
    Params = ReminingFundParams
    defaults_file = Path(__file__).with_suffix(".yaml")
    description = ("A regional fund pays part of the cost of re-mining old tailings and a premium on the metals "
                   "they yield, for projects that would not pay otherwise, until its budget is committed.")

    def apply(self, model) -> None:
        model.instruments.append(model.actor_classes["remining_fund"](model, self.params, self.name))
