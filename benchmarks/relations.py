"""The relationship graph of this code against the one of an earlier checkout, in one process:
synthetic regions of ``--firms`` firms step ``--months`` months (default config), once with each
``sim.relations.Relations`` in turns (``--rounds`` times), and the run's time and the time spent
in the graph's methods are compared as ratios (earlier / this). The two must give the same KPIs
(checked). Prints one JSON object.

    .venv/bin/python -m benchmarks.relations --checkout /tmp/base --firms 1000 10000 --months 24
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

import sim.model
import sim.relations
from sim.model import WB6Model
from sim.synthetic import synthetic_scenario

#: the graph's methods whose time is counted
METHODS = ("commit", "learn", "nearest", "knows", "link")


def load_relations(checkout: Path) -> type:
    """``Relations`` as the checkout's ``sim/relations.py`` defines it."""
    spec = importlib.util.spec_from_file_location("relations_checkout", checkout / "sim" / "relations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Relations


def timed_class(cls: type, spent: dict) -> type:
    """A subclass of ``cls`` whose graph methods add their wall time to ``spent["graph"]``
    (nested calls counted once)."""
    depth = [0]

    def wrap(inner):
        def method(self, *args, **kwargs):
            depth[0] += 1
            started = time.perf_counter()
            try:
                return inner(self, *args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent["graph"] += time.perf_counter() - started
        return method

    return type(cls.__name__, (cls,), {name: wrap(getattr(cls, name)) for name in METHODS})


def run_once(cls: type, region, months: int) -> tuple[float, float, pd.DataFrame]:
    """(seconds per month after the first, graph seconds per month after the first, KPIs)."""
    spent: dict = defaultdict(float)
    sim.model.Relations = timed_class(cls, spent)
    try:
        model = WB6Model({"months": months, "seed": 0}, region=region)
        model.step()
        spent.clear()
        started = time.perf_counter()
        for _ in range(months - 1):
            model.step()
        elapsed = time.perf_counter() - started
    finally:
        sim.model.Relations = sim.relations.Relations
    return elapsed / (months - 1), spent["graph"] / (months - 1), pd.DataFrame(model.kpis.rows)


def compare(checkout: Path, firms: int, months: int, rounds: int) -> dict:
    region = synthetic_scenario(firms, n_materials=15, seed=0)
    variants = {"earlier": load_relations(checkout), "this": sim.relations.Relations}
    times: dict = defaultdict(list)
    kpis = {}
    for _ in range(rounds):
        for name, cls in variants.items():
            step, graph, kpis[name] = run_once(cls, region, months)
            times[f"{name}_step_s"].append(step)
            times[f"{name}_graph_s"].append(graph)
    if not kpis["earlier"].equals(kpis["this"]):
        raise AssertionError(f"{firms} firms: the two graphs give different KPIs")
    best = {key: min(values) for key, values in times.items()}
    return {"firms": firms, "months": months, "rounds": rounds, **best,
            "step_ratio": best["earlier_step_s"] / best["this_step_s"],
            "graph_ratio": best["earlier_graph_s"] / best["this_graph_s"],
            "step_ratio_median": statistics.median(a / b for a, b in zip(times["earlier_step_s"], times["this_step_s"]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, required=True, help="a worktree of the earlier commit")
    parser.add_argument("--firms", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps([compare(args.checkout, n, args.months, args.rounds) for n in args.firms]))


if __name__ == "__main__":
    main()
