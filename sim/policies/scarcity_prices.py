"""Prices that respond to scarcity: each month every material with a rule in ``price_rules.csv``
moves its price (the model's unit value, which buyers bid and trade is valued at) by the ratio of
last month's demand to supply, a partial-adjustment rule

    p[t+1] = clip(p[t] x (D[t] / S[t]) ** elasticity, floor_share x p0, min(cap_share x p0, virgin price))

with D the tonnes buyers bid for (their capacity, the region's and the EU buyers') and S the
tonnes offered (generation offered and stock reclaimed), p0 the price when the pilot starts.
Where buyers want more than is offered the price rises, so farther sellers can reach them; where
a stream is offered far beyond demand (coal ash) it falls to its floor. A market with nothing
offered goes to its cap, one nobody bids for to its floor, one with neither keeps its price.
"""

from __future__ import annotations

import numpy as np

from sim.policies.base import Policy, register


@register("scarcity_prices")
class ScarcityPrices(Policy):
    description = (
        "Prices follow scarcity: each month a material's price moves by the ratio of what buyers want to what "
        "sellers offer (the elasticity of each material's rule), between a floor and a cap."
    )

    def apply(self, model) -> None:
        rules = model.region.price_rules
        self.materials = np.array([model.material_index[m] for m in rules["material"]], dtype=np.int64)
        self.elasticity = rules["elasticity"].to_numpy(dtype=float)
        base = model.unit_value[self.materials]
        self.floor = rules["floor_share"].to_numpy(dtype=float) * base
        # buyers never bid above the virgin substitute's price (``WB6Model.willingness_to_pay``)
        self.cap = np.maximum(np.minimum(rules["cap_share"].to_numpy(dtype=float) * base, model.virgin_price[self.materials]),
                              self.floor)

    def on_step(self, model) -> None:
        market = model.market
        if market.bids is None:  # no month cleared yet
            return
        m = self.materials
        demand, supply = market.bids[:, m].sum(axis=0), market.supply[:, m].sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where((demand > 0) | (supply > 0), (demand / supply) ** self.elasticity, 1.0)
        model.unit_value[m] = np.clip(model.unit_value[m] * factor, self.floor, self.cap)
