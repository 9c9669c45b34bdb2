"""Whole-model step time on a synthetic region, by phase, in a process of its own (so that its
peak memory is its own). Prints one JSON object.

    .venv/bin/python -m benchmarks.model_step --firms 100000 --months 120

Phases are timed by wrapping the model's own methods on this instance; nothing in the model
changes. Each month a bare ``shuffle_do`` of a method that does nothing runs
over the same agents (random state restored, so the run is the one it would be; before the
firms' loop one month, after it the next) to price the agent layer: planning in bulk plus the
agents' steps, against the bare loop.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections import defaultdict
from pathlib import Path

import numba

import sim.market
import sim.model
from sim.agents import Firm
from sim.model import WB6Model
from sim.synthetic import synthetic_scenario


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB: VmHWM, which starts afresh at exec (the
    getrusage maximum would carry over the size of the process that started this one)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def wrap(owner, name: str, spent: dict, phase: str) -> None:
    """Replace ``owner.name`` by a version that adds its wall time to ``spent[phase]``."""
    inner = getattr(owner, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[phase] += time.perf_counter() - started

    setattr(owner, name, timed)


def month_kind(model: WB6Model) -> str:
    """Firms weigh investments at the year's end only: those months are priced apart."""
    return "investment months" if model.is_investment_month else "other months"


def instrument(model: WB6Model, spent: dict) -> None:
    wrap(model.network, "delivered_costs", spent, "routing")
    wrap(sim.market, "clear_materials", spent, "clearing kernel")
    wrap(model.market, "clear", spent, "market")
    wrap(model.firm_class, "plan_month", spent, "agents: plan_month")
    wrap(model.firm_class, "plan_month", spent, "plan, this month")
    wrap(model.market, "settle", spent, "settle")
    wrap(sim.model, "check_month", spent, "invariants")
    wrap(model.kpis, "record", spent, "kpis")
    for post in model.customs:
        wrap(post, "step", spent, "customs")
    agents = model.firm_agents
    shuffle_do = agents.shuffle_do
    Firm.idle = lambda self: None  # the trivial method of the bare loop

    def bare():
        state = model.random.getstate()
        started = time.perf_counter()
        shuffle_do("idle")
        elapsed = time.perf_counter() - started
        spent["bare shuffle_do"] += elapsed
        spent[f"bare shuffle_do, {month_kind(model)}"] += elapsed
        model.random.setstate(state)

    def firm_step(method):
        # whichever loop runs first meets the agents out of cache: take turns (shifted each
        # year, so that the year-end months take turns too)
        bare_first = (model.month + model.month // 12) % 2 == 0
        if bare_first:
            bare()
        started = time.perf_counter()
        shuffle_do(method)
        elapsed = time.perf_counter() - started
        spent["agents: steps"] += elapsed
        spent[f"agent layer, {month_kind(model)}"] += elapsed + spent.pop("plan, this month", 0.0)
        if not bare_first:
            bare()

    agents.shuffle_do = firm_step


def run(firms: int, months: int, seed: int) -> dict:
    started = time.perf_counter()
    region = synthetic_scenario(firms, n_materials=15, seed=seed)
    scenario_s = time.perf_counter() - started
    started = time.perf_counter()
    model = WB6Model({"months": months, "seed": seed}, region=region)
    build_s = time.perf_counter() - started
    spent: dict = defaultdict(float)
    instrument(model, spent)
    steps = []
    for month in range(months):
        before = spent["bare shuffle_do"]
        started = time.perf_counter()
        model.step()
        steps.append(time.perf_counter() - started - (spent["bare shuffle_do"] - before))
        if month == 0:
            first = dict(spent)
            spent.clear()
    measured = max(months - 1, 1)
    per_step = {phase: seconds / measured for phase, seconds in spent.items()}
    # the clearing kernel and routing run inside the market's clear
    per_step["market"] -= per_step.get("routing", 0.0) + per_step.get("clearing kernel", 0.0)
    phases = {k: v for k, v in per_step.items() if not k.startswith(("bare shuffle_do", "agent layer"))}
    step = sum(steps[1:]) / measured if months > 1 else steps[0]
    phases["other"] = step - sum(phases.values())
    last = model.kpis.rows[-1]
    return {
        "firms": firms, "months": months, "threads": numba.get_num_threads(),
        "sites": int(model.network.n_sites), "materials": model.n_materials,
        "scenario_s": scenario_s, "build_s": build_s, "first_step_s": steps[0],
        "first_step_routing_s": first.get("routing", 0.0), "step_s": step, "run_s": build_s + sum(steps),
        "phases_s": phases, "agent_layer_ratio": (spent["agents: plan_month"] + spent["agents: steps"]) / spent["bare shuffle_do"],
        "agent_layer_ratio_by_month": {
            kind: spent[f"agent layer, {kind}"] / spent[f"bare shuffle_do, {kind}"]
            for kind in ("other months", "investment months") if spent[f"bare shuffle_do, {kind}"] > 0},
        "shipments_last_month": int(last["exchanges_count"]), "participating_last_month": int(last["participating_firms"]),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, required=True)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(run(args.firms, args.months, args.seed)))


if __name__ == "__main__":
    main()
