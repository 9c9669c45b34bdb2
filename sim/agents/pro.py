"""Producer responsibility organisation: one per economy and EPR stream.

Financed by producers' fees per tonne put on the market, it pays municipalities and their
collectors for each tonne collected separately and hands the collected stream to recyclers.
Without EPR only informal collection (the scenario's current rate) takes place.

Collection is the outcome of the PRO's payment and of how municipalities and households
respond, not a number it sets (seed 001 ``epr.region``: schemes "operate sub-optimally or are
not yet established, limiting effective waste collection and sorting"):

- a municipality organises separate collection of the stream when the PRO's payment per tonne
  covers its collection cost; the costs differ between municipalities (lognormal, spread
  ``epr_municipal_cost_spread``), so the share of the economy served rises smoothly with the
  payment. Serbia shows how far service and collection part: 43 % of its local governments
  collect separately, yet 5 % of municipal waste is collected separately (State Audit
  Institution, 2020);
- served households hand over ``epr_household_capture`` of the stream, varying month to month
  (log-normal, ``epr_capture_variation``);
- the PRO does not know its economy's costs: the median differs from the scheme's
  ``collection_cost_eur_t`` by a factor it cannot see (``epr_cost_uncertainty``). It sets the
  payment that would reach its target under its beliefs, then corrects them from the share it
  finds served and the capture it observes (``epr_learning_share`` a month). Service expands by
  at most ``ramp_per_month`` of collection a month and the fund caps what it pays, so
  collection falls short of or overshoots the target.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.parameters import declare

declare("epr_municipal_cost_spread")
declare("epr_household_capture")
declare("epr_capture_variation")
declare("epr_cost_uncertainty")
declare("epr_learning_share")

#: the served share the PRO plans for at most (the last municipalities cost without bound)
MAX_PLANNED_SERVICE = 0.99
_NORMAL = NormalDist()


@actor_kind("pro")
class PRO(mesa.Agent):
    def __init__(self, model, economy: int, material: int, epr_status: str, collection_rate: float):
        super().__init__(model)
        self.economy = economy
        self.material = material
        self.epr_status = epr_status
        self.informal_rate = collection_rate
        self.collection_rate = collection_rate
        #: set by an EPR scheme; without one the rate stays at the informal level
        self.target_rate = collection_rate
        self.ramp_per_month = 0.0
        self.fee_eur_t = 0.0
        self.collection_cost_eur_t = 0.0
        params = model.params
        #: the PRO's own random stream (economy, stream and run seed), so a scheme's draws leave
        #: the rest of the run's unchanged
        self.draws = np.random.default_rng([int(model.config.seed), economy, material])
        self.cost_spread = float(params["epr_municipal_cost_spread"])
        self.capture = float(params["epr_household_capture"])
        self.capture_variation = float(params["epr_capture_variation"])
        self.learning = float(params["epr_learning_share"])
        #: the economy's median municipal cost over the scheme's assumed one, unknown to the PRO
        self.cost_factor = math.exp(float(params["epr_cost_uncertainty"]) * float(self.draws.standard_normal()))
        #: the PRO's beliefs: median cost over the scheme's, and the households' capture
        self.believed_cost_factor = 1.0
        self.believed_capture = self.capture
        #: share of the economy's municipalities served, and what the PRO pays per tonne collected
        self.served = 0.0
        self.payment_eur_t = 0.0
        self.balance_eur = 0.0
        self.balance_open_eur = 0.0
        self.fees_collected_eur = 0.0
        self.spent_eur = 0.0
        #: the firm rows of its economy
        self.rows = np.flatnonzero(model.firms.economy == economy)

    @property
    def put_on_market_t(self) -> float:
        """Tonnes of the stream households and firms of the economy discard this month."""
        return float(self.model.firms.generation[self.rows, self.material].sum())

    def step(self) -> None:
        self.balance_open_eur = self.balance_eur
        tonnes = self.put_on_market_t
        self.collect_fees(tonnes)
        self.raise_collection(tonnes)
        self.hand_over_to_recyclers()

    def collect_fees(self, tonnes: float) -> None:
        self.fees_collected_eur = self.fee_eur_t * tonnes
        self.balance_eur += self.fees_collected_eur

    def served_at(self, payment_eur_t: float, cost_factor: float) -> float:
        """Share of municipalities whose collection cost the payment covers: lognormal costs
        around ``collection_cost_eur_t x cost_factor``."""
        median = self.collection_cost_eur_t * cost_factor
        if payment_eur_t <= 0.0 or median <= 0.0:
            return 0.0 if median > 0.0 else 1.0
        if self.cost_spread <= 0.0:
            return float(payment_eur_t >= median)
        return _NORMAL.cdf(math.log(payment_eur_t / median) / self.cost_spread)

    def planned_payment(self) -> float:
        """EUR per tonne collected that reaches the target under the PRO's beliefs (0 when
        informal collection already meets it)."""
        extra = (self.target_rate - self.informal_rate) / (1.0 - self.informal_rate) if self.informal_rate < 1 else 0.0
        if extra <= 0.0 or self.believed_capture <= 0.0 or self.collection_cost_eur_t <= 0.0:
            return 0.0
        service = min(extra / self.believed_capture, MAX_PLANNED_SERVICE)
        z = _NORMAL.inv_cdf(service) if self.cost_spread > 0.0 else 0.0
        return self.collection_cost_eur_t * self.believed_cost_factor * math.exp(self.cost_spread * z)

    def raise_collection(self, tonnes: float) -> None:
        """Pay for collection above the informal level from the fund: the municipalities the
        payment covers (service grows by at most ``ramp_per_month`` of collection a month),
        their households' capture this month, and what the fund can pay for."""
        self.payment_eur_t = self.planned_payment()
        self.spent_eur = 0.0
        if self.payment_eur_t <= 0.0 or tonnes <= 0.0:
            self.collection_rate = self.informal_rate
            return
        capture = self.capture * math.exp(self.capture_variation * float(self.draws.standard_normal())
                                          - 0.5 * self.capture_variation ** 2)
        capture = min(capture, 1.0)
        formal = (1.0 - self.informal_rate) * capture  # collection per unit of service
        step_up = self.ramp_per_month / formal if formal > 0.0 else 0.0
        covered = self.served_at(self.payment_eur_t, self.cost_factor)
        served = min(covered, self.served + step_up)
        cost = served * formal * tonnes * self.payment_eur_t
        if cost > self.balance_eur:
            # the fund cannot pay for all of it: serve what it can afford
            served *= self.balance_eur / cost
            cost = self.balance_eur
        self.served = served
        self.spent_eur = cost
        self.balance_eur -= cost
        self.collection_rate = self.informal_rate + served * formal
        self.learn(covered, capture)

    def learn(self, covered: float, capture: float) -> None:
        """Move the beliefs a share ``epr_learning_share`` towards what the month showed: the
        median cost that would make the payment cover the share of municipalities it did, and
        the capture seen."""
        self.believed_capture += self.learning * (capture - self.believed_capture)
        if self.cost_spread > 0.0 and 0.0 < covered < 1.0:
            implied = self.payment_eur_t / self.collection_cost_eur_t / math.exp(
                self.cost_spread * _NORMAL.inv_cdf(covered))
            self.believed_cost_factor *= (implied / self.believed_cost_factor) ** self.learning

    def hand_over_to_recyclers(self) -> None:
        firms = self.model.firms
        firms.offer_share[self.rows, self.material] = self.collection_rate
