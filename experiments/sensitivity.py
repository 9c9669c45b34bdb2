"""Which uncertain inputs drive the headline KPIs? Morris elementary effects (SALib).

    .venv/bin/python experiments/sensitivity.py                       # reduced: 4 trajectories, 36 runs
    .venv/bin/python experiments/sensitivity.py --trajectories 20     # full setting: 180 runs
    .venv/bin/python experiments/sensitivity.py phase=roadmap         # around another base run

Each trajectory of the Morris design moves one input at a time over a grid of ``--levels``
levels inside the ranges of ``FACTORS``; every run uses the same seed (common random numbers),
so an elementary effect is the input's effect, not noise between seeds. The runs are a sweep
(``<out>/sweeps/morris/<run>/``) run in ``--jobs`` worker processes: an interrupted study
started again redoes only the runs it lacks. Written to ``--out`` (default results/sensitivity):

- ``morris_indices.csv``: per KPI and input, mu* (mean absolute elementary effect, in the KPI's
  unit per full range of the input), its 95% bootstrap confidence half-width, mu and sigma;
  ``mu_star_share`` is mu* over the KPI's largest mu*.
- ``morris.png``: mu* per input for each KPI, with the confidence interval.
- ``samples.parquet``: the design (one row per run) with the KPIs of each run.

The KPIs are totals over the horizon: exchange volume, WB6 cross-border volume, tonnes
landfilled, CO2 abated and critical raw materials recovered (sim/kpis.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from SALib.analyze import morris as morris_analyze  # noqa: E402
from SALib.sample import morris as morris_sample  # noqa: E402

from sim.config import compose_config  # noqa: E402
from sim.errors import SimInputError  # noqa: E402
from sim.results import is_complete  # noqa: E402
from sim.sweep import Progress, aggregate, job_name, run_job, single_threaded_kernels, sweep_folder  # noqa: E402

#: the uncertain inputs, as config keys, with their ranges (low, high) and where they come from
FACTORS = {
    # assumption: secondary-material and metal prices moved by about +-30% over 2015-2024
    "price_multiplier": (0.7, 1.3),
    # assumption: fuel and haulage rates, -30% to +50% around today's 0.08 EUR/t-km road, 0.04 rail
    "transport_cost_multiplier": (0.7, 1.5),
    # source: Regulation (EC) 1013/2006 Art. 14 (pre-consented facilities, ~10 days) up to the 30-day
    # consent period plus a month of dossier work and tacit-consent slippage (assumption)
    "parameters.border_delay_days.waste": (10.0, 60.0),
    # assumption: half to three times the base 0.05 EUR/t/day yard and capital cost of waiting
    "parameters.holding_cost_eur_t_day": (0.02, 0.15),
    # assumption: 3 months (streamlined) to 12 months (a year's backlog) for a status decision; base 6
    "parameters.status_application_months": (3.0, 12.0),
    # assumption: adoption speed, a quarter to two and a half times the base 0.02 per month
    "parameters.awareness_growth_per_month": (0.005, 0.05),
    # assumption: trust a firm needs to trade, around the base 0.5
    "parameters.trust_threshold": (0.3, 0.7),
    # assumption: from no refusals to three in ten waste notifications refused; base 0.1
    "parameters.waste_refusal_probability": (0.0, 0.3),
}

#: headline KPIs: totals over the horizon of these monthly columns of kpis.parquet
KPIS = {
    "exchange_volume_t": "exchange volume (t)",
    "cross_border_wb6_t": "WB6 cross-border volume (t)",
    "landfilled_t": "landfilled (t)",
    "co2_abated_t": "CO2 abated (t)",
    "secondary_crm_recovered_t": "CRM recovered (t)",
}
SWEEP_NAME = "morris"
PROGRESS_EVERY_S = 10.0


def design(trajectories: int, levels: int, seed: int) -> tuple[dict, np.ndarray]:
    problem = {"num_vars": len(FACTORS), "names": list(FACTORS), "bounds": [list(b) for b in FACTORS.values()]}
    # grid values rounded so that run folders have short names and the configs exact values
    return problem, np.round(morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed), 9)


def run_overrides(row: np.ndarray, base: list[str]) -> list[str]:
    # ``++``: ``parameters`` starts empty, so its keys are added rather than changed
    return base + [f"{'++' if name.startswith('parameters.') else ''}{name}={value!r}"
                   for name, value in zip(FACTORS, row.tolist())]


def _run(cfg, overrides: list[str]):
    single_threaded_kernels()  # a worker process among one per core
    return run_job(cfg, overrides)


def run_design(X: np.ndarray, base: list[str], out: Path, jobs: int) -> pd.DataFrame:
    """Run (or find) every run of the design; the KPI totals per run, in design order."""
    placement = [f"output.root={out.resolve()}", f"output.sweep_name={SWEEP_NAME}"]
    runs = [run_overrides(row, base) for row in X]
    configs = [compose_config(placement + ov) for ov in runs]
    folder = sweep_folder(out, SWEEP_NAME)
    progress = Progress(len(runs), sum(is_complete(folder / job_name(ov)) for ov in runs), label="sensitivity")
    done = progress.done_at_start
    progress.report(done)
    todo = [(cfg, ov) for cfg, ov in zip(configs, runs) if not is_complete(folder / job_name(ov))]
    last = time.monotonic()
    for _ in Parallel(n_jobs=jobs, return_as="generator_unordered")(delayed(_run)(c, ov) for c, ov in todo):
        done += 1
        if time.monotonic() - last >= PROGRESS_EVERY_S:
            last = time.monotonic()
            progress.report(done)
    progress.report(done, final=True)
    table = pd.read_parquet(aggregate(folder, [job_name(ov) for ov in runs]))
    totals = table.groupby("run", sort=False)[list(KPIS)].sum()
    return totals.loc[[job_name(ov) for ov in runs]].reset_index()


def analyse(problem: dict, X: np.ndarray, totals: pd.DataFrame, levels: int, seed: int) -> pd.DataFrame:
    rows = []
    for kpi in KPIS:
        y = totals[kpi].to_numpy(dtype=float)
        result = morris_analyze.analyze(problem, X, y, num_levels=levels, conf_level=0.95, seed=seed)
        top = max(np.max(result["mu_star"]), 1e-300)
        for i, name in enumerate(problem["names"]):
            rows.append({"kpi": kpi, "parameter": name, "mu_star": result["mu_star"][i],
                         "mu_star_conf": result["mu_star_conf"][i], "mu": result["mu"][i],
                         "sigma": result["sigma"][i], "mu_star_share": result["mu_star"][i] / top})
    return pd.DataFrame(rows)


def plot(indices: pd.DataFrame, path: Path, title: str) -> None:
    fig, axes = plt.subplots(1, len(KPIS), figsize=(4.2 * len(KPIS), 4.8), sharey=True)
    for ax, (kpi, label) in zip(axes, KPIS.items()):
        rows = indices[indices["kpi"] == kpi]
        ypos = np.arange(len(rows))
        ax.barh(ypos, rows["mu_star"], xerr=rows["mu_star_conf"], color="tab:blue", alpha=0.8,
                error_kw={"ecolor": "black", "capsize": 2})
        ax.set_yticks(ypos, [p.removeprefix("parameters.") for p in rows["parameter"]])
        ax.invert_yaxis()
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("mu* (KPI units over the input's range)", fontsize=8)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--trajectories", type=int, default=4, help="Morris trajectories (runs: r x (inputs + 1))")
    parser.add_argument("--levels", type=int, default=4, help="grid levels per input")
    parser.add_argument("--months", type=int, default=120, help="horizon of each run")
    parser.add_argument("--jobs", type=int, default=-1, help="worker processes (-1: one per core)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the Morris design")
    parser.add_argument("--out", type=Path, default=Path("results/sensitivity"))
    parser.add_argument("overrides", nargs="*", help="config overrides of the base run, e.g. phase=roadmap")
    args = parser.parse_args(argv)
    if args.trajectories < 2 or args.levels < 2 or args.months < 1:
        parser.error("--trajectories and --levels must be >= 2, --months >= 1")
    clash = [o for o in args.overrides if o.lstrip("+").split("=")[0] in FACTORS or o.startswith("output.")]
    if clash:
        parser.error(f"overrides {clash} set what the study varies or where it writes ({', '.join(FACTORS)}, output.*)")

    problem, X = design(args.trajectories, args.levels, args.seed)
    base = [f"months={args.months}", *args.overrides]
    try:
        totals = run_design(X, base, args.out, args.jobs)
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    indices = analyse(problem, X, totals, args.levels, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    indices.to_csv(args.out / "morris_indices.csv", index=False)
    pd.concat([pd.DataFrame(X, columns=list(FACTORS)), totals], axis=1).to_parquet(args.out / "samples.parquet")
    title = (f"Morris screening: {args.trajectories} trajectories x {len(FACTORS) + 1} runs, {args.levels} levels, "
             f"{args.months} months{', ' + ' '.join(args.overrides) if args.overrides else ''}")
    plot(indices, args.out / "morris.png", title)
    top = indices[indices["mu_star_share"] >= 0.5]  # each KPI's main drivers
    print(top[["kpi", "parameter", "mu_star", "mu_star_conf"]].to_string(index=False))
    print(f"written: {args.out / 'morris_indices.csv'}, {args.out / 'morris.png'}, {args.out / 'samples.parquet'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
