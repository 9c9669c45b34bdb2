"""The world the agents live in: the transport network, indices of economies and materials,
and delivered costs per shipment class (computed by the routing kernel)."""

from __future__ import annotations

import networkx as nx
import numpy as np

from sim.kernels import all_pairs_shortest
from sim.scenario import STATUSES, Scenario

WASTE, BY_PRODUCT, EOW = range(len(STATUSES))
DAYS_PER_MONTH = 30.0


class Network:
    """Sites and border crossings joined by road and rail links.

    Node order: sites first (scenario order), then crossings. Heavy data is held as arrays
    (CSR adjacency with both directions of each link) for the routing kernel; ``graph`` is
    the same network as a networkx graph for analysis and drawing.
    """

    def __init__(self, scenario: Scenario):
        sites, borders, links = scenario.sites, scenario.borders, scenario.links
        self.node_ids = list(sites["site_id"]) + list(borders["crossing_id"])
        self.index = {node: i for i, node in enumerate(self.node_ids)}
        self.n_nodes = len(self.node_ids)
        self.n_sites = len(sites)
        #: index of the border crossing at each node (-1 at sites)
        self.crossing_of_node = np.r_[np.full(self.n_sites, -1), np.arange(len(borders))].astype(np.int64)
        self.lat = np.concatenate([sites["lat"].to_numpy(), borders["lat"].to_numpy()])
        self.lon = np.concatenate([sites["lon"].to_numpy(), borders["lon"].to_numpy()])

        self.graph = nx.Graph()
        self.graph.add_nodes_from(range(self.n_nodes))
        frm = links["from_node"].map(self.index).to_numpy(dtype=np.int64)
        to = links["to_node"].map(self.index).to_numpy(dtype=np.int64)
        km = links["distance_km"].to_numpy(dtype=np.float64)
        rail = (links["mode"] == "rail").to_numpy()
        for a, b, d in zip(frm, to, km):
            self.graph.add_edge(int(a), int(b), distance_km=float(d))

        # CSR over both directions of every link
        heads = np.concatenate([frm, to])
        tails = np.concatenate([to, frm])
        order = np.lexsort((tails, heads))
        self.edge_tail = tails[order]
        self.edge_head = heads[order]
        self.edge_km = np.concatenate([km, km])[order]
        self.edge_rail = np.concatenate([rail, rail])[order]
        self.indptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
        np.add.at(self.indptr, self.edge_head + 1, 1)
        self.indptr = np.cumsum(self.indptr)
        self.indices = self.edge_tail.astype(np.int64)
        self.crossing_of_edge = self.crossing_of_node[self.indices]
        #: routes of the last ``delivered_costs`` call, by what decides them (origins, road and
        #: rail rates, border costs of one class): a class whose border costs did not change
        #: keeps its routes (a month's waiting times change for some classes only)
        self._routes: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def unconnected_sites(self, nodes: np.ndarray) -> list[str]:
        """Sites among ``nodes`` (those hosting firms) that no chain of links joins to the
        largest group of them: their firms can trade only with firms at the same site."""
        if len(nodes) == 0:
            return []
        wanted = {int(n) for n in nodes}
        groups = [c & wanted for c in nx.connected_components(self.graph)]
        largest = max(groups, key=len)
        return [self.node_ids[n] for n in sorted(wanted - largest)]

    def delivered_costs(
        self,
        origins: np.ndarray,
        eur_per_tkm_road: float,
        eur_per_tkm_rail: float,
        crossing_cost: np.ndarray,
        class_surcharge: np.ndarray,
    ):
        """Delivered cost of one tonne from each origin to every node, per shipment class.

        crossing_cost : float64[n_classes, n_crossings]  EUR/t to pass each crossing
                        (fees, notification, delay x holding cost).
        class_surcharge : float64[n_classes]             EUR/t on every shipment of a class
                        (handling, domestic waste permits).

        Returns cost[n_classes, n_origins, n_nodes] (EUR/t, inf if unreachable) and
        first_crossing, n_crossings of the same shape (see ``all_pairs_shortest``).
        """
        # classes that pay the same at every border share their routes
        keys = [(origins.tobytes(), eur_per_tkm_road, eur_per_tkm_rail, row.tobytes()) for row in crossing_cost]
        new = {key: c for c, key in enumerate(keys) if key not in self._routes}
        if new:
            base = self.edge_km * np.where(self.edge_rail, eur_per_tkm_rail, eur_per_tkm_road)
            weights = np.repeat(base[None, :], len(new), axis=0)
            into_crossing = self.crossing_of_edge >= 0
            weights[:, into_crossing] += crossing_cost[list(new.values())][:, self.crossing_of_edge[into_crossing]]
            found = all_pairs_shortest(self.indptr, self.indices, weights, origins, self.crossing_of_node)
            self._routes.update((key, tuple(part[j] for part in found)) for j, key in enumerate(new))
        self._routes = {key: self._routes[key] for key in keys}
        cost, first, count = (np.stack([self._routes[key][part] for key in keys]) for part in range(3))
        cost += class_surcharge[:, None, None]
        return cost, first, count


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance, km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))
