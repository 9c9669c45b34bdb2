"""Financier: a public de-risking window (blending grants, guarantees and concessional loans
from EU and IFI instruments) that offers firms better terms for recycling and re-mining
projects, within a budget envelope: a financial instrument (see ``instrument.py``).

The investment pipeline asks it for terms whenever a firm weighs a project (``terms``) and
tells it when the firm goes ahead (``commit``). It supports only what would not be built otherwise
(additionality) and, under an ESG condition, only projects whose ESG risk passes its screen
(seed 000: "EU investment instruments should then be used to de-risk projects that meet high ESG
standards"), which then carry environmental and social safeguards, whose cost the firm bears and
which cut the project's social-licence hazard.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.agents.instrument import FinancialInstrument
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
    esg_condition: bool        # support only projects that pass the ESG screen, with safeguards
    esg_risk_screen: float     # highest ESG risk index the window supports
    safeguards_share: float    # cost of the safeguards
    safeguards_risk_cut: float  # share by which the safeguards cut the social-licence hazard
    kinds: tuple[str, ...]     # project kinds eligible
    additionality: bool        # support only projects not viable on commercial terms


@actor_kind("financier")
class Financier(FinancialInstrument):
    """The de-risking window: its shares apply to the capex not yet covered by the grants and
    soft loans of the instruments asked before it."""

    def __init__(self, model, window: Window, name: str = "de_risking"):
        super().__init__(model, name, "de-risking", window.budget_eur)
        self.window = window

    def eligible(self, project: Project, terms: FinancingTerms) -> bool:
        w = self.window
        if project.kind not in w.kinds or (w.esg_condition and project.esg_risk > w.esg_risk_screen):
            return False
        return not (w.additionality and project.npv(terms) > 0.0)

    def terms(self, firm, project: Project, terms: FinancingTerms) -> FinancingTerms:
        """The terms offered for ``project``: ``terms`` (the firm's so far) when it is not
        eligible or the budget cannot cover it."""
        if not self.eligible(project, terms):
            return terms
        w = self.window
        safeguards = max(terms.safeguards_eur, w.safeguards_share * project.capex_eur if w.esg_condition else 0.0)
        capex = project.capex_eur + safeguards
        uncovered = capex - terms.grant_eur - terms.concessional_eur
        grant = w.grant_share * uncovered
        concessional = w.concessional_share * uncovered
        commercial = uncovered - grant - concessional
        guarantee = w.guarantee_coverage * commercial
        if grant + concessional + guarantee > self.remaining_eur:
            return terms
        # the guarantee removes country risk from the covered part of the commercial loan
        commercial_rate = terms.rate - w.guarantee_coverage * max(terms.rate - w.guaranteed_rate, 0.0)
        financed = concessional + commercial
        rate = (concessional * w.concessional_rate + commercial * commercial_rate) / financed if financed > 0 else terms.rate
        return terms.supported(
            self.name, grant + guarantee + concessional, rate=rate, grant_eur=terms.grant_eur + grant,
            guarantee_eur=terms.guarantee_eur + guarantee, concessional_eur=terms.concessional_eur + concessional,
            safeguards_eur=safeguards,
            esg_risk_cut=max(terms.esg_risk_cut, w.safeguards_risk_cut if w.esg_condition else 0.0))
