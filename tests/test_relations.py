"""Who knows whom: the relationship graph seeds, grows, learns from trade and restricts the market."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernels.relations import capped_contacts, complementary_pairs, merge_links, nearest_fits
from sim.market import DELIVERED, REFUSED, Shipments
from sim.model import WB6Model
from sim.relations import Relations, every_material
from tests import reference
from sim.world import haversine_km


@pytest.fixture(scope="module")
def model():
    model = WB6Model({"months": 1})
    model.relations.seed_trade(model.market)  # as the first month does
    return model


def shipments_between(pairs, outcome, delay=0.0):
    k = len(pairs)
    seller, buyer = (np.array([p[i] for p in pairs]) for i in (0, 1))
    return Shipments.of(np.zeros(k), np.zeros(k), seller, buyer, np.zeros(k), np.zeros(k), np.full(k, -1),
                        np.zeros(k), np.ones(k), np.ones(k), np.ones(k), np.full(k, delay), np.full(k, outcome))


def test_seed_links_nearby_partners_and_the_sectors_already_trading(model):
    rel, firms, net = model.relations, model.firms, model.network
    rows = np.repeat(np.arange(rel.n), np.diff(rel.start))
    assert rel.n_links > 0 and np.array_equal(rel.knows(rows, rel.partner), np.ones(len(rows), bool))
    assert rel.knows(rel.partner, rows).all()  # both directions
    established = model.region.firms["sector"].isin(model.params["sectors_trading_at_start"]).to_numpy()
    km = haversine_km(net.lat[firms.node[rows]], net.lon[firms.node[rows]], net.lat[firms.node[rel.partner]],
                      net.lon[firms.node[rel.partner]])
    # every link is within the co-location distance, between two sectors already trading, or
    # between firms trading at the start
    trading = {(int(s), int(b)) for _, sellers, buyers, *_ in WB6Model({"months": 1}).market.match(open_market=True)
               for s, b in zip(sellers, buyers)}
    traded = np.array([(a, b) in trading or (b, a) in trading for a, b in zip(rows.tolist(), rel.partner.tolist())])
    assert traded.any()
    assert ((km <= model.params["relation_colocation_km"] + 1e-6) | (established[rows] & established[rel.partner])
            | traded).all()
    # every link joins a firm that offers a material to one that takes it in
    for a, b in zip(rows.tolist(), rel.partner.tolist()):
        assert ((firms.offers[a] & (firms.capacity[b] > 0)) | (firms.offers[b] & (firms.capacity[a] > 0))).any()


def test_trust_rises_with_deliveries_and_falls_with_refusals_until_the_link_goes(model):
    rel = Relations(model)
    rel.link([0], [1], 0.5, "test")
    rel.commit()
    ok = np.ones(1, bool)
    rel.learn(shipments_between([(0, 1)], DELIVERED), ok)
    assert rel.trust[0] == pytest.approx(0.5 + 0.1 * 0.5) and rel.trust[1] == rel.trust[0]
    before = rel.trust[0]
    rel.learn(shipments_between([(0, 1)], DELIVERED, delay=15.0), ok)
    assert rel.trust[0] < 1 - (1 - before) * 0.9  # the delay took some of the gain away
    rel.learn(shipments_between([(1, 0)], DELIVERED), ~ok)  # a quality complaint
    after_complaint = rel.trust[0]
    assert after_complaint < before
    for _ in range(3):
        rel.learn(shipments_between([(0, 1)], REFUSED), ok)
    assert not rel.knows([0], [1])[0] and rel.n_links == 0  # below the floor: dropped


def test_a_firm_trades_only_with_partners_it_knows(model):
    """Cut every link of the biggest seller: it then sells only on its own site, and the open
    market (partner_knowledge 0) sells it more."""
    fresh = WB6Model({"months": 1})
    fresh.market.open_month()
    fresh.market.clear()
    shipped = fresh.market.shipments
    seller = int(np.bincount(shipped.seller, weights=shipped.tonnes).argmax())
    cut = WB6Model({"months": 1})
    rel = cut.relations
    rows = np.repeat(np.arange(rel.n), np.diff(rel.start))
    rel.trust[(rows == seller) | (rel.partner == seller)] = 0.0
    rel.commit()
    cut.market.open_month()
    cut.market.clear()
    mine = cut.market.shipments.seller == seller
    assert (cut.firms.node[cut.market.shipments.buyer[mine]] == cut.firms.node[seller]).all()
    assert cut.market.shipments.tonnes[mine].sum() < shipped.tonnes[shipped.seller == seller].sum()


def test_open_market_ignores_the_graph():
    model = WB6Model({"months": 1, "parameters": {"partner_knowledge": 0}})
    model.market.open_month()
    trades, open_market = model.market.match_all(), model.market.match_all(open_market=True)
    assert model.relations.n_links > 0 and len(trades[0]) > 0
    assert all(np.array_equal(a, b) for a, b in zip(trades, open_market))


def test_graph_for_analysis_has_every_link_once(model):
    g = model.relations.graph()
    assert g.number_of_nodes() == model.firms.n_firms and g.number_of_edges() == model.relations.n_links
    u, v, trust = next(iter(g.edges(data="trust")))
    assert 0 < trust <= 1 and model.relations.knows([u], [v])[0]


def test_own_search_links_firms_over_the_years():
    model = WB6Model({"months": 36})
    start = model.relations.n_links
    model.run()
    assert model.relations.made.get("own_search", 0) > 0 and model.relations.n_links > start


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 30), links=st.integers(0, 60), new=st.integers(0, 40), seed=st.integers(0, 2**31 - 1))
def test_merging_links_matches_reference(n, links, new, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, links), rng.integers(0, n, links)
    a, b = a[a != b], b[a != b]
    pairs = np.unique(np.minimum(a, b) * n + np.maximum(a, b))
    low, high = np.divmod(pairs, n)
    keys = np.concatenate([low * n + high, high * n + low])
    trust = np.tile(rng.choice([0.05, 0.3, 0.8], len(pairs)), 2)[np.argsort(keys)]
    keys = np.sort(keys)
    x, y = rng.integers(0, n, new), rng.integers(0, n, new)
    x, y = x[x != y], y[x != y]
    t, part = rng.choice([0.05, 0.3, 0.5, 0.9], len(x)), rng.integers(0, 3, len(x))
    got = merge_links(keys, trust, x, y, t, part, 3, n, 0.1)
    want = reference.merge_links(keys, trust, x, y, t, part, 3, n, 0.1)
    assert [v.tolist() for v in got] == [list(v) for v in want]


@settings(max_examples=60, deadline=None)
@given(f=st.integers(1, 25), m=st.integers(1, 4), asking=st.integers(0, 20), width=st.integers(0, 8),
       k=st.integers(0, 3), unknown_only=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_nearest_fits_match_reference(f, m, asking, width, k, unknown_only, seed):
    rng = np.random.default_rng(seed)
    owner, side = rng.integers(0, f, asking), rng.integers(0, 2 * m, asking)
    nearest = np.where(rng.random((asking, width)) < 0.2, -1, rng.integers(0, f, (asking, width)))
    quality, min_quality = rng.random((f, m)), rng.random((f, m)) * 0.6
    among = rng.random(f) < 0.8
    keys = np.unique(rng.integers(0, f * f, 2 * f))
    got = nearest_fits(owner, side, nearest, quality, min_quality, among, keys, f, k, unknown_only)
    want = reference.nearest_fits(owner, side, nearest, quality, min_quality, among, keys, f, k, unknown_only)
    assert [v.tolist() for v in got] == [list(v) for v in want]


def test_asking_about_many_materials_at_once_gives_the_pairs_of_one_material_at_a_time(model):
    rel, n_materials = model.relations, model.n_materials
    rows = np.array([5, 0, 17, 3, 40]) % rel.n
    by_one = [rel.nearest(rows, m, 2, among=model.firms.participating) for m in range(n_materials)]
    at_once = rel.nearest(*every_material(rows, n_materials), 2, among=model.firms.participating)
    assert [v.tolist() for v in at_once] == [np.concatenate([pairs[i] for pairs in by_one]).tolist() for i in (0, 1)]


@settings(max_examples=60, deadline=None)
@given(f=st.integers(2, 20), pairs=st.integers(0, 60), cap=st.integers(0, 4), seed=st.integers(0, 2**31 - 1))
def test_capped_contacts_match_reference(f, pairs, cap, seed):
    rng = np.random.default_rng(seed)
    sellers, buyers = rng.integers(0, f, pairs), rng.integers(0, f, pairs)
    got = capped_contacts(sellers, buyers, f, cap)
    assert got.tolist() == reference.capped_contacts(sellers, buyers, f, cap)


@settings(max_examples=60, deadline=None)
@given(f=st.integers(1, 20), m=st.integers(1, 4), r=st.integers(0, 20), seed=st.integers(0, 2**31 - 1))
def test_complementary_pairs_match_reference(f, m, r, seed):
    rng = np.random.default_rng(seed)
    rows = np.unique(rng.integers(0, f, r))
    offers, capacity = rng.random((f, m)) < 0.4, np.where(rng.random((f, m)) < 0.4, rng.random((f, m)), 0.0)
    quality, min_quality = rng.random((f, m)), rng.random((f, m)) * 0.7
    got = complementary_pairs(rows, offers, capacity, quality, min_quality)
    assert [v.tolist() for v in got] == list(reference.complementary_pairs(rows, offers, capacity, quality, min_quality))
