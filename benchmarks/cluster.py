"""Ray's cost per task on a local head, and what it means for a 100,000-run study on a cluster.

    .venv/bin/python -m benchmarks.cluster            # 2 CPUs, 8 real-region runs of 120 months
    .venv/bin/python -m benchmarks.cluster --quick    # 12-month runs, fewer empty tasks

On a Ray head started here (``ray.init(address="local")`` on 127.0.0.1 with ``--cpus`` CPUs):

- the round trip of one empty task (submitted, run, its result fetched), one after another;
- the driver's cost per task when many empty tasks are in flight at once (what limits how fast
  one driver can feed a cluster, whatever its size);
- the same real-region runs (the full roadmap) on the batch runner in this process (warm, one
  Numba thread: a run's own cost) and as Ray tasks on the head's warm workers
  (``run_batch(..., ray_address=...)``), their outcomes checked equal: Ray's CPU-seconds per run
  over a run's own cost is its overhead on real work (on 2 cores it includes the two runs
  sharing the machine's memory and caches).

:func:`estimate` turns these into the wall time of a 100,000-run study against the number of
nodes: ``runs x run_s / (nodes x cores) + runs x driver_s + start_s``, the first term the work
spread over every core (``run_s``: the CPU-seconds per run measured through Ray, its overhead in),
the second the driver feeding tasks one by one (it bounds the speed-up), the third starting the
head and the workers (each imports the model and loads its kernels once; nodes start in parallel).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import tempfile
import time

from benchmarks.kernels import row

STUDY_RUNS = 100_000
NODES = (1, 2, 4, 8, 16, 32, 64)


def _noop(x: int) -> int:
    return x


def measure(cpus: int, months: int, runs: int, empty_tasks: int) -> dict:
    """Ray's task costs, and the cost of real runs in this process and as Ray tasks."""
    import os

    from benchmarks.throughput import design
    from sim.batch import run_batch
    from sim.sweep import single_threaded_kernels

    configs = design(months, max(1, runs // 4))
    single_threaded_kernels()  # as in a worker
    run_batch(design(1, 1))  # imports done and kernels loaded, untimed
    started = time.perf_counter()
    local = run_batch(configs)
    run_s = (time.perf_counter() - started) / len(configs)
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # Ray's socket paths must be short
    # a token of its own, not one saved in the home folder
    os.environ.update({"RAY_TMPDIR": ray_tmp, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
                       "RAY_AUTH_TOKEN": secrets.token_hex(16)})
    import ray  # after the settings above: Ray reads them when first imported

    try:
        started = time.perf_counter()
        ray.init(address="local", num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                 _node_ip_address="127.0.0.1")
        init_s = time.perf_counter() - started
        noop = ray.remote(num_cpus=1)(_noop)
        ray.get([noop.remote(i) for i in range(4 * cpus)])  # the worker processes started, untimed
        round_trips = []
        for i in range(empty_tasks // 10):
            started = time.perf_counter()
            ray.get(noop.remote(i))
            round_trips.append(time.perf_counter() - started)
        started = time.perf_counter()
        ray.get([noop.remote(i) for i in range(empty_tasks)])
        driver_s = (time.perf_counter() - started) / empty_tasks
        started = time.perf_counter()  # each worker imports the model and loads its kernels once
        run_batch(design(1, 1), workers=cpus, ray_address="local")  # on the head started above
        workers_s = time.perf_counter() - started
        started = time.perf_counter()
        through_ray = run_batch(configs, workers=cpus, ray_address="local")
        ray_s = time.perf_counter() - started
    finally:
        ray.shutdown()
        shutil.rmtree(ray_tmp, ignore_errors=True)
    if not through_ray.outcomes.equals(local.outcomes):
        raise RuntimeError("Ray tasks gave other outcomes than the batch runner in this process")
    return {"cpus": cpus, "months": months, "runs": len(configs), "init_s": init_s, "workers_s": workers_s,
            "round_trip_s": statistics.median(round_trips), "driver_s_per_task": driver_s, "run_s": run_s,
            "ray_s_per_run": ray_s / len(configs), "ray_core_s_per_run": ray_s * cpus / len(configs)}


def estimate(measured: dict, cores_per_node: int, nodes: int, runs: int = STUDY_RUNS) -> float:
    """Hours for ``runs`` runs on ``nodes`` nodes of ``cores_per_node`` cores (module docstring)."""
    work = runs * measured["ray_core_s_per_run"] / (nodes * cores_per_node)
    return (work + runs * measured["driver_s_per_task"] + measured["init_s"] + measured["workers_s"]) / 3600


def rows(measured: dict, cores_per_node: int) -> list[dict]:
    case = (f"local Ray head, 127.0.0.1, {measured['cpus']} CPUs; {measured['runs']} real-region runs of "
            f"{measured['months']} months (phase=roadmap)")
    out = [row("ray", case, "start the head (ray.init)", measured["init_s"], "s"),
           row("ray", case, "start the workers (first 1-month runs: imports, kernels)", measured["workers_s"], "s"),
           row("ray", case, "empty task, round trip, median", measured["round_trip_s"] * 1e3, "ms"),
           row("ray", case, "empty tasks in flight: driver time per task", measured["driver_s_per_task"] * 1e3, "ms"),
           row("ray", case, "a warm run in one process, 1 thread: s per run", measured["run_s"], "s"),
           row("ray", case, f"Ray tasks on {measured['cpus']} CPUs: wall s per run", measured["ray_s_per_run"], "s"),
           row("ray", case, "Ray tasks: CPU-seconds per run / a warm run in one process",
               measured["ray_core_s_per_run"] / measured["run_s"], "x")]
    study = f"{STUDY_RUNS:,}-run study, {measured['months']}-month runs, nodes of {cores_per_node} cores (estimate)"
    out += [row("ray", study, f"{n} node{'s' if n > 1 else ''}: hours", estimate(measured, cores_per_node, n), "h")
            for n in NODES]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12-month runs, 200 empty tasks")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--empty-tasks", type=int, default=2000)
    parser.add_argument("--cores-per-node", type=int, default=16, help="cores of each node of the estimate")
    args = parser.parse_args(argv)
    if args.quick:
        args.months, args.runs, args.empty_tasks = 12, 4, 200
    measured = measure(args.cpus, args.months, args.runs, args.empty_tasks)
    for r in rows(measured, args.cores_per_node):
        print(f"{r['measure']:<60} {r['value']:>10.4g} {r['unit']}")
    print(json.dumps(measured))


if __name__ == "__main__":
    main()
