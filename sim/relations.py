"""Who knows whom: the relationship graph between firms, with a trust on each link.

Seed 001 names information, trust and transaction costs as the barriers to symbiosis ("the
perceived high transactional costs (time investment for partner mapping ...)", quote key
``legal.transaction_costs``; "Trust and continuity matter more than software features",
``fiss.facilitators``). A firm trades only with partners it knows of (the market's clearing
kernel is given this graph): firms at one site or firms linked here. Links are seeded from co-location, from the sectors that already trade
(``sectors_trading_at_start``) and from the trade under way at the start, and grown by the firms' own search, events, brokers, mapping
and trades. Trust on a link rises with each delivered shipment and falls with refusals at
the border, delays and quality complaints; a link whose trust falls below the floor is
dropped.

The graph is kept as arrays (CSR rows of partner firm rows, sorted, with a trust per entry,
both directions stored); ``graph()`` gives it as a networkx graph for analysis.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from sim.kernels.relations import complementary_pairs, merge_links, nearest_fits

EARTH_RADIUS_KM = 6371.0
#: how links are made (a KPI column each: ``links_made_<how>``)
LINK_SOURCES = ("colocation", "sector_links", "trade", "own_search", "event", "broker", "mapping", "park", "platform")
#: border delay at which a shipment costs a link the full ``relation_trust_loss_delay``, days
#: (assumption: a month's wait is what a buyer counts as a failed delivery date)
DELAY_SCALE_DAYS = 30.0


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """float64[N, 3] points on the unit sphere (chord distance grows with great-circle distance)."""
    lat, lon = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def chord(km: float) -> float:
    """Chord length on the unit sphere of a great-circle distance in km."""
    return 2.0 * np.sin(min(km / EARTH_RADIUS_KM, np.pi) / 2.0)


class Relations:
    """Undirected links between firm rows, each with a trust in (0, 1]."""

    def __init__(self, model):
        self.model = model
        p = model.params
        self.n = model.firms.n_firms
        self.restricted = bool(p["partner_knowledge"])
        self.trust_initial = float(p["relation_trust_initial"])
        self.trust_floor = float(p["relation_trust_floor"])
        self.gain = float(p["relation_trust_gain"])
        self.loss_refusal = float(p["relation_trust_loss_refusal"])
        self.loss_delay = float(p["relation_trust_loss_delay"])
        self.loss_complaint = float(p["relation_trust_loss_complaint"])
        self.complaint_max = float(p["quality_complaint_max"])
        self.contacts = int(p["relation_seed_contacts"])
        self.colocation_km = float(p["relation_colocation_km"])
        self.start = np.zeros(self.n + 1, dtype=np.int64)
        self._everyone = np.ones(self.n, dtype=bool)
        self.partner = np.zeros(0, dtype=np.int64)
        self.trust = np.zeros(0)
        self._keys = np.zeros(0, dtype=np.int64)
        #: links made this month, by how they were made
        self.made: dict[str, int] = {}
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]] = []
        #: the nearest firms on each side of each material, from each site
        self.partners = NearestPartners(model.firms, unit_vectors(model.network.lat[model.firms.node],
                                                                  model.network.lon[model.firms.node]))

    # ---- the graph ---------------------------------------------------------------------
    @property
    def n_links(self) -> int:
        return len(self.partner) // 2

    def knows(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """bool[K]: whether firm rows a[k] and b[k] are linked."""
        return self._has(np.asarray(a, dtype=np.int64) * self.n + np.asarray(b, dtype=np.int64))

    def link(self, a: np.ndarray, b: np.ndarray, trust: float | np.ndarray, how: str) -> None:
        """Make links between firm rows a[k] and b[k] (taking effect at ``commit``); a link that
        exists keeps the higher trust."""
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        trust = np.asarray(trust, dtype=float)
        keep = a != b
        if keep.any():
            # (a scalar trust is spread without broadcasting's overhead: most links come with one)
            trust = np.full(int(keep.sum()), trust) if trust.ndim == 0 else np.broadcast_to(trust, a.shape)[keep]
            self._pending.append((a[keep], b[keep], trust, how))

    def commit(self) -> None:
        """Merge the pending links into the graph and drop those whose trust fell below the
        floor (:func:`sim.kernels.relations.merge_links`: one pass over the sorted entries)."""
        pending, self._pending = self._pending, []
        if pending:
            a, b, trust = (np.concatenate(column) for column in list(zip(*pending))[:3])
        else:
            a, b, trust = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        part = np.repeat(np.arange(len(pending)), [len(entry[0]) for entry in pending])
        self._keys, self.trust, self.start, made = merge_links(self._keys, self.trust, a, b, trust, part,
                                                               len(pending), self.n, self.trust_floor)
        for (_, _, _, how), count in zip(pending, made.tolist()):
            self.made[how] = self.made.get(how, 0) + count
        self.partner = self._keys % self.n

    def _has(self, key: np.ndarray) -> np.ndarray:
        """bool[K]: whether each entry key (row * n + partner) is in the graph."""
        if len(self._keys) == 0:
            return np.zeros(len(key), dtype=bool)
        at = np.searchsorted(self._keys, key)
        return self._keys[np.minimum(at, len(self._keys) - 1)] == key

    def graph(self) -> nx.Graph:
        """The links as a networkx graph of firm rows, with ``trust`` on each edge."""
        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        rows = np.repeat(np.arange(self.n), np.diff(self.start))
        upper = rows < self.partner
        g.add_weighted_edges_from(zip(rows[upper].tolist(), self.partner[upper].tolist(), self.trust[upper].tolist()),
                                  weight="trust")
        return g

    # ---- finding partners ---------------------------------------------------------------
    def nearest(self, rows: np.ndarray, materials: int | np.ndarray, k: int, within_km: float = np.inf,
                among: np.ndarray | None = None, unknown_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(firm, partner) pairs: for each firm ``rows[i]`` asking about ``materials[i]`` (one
        material for all, or one each), its ``k`` nearest firms on the other side of that material
        (buyers of what it offers, or sellers of what it takes in, by straight distance) that
        could trade with it on grade, within ``within_km``, among the firms marked in ``among``
        (bool[F]) if given, and not linked to it yet if ``unknown_only``. (The nearest 16 k
        candidates are looked at.) Pairs come material by material, a material's sellers asking
        before its buyers, each in the order of ``rows``, nearest partner first."""
        firms = self.model.firms
        rows = np.asarray(rows, dtype=np.int64)
        materials = np.asarray(materials, dtype=np.int64)
        if materials.ndim == 0:
            materials = np.full(len(rows), materials)
        sells, buys = firms.offers[rows, materials], firms.capacity[rows, materials] > 0
        owner = np.concatenate([rows[sells], rows[buys]])
        side = np.concatenate([2 * materials[sells], 2 * materials[buys] + 1])
        if len(owner) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        order = np.argsort(side, kind="stable")
        owner, side = owner[order], side[order]
        bound = chord(within_km) if np.isfinite(within_km) else np.inf
        partner = self.partners.nearest(side, owner, 16 * k, bound)
        return nearest_fits(owner, side, partner, firms.quality, firms.min_quality,
                            self._everyone if among is None else among, self._keys, self.n, k, unknown_only)

    def complementary(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(seller, buyer) pairs among firm rows ``rows`` that could trade some material on grade."""
        firms = self.model.firms
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        return complementary_pairs(rows, firms.offers, firms.capacity, firms.quality, firms.min_quality)

    def seed(self, established: np.ndarray) -> None:
        """First links: each firm knows its nearest trading partners (per material) within the
        co-location distance, and each firm of the sectors that already trade knows its nearest
        partners among them, however far (sector links and the trade under way)."""
        everyone = np.arange(self.n)
        for m in range(self.model.n_materials):
            self.link(*self.nearest(everyone, m, self.contacts, within_km=self.colocation_km), self.trust_initial,
                      "colocation")
            self.link(*self.nearest(np.flatnonzero(established), m, self.contacts, among=established),
                      self.trust_initial, "sector_links")
        self.commit()

    def seed_trade(self, market) -> None:
        """Firms already trading know their partners: the pairs that would trade at the start
        in an open market among the firms taking part are linked (the trade under way)."""
        for _, sellers, buyers, *_ in market.match(open_market=True):
            self.link(sellers, buyers, self.trust_initial, "trade")
        self.commit()

    # ---- learning from trade ------------------------------------------------------------
    def learn(self, shipments, delivered_ok: np.ndarray) -> None:
        """Update trust from this month's shipments (``delivered_ok``: bool[K], sent without a
        quality complaint): every good shipment closes ``relation_trust_gain`` of the gap to
        full trust; a refusal, a complaint and a border delay (in proportion up to
        ``DELAY_SCALE_DAYS``) each take their share of the trust away. Gains are applied before
        losses, so the month's result does not depend on the order of the shipments. (Firms at
        one site know of each other without a link.)"""
        if len(shipments) == 0:
            return
        node = self.model.firms.node
        seller, buyer = shipments.seller.astype(np.int64), shipments.buyer.astype(np.int64)
        apart = (node[seller] != node[buyer]) & self.knows(seller, buyer)
        sent = shipments.sent
        good = (sent & delivered_ok).astype(float)
        log_keep = (np.log1p(-self.loss_refusal) * ~sent
                    + np.log1p(-self.loss_complaint) * (sent & ~delivered_ok)
                    + np.log1p(-self.loss_delay * np.minimum(shipments.delay_days / DELAY_SCALE_DAYS, 1.0)) * sent)
        # both directions of a link carry the same trust and get the same update
        key = np.concatenate([seller[apart] * self.n + buyer[apart], buyer[apart] * self.n + seller[apart]])
        entry = np.searchsorted(self._keys, key)
        good, log_keep = good[apart], log_keep[apart]
        n_good = np.bincount(entry, weights=np.concatenate([good, good]), minlength=len(self.trust))
        keep = np.bincount(entry, weights=np.concatenate([log_keep, log_keep]), minlength=len(self.trust))
        self.trust = (1.0 - (1.0 - self.trust) * (1.0 - self.gain) ** n_good) * np.exp(keep)
        if (self.trust < self.trust_floor).any():
            self.commit()

    def complaints(self, shipments) -> np.ndarray:
        """bool[K]: shipments sent without a quality complaint. A lot near the lowest grade the
        buyer accepts draws a complaint with a chance up to ``quality_complaint_max``, falling
        linearly to none for the best grade."""
        firms = self.model.firms
        s, b, m = shipments.seller.astype(np.int64), shipments.buyer.astype(np.int64), shipments.material.astype(np.int64)
        floor = firms.min_quality[b, m]
        margin = np.clip((firms.quality[s, m] - floor) / np.maximum(1.0 - floor, 1e-9), 0.0, 1.0)
        draws = self.model.rng.random(len(shipments))
        return draws >= self.complaint_max * (1.0 - margin)


def every_material(rows: np.ndarray, n_materials: int) -> tuple[np.ndarray, np.ndarray]:
    """(firm, material) cells: each firm of ``rows`` asking about every material."""
    rows = np.asarray(rows, dtype=np.int64)
    return np.repeat(rows, n_materials), np.arange(len(rows) * n_materials) % n_materials


class NearestPartners:
    """The firms on one side of a material nearest to each firm site, by straight distance.

    Side ``2 m`` of material ``m`` is its buyers (firms with capacity for it: what a seller asks
    for), side ``2 m + 1`` its sellers (firms offering it). A KD-tree of each side's firms is
    built when first asked and again when the side's firms change (as when a plant adds
    capacity). A tree gives a site the same answer every time, so each site's answer is kept
    until its side changes: most of a month's searches read answers instead of querying."""

    def __init__(self, firms, points: np.ndarray):
        self.firms = firms
        #: float64[F, 3] each firm's site on the unit sphere
        self.points = points
        _, first, site = np.unique(firms.node, return_index=True, return_inverse=True)
        #: int64[F] each firm's site, and float64[S, 3] the sites on the unit sphere
        self.site, self.site_points = site.ravel(), points[first]
        #: bool[F, 2M] the firms on each side when last looked at
        self.members = self._sides()
        #: int64[2M] the firms on each side
        self.sizes = self.members.sum(axis=0)
        self.trees: list[tuple[np.ndarray, cKDTree] | None] = [None] * self.members.shape[1]
        #: (partners looked at, distance bound) -> (int32[2M, S, width] partner firm rows, nearest
        #: first, -1 past the last; bool[2M, S] whether a site's answer is known)
        self.answers: dict[tuple[int, float], tuple[np.ndarray, np.ndarray]] = {}

    def _sides(self) -> np.ndarray:
        """bool[F, 2M]: the firms on each side of each material now."""
        firms = self.firms
        sides = np.empty((firms.n_firms, firms.capacity.shape[1], 2), dtype=bool)
        sides[:, :, 0], sides[:, :, 1] = firms.capacity > 0, firms.offers
        return sides.reshape(firms.n_firms, -1)

    def _look_at(self, sides: np.ndarray) -> None:
        """Bring the members of ``sides`` (sorted, int64) up to date, forgetting the trees and
        answers of those whose firms changed (only the sides asked about are compared, so a
        single firm's question costs the same in a large region)."""
        material, sells = sides // 2, sides % 2 == 1
        now = np.where(sells, self.firms.offers[:, material], self.firms.capacity[:, material] > 0)
        changed = (now != self.members[:, sides]).any(axis=0)
        if changed.any():
            self.members[:, sides[changed]] = now[:, changed]
            self.sizes[sides[changed]] = now[:, changed].sum(axis=0)
            for s in sides[changed].tolist():
                self.trees[s] = None
            for _, known in self.answers.values():
                known[sides[changed]] = False

    def nearest(self, side: np.ndarray, firm: np.ndarray, width: int, bound: float) -> np.ndarray:
        """int64[K, <= width]: the ``width`` firms of side ``side[k]`` (sorted) nearest to the site
        of firm ``firm[k]`` within the chord ``bound`` on the unit sphere, nearest first (-1 where
        there are fewer; columns no side can fill are left out)."""
        self._look_at(side[np.concatenate(([True], side[1:] != side[:-1]))])
        n_sites = len(self.site_points)
        if (width, bound) not in self.answers:
            self.answers[width, bound] = (np.full((len(self.trees), n_sites, width), -1, dtype=np.int32),
                                          np.zeros((len(self.trees), n_sites), dtype=bool))
        table, known = self.answers[width, bound]
        site = self.site[firm]
        unknown = ~known[side, site]
        if unknown.any():
            cells = np.unique(side[unknown] * n_sites + site[unknown])
            for s in np.unique(cells // n_sites).tolist():
                at = cells[cells // n_sites == s] % n_sites
                table[s, at] = self._query(s, at, width, bound)
                known[s, at] = True
        # past the most firms any of these sides has, every answer is -1
        most = int(self.sizes[side].max())
        return table[side, site, :most].astype(np.int64)

    def _query(self, side: int, sites: np.ndarray, width: int, bound: float) -> np.ndarray:
        """int64[len(sites), width]: the tree's answer for ``sites`` (firm rows, -1 past the last)."""
        if self.trees[side] is None:
            candidates = np.flatnonzero(self.members[:, side])
            self.trees[side] = candidates, cKDTree(self.points[candidates]) if len(candidates) else None
        candidates, tree = self.trees[side]
        found = np.full((len(sites), width), -1, dtype=np.int64)
        query = min(width, len(candidates))
        if query:
            _, at = tree.query(self.site_points[sites], k=query, distance_upper_bound=bound)
            at = np.asarray(at).reshape(len(sites), query)
            found[:, :query] = np.where(at < len(candidates), candidates[np.minimum(at, len(candidates) - 1)], -1)
        return found
