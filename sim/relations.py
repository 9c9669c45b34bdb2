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
        self.partner = np.zeros(0, dtype=np.int64)
        self.trust = np.zeros(0)
        self._keys = np.zeros(0, dtype=np.int64)
        #: links made this month, by how they were made
        self.made: dict[str, int] = {}
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._points = unit_vectors(model.network.lat[model.firms.node], model.network.lon[model.firms.node])
        self._trees: dict[tuple[str, int], tuple[np.ndarray, np.ndarray, cKDTree, dict]] = {}

    # ---- the graph ---------------------------------------------------------------------
    @property
    def n_links(self) -> int:
        return len(self.partner) // 2

    def knows(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """bool[K]: whether firm rows a[k] and b[k] are linked."""
        key = np.asarray(a, dtype=np.int64) * self.n + np.asarray(b, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._keys, key), max(len(self._keys) - 1, 0))
        return (self._keys[at] == key) if len(self._keys) else np.zeros(len(key), dtype=bool)

    def link(self, a: np.ndarray, b: np.ndarray, trust: float | np.ndarray, how: str) -> None:
        """Make links between firm rows a[k] and b[k] (taking effect at ``commit``); a link that
        exists keeps the higher trust."""
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        trust = np.broadcast_to(np.asarray(trust, dtype=float), a.shape)
        keep = a != b
        if keep.any():
            self._pending.append((a[keep], b[keep], trust[keep].copy(), how))

    def commit(self) -> None:
        """Add the pending links and drop those whose trust fell below the floor."""
        rows = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.start))
        if self._pending:
            # count each new unordered pair once, under the first way it was made this month
            pairs = np.concatenate([np.minimum(a, b) * self.n + np.maximum(a, b) for a, b, _, _ in self._pending])
            part = np.repeat(np.arange(len(self._pending)), [len(a) for a, _, _, _ in self._pending])
            pairs, first_seen = np.unique(pairs, return_index=True)
            at = np.minimum(np.searchsorted(self._keys, pairs), max(len(self._keys) - 1, 0))
            new = (self._keys[at] != pairs) if len(self._keys) else np.ones(len(pairs), dtype=bool)
            counts = np.bincount(part[first_seen[new]], minlength=len(self._pending))
            for (_, _, _, how), count in zip(self._pending, counts.tolist()):
                self.made[how] = self.made.get(how, 0) + count
        a = np.concatenate([rows] + [x for a, b, _, _ in self._pending for x in (a, b)])
        b = np.concatenate([self.partner] + [x for a, b, _, _ in self._pending for x in (b, a)])
        t = np.concatenate([self.trust] + [x for _, _, t, _ in self._pending for x in (t, t)])
        self._pending = []
        keep = t >= self.trust_floor
        a, b, t = a[keep], b[keep], t[keep]
        key = a * self.n + b
        order = np.lexsort((-t, key))  # by key, highest trust first
        key, t = key[order], t[order]
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
        self._keys, self.trust = key[first], t[first].copy()
        self.partner = self._keys % self.n
        self.start = np.searchsorted(self._keys // self.n, np.arange(self.n + 1), side="left").astype(np.int64)

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
    def nearest(self, rows: np.ndarray, material: int, k: int, within_km: float = np.inf,
                among: np.ndarray | None = None, unknown_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(firm, partner) pairs: for each firm of ``rows``, its ``k`` nearest firms on the other
        side of ``material`` (buyers of what it offers, or sellers of what it takes in, by
        straight distance) that could trade with it on grade, within ``within_km``, among the
        firms marked in ``among`` (bool[F]) if given, and not linked to it yet if
        ``unknown_only``. (The nearest 16 k candidates are looked at.)"""
        firms = self.model.firms
        rows = np.asarray(rows, dtype=np.int64)
        out_a, out_b = [], []
        for role, side in (("sell", firms.offers[:, material]), ("buy", firms.capacity[:, material] > 0)):
            asking = rows[side[rows]]
            if len(asking) == 0:
                continue
            candidates, tree, answers = self._tree(role, material)
            if len(candidates) == 0:
                continue
            query = min(16 * k, len(candidates))
            bound = chord(within_km) if np.isfinite(within_km) else np.inf
            # a tree gives a site the same answer every time: one firm's question (a broker's) is kept
            key = (int(asking[0]), query, bound) if len(asking) == 1 else None
            found = answers.get(key)
            if found is None:
                _, found = tree.query(self._points[asking], k=query, distance_upper_bound=bound)
                found = np.asarray(found).reshape(len(asking), query)
                if key is not None:
                    answers[key] = found
            valid = found < len(candidates)
            partner = candidates[np.where(valid, found, 0)]
            owner = np.repeat(asking, query).reshape(partner.shape)
            seller, buyer = (owner, partner) if role == "sell" else (partner, owner)
            valid &= (firms.quality[seller, material] >= firms.min_quality[buyer, material]) & (owner != partner)
            if among is not None:
                valid &= among[partner]
            if unknown_only:
                valid &= ~self.knows(owner.ravel(), partner.ravel()).reshape(owner.shape)
            take = valid & (np.cumsum(valid, axis=1) <= k)
            out_a.append(owner[take])
            out_b.append(partner[take])
        if not out_a:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(out_a), np.concatenate(out_b)

    def _tree(self, role: str, material: int) -> tuple[np.ndarray, cKDTree, dict]:
        """Firms on the other side of ``material``, a KD-tree of their sites (rebuilt when that
        set changes, as when a plant adds capacity) and the answers it gave single firms."""
        firms = self.model.firms
        other = firms.capacity[:, material] > 0 if role == "sell" else firms.offers[:, material]
        cached = self._trees.get((role, material))
        if cached is None or not np.array_equal(cached[0], other):
            candidates = np.flatnonzero(other)
            cached = (other.copy(), candidates, cKDTree(self._points[candidates]), {})  # offers[:, m] is a view
            self._trees[(role, material)] = cached
        return cached[1:]

    def complementary(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(seller, buyer) pairs among firm rows ``rows`` that could trade some material on grade."""
        firms = self.model.firms
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        s, b = np.meshgrid(rows, rows, indexing="ij")
        s, b = s.ravel(), b.ravel()
        fits = (firms.offers[s] & (firms.capacity[b] > 0) & (firms.quality[s] >= firms.min_quality[b])).any(axis=1)
        fits &= s != b
        return s[fits], b[fits]

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
        n_good = np.bincount(entry, weights=np.tile(good[apart], 2), minlength=len(self.trust))
        keep = np.bincount(entry, weights=np.tile(log_keep[apart], 2), minlength=len(self.trust))
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
