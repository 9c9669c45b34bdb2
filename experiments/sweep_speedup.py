"""Speed-up of the parallel launcher over the basic one on the same sweep, same machine.

    .venv/bin/python experiments/sweep_speedup.py                  # 8 runs x 120 months, 5,000-firm region
    .venv/bin/python experiments/sweep_speedup.py --firms 0        # the real WB6 scenario instead

Runs ``python -m sim -m seed=1,...,N`` twice per repeat, first with the basic launcher (one run
after the other in one process), then with ``hydra/launcher=parallel`` (one worker per core),
each into a fresh folder, and reports the wall-clock times and their ratio. Both are timed as an
analyst meets them: start of the command to its end, process start-up included. The Numba cache
is warmed first so that compilation is in neither. The two sweeps must give identical results.
Written to ``<out>/sweep_speedup.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from sim.model import WB6Model
from sim.synthetic import synthetic_scenario, write_scenario

ROOT = Path(__file__).resolve().parents[1]


def timed_sweep(root: Path, overrides: list[str]) -> float:
    shutil.rmtree(root, ignore_errors=True)
    cmd = [sys.executable, "-m", "sim", "-m", f"output.root={root}", "output.sweep_name=speedup", *overrides]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"sweep failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--firms", type=int, default=5000, help="synthetic region size; 0: the real WB6 scenario")
    parser.add_argument("--repeats", type=int, default=1, help="basic/parallel pairs, alternating")
    parser.add_argument("--out", type=Path, default=Path("results/sweep_speedup"))
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    scenario = ""
    if args.firms:
        scenario = str(write_scenario(synthetic_scenario(args.firms, seed=0), out / f"synthetic_{args.firms}"))
    logging.getLogger("MESA").setLevel(logging.WARNING)
    WB6Model({"months": 2, "scenario": scenario}).run()  # compiles the kernels into Numba's cache

    overrides = [f"months={args.months}", "seed=" + ",".join(str(s) for s in range(1, args.runs + 1)),
                 "output.write_flows=false", *([f"scenario={scenario}"] if scenario else [])]
    basic_s, parallel_s = [], []
    for _ in range(args.repeats):
        basic_s.append(timed_sweep(out / "speedup_basic", overrides))
        parallel_s.append(timed_sweep(out / "speedup_parallel", ["hydra/launcher=parallel", *overrides]))
    basic = pd.read_parquet(out / "speedup_basic" / "sweeps" / "speedup" / "runs.parquet")
    parallel = pd.read_parquet(out / "speedup_parallel" / "sweeps" / "speedup" / "runs.parquet")
    pd.testing.assert_frame_equal(basic, parallel)

    report = {
        "sweep": f"{args.runs} runs x {args.months} months, "
                 + (f"synthetic region of {args.firms} firms" if args.firms else "real WB6 scenario"),
        "cores": os.cpu_count(),
        "load_average_1min_at_end": os.getloadavg()[0],
        "basic_s": [round(t, 1) for t in basic_s],
        "parallel_s": [round(t, 1) for t in parallel_s],
        "speedup": [round(b / p, 2) for b, p in zip(basic_s, parallel_s)],
        "results_identical": True,
    }
    (out / "sweep_speedup.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
