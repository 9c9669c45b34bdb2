"""Producer responsibility organisation: one per economy and EPR stream.

Financed by producers' fees per tonne put on the market, it raises separate collection
towards a target as far as its funds allow and hands the collected stream to recyclers.
Without EPR only informal collection (the scenario's current rate) takes place.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents.kinds import actor_kind


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

    def raise_collection(self, tonnes: float) -> None:
        """Step towards the target; pay for collection above the informal level from the fund."""
        wanted = min(self.target_rate, self.collection_rate + self.ramp_per_month)
        wanted = max(wanted, self.informal_rate)
        extra_tonnes = (wanted - self.informal_rate) * tonnes
        cost = extra_tonnes * self.collection_cost_eur_t
        if cost > self.balance_eur and cost > 0.0:
            # the fund cannot pay for all of it: collect what it can afford
            affordable = self.balance_eur / self.collection_cost_eur_t
            wanted = self.informal_rate + affordable / tonnes if tonnes > 0 else self.informal_rate
            cost = self.balance_eur
        self.spent_eur = cost
        self.balance_eur -= cost
        self.collection_rate = wanted

    def hand_over_to_recyclers(self) -> None:
        firms = self.model.firms
        firms.offer_share[self.rows, self.material] = self.collection_rate
