"""Financier: a public de-risking window (blending grants, guarantees and concessional loans
from EU and IFI instruments) that offers firms better terms for recycling and re-mining
projects, within a budget envelope.

The model asks it for terms whenever a firm weighs a project (``terms``) and tells it when
the firm goes ahead (``commit``). It supports only what would not be built otherwise
(additionality) and, under an ESG condition, only projects that carry environmental and
social safeguards, whose cost the firm bears.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa

from sim.agents.kinds import actor_kind
from sim.investment import FinancingTerms, Project


@dataclass(frozen=True)
class Window:
    """What the financier offers (shares of a project's capex including safeguards)."""

    budget_eur: float          # public money it may commit, guarantees counted at face value
    grant_share: float         # capital grant
    concessional_share: float  # lent at the concessional rate
    concessional_rate: float   # annual
    guarantee_coverage: float  # share of the commercial loan guaranteed
    guaranteed_rate: float     # annual rate on the guaranteed part (country risk removed)
    esg_condition: bool        # support only projects with ESG safeguards
    safeguards_share: float    # cost of the safeguards
    kinds: tuple[str, ...]     # project kinds eligible
    additionality: bool        # support only projects not viable on commercial terms


@actor_kind("financier")
class Financier(mesa.Agent):
    def __init__(self, model, window: Window):
        super().__init__(model)
        self.window = window
        self.committed_eur = 0.0
        self.projects_supported = 0

    @property
    def remaining_eur(self) -> float:
        return self.window.budget_eur - self.committed_eur

    def eligible(self, project: Project, base: FinancingTerms) -> bool:
        w = self.window
        if project.kind not in w.kinds or (w.esg_condition and not project.esg_compliant):
            return False
        return not (w.additionality and project.npv(base) > 0.0)

    def terms(self, firm, project: Project, base: FinancingTerms) -> FinancingTerms:
        """The terms offered for ``project``: ``base`` (the firm's commercial terms) when it
        is not eligible or the envelope cannot cover it."""
        if not self.eligible(project, base):
            return base
        w = self.window
        safeguards = w.safeguards_share * project.capex_eur if w.esg_condition else 0.0
        capex = project.capex_eur + safeguards
        grant = w.grant_share * capex
        concessional = w.concessional_share * capex
        commercial = capex - grant - concessional
        guarantee = w.guarantee_coverage * commercial
        if grant + concessional + guarantee > self.remaining_eur:
            return base
        # the guarantee removes country risk from the covered part of the commercial loan
        commercial_rate = base.rate - w.guarantee_coverage * max(base.rate - w.guaranteed_rate, 0.0)
        financed = concessional + commercial
        rate = (concessional * w.concessional_rate + commercial * commercial_rate) / financed if financed > 0 else base.rate
        return FinancingTerms(rate=rate, grant_eur=grant, guarantee_eur=guarantee,
                              concessional_eur=concessional, safeguards_eur=safeguards)

    def commit(self, project: Project, terms: FinancingTerms) -> None:
        if terms.public_eur > 0.0:
            self.committed_eur += terms.public_eur
            self.projects_supported += 1
