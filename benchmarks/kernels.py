"""Kernel benchmarks: each Numba kernel against its plain-Python reference (tests/reference.py)
and its numpy or scipy counterpart on the same inputs, all in one process; compile time apart.

Every function returns rows ``{"benchmark", "case", "measure", "value", "unit", "target"}``.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

from sim.kernels import all_pairs_shortest, clear_market, dump_shares, ledger_residuals, split_disposal
from sim.model import WB6Model
from sim.scenario import load_scenario
from sim.synthetic import synthetic_scenario
from sim.world import Network
from tests import reference

ROOT = Path(__file__).resolve().parents[1]


def best_of(repeats: int, fn, *args) -> float:
    """Shortest wall time of ``repeats`` calls, s (the least disturbed by other work on the machine)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - started)
    return min(times)


def row(benchmark, case, measure, value, unit, target=""):
    return {"benchmark": benchmark, "case": case, "measure": measure, "value": value, "unit": unit, "target": target}


@functools.cache
def market_region(seed: int) -> WB6Model:
    model = WB6Model({"months": 1}, region=synthetic_scenario(10_000, seed=seed))
    model.market.refresh_costs()
    return model


def market_inputs(n_sellers: int, n_buyers: int, material: str, seed: int = 0):
    """One material's market over a 10,000-firm synthetic region's delivered costs: sellers and
    buyers at random sites, outside options as the model prices them, 1.5 t offered per t of
    capacity (firms generate more than others absorb, as in the scenarios)."""
    model = market_region(seed)
    rng = np.random.default_rng(seed)
    m = model.material_index[material]
    market, firms = model.market, model.firms
    sellers = rng.choice(np.flatnonzero(market.origin_row[firms.node] >= 0), n_sellers)
    buyers = rng.integers(0, firms.n_firms, n_buyers)
    supply = 1.5 * rng.lognormal(8.0, 1.2, n_sellers) / 12
    capacity = rng.lognormal(8.0, 1.2, n_buyers) / 12
    status = np.where(rng.random(n_sellers) < 0.1, rng.integers(1, 3, n_sellers), 0)
    return (supply, market.origin_row[firms.node[sellers]], model.disposal_cost_eur_t()[sellers], status,
            firms.economy[sellers], np.round(rng.uniform(0.2, 0.9, n_sellers), 2), capacity, firms.node[buyers],
            model.willingness_to_pay(buyers, m), firms.economy[buyers],
            np.round(rng.uniform(0.2, 0.9, n_buyers), 2), model.shipment_class_matrix(m), market.cost)


def bench_market(quick: bool) -> list[dict]:
    rows = []
    for material in ("plastics", "fly_ash"):  # nearly every pair can trade / only nearby pairs can
        args = market_inputs(1000, 1000, material)
        clear_market(*args)
        kernel = best_of(5, clear_market, *args)
        python = best_of(1, reference.clear_market, *args)
        case = f"1000 x 1000, {material}"
        rows += [row("clear_market", case, "Numba kernel", kernel, "s"),
                 row("clear_market", case, "Python reference", python, "s"),
                 row("clear_market", case, "speed-up over reference", python / kernel, "x", ">= 100")]
        for n in ((2000,) if quick else (5000,)):
            big = market_inputs(n, n, material)
            rows.append(row("clear_market", f"{n} x {n}, {material}", "Numba kernel", best_of(3, clear_market, *big),
                            "s", "<= 1.5" if n == 5000 else ""))
    return rows


def bench_routing(quick: bool) -> list[dict]:
    """Least-cost paths from every site of a large synthetic region, one thread, against scipy's
    Dijkstra on the same graph and sources. The kernel also finds the border crossings on every
    path (what the model needs); scipy gives the predecessors they would be found from."""
    network = Network(synthetic_scenario(20_000 if quick else 100_000, seed=0))
    weights = (network.edge_km * 0.1 + np.where(network.crossing_of_edge >= 0, 30.0, 0.0))[None, :]
    sources = np.arange(network.n_sites, dtype=np.int64)
    graph = scipy.sparse.csr_matrix((weights[0], network.indices, network.indptr), shape=(network.n_nodes,) * 2)
    args = (network.indptr, network.indices, weights, sources, network.crossing_of_node)
    case = f"{network.n_nodes} nodes, {len(network.indices)} directed edges, {len(sources)} sources"
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        all_pairs_shortest(network.indptr, network.indices, weights, sources[:2], network.crossing_of_node)
        kernel = best_of(3, all_pairs_shortest, *args)
    finally:
        numba.set_num_threads(threads)
    scipy_time = best_of(3, lambda: dijkstra(graph, directed=True, indices=sources, return_predecessors=True))
    two = best_of(3, all_pairs_shortest, *args)
    assert np.allclose(all_pairs_shortest(*args)[0][0], dijkstra(graph, directed=True, indices=sources)), \
        "routing differs from scipy"
    rows = [row("all_pairs_shortest", case, "Numba kernel (costs + crossings), 1 thread", kernel, "s"),
            row("all_pairs_shortest", case, "scipy dijkstra (costs + predecessors), 1 thread", scipy_time, "s"),
            row("all_pairs_shortest", case, "speed-up over scipy, 1 thread", scipy_time / kernel, "x", ">= 1.3"),
            row("all_pairs_shortest", case, f"Numba kernel, {threads} threads", two, "s")]

    small = Network(load_scenario())
    w = small.edge_km * 0.1
    src = np.arange(small.n_sites, dtype=np.int64)
    edges = list(zip(small.edge_head.tolist(), small.indices.tolist(), w.tolist()))
    case = f"WB6 network, {small.n_nodes} nodes, {len(src)} sources"
    kernel = best_of(5, all_pairs_shortest, small.indptr, small.indices, w[None, :], src, small.crossing_of_node)

    def python_reference():
        _, pred = reference.shortest_paths(small.n_nodes, edges, src.tolist())
        reference.path_crossings(pred, src.tolist(), small.crossing_of_node.tolist())

    return rows + [row("all_pairs_shortest", case, "speed-up over reference (with crossings)",
                       best_of(1, python_reference) / kernel, "x")]


def bench_ledger(n_firms: int) -> list[dict]:
    """The per-cell kernels on 100k firms x 15 materials: against numpy and (on a slice) Python;
    the ledger is bandwidth-bound, so it is also held against a memory copy in this process."""
    rng = np.random.default_rng(0)
    shape = (n_firms, 15)
    arrays = [rng.uniform(0, 100, shape) for _ in range(9)]
    fee, fine = rng.uniform(0, 30, n_firms), rng.uniform(0, 30, n_firms)
    detection, propensity = rng.uniform(0, 0.5, n_firms), rng.uniform(0, 1, n_firms)
    scale = 25.0
    case = f"{n_firms} x 15"
    ledger_residuals(*arrays)
    share = dump_shares(fee, fine, detection, propensity, scale)
    split_disposal(arrays[0], share)
    kernel = best_of(10, ledger_residuals, *arrays)
    numpy = best_of(10, lambda a: a[0] + a[1] + a[2] + a[3] - a[4] - a[5] - a[6] - a[7] - a[8], arrays)
    part = [a[:2000].tolist() for a in arrays]
    python = best_of(1, reference.ledger_residuals, *part) * n_firms / 2000
    # the month's disposal: the logit share of each firm, then the split of its leftover
    split = best_of(10, lambda: split_disposal(arrays[0], dump_shares(fee, fine, detection, propensity, scale)))

    def split_numpy(left):
        z = np.clip((fine - fee) / scale, None, 700.0)
        dumped_share = np.where(detection >= 1.0, 0.0, propensity / (1.0 + np.exp(z)))
        dumped = left * dumped_share[:, None]
        return left - dumped, dumped

    split_np = best_of(10, split_numpy, arrays[0])

    def split_reference():
        head = slice(0, 2000)
        shares = reference.dump_shares(fee[head].tolist(), fine[head].tolist(), detection[head].tolist(),
                                       propensity[head].tolist(), scale)
        reference.split_disposal(part[0], shares)

    split_py = best_of(1, split_reference) * n_firms / 2000

    source = rng.uniform(0, 1, 9 * arrays[0].size)  # as many bytes as the ledger reads
    target = np.empty_like(source)
    np.copyto(target, source)
    copy = best_of(10, np.copyto, target, source)
    copy_rate = 2 * source.nbytes / copy  # read + write
    ledger_rate = 10 * arrays[0].nbytes / kernel  # 9 arrays read, 1 written
    return [
        row("ledger_residuals", case, "Numba kernel", kernel, "s"),
        row("ledger_residuals", case, "speed-up over numpy", numpy / kernel, "x"),
        row("ledger_residuals", case, "speed-up over reference (timed on 2000 rows, scaled)", python / kernel, "x"),
        row("ledger_residuals", case, "memory traffic", ledger_rate / 1e9, "GB/s"),
        row("ledger_residuals", case, "memory copy (np.copyto, same process)", copy_rate / 1e9, "GB/s"),
        row("ledger_residuals", case, "share of the copy rate", ledger_rate / copy_rate, "", "near 1"),
        row("split_disposal", case, "Numba kernel", split, "s"),
        row("split_disposal", case, "speed-up over numpy", split_np / split, "x"),
        row("split_disposal", case, "speed-up over reference (timed on 2000 rows, scaled)", split_py / split, "x"),
    ]


COMPILE_SCRIPT = """
import json, time
import numpy as np
started = time.perf_counter()
from sim.kernels import all_pairs_shortest, clear_market, dump_shares, ledger_residuals, split_disposal
times = {"import": time.perf_counter() - started}
a = np.ones((2, 2)); i = np.zeros(2, dtype=np.int64); indptr = np.array([0, 1, 2]); idx = np.array([1, 0])
calls = {
    "clear_market": lambda: clear_market(a[0], i, a[0], i, i, a[0], a[0], i, a[0], i, a[0],
                                         np.zeros((3, 1, 1), dtype=np.int64), np.ones((3, 2, 2))),
    "all_pairs_shortest": lambda: all_pairs_shortest(indptr, idx, a[:1], i[:1], np.array([-1, 0])),
    "ledger_residuals": lambda: ledger_residuals(*[a] * 9),
    "dump_shares": lambda: dump_shares(a[0], a[0], a[0], a[0], 1.0),
    "split_disposal": lambda: split_disposal(a, a[0]),
}
for name, call in calls.items():
    started = time.perf_counter()
    call()
    times[name] = time.perf_counter() - started
print(json.dumps(times))
"""


def bench_compile() -> list[dict]:
    """First call of each kernel in a fresh process with an empty cache (compilation), then with
    that cache (loading): kept out of every other figure."""
    import json

    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("compile (empty cache)", "load (warm cache)"):
            done = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                                  text=True, check=True)
            for name, seconds in json.loads(done.stdout.strip().splitlines()[-1]).items():
                if name != "import":
                    rows.append(row(name, "first call, fresh process", label, seconds, "s"))
    return rows
