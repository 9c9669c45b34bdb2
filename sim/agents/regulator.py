"""Regulator: one per economy. Holds the legal-status matrix and the landfill regime, and
processes firms' by-product / end-of-waste applications with limited laboratory capacity.

By-product and end-of-waste are distinct decisions with their own conditions, those of the
Waste Framework Directive 2008/98/EC (https://eur-lex.europa.eu/eli/dir/2008/98/oj) that the
WB6 laws transpose (seed 001: new regulations "fully aligned with the latest Waste Framework
Directive and its end-of-waste and by-product rules"):

- by-product (Art. 5): further use is certain, the substance is used directly without further
  processing other than normal industrial practice, and it is produced as an integral part of a
  production process. The legal-status table lists, per economy, the materials its by-product
  framework covers (those used as they arise: ash, slag, wood residues); a stream qualifies when
  its firm runs a production process (``PRODUCTION_SECTORS``) and sells most of what it offers
  (``by_product_certain_use_share`` of it, smoothed over months): a buyer who keeps taking it.
- end-of-waste (Art. 6): the waste has undergone a recovery operation and meets specific
  criteria; it is open wherever the economy has criteria for the material, to streams that do
  not qualify as by-products (the holder prepares them to the criteria).

A granted status holds for ``status_validity_months``; the firm then files for renewal and the
laboratories test the stream again (the decision may change). A refused stream may be filed
again after ``status_refiling_months``.

The regulator is also its economy's competent authority for transboundary waste shipments
(Regulation (EC) 1013/2006 Art. 4-9, which the WB6 cross-border rules are to align with, seed 001
legal.waste_shipment_references). A notified shipment needs the written consent of the
authorities of dispatch and destination: the notifier prepares the dossier
(``consent_preparation_days``), the authorities check and acknowledge it
(``consent_acknowledgement_days``: three working days each for dispatch and destination) and
decide within 30 days of the acknowledgement. The decision takes ``consent_review_days`` at an
idle unit and grows with the unit's load as the sojourn time of a single-server queue with random
arrivals, ``review / (1 - rho)``: rho is the share of its capacity (``consent_dossiers_per_month``)
that other notifications (``consent_background_utilisation``) and the model's notified shipments
take, the latter as the mean of the last ``CASELOAD_MONTHS`` months (a consent is valid for one
year, https://waste-move.eu/?p=379&lang=en, so a unit plans its caseload over a year). The
authority states its expected time in whole days, which traders plan with. So consent time is an
outcome of each economy's load, rising smoothly with it. A procedure with a shorter decision
deadline (pre-consented recovery facilities, Art. 14: seven working days instead of
``DECISION_DEADLINE_DAYS``) scales the review time, not the queue: it still grows with the load.
"""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.parameters import declare
from sim.world import BY_PRODUCT, EOW, WASTE

for _name in ("consent_preparation_days", "consent_acknowledgement_days", "consent_review_days",
              "consent_dossiers_per_month", "consent_background_utilisation"):
    declare(_name)

#: load above which the steady-state queue formula is not used (as at the customs posts)
MAX_CONSENT_UTILISATION = 0.99
#: days the authority of destination has to decide after the acknowledgement (Regulation (EC)
#: 1013/2006 Art. 9(1))
DECISION_DEADLINE_DAYS = 30.0
#: months over which a consent unit counts its caseload (a consent is valid for a year)
CASELOAD_MONTHS = 12

#: sectors whose residues arise as an integral part of a production process (WFD Art. 5(1)(c));
#: municipal collection, construction sites and recyclers hold waste, not production residues
PRODUCTION_SECTORS = ("power", "steel", "metallurgy", "cement", "chemical", "food_wood", "paper", "glass")


@actor_kind("regulator")
class Regulator(mesa.Agent):
    def __init__(self, model, economy: int, row):
        super().__init__(model)
        self.economy = economy
        self.code = row.economy
        self.list_of_waste = row.list_of_waste
        self.landfill_fee_eur_t = float(row.landfill_fee_eur_t)
        self.dumping_fine_eur_t = float(row.dumping_fine_eur_t)
        self.enforcement_probability = float(row.enforcement_probability)
        self.lab_capacity_per_month = float(row.lab_capacity_per_month)
        #: months from an application to the decision (tests, dossier review)
        self.decision_months = float(model.params["status_application_months"])
        self.hurdle_rate = float(row.hurdle_rate)
        #: materials the economy's by-product framework / end-of-waste criteria cover
        self.by_product_possible = np.zeros(model.n_materials, dtype=bool)
        self.eow_possible = np.zeros(model.n_materials, dtype=bool)
        self.certain_use_share = float(model.params["by_product_certain_use_share"])
        self.queue: deque[tuple[int, int, int]] = deque()  # (firm, material, month filed)
        self._lab_budget = 0.0
        self.certificates_this_month = 0
        self.renewals_this_month = 0
        self.certificates_issued = 0
        params = model.params
        #: calendar days of a consent that do not depend on the unit's load
        self.consent_fixed_days = float(params["consent_preparation_days"]) + float(
            params["consent_acknowledgement_days"])
        self.consent_review_days = float(params["consent_review_days"])
        self.consent_capacity = float(params["consent_dossiers_per_month"])
        self.consent_background = float(params["consent_background_utilisation"])
        #: notified shipments received this month (counted as customs files them) and in the
        #: months before (the last ``CASELOAD_MONTHS``)
        self.notifications_this_month = 0
        self.notification_history: deque[int] = deque(maxlen=CASELOAD_MONTHS)

    def set_status_matrix(self, by_product_possible: np.ndarray, eow_possible: np.ndarray) -> None:
        self.by_product_possible[:] = by_product_possible
        self.eow_possible[:] = eow_possible

    @property
    def can_grant(self) -> np.ndarray:
        """bool[M]: materials for which some status may be granted."""
        return self.by_product_possible | self.eow_possible

    @property
    def expected_fine_eur_t(self) -> float:
        return self.dumping_fine_eur_t * self.enforcement_probability

    @property
    def notification_load(self) -> float:
        """Notified shipments a month the consent unit handles: the mean of its recent months."""
        history = self.notification_history
        return sum(history) / len(history) if history else 0.0

    @property
    def consent_utilisation(self) -> float:
        """Share of the transboundary unit's capacity in use: other notifications plus the model's
        notified shipments (the cap when it has no capacity)."""
        if self.consent_capacity <= 0.0:
            return MAX_CONSENT_UTILISATION
        return min(self.consent_background + self.notification_load / self.consent_capacity, MAX_CONSENT_UTILISATION)

    def consent_days(self, deadline_days: float = DECISION_DEADLINE_DAYS) -> float:
        """Calendar days from preparing a notification to this authority's consent, as the
        authority states them (whole days), under a procedure whose decision deadline is
        ``deadline_days``: the review at an idle unit is taken to shrink in proportion to the
        deadline (an assumption: the unit keeps the same share of the deadline)."""
        review = self.consent_review_days * min(deadline_days / DECISION_DEADLINE_DAYS, 1.0)
        return float(round(self.consent_fixed_days + review / (1.0 - self.consent_utilisation)))

    def receive_notification(self) -> None:
        self.notifications_this_month += 1

    def receive_application(self, firm: int, material: int) -> None:
        self.queue.append((firm, material, self.model.month))

    def step(self) -> None:
        """Add last month's notifications to the consent unit's caseload; test what the
        laboratories can this month; register the approved streams."""
        if self.model.month > 0:
            self.notification_history.append(self.notifications_this_month)
        self.notifications_this_month = 0
        self.certificates_this_month = 0
        self.renewals_this_month = 0
        self._lab_budget = min(self._lab_budget + self.lab_capacity_per_month, max(self.lab_capacity_per_month, 1.0))
        min_months = self.decision_months
        while self.queue and self._lab_budget >= 1.0:
            firm, material, filed = self.queue[0]
            if self.model.month - filed < min_months:
                break
            self.queue.popleft()
            self._lab_budget -= 1.0
            self.certificates_this_month += 1
            self.renewals_this_month += int(self.model.firms.status_month[firm, material] >= 0)
            self.register(firm, material)
        self.certificates_issued += self.certificates_this_month

    def decide_status(self, firm: int, material: int) -> int:
        """The status a tested stream qualifies for: by-product where its conditions hold (no
        recovery operation needed), else end-of-waste where criteria exist, else waste."""
        firms = self.model.firms
        if (self.by_product_possible[material] and self.model.production_residue[firm]
                and firms.sold_share[firm, material] >= self.certain_use_share):
            return BY_PRODUCT
        return EOW if self.eow_possible[material] else WASTE

    def register(self, firm: int, material: int) -> None:
        """Decide a tested application (new or renewal) and record when."""
        firms = self.model.firms
        firms.status[firm, material] = self.decide_status(firm, material)
        firms.status_month[firm, material] = self.model.month
        firms.applied[firm, material] = False
