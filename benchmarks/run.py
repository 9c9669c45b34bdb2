"""Performance benchmarks, every target of the throughput issue side by side in one run:
kernels against their references, routing against scipy, memory bandwidth, a fresh process to
its first month, the throughput of real-region runs through (a) the batch runner, (b) EMA
Workbench's multiprocessing evaluator and (c) Mesa's ``batch_run`` on the same experiments,
the warm run against commit ``b9a10b7``, Ray's task overhead on a local head with the
100,000-run estimate, and the whole model on synthetic regions of 1k to 100k firms (with the
agent layer against a bare ``shuffle_do``). Prints a table and writes it with a scaling plot
to ``results/benchmarks/``.

    .venv/bin/python -m benchmarks.run            # about 25 minutes on 2 idle cores; 100k firms for 13 months
    .venv/bin/python -m benchmarks.run --full     # 100k firms for the full 120 months as well (flagged: long)
    .venv/bin/python -m benchmarks.run --quick    # small sizes, 12-month runs, one round: a smoke run

All ratios are measured in one process (the machine may be busy with other work); compile
time is measured apart in fresh processes and kept out of every other figure. Each model size
runs in its own process (``benchmarks.model_step``), so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numba  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.kernels import ROOT, bench_compile, bench_ledger, bench_market, bench_routing, row  # noqa: E402

READY = "from sim.model import WB6Model; m = WB6Model(); m.step()"


def bench_ready(repeats: int = 3) -> list[dict]:
    """Wall time of a fresh process that builds the default model and steps it once, cache warm."""
    command = [sys.executable, "-c", READY]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # warm the Numba cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    case = "fresh process: import, build the default WB6 model, one step"
    return [row("ready to step", case, f"median of {repeats}", statistics.median(times), "s", "<= 2"),
            row("ready to step", case, f"slowest of {repeats}", max(times), "s")]


def bench_throughput(quick: bool, rounds: int, checkout: Path | None) -> list[dict]:
    """(a) batch runner, (b) EMA, (c) Mesa on the same real-region experiments, and the warm run
    against b9a10b7 (``benchmarks.throughput``)."""
    from benchmarks.throughput import bench_against, bench_methods

    months, rounds, replications, warm = (12, 1, 1, 1) if quick else (120, rounds, 2, 3)
    return (bench_methods(rounds, months, replications, workers=2)
            + bench_against("b9a10b7", rounds, months, warm, checkout))


def bench_ray(quick: bool) -> list[dict]:
    """Ray's task overhead on a local head and the 100,000-run estimate (``benchmarks.cluster``),
    in a process of its own."""
    from benchmarks.cluster import rows

    print("ray: a local head, empty tasks and real runs", file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, "-m", "benchmarks.cluster", *(["--quick"] if quick else [])], cwd=ROOT,
                          check=True, capture_output=True, text=True)
    return rows(json.loads(done.stdout.strip().splitlines()[-1]), cores_per_node=16)


def model_run(firms: int, months: int) -> dict:
    done = subprocess.run([sys.executable, "-m", "benchmarks.model_step", "--firms", str(firms), "--months",
                           str(months)], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def model_rows(run: dict) -> list[dict]:
    case = f"{run['firms']:,} firms, {run['sites']} sites, {run['materials']} materials, {run['months']} months"
    rows = [row("model step", case, "time per step (months 2 on)", run["step_s"], "s"),
            row("model step", case, "first step (routing from scratch)", run["first_step_s"], "s"),
            row("model step", case, "build the model", run["build_s"], "s"),
            row("model step", case, "build + all steps", run["run_s"], "s",
                "< 600" if run["firms"] == 100_000 and run["months"] == 120 else ""),
            row("model step", case, "peak memory (max RSS)", run["peak_rss_mb"], "MB", "reported"),
            row("model step", case, "agent layer / bare shuffle_do, all months", run["agent_layer_ratio"], "x", "<= 1.5"),
            row("model step", case, "shipments in the last month", run["shipments_last_month"], "")]
    rows += [row("model step", case, f"agent layer / bare shuffle_do, {kind}", ratio, "x", "<= 1.5")
             for kind, ratio in run["agent_layer_ratio_by_month"].items()]
    rows += [row("model step", case, f"phase: {phase}", seconds, "s/step") for phase, seconds in run["phases_s"].items()]
    return rows


def met(value, target: str) -> str:
    """'yes' / 'no' for a numeric target written as '>= x', '<= x', '< x'; blank otherwise."""
    for op, test in (("<=", lambda a, b: a <= b), (">=", lambda a, b: a >= b), ("<", lambda a, b: a < b)):
        if target.startswith(op):
            return "yes" if test(value, float(target[len(op):])) else "no"
    return ""


def scaling_plot(runs: list[dict], path: Path) -> None:
    """Time per step against firms (log-log) with a line of linear growth through the smallest
    region, and the same for each phase: a phase above its line grows faster than linear."""
    runs = sorted((r for r in runs if r["months"] > 1), key=lambda r: r["firms"])
    runs = list({r["firms"]: r for r in runs}.values())
    firms = [r["firms"] for r in runs]
    fig, (total, phases) = plt.subplots(1, 2, figsize=(12, 4.8))
    steps = [r["step_s"] for r in runs]
    total.loglog(firms, steps, "o-", label="time per step")
    total.loglog(firms, [steps[0] * f / firms[0] for f in firms], "k--", lw=0.8, label="linear in firms")
    total.set_xlabel("firms")
    total.set_ylabel("seconds per monthly step")
    total.set_title("Whole model (synthetic regions, 15 materials)")
    total.legend()
    names = sorted({p for r in runs for p in r["phases_s"]}, key=lambda p: -runs[-1]["phases_s"].get(p, 0.0))
    for name in names:
        # a phase that did not run after the first month (routing without border queues) has no point
        shown = [(f, r["phases_s"][name]) for f, r in zip(firms, runs) if r["phases_s"].get(name, 0.0) > 0.0]
        phases.loglog(*zip(*shown), "o-", label=name)
    phases.loglog(firms, [1e-3 * f / firms[0] for f in firms], "k--", lw=0.8, label="linear (slope 1)")
    phases.set_xlabel("firms")
    phases.set_ylabel("seconds per step")
    phases.set_title("By phase")
    phases.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def to_markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for values in table.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in values) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    parser.add_argument("--full", action="store_true", help="also run 100k firms for 120 months")
    parser.add_argument("--months", type=int, default=13, help="months per model size (the first is not timed)")
    parser.add_argument("--checkout", type=Path, help="a checkout of b9a10b7 to time against (else a temporary one)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the throughput methods and warm runs")
    parser.add_argument("--sizes", help="firms of the synthetic regions, comma-separated (default 1k-100k)")
    parser.add_argument("--out", default=str(ROOT / "results" / "benchmarks"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = (500, 2_000) if args.quick else (1_000, 3_000, 10_000, 30_000, 100_000)
    if args.sizes:
        sizes = tuple(int(n) for n in args.sizes.split(","))
    months = 3 if args.quick else args.months

    rows = bench_compile()
    rows += bench_market(args.quick)
    rows += bench_routing(args.quick)
    rows += bench_ledger(10_000 if args.quick else 100_000)
    rows += bench_ready()
    rows += bench_throughput(args.quick, args.rounds, args.checkout)
    rows += bench_ray(args.quick)
    runs = []
    for firms in sizes:
        print(f"model: {firms:,} firms x {months} months", file=sys.stderr, flush=True)
        runs.append(model_run(firms, months))
    if args.full:
        print("model: 100,000 firms x 120 months", file=sys.stderr, flush=True)
        runs.append(model_run(100_000, 120))
    for run in runs:
        rows += model_rows(run)

    table = pd.DataFrame(rows)
    table["met"] = [met(v, t) for v, t in zip(table["value"], table["target"])]
    header = (f"Measured {time.strftime('%Y-%m-%d %H:%M')} with {numba.get_num_threads()} Numba threads; "
              f"command: python -m benchmarks.run {' '.join(argv if argv is not None else sys.argv[1:])}\n\n")
    (out / "table.md").write_text(header + to_markdown(table), encoding="utf-8")
    table.to_csv(out / "table.csv", index=False)
    (out / "model_runs.json").write_text(json.dumps(runs, indent=1), encoding="utf-8")
    scaling_plot(runs, out / "scaling.png")
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 60):
        print(table.to_string(index=False))
    print(f"\nwritten to {out}/ (table.md, table.csv, model_runs.json, scaling.png)")


if __name__ == "__main__":
    main()
