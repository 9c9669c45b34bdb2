"""EU buyers as agents: the buyers of one material reachable through one EU neighbour (HR, HU, RO,
BG, GR), each with its own monthly demand and willingness to pay (``eu_demand.csv``).

Without this kind, an EU neighbour is a passive demand node: its ``absorbs`` rows in
``firm_streams.csv`` (1 Mt/yr of scrap, far above what the WB6 can export) at the WB6 buyers'
willingness to pay. With it (``agents=[eu_buyers]``), each row of ``eu_demand.csv`` is an agent
that, at the start of each month, bids its demand (t/month, what that neighbour's buyers import
from outside the EU) at its own price (EUR/t at its gate: the EU market price of the grade).
Buyers under the EU ETS whose free allocation is phased out with CBAM (``ets_pull``: steelworks
buying scrap) pay on top what the CO2 a tonne avoids costs them: the material's
``co2_avoided_t_per_t`` x the ETS price x the share of emissions no longer covered by free
allocation, which is the CBAM price the ``cbam`` pilot sets (Directive 2003/87/EC Art. 10a(1a)
phases free allocation out on CBAM's schedule); without the pilot the pull is zero.

The market still clears in the kernel (``sim.kernels.clear_materials``): the agents only set the
capacity and the price their firm row bids with (``WB6Model.buyer_price``).

Switched on with ``configs/agents/eu_buyers.yaml``::

    python -m sim agents=[eu_buyers]
"""

from __future__ import annotations

import mesa

from sim.agents.kinds import actor_kind


@actor_kind("eu_buyers", stage="month_start")
class EUBuyers(mesa.Agent):
    """The buyers of one material in one EU neighbour."""

    def __init__(self, model, firm: int, material: int, demand_t_month: float, wtp_eur_t: float, ets_pull: bool):
        super().__init__(model)
        self.firm, self.material = firm, material
        self.demand_t_month = demand_t_month
        self.wtp_eur_t = wtp_eur_t
        self.ets_pull = ets_pull
        #: EUR/t this month's bid adds for the CO2 the material avoids (ETS cost beyond free allocation)
        self.pull_eur_t = 0.0

    @classmethod
    def populate(cls, model) -> list["EUBuyers"]:
        row_of = {f: i for i, f in enumerate(model.region.firms["firm_id"])}
        return [cls(model, row_of[r.firm_id], model.material_index[r.material], float(r.demand_t_month),
                    float(r.wtp_eur_t), bool(r.ets_pull))
                for r in model.region.eu_demand.itertuples()]

    @classmethod
    def act(cls, model, agents: list["EUBuyers"]) -> None:
        for agent in agents:
            agent.bid()

    def bid(self) -> None:
        """This month's demand and price at the firm row's gate."""
        model = self.model
        self.pull_eur_t = model.co2_avoided[self.material] * model.cbam.price_eur_t if self.ets_pull else 0.0
        model.firms.capacity[self.firm, self.material] = self.demand_t_month
        model.buyer_price[self.firm, self.material] = self.wtp_eur_t + self.pull_eur_t

