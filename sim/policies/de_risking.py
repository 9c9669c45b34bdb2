"""De-risking finance for recycling and re-mining: a public window (see
:class:`sim.agents.financier.Financier`) offers grants, guarantees and concessional loans to
projects that meet its ESG condition, until its budget envelope is spent. Firms still decide:
they invest when the project's net present value on the offered terms is positive.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.agents.financier import Window
from sim.errors import ConfigError
from sim.policies.base import Policy, PolicyParams, param, register

PROJECT_KINDS = ("remining", "recycling_line")


@dataclass(kw_only=True)
class DeRiskingParams(PolicyParams):
    #: public money the window may commit (grants + concessional loans + guarantees at face value)
    budget_eur: float = param("EUR")
    #: capital grant
    grant_share: float = param("share of capex", 1.0)
    #: part of the capex lent at the concessional rate
    concessional_share: float = param("share of capex", 1.0)
    concessional_rate: float = param("per year", 1.0)
    #: part of the commercial loan the guarantee covers
    guarantee_coverage: float = param("share of the commercial loan", 1.0)
    #: rate on the guaranteed part (the lender bears no country risk there)
    guaranteed_rate: float = param("per year", 1.0)
    #: support only projects that pass the ESG screen, with environmental and social safeguards
    esg_condition: bool = param("true/false")
    #: highest ESG risk index of a project the window supports (sim/data/deposits.csv esg_risk)
    esg_risk_screen: float = param("index in [0,1]", 1.0)
    #: cost of those safeguards, borne by the firm
    esg_safeguards_share: float = param("share of capex", 1.0)
    #: share by which the safeguards cut a re-mining plant's social-licence hazard
    esg_safeguards_risk_cut: float = param("share of the hazard", 1.0)
    #: project kinds the window finances
    project_kinds: list[str] = param("remining, recycling_line")
    #: support only projects not viable on commercial terms
    additionality: bool = param("true/false")


@register("de_risking")
class DeRisking(Policy):
    Params = DeRiskingParams
    description = (
        "A public finance window offers grants, guarantees and cheap loans to recycling plants and to re- "
        "mining of old tailings until its budget is committed; firms still invest only where the project pays "
        "on those terms."
    )

    def check(self, model) -> None:
        p = self.params
        unknown = [k for k in p.project_kinds if k not in PROJECT_KINDS]
        if unknown:
            raise ConfigError(f"{self.where}.project_kinds", f"unknown project kind {unknown[0]!r}", choices=PROJECT_KINDS)
        if p.grant_share + p.concessional_share > 1.0:
            raise ConfigError(f"{self.where}.grant_share",
                              f"grant_share + concessional_share must be <= 1, got {p.grant_share + p.concessional_share}")

    def apply(self, model) -> None:
        p = self.params
        model.instruments.append(model.actor_classes["financier"](model, Window(
            budget_eur=p.budget_eur, grant_share=p.grant_share, concessional_share=p.concessional_share,
            concessional_rate=p.concessional_rate, guarantee_coverage=p.guarantee_coverage,
            guaranteed_rate=p.guaranteed_rate, esg_condition=p.esg_condition, esg_risk_screen=p.esg_risk_screen,
            safeguards_share=p.esg_safeguards_share, safeguards_risk_cut=p.esg_safeguards_risk_cut, kinds=tuple(p.project_kinds), additionality=p.additionality,
        ), name=self.name))
