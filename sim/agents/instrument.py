"""Financial instrument: public money that improves the terms of firms' investment projects (a
de-risking window, a re-mining fund, revenue support, guarantees ...), within a budget of its
own.

Instruments are combined in a stated order: the investment pipeline asks each instrument in
turn, in the order the pilots started them (by start month, then pilot name), for its offer on a
project, each building on the terms of those asked before it (``terms``). When the firm goes
ahead each instrument books only its own money (``commit``) and keeps its own ledger, checked
every month (``check_books``): one instrument's support never counts against another's budget.
A new instrument subclasses :class:`FinancialInstrument` and overrides ``terms``.
"""

from __future__ import annotations

import mesa

from sim.errors import InvariantError
from sim.investment import FinancingTerms, Project
from sim.ledger import TOLERANCE_EUR


class FinancialInstrument(mesa.Agent):
    def __init__(self, model, name: str, label: str, budget_eur: float):
        super().__init__(model)
        #: key its money is booked under (the pilot's name), and how messages call it
        self.name, self.label = name, label
        self.budget_eur = budget_eur
        self.committed_eur = 0.0
        self.projects_supported = 0
        self.start_month = model.month

    @property
    def remaining_eur(self) -> float:
        return self.budget_eur - self.committed_eur

    def terms(self, firm, project: Project, terms: FinancingTerms) -> FinancingTerms:
        """The terms with this instrument's offer added to ``terms`` (those of the firm's lender
        and of the instruments asked before); ``terms`` itself where it offers nothing."""
        return terms

    def commit(self, project: Project, terms: FinancingTerms) -> None:
        """The firm went ahead on ``terms``: book this instrument's share of the public money."""
        own = terms.public_of(self.name)
        if own > 0.0:
            self.committed_eur += own
            self.projects_supported += 1

    def release(self, record: dict) -> None:
        """The project of ``record`` will not be built (its permit was refused): its support returns
        to the budget."""
        own = dict(record["public_by_instrument"]).get(self.name, 0.0)
        if own > 0.0:
            self.committed_eur -= own
            self.projects_supported -= 1

    def check_books(self, model) -> None:
        """Never more committed than the budget, committed + remaining = budget, and what it
        committed is what the projects it supported received from it."""
        budget, committed = self.budget_eur, self.committed_eur
        tolerance = TOLERANCE_EUR * max(1.0, budget)
        if not committed <= budget + tolerance:
            raise InvariantError(
                f"{self.label} budget overdrawn at step {model.month}: committed {committed:.6g} EUR of {budget:.6g}")
        if not abs(committed + self.remaining_eur - budget) <= tolerance:
            raise InvariantError(
                f"{self.label} money not conserved at step {model.month}: committed {committed:.6g} + remaining "
                f"{self.remaining_eur:.6g} EUR != budget {budget:.6g}")
        received = sum(dict(i["public_by_instrument"]).get(self.name, 0.0) for i in model.investments)
        if not abs(received - committed) <= tolerance:
            raise InvariantError(
                f"{self.label} money not conserved at step {model.month}: committed {committed:.6g} EUR, "
                f"projects received {received:.6g} EUR")
