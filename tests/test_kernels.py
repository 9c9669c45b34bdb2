"""Each Numba kernel equals its plain-Python reference on random inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernels import all_pairs_shortest, clear_market, dump_shares, grade_factors, ledger_residuals, poisson_counts
from sim.kernels import split_disposal, staged_value
from sim.kernels import market as market_kernel
from sim.kernels import routing as routing_kernel
from tests import reference


def random_graph(rng, n, extra):
    """A connected undirected graph as CSR plus its directed edge list."""
    edges = [(i, int(rng.integers(0, i)), float(rng.uniform(0.5, 10))) for i in range(1, n)]
    for _ in range(extra):
        a, b = rng.integers(0, n, 2)
        if a != b:
            edges.append((int(a), int(b), float(rng.uniform(0.5, 10))))
    directed = edges + [(b, a, w) for a, b, w in edges]
    directed.sort()
    indptr = np.zeros(n + 1, dtype=np.int64)
    for u, _, _ in directed:
        indptr[u + 1] += 1
    indptr = np.cumsum(indptr)
    indices = np.array([v for _, v, _ in directed], dtype=np.int64)
    weights = np.array([w for _, _, w in directed])
    return indptr, indices, weights, directed


def crossings_at(rng, n, share=0.2):
    """crossing_of_node with about ``share`` of the nodes crossings, numbered in node order."""
    is_crossing = rng.random(n) < share
    return np.where(is_crossing, np.cumsum(is_crossing) - 1, -1).astype(np.int64)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 40), extra=st.integers(0, 60), seed=st.integers(0, 2**31))
def test_routing_matches_reference(n, extra, seed):
    rng = np.random.default_rng(seed)
    indptr, indices, weights, directed = random_graph(rng, n, extra)
    sources = np.arange(n, dtype=np.int64)
    crossing_of_node = crossings_at(rng, n)
    dist, first, count = all_pairs_shortest(indptr, indices, weights[None, :], sources, crossing_of_node)
    ref_dist, ref_pred = reference.shortest_paths(n, directed, list(range(n)))
    np.testing.assert_allclose(dist[0], ref_dist, rtol=1e-12)
    ref_first, ref_count = reference.path_crossings(ref_pred, list(range(n)), crossing_of_node)
    np.testing.assert_array_equal(first[0], ref_first)
    np.testing.assert_array_equal(count[0], ref_count)


@pytest.mark.parametrize("n, in_parallel", [(60, False), (400, True)])
def test_routing_matches_reference_per_class_on_larger_graphs(n, in_parallel):
    """Two weightings (shipment classes) at once; at 400 nodes the sources are shared among threads."""
    rng = np.random.default_rng(n)
    indptr, indices, weights, directed = random_graph(rng, n, 2 * n)
    sources = np.arange(0, n, 2, dtype=np.int64)
    crossing_of_node = crossings_at(rng, n)
    by_class = np.stack([weights, weights + np.where(crossing_of_node[indices] >= 0, 25.0, 0.0)])
    assert (by_class.size // len(indices) * len(sources) * n >= routing_kernel.PARALLEL_WORK) == in_parallel
    dist, first, count = all_pairs_shortest(indptr, indices, by_class, sources, crossing_of_node)
    for c, w in enumerate(by_class):
        edges = [(u, v, float(x)) for (u, v, _), x in zip(directed, w)]
        ref_dist, ref_pred = reference.shortest_paths(n, edges, sources.tolist())
        np.testing.assert_allclose(dist[c], ref_dist, rtol=1e-12)
        ref_first, ref_count = reference.path_crossings(ref_pred, sources.tolist(), crossing_of_node)
        np.testing.assert_array_equal(first[c], ref_first)
        np.testing.assert_array_equal(count[c], ref_count)
    assert count.max() > 1  # paths through several crossings were seen


def test_crossings_on_a_line():
    # 0 - 1(x0) - 2 - 3(x1) - 4 : from 0 to 4 two crossings, the first is crossing 0
    n = 5
    edges = [(i, i + 1, 1.0) for i in range(n - 1)]
    directed = sorted(edges + [(b, a, w) for a, b, w in edges])
    indptr = np.cumsum(np.r_[0, np.bincount([u for u, _, _ in directed], minlength=n)]).astype(np.int64)
    indices = np.array([v for _, v, _ in directed], dtype=np.int64)
    weights = np.array([[w for _, _, w in directed]])
    sources = np.array([0, 4], dtype=np.int64)
    _, first, count = all_pairs_shortest(indptr, indices, weights, sources, np.array([-1, 0, -1, 1, -1]))
    assert count[0, 0, 4] == 2 and first[0, 0, 4] == 0
    assert count[0, 1, 0] == 2 and first[0, 1, 0] == 1
    assert count[0, 0, 2] == 1 and first[0, 0, 2] == 0
    assert count[0, 0, 0] == 0 and first[0, 0, 0] == -1
    assert count[0, 0, 1] == 0 and first[0, 0, 1] == -1  # a crossing as target is not on its own way


def random_market(rng, n_s, n_b, n_nodes=6, n_econ=3, supply_scale=1.0):
    """Inputs of ``clear_market`` drawn at random (some sellers and buyers empty, one pair unreachable)."""
    supply = np.round(rng.uniform(0, 100, n_s), 1) * supply_scale
    supply[rng.random(n_s) < 0.2] = 0.0
    capacity = np.round(rng.uniform(0, 100, n_b), 1)
    cost = np.round(rng.uniform(0, 50, (3, n_nodes, n_nodes)), 2)
    cost[0, 0, 1] = np.inf  # an unreachable pair never trades
    return (supply, rng.integers(0, n_nodes, n_s), rng.uniform(0, 20, n_s), rng.integers(0, 3, n_s),
            rng.integers(0, n_econ, n_s), rng.uniform(0, 1, n_s), capacity, rng.integers(0, n_nodes, n_b),
            rng.uniform(0, 40, n_b), rng.integers(0, n_econ, n_b), rng.uniform(0, 0.6, n_b),
            rng.integers(0, 3, (3, n_econ, n_econ)), cost)


def assert_same_trades(got, expected, supply, capacity, exact=False):
    assert len(got[0]) == len(expected)
    for k, (s, b, t, cls, c, gain) in enumerate(expected):
        assert (got[0][k], got[1][k], got[3][k]) == (s, b, cls)
        if exact:
            assert (got[2][k], got[4][k], got[5][k]) == (t, c, gain)
        else:
            assert got[2][k] == pytest.approx(t) and got[4][k] == pytest.approx(c) and got[5][k] == pytest.approx(gain)
    # nobody sells more than offered or buys more than capacity
    sold = np.bincount(got[0], weights=got[2], minlength=len(supply))
    bought = np.bincount(got[1], weights=got[2], minlength=len(capacity))
    assert (sold <= supply + 1e-9).all() and (bought <= capacity + 1e-9).all()


def random_knowledge(rng, n_s, n_b, n_nodes=6):
    """Who knows whom for ``random_market``: sellers and buyers as rows of 12 firms (a firm may
    hold several), at random sites, and a random symmetric relationship graph as CSR."""
    n_firms = 12
    links = rng.random((n_firms, n_firms)) < 0.25
    links = links | links.T
    start = np.r_[0, np.cumsum(links.sum(axis=1))].astype(np.int64)
    partner = np.concatenate([np.flatnonzero(row) for row in links]).astype(np.int64)
    return (rng.integers(0, n_firms, n_s), rng.integers(0, n_firms, n_b), rng.integers(0, n_nodes, n_s),
            rng.integers(0, n_nodes, n_b), start, partner)


@settings(max_examples=60, deadline=None)
@given(n_s=st.integers(0, 30), n_b=st.integers(0, 30), seed=st.integers(0, 2**31),
       supply_scale=st.sampled_from([0.3, 1.0, 3.0]), list_length=st.sampled_from([1, 2, 16]))
def test_market_trades_only_between_firms_that_know_each_other(n_s, n_b, seed, supply_scale, list_length):
    rng = np.random.default_rng(seed)
    args = random_market(rng, n_s, n_b, supply_scale=supply_scale)
    known = random_knowledge(rng, n_s, n_b)
    got = clear_market(*args, list_length, known)
    assert_same_trades(got, reference.clear_market(*args, known=known), args[0], args[6])


def test_market_with_everyone_known_is_the_open_market():
    """A graph linking every firm gives the open market's trades, to the bit."""
    rng = np.random.default_rng(3)
    args = random_market(rng, 40, 40)
    # firm rows 0-11 for sellers, 12-23 for buyers (a graph links a firm to others, never to itself)
    everyone = np.concatenate([np.arange(12, 24)] * 12 + [np.arange(12)] * 12).astype(np.int64)
    known = (rng.integers(0, 12, 40), rng.integers(12, 24, 40), np.zeros(40, np.int64), np.ones(40, np.int64),
             np.arange(0, 289, 12, dtype=np.int64), everyone)
    open_market, linked = clear_market(*args), clear_market(*args, 16, known)
    assert len(open_market[0]) > 0
    for a, b in zip(open_market, linked):
        assert np.array_equal(a, b)


# short lists force the re-scans; the supply scale decides which side owns the lists
@settings(max_examples=60, deadline=None)
@given(n_s=st.integers(0, 30), n_b=st.integers(0, 30), seed=st.integers(0, 2**31),
       supply_scale=st.sampled_from([0.3, 1.0, 3.0]), list_length=st.sampled_from([1, 2, 16]))
def test_market_matches_reference(n_s, n_b, seed, supply_scale, list_length):
    args = random_market(np.random.default_rng(seed), n_s, n_b, supply_scale=supply_scale)
    got = clear_market(*args, list_length)
    assert_same_trades(got, reference.clear_market(*args), args[0], args[6])


@settings(max_examples=60, deadline=None)
@given(n_s=st.integers(0, 25), n_b=st.integers(0, 25), seed=st.integers(0, 2**31),
       list_length=st.sampled_from([1, 3, 16]))
def test_market_ties_follow_seller_major_order(n_s, n_b, seed, list_length):
    """Small integers make many pairs tie on surplus: the order must still be the reference's, to the bit."""
    rng = np.random.default_rng(seed)
    n_nodes, n_econ = 4, 2
    args = (rng.integers(0, 5, n_s) * rng.choice([1.0, 3.0]), rng.integers(0, n_nodes, n_s),
            rng.integers(0, 3, n_s).astype(float), rng.integers(0, 3, n_s), rng.integers(0, n_econ, n_s),
            rng.integers(0, 3, n_s) / 2, rng.integers(0, 5, n_b).astype(float), rng.integers(0, n_nodes, n_b),
            rng.integers(0, 4, n_b).astype(float), rng.integers(0, n_econ, n_b), rng.integers(0, 3, n_b) / 2,
            rng.integers(0, 3, (3, n_econ, n_econ)), rng.integers(0, 5, (3, n_nodes, n_nodes)).astype(float))
    got = clear_market(*args, list_length)
    assert_same_trades(got, reference.clear_market(*args), args[0], args[6], exact=True)


@pytest.mark.parametrize("supply_scale", [0.5, 2.0])
def test_market_matches_reference_when_built_in_parallel(supply_scale):
    """Enough (group, column) blocks that the first lists are built by several threads."""
    n_nodes = 1000
    args = random_market(np.random.default_rng(7), 600, 600, n_nodes=n_nodes, supply_scale=supply_scale)
    n_groups = len(np.unique(np.c_[args[1], args[3], args[4]][args[0] > 0], axis=0))
    n_cols = len(np.unique(np.c_[args[7], args[9]][args[6] > 0], axis=0))
    assert n_groups * n_cols >= market_kernel.PARALLEL_BLOCKS
    got = clear_market(*args)
    assert_same_trades(got, reference.clear_market(*args), args[0], args[6])


@settings(max_examples=30, deadline=None)
@given(f=st.integers(1, 8), m=st.integers(1, 6), seed=st.integers(0, 2**31))
def test_ledger_and_disposal_match_reference(f, m, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(0, 100, (f, m)) for _ in range(9)]
    np.testing.assert_allclose(ledger_residuals(*arrays), reference.ledger_residuals(*arrays))
    leftover, fee, fine = rng.uniform(0, 50, (f, m)), rng.uniform(0, 30, f), rng.uniform(0, 30, f)
    detection, propensity = rng.choice([0.0, 0.05, 0.5, 1.0], f), rng.uniform(0, 1, f)
    scale = float(rng.uniform(0.5, 20.0))
    share = dump_shares(fee, fine, detection, propensity, scale)
    np.testing.assert_allclose(share, reference.dump_shares(fee, fine, detection, propensity, scale), atol=1e-15)
    landfilled, dumped = split_disposal(leftover, share)
    ref_l, ref_d = reference.split_disposal(leftover, share)
    np.testing.assert_allclose(landfilled, ref_l)
    np.testing.assert_allclose(dumped, ref_d)
    np.testing.assert_allclose(landfilled + dumped, leftover)


def test_dumping_falls_smoothly_with_enforcement_and_stops_only_when_detection_is_certain():
    """Raising the expected fine past the landfill fee lowers dumping step by step, never to zero
    (the old rule set it to zero the moment the expected fine reached the fee)."""
    fee = np.full(6, 30.0)
    fine = np.array([0.0, 20.0, 29.0, 31.0, 40.0, 200.0])
    share = dump_shares(fee, fine, np.full(6, 0.2), np.full(6, 0.5), 5.0)
    assert np.all(np.diff(share) < 0) and np.all(share > 0) and share[0] < 0.5
    assert 0 < share[3] < share[2]  # just past the fee: still some dumping
    assert dump_shares(fee, fine, np.ones(6), np.full(6, 0.5), 5.0).max() == 0.0


def per_material(supply, outside, status, quality, bid, wtp, min_quality, node, economy, origin_row, classes, cost,
                 restricted, start, linked):
    """``clear_materials`` as a loop of ``clear_market`` calls, one per material (the market's month before)."""
    out = []
    for m in range(supply.shape[1]):
        s, b = np.flatnonzero(supply[:, m] > 0), np.flatnonzero(bid[:, m] > 0)
        if len(s) == 0 or len(b) == 0:
            continue
        known = (s, b, node[s], node[b], start, linked) if restricted else None
        s_idx, b_idx, tonnes, cls, unit_cost, _ = clear_market(
            supply[s, m], origin_row[node[s]], outside[s, m], status[s, m], economy[s], quality[s, m], bid[b, m],
            node[b], wtp[b, m], economy[b], min_quality[b, m], classes[m], cost, known=known)
        out.append((np.full(len(tonnes), m), s[s_idx], b[b_idx], tonnes, cls, unit_cost))
    return [np.concatenate([part[i] for part in out]) if out else np.zeros(0) for i in range(6)]


@settings(max_examples=40, deadline=None)
@given(n_firms=st.integers(1, 40), n_materials=st.integers(1, 5), seed=st.integers(0, 2**31),
       restricted=st.booleans())
def test_all_materials_at_once_equal_one_material_at_a_time(n_firms, n_materials, seed, restricted):
    rng = np.random.default_rng(seed)
    n_nodes, n_econ, shape = 6, 3, (n_firms, n_materials)
    supply = np.where(rng.random(shape) < 0.4, np.round(rng.uniform(0, 100, shape), 1), 0.0)
    bid = np.where(rng.random(shape) < 0.4, np.round(rng.uniform(0, 100, shape), 1), 0.0)
    node = rng.integers(0, n_nodes, n_firms)
    links = rng.random((n_firms, n_firms)) < 0.3
    links = (links | links.T) & ~np.eye(n_firms, dtype=bool)
    start = np.r_[0, np.cumsum(links.sum(axis=1))].astype(np.int64)
    linked = np.concatenate([np.flatnonzero(row) for row in links]).astype(np.int64)
    cost = np.round(rng.uniform(0, 50, (3, n_nodes, n_nodes)), 2)
    cost[0, 0, 1] = np.inf
    args = (supply, rng.uniform(0, 20, shape), rng.integers(0, 3, shape), rng.uniform(0, 1, shape), bid,
            rng.uniform(0, 40, shape), rng.uniform(0, 0.6, shape), node, rng.integers(0, n_econ, n_firms),
            np.arange(n_nodes, dtype=np.int64), rng.integers(0, 3, (n_materials, 3, n_econ, n_econ)), cost,
            restricted, start, linked)
    got, expected = market_kernel.clear_materials(*args), per_material(*args)
    assert len(got[0]) == len(expected[0])
    for a, b in zip(got, expected):
        assert np.array_equal(a, b)  # to the bit


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 200), scale=st.sampled_from([0.01, 0.3, 3.0, 40.0]), seed=st.integers(0, 2**31 - 1))
def test_poisson_counts_match_reference(n, scale, seed):
    rng = np.random.default_rng(seed)
    uniform, rate = rng.random(n), rng.random(n) * scale
    rate[::7] = 0.0
    assert poisson_counts(uniform, rate).tolist() == reference.poisson_counts(uniform, rate)


def test_poisson_counts_have_the_poisson_mean_and_grow_with_the_rate():
    rng = np.random.default_rng(3)
    uniform = rng.random(200_000)
    low, high = poisson_counts(uniform, np.full(200_000, 0.2)), poisson_counts(uniform, np.full(200_000, 0.3))
    assert low.mean() == pytest.approx(0.2, rel=0.02) and high.var() == pytest.approx(0.3, rel=0.02)
    assert (high >= low).all() and (high > low).any()  # the same draw never gives fewer contacts at a higher rate


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 10_000))
def test_deposit_kernels_match_reference(n, seed):
    rng = np.random.default_rng(seed)
    slope = rng.uniform(0.0, 100.0, n)
    intercept = rng.uniform(-20.0, 150.0, n)
    uncertainty = rng.choice([0.0, 0.1, 0.3, 0.6], n)
    assert staged_value(slope, intercept, uncertainty) == pytest.approx(
        reference.staged_value(slope, intercept, uncertainty), rel=1e-6, abs=1e-6)
    z = rng.normal(size=n)
    assert grade_factors(z, uncertainty) == pytest.approx(reference.grade_factors(z, uncertainty), rel=1e-12)


def test_grade_factors_keep_the_expected_grade_and_uncertainty_raises_the_staged_value():
    z = np.random.default_rng(1).normal(size=200_000)
    assert grade_factors(z, np.full(z.size, 0.4)).mean() == pytest.approx(1.0, abs=0.005)
    # a plant that loses money at the expected grade is still worth exploring for if the grade may be higher
    values = staged_value(np.full(3, 100.0), np.full(3, 110.0), np.array([0.0, 0.2, 0.5]))
    assert values[0] == 0.0 and 0.0 < values[1] < values[2]
