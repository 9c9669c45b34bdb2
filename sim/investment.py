"""Investment projects firms weigh by net present value at the rate they can borrow at."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Project:
    kind: str                # "remining" or "recycling_line"
    firm: int                # firm row
    materials: tuple         # material indices the plant treats
    capacity_t_yr: float     # t/yr treated
    capex_eur: float
    annual_margin_eur: float  # revenue less operating cost, EUR/yr
    lifetime_years: int
    crm_output: bool          # recovers critical raw materials
    esg_compliant: bool = True

    def npv(self, terms: "FinancingTerms") -> float:
        r, n = terms.rate, self.lifetime_years
        annuity = n if r <= 0 else (1.0 - (1.0 + r) ** -n) / r
        return -(self.capex_eur + terms.safeguards_eur - terms.grant_eur) + self.annual_margin_eur * annuity


@dataclass(frozen=True)
class FinancingTerms:
    rate: float                  # annual discount rate the firm faces
    grant_eur: float = 0.0       # capital grant
    guarantee_eur: float = 0.0   # public guarantee on the loan
    concessional_eur: float = 0.0  # public concessional lending
    safeguards_eur: float = 0.0  # extra capex the financier's conditions require (ESG safeguards)

    @property
    def public_eur(self) -> float:
        return self.grant_eur + self.guarantee_eur + self.concessional_eur
