"""Throughput of real-region runs (120 months, the full roadmap ``phase=roadmap``), side by side:

(a) the batch runner (``sim.batch.run_batch``) on ``--workers`` processes,
(b) the same experiments through EMA Workbench's ``MultiprocessingEvaluator`` calling the model,
(c) the same experiments through Mesa's ``mesa.batchrunner.batch_run`` calling the model,

and the warm single-run time of this code against the code at an earlier commit (default
``b9a10b7``, checked out into a temporary worktree), each in its own fresh processes, in turns.

    .venv/bin/python -m benchmarks.throughput                 # 3 rounds, 8 runs per method per round
    .venv/bin/python -m benchmarks.throughput --quick         # 12 months, 1 round: a smoke run
    .venv/bin/python -m benchmarks.throughput --checkout /tmp/b9   # b9a10b7 checked out there already

Each method of each round runs in a fresh process (Mesa switches the whole process to ``spawn``),
the methods taking turns within a round so that they share the machine's load alike; each
one's wall time counts its worker processes' start. (b) and (c) call the model as a user would
(``WB6Model(config)``: the phase's config composed and the scenario read for every run) with one
Numba thread per worker, as the batch runner has. The three must give the same outcomes for the
same experiments (checked). Prints a table and writes it to ``results/benchmarks/throughput.*``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa

from benchmarks.kernels import ROOT, row
from sim.model import WB6Model

PHASE = "roadmap"
#: the uncertainties of the experiments: a full factorial, as Mesa's batch_run builds it
PRICE_MULTIPLIERS = (0.8, 1.2)
TRANSPORT_COST_MULTIPLIERS = (0.9, 1.1)
#: outcomes every method reports: totals over the months
OUTCOMES = ("exchange_value_eur", "co2_abated_net_t", "landfilled_t")
METHODS = ("batch", "ema", "mesa")
#: a warm run: the config resolved once, then the model built and run ``runs`` times after one unmeasured run
WARM_RUN = """
import json, logging, sys, time
logging.getLogger("MESA").setLevel(logging.WARNING)
try:
    from sim.config import as_config
except ImportError:  # older code kept it in sim.model
    from sim.model import as_config
from sim.model import WB6Model
months, runs = int(sys.argv[1]), int(sys.argv[2])
cfg = as_config({"phase": "roadmap", "months": months})
times = []
for _ in range(runs + 1):
    started = time.perf_counter()
    WB6Model(cfg).run()
    times.append(time.perf_counter() - started)
print(json.dumps(times[1:]))
"""


def design(months: int, replications: int) -> list[dict]:
    from sim.batch import experiments

    scenarios = [{"price_multiplier": p, "transport_cost_multiplier": t}
                 for p, t in itertools.product(PRICE_MULTIPLIERS, TRANSPORT_COST_MULTIPLIERS)]
    return experiments({"phase": PHASE, "months": months, "seed": 1}, scenarios=scenarios, replications=replications)


def outcome_totals(price_multiplier: float, transport_cost_multiplier: float, seed: int, months: int) -> dict:
    """One run of the model as a user calls it, its outcomes (the EMA model's function)."""
    from sim.sweep import single_threaded_kernels

    single_threaded_kernels()
    logging.getLogger("MESA").setLevel(logging.WARNING)
    model = WB6Model({"phase": PHASE, "months": int(months), "seed": int(seed), "price_multiplier": price_multiplier,
                      "transport_cost_multiplier": transport_cost_multiplier})
    model.run()
    frame = model.kpis.frame()
    return {name: float(frame[name].sum()) for name in OUTCOMES}


class MesaRun(WB6Model):
    """The model as Mesa's batch_run takes it: settings as keyword arguments, outcomes in a
    DataCollector collected once, after the last month."""

    def __init__(self, price_multiplier: float = 1.0, transport_cost_multiplier: float = 1.0, seed: int = 1,
                 months: int = 120):
        from sim.sweep import single_threaded_kernels

        single_threaded_kernels()
        logging.getLogger("MESA").setLevel(logging.WARNING)
        super().__init__({"phase": PHASE, "months": months, "seed": seed, "price_multiplier": price_multiplier,
                          "transport_cost_multiplier": transport_cost_multiplier})
        self.datacollector = mesa.DataCollector(
            model_reporters={name: (lambda m, n=name: float(m.kpis.frame()[n].sum())) for name in OUTCOMES})

    def step(self) -> None:
        super().step()
        if not self.running:
            self.datacollector.collect(self)


def _signature(rows: list[dict]) -> list[list[float]]:
    """The outcomes of all runs, in a fixed order, rounded: equal for the same experiments."""
    return sorted([round(r[name], 3) for name in OUTCOMES] for r in rows)


def measure(method: str, months: int, replications: int, workers: int) -> dict:
    """Wall time of one method over the design, from the call of its harness to its results."""
    configs = design(months, replications)
    if method == "batch":
        from sim.batch import run_batch

        started = time.perf_counter()
        result = run_batch(configs, workers=workers)
        seconds = time.perf_counter() - started
        wide = result.outcomes.pivot(index="run", columns="kpi", values="total")
        rows = wide[list(OUTCOMES)].to_dict("records")
    elif method == "ema":
        from ema_workbench import (Constant, IntegerParameter, Model, MultiprocessingEvaluator, RealParameter, Sample,
                                   ScalarOutcome)

        from benchmarks.throughput import outcome_totals as function  # importable by name in the workers

        model = Model("wb6", function=function)
        model.uncertainties = [RealParameter("price_multiplier", min(PRICE_MULTIPLIERS), max(PRICE_MULTIPLIERS)),
                               RealParameter("transport_cost_multiplier", min(TRANSPORT_COST_MULTIPLIERS),
                                             max(TRANSPORT_COST_MULTIPLIERS)),
                               IntegerParameter("seed", 0, 10_000)]
        model.constants = [Constant("months", months)]
        model.outcomes = [ScalarOutcome(name) for name in OUTCOMES]
        scenarios = [Sample(price_multiplier=c["price_multiplier"], transport_cost_multiplier=c["transport_cost_multiplier"],
                            seed=c["seed"]) for c in configs]
        started = time.perf_counter()
        with MultiprocessingEvaluator(model, n_processes=workers) as evaluator:
            _, outcomes = evaluator.perform_experiments(scenarios=scenarios)
        seconds = time.perf_counter() - started
        rows = [{name: float(outcomes[name][i]) for name in OUTCOMES} for i in range(len(configs))]
    elif method == "mesa":
        from mesa.batchrunner import batch_run

        from benchmarks.throughput import MesaRun as model_class  # importable by name in the workers

        seeds = sorted({c["seed"] for c in configs})
        started = time.perf_counter()
        rows = batch_run(model_class, parameters={"price_multiplier": list(PRICE_MULTIPLIERS),
                                                  "transport_cost_multiplier": list(TRANSPORT_COST_MULTIPLIERS),
                                                  "months": months},
                         number_processes=workers, rng=seeds, max_steps=months, display_progress=False)
        seconds = time.perf_counter() - started
    else:
        raise ValueError(f"unknown method {method!r} (valid choices: {', '.join(METHODS)})")
    if len(rows) != len(configs):
        raise RuntimeError(f"{method}: {len(rows)} runs returned for {len(configs)} experiments")
    return {"method": method, "runs": len(configs), "seconds": seconds, "runs_per_s": len(configs) / seconds,
            "outcomes": _signature(rows)}


def _child(arguments: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-m", "benchmarks.throughput", *arguments], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def warm_runs(root: Path, months: int, runs: int) -> list[float]:
    done = subprocess.run([sys.executable, "-c", WARM_RUN, str(months), str(runs)], cwd=root, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> str:
    return f"{min(values):.3g}-{max(values):.3g}"


def bench_methods(rounds: int, months: int, replications: int, workers: int) -> list[dict]:
    per_method: dict[str, list[dict]] = {m: [] for m in METHODS}
    for r in range(rounds):
        for method in METHODS:
            print(f"throughput: round {r + 1}/{rounds}, {method}", file=sys.stderr, flush=True)
            per_method[method].append(_child(["--method", method, "--months", str(months), "--replications",
                                              str(replications), "--workers", str(workers)]))
    reference = per_method["batch"][0]["outcomes"]
    for method, results in per_method.items():
        if any(res["outcomes"] != reference for res in results):
            raise RuntimeError(f"{method} gave other outcomes than the batch runner for the same experiments")
    runs = per_method["batch"][0]["runs"]
    case = f"real WB6 region, {months} months, phase={PHASE}, {runs} runs, {workers} workers, {rounds} rounds"
    rows = []
    for method in METHODS:
        rates = [res["runs_per_s"] for res in per_method[method]]
        rows.append(row("throughput", case, f"{method}: runs/s, median (spread {spread(rates)})",
                        statistics.median(rates), "runs/s", ">= 10" if method == "batch" else ""))
    for other in ("ema", "mesa"):
        ratios = [b["runs_per_s"] / o["runs_per_s"] for b, o in zip(per_method["batch"], per_method[other])]
        rows.append(row("throughput", case, f"batch / {other} runs/s, same round, median (spread {spread(ratios)})",
                        statistics.median(ratios), "x", ">= 3"))
    return rows


def _side_by_side(old: Path, revision: str, rounds: int, months: int, runs: int) -> tuple[list, list, list]:
    warm_runs(old, 1, 1)  # compiles the old code's kernels into its own cache, untimed
    warm_runs(ROOT, 1, 1)
    now, then, ratios = [], [], []
    for r in range(rounds):
        print(f"throughput: round {r + 1}/{rounds}, warm runs now and at {revision}", file=sys.stderr, flush=True)
        a, b = warm_runs(ROOT, months, runs), warm_runs(old, months, runs)
        now += a
        then += b
        ratios.append(min(a) / min(b))
    return now, then, ratios


def bench_against(revision: str, rounds: int, months: int, runs: int, checkout: Path | None = None) -> list[dict]:
    """Warm single-run time of this code and of ``revision`` (checked out into a temporary
    worktree, or found at ``checkout``), fresh processes in turns."""
    if checkout is not None:
        now, then, ratios = _side_by_side(checkout, revision, rounds, months, runs)
    else:
        with tempfile.TemporaryDirectory(prefix="wb6-baseline-") as tmp:
            old = Path(tmp) / revision
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), revision], check=True,
                           capture_output=True)
            try:
                now, then, ratios = _side_by_side(old, revision, rounds, months, runs)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=True,
                               capture_output=True)
    case = f"real WB6 region, {months} months, phase={PHASE}, warm process, best of {runs} x {rounds} processes"
    return [row("warm run", case, f"this code: s/run, best (median {statistics.median(now):.3g}, spread {spread(now)})",
                min(now), "s"),
            row("warm run", case, f"at {revision}: s/run, best (median {statistics.median(then):.3g}, "
                f"spread {spread(then)})", min(then), "s"),
            row("warm run", case, f"this code / {revision}, best of each process pair, median "
                f"(spread {spread(ratios)})", statistics.median(ratios), "x", "<= 0.2")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 months, 1 round, 1 replication (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3, help="turns of every method, each in fresh processes")
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--replications", type=int, default=2, help="seeds per point of the 2 x 2 design")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warm-runs", type=int, default=3, help="timed warm runs per process")
    parser.add_argument("--against", default="b9a10b7", help="the earlier commit timed side by side")
    parser.add_argument("--checkout", type=Path, help="a checkout of --against to use (its kernel cache kept warm)")
    parser.add_argument("--method", choices=METHODS, help=argparse.SUPPRESS)  # one measurement, in a child process
    parser.add_argument("--out", default=str(ROOT / "results" / "benchmarks"))
    args = parser.parse_args(argv)
    if args.quick:
        args.months, args.rounds, args.replications, args.warm_runs = 12, 1, 1, 1
    if args.method:
        print(json.dumps(measure(args.method, args.months, args.replications, args.workers)))
        return

    import pandas as pd

    from benchmarks.run import to_markdown

    rows = bench_methods(args.rounds, args.months, args.replications, args.workers)
    rows += bench_against(args.against, args.rounds, args.months, args.warm_runs, args.checkout)
    table = pd.DataFrame(rows)
    with subprocess.Popen(["uptime"], stdout=subprocess.PIPE, text=True) as up:
        load = up.communicate()[0].strip()
    header = (f"Measured {time.strftime('%Y-%m-%d %H:%M')}; machine load: {load}; command: python -m "
              f"benchmarks.throughput {' '.join(argv if argv is not None else sys.argv[1:])}\n\n")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "throughput.md").write_text(header + to_markdown(table), encoding="utf-8")
    table.to_csv(out / "throughput.csv", index=False)
    print(header.strip())
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 90):
        print(table.to_string(index=False))
    print(f"\nwritten to {out}/ (throughput.md, throughput.csv)")


if __name__ == "__main__":
    main()
