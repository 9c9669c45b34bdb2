"""The monthly market: firms offer what they generate or dig out of stock, buyers bid up to
their capacity, the routing and clearing kernels match them, shipments are dispatched
(across borders through customs) and what is left is landfilled or dumped."""

from __future__ import annotations

import numpy as np

from sim.kernels import clear_market, split_disposal
from sim.state import MonthFlows
from sim.world import STATUSES, WASTE

SHIPMENT_COLUMNS = (
    "step", "material", "seller", "buyer", "from_economy", "to_economy", "crossing",
    "shipment_class", "tonnes", "unit_cost_eur_t", "value_eur", "delay_days", "outcome",
)


class Market:
    def __init__(self, model):
        self.model = model
        firms = model.firms
        sellers = np.flatnonzero(firms.offers.any(axis=1))
        self.origin_nodes = np.unique(firms.node[sellers]).astype(np.int64)
        self.origin_row = np.full(model.network.n_nodes, -1, dtype=np.int64)
        self.origin_row[self.origin_nodes] = np.arange(len(self.origin_nodes))
        self.cost = self.first_crossing = self.n_crossings = self._route_cost = None
        self._cost_key = None
        self.shipments: list[tuple] = []
        self.flows: MonthFlows | None = None

    # ---- routing -------------------------------------------------------------------
    def refresh_costs(self) -> None:
        """Recompute delivered costs when border costs or tariffs changed."""
        model, params = self.model, self.model.params
        crossing_cost = np.array(
            [c.crossing_cost(params["holding_cost_eur_t_day"]) for c in model.customs], dtype=float
        ).reshape(len(model.customs), len(STATUSES)).T.copy()
        surcharge = np.full(len(STATUSES), params["handling_eur_t"] + model.search_cost_eur_t)
        surcharge[WASTE] += params["domestic_waste_permit_cost_eur_t"]
        road = params["transport_eur_tkm_road"] * model.transport_cost_multiplier
        rail = params["transport_eur_tkm_rail"] * model.transport_cost_multiplier
        key = (np.round(crossing_cost, 6).tobytes(), road, rail)
        if key != self._cost_key:
            self._cost_key = key
            self._route_cost, self.first_crossing, self.n_crossings = model.network.delivered_costs(
                self.origin_nodes, road, rail, crossing_cost, np.zeros(len(STATUSES))
            )
        # a class surcharge (handling, permits, search) adds the same to every route: no re-routing
        self.cost = self._route_cost + surcharge[:, None, None]

    # ---- the month -----------------------------------------------------------------
    def open_month(self) -> None:
        firms = self.model.firms
        self.flows = MonthFlows.start(firms.stock)
        self.flows.generated[:] = firms.generation
        self.shipments = []
        self.sold = np.zeros_like(firms.stock)

    def clear(self) -> None:
        """Match offers and bids material by material; dispatch the shipments."""
        model, firms = self.model, self.model.firms
        self.refresh_costs()
        part = firms.participating
        gen_offer = firms.generation * firms.offer_share * part[:, None]
        stock_offer = np.minimum(firms.stock, firms.reclaim_t_month) * part[:, None]
        self.gen_offer = gen_offer
        supply_all = gen_offer + stock_offer
        bid_all = firms.capacity * part[:, None]
        outside = model.disposal_cost_eur_t()
        for m in range(model.n_materials):
            sellers = np.flatnonzero(supply_all[:, m] > 0.0)
            buyers = np.flatnonzero(bid_all[:, m] > 0.0)
            if len(sellers) == 0 or len(buyers) == 0:
                continue
            # what a seller saves by not disposing: stocks stay put, so only flows save the fee
            seller_outside = np.where(gen_offer[sellers, m] > 0.0, outside[sellers], 0.0)
            s_idx, b_idx, tonnes, cls, unit_cost, _ = clear_market(
                supply_all[sellers, m], self.origin_row[firms.node[sellers]], seller_outside,
                firms.status[sellers, m], firms.economy[sellers], firms.quality[sellers, m],
                bid_all[buyers, m], firms.node[buyers], model.willingness_to_pay(buyers, m),
                firms.economy[buyers], firms.min_quality[buyers, m],
                model.shipment_class_matrix(m), self.cost,
            )
            for k in range(len(tonnes)):
                self.dispatch(int(sellers[s_idx[k]]), int(buyers[b_idx[k]]), m, float(tonnes[k]),
                              int(cls[k]), float(unit_cost[k]))

    def dispatch(self, seller: int, buyer: int, material: int, tonnes: float, shipment_class: int,
                 unit_cost: float) -> None:
        model, firms = self.model, self.model.firms
        origin = self.origin_row[firms.node[seller]]
        dest = firms.node[buyer]
        crossing = int(self.first_crossing[shipment_class, origin, dest])
        shipment = len(self.shipments)
        delay = 0.0
        if crossing < 0:
            outcome = "delivered"
            self.deliver(shipment, buyer, material, tonnes)
        else:
            post = model.customs[crossing]
            n_cross = int(self.n_crossings[shipment_class, origin, dest])
            delay = n_cross * (post.delay_days[shipment_class] + post.inspection_rate * post.inspection_days)
            delay += post.waiting_days()
            outcome = "filed" if post.file(shipment, buyer, material, tonnes, shipment_class) else "refused"
        if outcome != "refused":
            self.flows.shipped[seller, material] += tonnes
            self.sold[seller, material] += tonnes
        value = tonnes * model.unit_value[material]
        self.shipments.append((
            model.month, material, seller, buyer, int(firms.economy[seller]), int(firms.economy[buyer]),
            crossing, shipment_class, tonnes, unit_cost, value, delay, outcome,
        ))

    def deliver(self, shipment: int, buyer: int, material: int, tonnes: float) -> None:
        """Tonnes reach the buyer's gate (directly, or when customs clears them)."""
        self.flows.received[buyer, material] += tonnes

    def settle(self) -> None:
        """Buyers use what arrived; re-mining plants reprocess stock; leftovers are disposed of."""
        model, firms, flows = self.model, self.model.firms, self.flows
        flows.used[:] = flows.received
        from_generation = np.minimum(self.sold, self.gen_offer)
        from_stock = self.sold - from_generation
        leftover = firms.generation - from_generation
        fee, fine = model.disposal_prices()
        shape = leftover.shape
        landfilled, dumped = split_disposal(
            leftover, np.broadcast_to(fee[:, None], shape).copy(), np.broadcast_to(fine[:, None], shape).copy(),
            firms.dump_propensity,
        )
        flows.landfilled[:] = landfilled
        flows.dumped[:] = dumped
        stock = firms.stock - from_stock
        reprocessed = np.minimum(stock, firms.remining_t_month)
        flows.used += reprocessed
        self.reprocessed = reprocessed
        stock = stock - reprocessed
        firms.stock[:] = np.maximum(stock, 0.0)  # clip float dust only; the ledger checks the rest
        flows.stock_close[:] = firms.stock
        with np.errstate(divide="ignore", invalid="ignore"):
            month_use = np.where(firms.capacity > 0, flows.received / firms.capacity, 0.0)
        firms.utilisation[:] = 0.85 * firms.utilisation + 0.15 * month_use

    def shipment_delay_days(self) -> float:
        """Tonne-weighted border delay of this month's cross-border shipments, days."""
        rows = [s for s in self.shipments if s[6] >= 0 and s[12] != "refused"]
        tonnes = sum(r[8] for r in rows)
        if tonnes <= 0:
            return 0.0
        return min(sum(r[8] * r[11] for r in rows) / tonnes, 10 * 365.0)

