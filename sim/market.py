"""The monthly market: firms offer what they generate or dig out of stock, buyers bid up to
their capacity, the routing and clearing kernels match them, shipments are dispatched
(across borders through customs) and what is left is landfilled or dumped."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.agents.customs import crossing_costs
from sim.kernels import clear_materials, split_disposal
from sim.state import MonthFlows
from sim.world import STATUSES, WASTE

SHIPMENT_COLUMNS = (
    "step", "material", "seller", "buyer", "from_economy", "to_economy", "crossing",
    "shipment_class", "tonnes", "unit_cost_eur_t", "value_eur", "delay_days", "outcome",
)
OUTCOMES = ("delivered", "filed", "refused")
DELIVERED, FILED, REFUSED = range(len(OUTCOMES))
#: compact column types: a large region ships ~10^5 times a month
SHIPMENT_DTYPES = (np.int32, np.int16, np.int32, np.int32, np.int16, np.int16, np.int16,
                   np.int8, np.float64, np.float64, np.float64, np.float64, np.int8)


def total(values: np.ndarray) -> float:
    """Sum of many shipment figures, correctly rounded (whatever their order)."""
    return math.fsum(values.tolist())


@dataclass
class Shipments:
    """Shipments as columns named after ``SHIPMENT_COLUMNS``, in the order served; ``outcome``
    holds codes into ``OUTCOMES``. Iterating gives one tuple per shipment, outcome spelt out."""

    step: np.ndarray
    material: np.ndarray
    seller: np.ndarray
    buyer: np.ndarray
    from_economy: np.ndarray
    to_economy: np.ndarray
    crossing: np.ndarray
    shipment_class: np.ndarray
    tonnes: np.ndarray
    unit_cost_eur_t: np.ndarray
    value_eur: np.ndarray
    delay_days: np.ndarray
    outcome: np.ndarray

    @classmethod
    def of(cls, *columns) -> "Shipments":
        return cls(*(np.asarray(c, dtype=t) for c, t in zip(columns, SHIPMENT_DTYPES)))

    @classmethod
    def concat(cls, parts: list["Shipments"]) -> "Shipments":
        if not parts:
            return cls.of(*([] for _ in SHIPMENT_COLUMNS))
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in SHIPMENT_COLUMNS))

    def __len__(self) -> int:
        return len(self.tonnes)

    def __iter__(self):
        columns = [getattr(self, name).tolist() for name in SHIPMENT_COLUMNS[:-1]]
        return zip(*columns, [OUTCOMES[o] for o in self.outcome.tolist()])

    @property
    def sent(self) -> np.ndarray:
        """True for shipments that left the seller (not refused at the border)."""
        return self.outcome != REFUSED


class Market:
    def __init__(self, model):
        self.model = model
        firms = model.firms
        sellers = np.flatnonzero(firms.offers.any(axis=1))
        self.origin_nodes = np.unique(firms.node[sellers]).astype(np.int64)
        self.origin_row = np.full(model.network.n_nodes, -1, dtype=np.int64)
        self.origin_row[self.origin_nodes] = np.arange(len(self.origin_nodes))
        self.cost = self.first_crossing = self.n_crossings = self._route_cost = None
        self._cost_key = self._surcharge = None
        #: EUR/t off the delivered cost between site pairs that share infrastructure (eco-industrial
        #: parks): (origin node, destination node) -> saving
        self.site_savings: dict[tuple[int, int], float] = {}
        self._savings_applied: dict[tuple[int, int], float] = {}
        self.shipments = Shipments.concat([])
        #: shipments dispatched in earlier months: this month's ids start here (ids are unique over the run)
        self.first_shipment_id = 0
        #: this month's arrivals at buyers' gates: (shipment id, tonnes), domestic ones and those customs cleared
        self.arrivals: list[tuple[np.ndarray, np.ndarray]] = []
        self.flows: MonthFlows | None = None
        #: last month's tonnes buyers bid for (capacity of the participating buyers), F x M; None before the first
        self.bids: np.ndarray | None = None
        # t CO2 per t carried from each origin to each node: the least-emitting route, close to the
        # cheapest one (both grow with km, rail dearer per km on both counts)
        params = model.params
        co2_t_tkm = np.array([params["transport_co2_kg_tkm_road"], params["transport_co2_kg_tkm_rail"]]) / 1000.0
        self.transport_co2_t_per_t = model.network.delivered_costs(
            self.origin_nodes, co2_t_tkm[0], co2_t_tkm[1], np.zeros((1, len(model.customs))), np.zeros(1),
        )[0][0] if len(self.origin_nodes) else np.zeros((0, model.network.n_nodes))

    # ---- routing -------------------------------------------------------------------
    def refresh_costs(self) -> None:
        """Recompute delivered costs when border costs or tariffs changed."""
        model, params = self.model, self.model.params
        crossing_cost = crossing_costs(model.customs, params["holding_cost_eur_t_day"])
        surcharge = np.full(len(STATUSES), params["handling_eur_t"] + model.search_cost_eur_t)
        surcharge[WASTE] += params["domestic_waste_permit_cost_eur_t"]
        road = params["transport_eur_tkm_road"] * model.transport_cost_multiplier
        rail = params["transport_eur_tkm_rail"] * model.transport_cost_multiplier
        key = (np.round(crossing_cost, 6).tobytes(), road, rail)
        rerouted = key != self._cost_key
        if rerouted:
            self._cost_key = key
            self._route_cost, self.first_crossing, self.n_crossings = model.network.delivered_costs(
                self.origin_nodes, road, rail, crossing_cost, np.zeros(len(STATUSES))
            )
        # a class surcharge (handling, permits, search) adds the same to every route: no re-routing
        if rerouted or not np.array_equal(surcharge, self._surcharge) or self.site_savings != self._savings_applied:
            self._surcharge = surcharge
            self.cost = self._route_cost + surcharge[:, None, None]
            if self.site_savings:
                origin, dest = np.array(list(self.site_savings), dtype=np.int64).T
                saving = np.array(list(self.site_savings.values()))
                row = self.origin_row[origin]
                shipped = row >= 0  # a pair whose origin ships nothing has no cost row
                at = (slice(None), row[shipped], dest[shipped])
                self.cost[at] = np.maximum(self.cost[at] - saving[shipped], 0.0)
            self._savings_applied = dict(self.site_savings)

    # ---- the month -----------------------------------------------------------------
    def open_month(self) -> None:
        firms = self.model.firms
        self.flows = MonthFlows.start(firms.stock)
        self.flows.generated[:] = firms.generation
        self.first_shipment_id += len(self.shipments)
        self.shipments = Shipments.concat([])
        self.arrivals = []
        self.sold = np.zeros_like(firms.stock)
        self.supply = np.zeros_like(firms.stock)

    def clear(self) -> None:
        """Match offers and bids of every material (one kernel call); dispatch the shipments."""
        self.shipments = self.dispatch(*self.match_all(), first_id=self.first_shipment_id)

    def match_all(self, open_market: bool = False):
        """This month's matches of all materials: (material, seller rows, buyer rows, tonnes,
        shipment class, delivered cost), material by material, each in the order served, among
        the pairs that know of each other (everyone, with ``open_market``)."""
        model, firms = self.model, self.model.firms
        self.refresh_costs()
        part = firms.participating
        gen_offer = firms.generation * firms.offer_share * part[:, None]
        stock_offer = np.minimum(firms.stock, firms.reclaim_t_month) * part[:, None]
        self.gen_offer = gen_offer
        supply_all = gen_offer + stock_offer
        self.supply = supply_all
        bid_all = firms.capacity * part[:, None]
        model.treatment.limit_intake(bid_all)
        self.bids = bid_all
        outside = model.disposal_cost_eur_t()
        # what a seller saves by not disposing: stocks stay put, so only flows save the fee
        seller_outside = np.where(gen_offer > 0.0, outside[:, None], 0.0)
        everyone = np.arange(firms.n_firms)
        wtp = np.column_stack([model.willingness_to_pay(everyone, m) for m in range(model.n_materials)])
        classes = np.stack([model.shipment_class_matrix(m) for m in range(model.n_materials)])
        relations = model.relations
        restricted = relations.restricted and not open_market
        return clear_materials(supply_all, seller_outside, firms.status, firms.quality, bid_all, wtp,
                               firms.min_quality, firms.node, firms.economy, self.origin_row, classes, self.cost,
                               restricted, relations.start, relations.partner)

    def match(self, open_market: bool = False):
        """``match_all`` material by material: (material, seller rows, buyer rows, tonnes, shipment
        class, delivered cost) of each material that trades."""
        material, *columns = self.match_all(open_market)
        cut = np.flatnonzero(np.diff(material)) + 1
        for m, *part in zip(np.split(material, cut), *(np.split(c, cut) for c in columns)):
            if len(m):
                yield int(m[0]), *part

    def dispatch(self, material: np.ndarray, seller: np.ndarray, buyer: np.ndarray, tonnes: np.ndarray,
                 shipment_class: np.ndarray, unit_cost: np.ndarray, first_id: int = 0) -> Shipments:
        """Send the month's trades (arrays in the order served): domestic ones are delivered,
        cross-border ones are filed, one by one, at the customs post of their first crossing
        (waits and refusals depend on what was filed before)."""
        model, firms, flows = self.model, self.model.firms, self.flows
        origin = self.origin_row[firms.node[seller]]
        dest = firms.node[buyer]
        crossing = self.first_crossing[shipment_class, origin, dest]
        delay = np.zeros(len(tonnes))
        outcome = np.full(len(tonnes), DELIVERED)
        home = crossing < 0
        np.add.at(flows.received, (buyer[home], material[home]), tonnes[home])
        self.arrivals.append((first_id + np.flatnonzero(home), tonnes[home]))
        away = np.flatnonzero(~home)
        # later posts on the route are taken to be as busy as the first
        n_cross = self.n_crossings[shipment_class[away], origin[away], dest[away]]
        days = np.zeros(len(away))
        filings = (away, crossing[away], shipment_class[away], buyer[away], material[away], tonnes[away])
        for i, (k, at_post, cls, to_buyer, of_material, t) in enumerate(zip(*(c.tolist() for c in filings))):
            post = model.customs[at_post]
            days[i] = post.crossing_days(cls)
            outcome[k] = FILED if post.file(first_id + k, to_buyer, of_material, t, cls) else REFUSED
        delay[away] = n_cross * days
        sent = outcome != REFUSED
        np.add.at(flows.shipped, (seller[sent], material[sent]), tonnes[sent])
        np.add.at(self.sold, (seller[sent], material[sent]), tonnes[sent])
        return Shipments.of(
            np.full(len(tonnes), model.month), material, seller, buyer, firms.economy[seller],
            firms.economy[buyer], crossing, shipment_class, tonnes, unit_cost, tonnes * model.unit_value[material],
            delay, outcome,
        )

    def deliver(self, shipments: np.ndarray, buyers: np.ndarray, materials: np.ndarray, tonnes: np.ndarray) -> None:
        """Tonnes of shipments lodged with customs reach the buyers' gates as customs clears them
        (one entry per shipment, in the order cleared)."""
        np.add.at(self.flows.received, (buyers, materials), tonnes)
        self.arrivals.append((shipments, tonnes))

    def settle(self) -> None:
        """Buyers use what arrived; re-mining plants reprocess stock; leftovers are disposed of."""
        model, firms, flows = self.model, self.model.firms, self.flows
        flows.used[:] = flows.received
        from_generation = np.minimum(self.sold, self.gen_offer)
        from_stock = self.sold - from_generation
        leftover = firms.generation - from_generation
        # the configured firm class decides (``agents.firm``), for all firms at once
        landfilled, dumped = split_disposal(leftover, model.actor_classes["firm"].disposal_choice(model)[0])
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
            month_sold = np.where(self.supply > 0, self.sold / self.supply, 0.0)
        firms.utilisation[:] = 0.85 * firms.utilisation + 0.15 * month_use
        # smoothed like utilisation: a share held over months shows a buyer who keeps taking the stream
        firms.sold_share[:] = 0.85 * firms.sold_share + 0.15 * month_sold

    def shipment_delay_days(self) -> float:
        """Tonne-weighted border delay of this month's cross-border shipments, days."""
        shipments = self.shipments
        waited = (shipments.crossing >= 0) & shipments.sent
        tonnes = total(shipments.tonnes[waited])
        if tonnes <= 0:
            return 0.0
        return min(total(shipments.tonnes[waited] * shipments.delay_days[waited]) / tonnes, 10 * 365.0)
