"""Scenario discovery: under which conditions does a roadmap phase reach its target? (PRIM, EMA Workbench)

    python -m sim.discover [--target "cross_border_wb6_eow_t>=20000"] [--window 48-59] [--phase short_term]
                           [--scenarios 40] [--replications 1] [--months 60] [--jobs -1] [--out results/discovery]
                           [--phases baseline,...] [--density 0.8]

The uncertain inputs (``sim.priors.PRIORS``) are sampled by EMA's Latin hypercube; every phase
(configs/phase/, or ``--phases``) runs at every scenario and seed (``sim.ema``, on this project's
launcher; resumable, so another target over the same runs costs only the analysis). The target is
a KPI's mean over the months of ``--window`` (0-based, inclusive), averaged over seeds.

Written to ``--out``:

- ``experiments.tar.gz``: experiments and outcomes in EMA's format (``ema_workbench.load_results``);
- ``values.csv``: each experiment's inputs, phase and target value, and whether it meets the target;
- ``boxes.csv``: PRIM's boxes for ``--phase``: the limits of each restricted input, with the box's
  coverage (share of the successes inside it), density (share of successes among the runs inside)
  and mass; ``tradeoff.csv`` and ``tradeoff.png``: coverage and density along the peeling trajectory;
- ``box.png``: the runs over the two inputs the first box restricts most, with the box;
- ``robustness.csv`` / ``robustness.png``: per phase, across the scenarios, the share meeting the
  target (satisficing), the median and 5-95 % of the target KPI, and the regret (the best phase's
  value in that scenario minus the phase's own; its maximum and 90th percentile).
"""

from __future__ import annotations

import argparse
import json
import operator
import re
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.errors import ConfigError, SimInputError  # noqa: E402
from sim.figures import colour, number, thousands  # noqa: E402

TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*([-+0-9.eE_,]+)\s*$")
OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def parse_target(text: str, kpis: list[str]) -> tuple[str, str, float]:
    match = TARGET.match(text)
    if not match:
        raise ConfigError("--target", f"{text!r} is not '<kpi> >= <number>' (or >, <=, <)")
    kpi, op, value = match.groups()
    if kpi not in kpis:
        raise ConfigError("--target", f"unknown KPI {kpi!r}", choices=kpis, value=kpi)
    return kpi, op, float(value.replace("_", "").replace(",", ""))


def parse_window(text: str, months: int) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text)
    if not match or int(match.group(1)) > int(match.group(2)):
        raise ConfigError("--window", f"{text!r} is not 'first-last' months (0-based), e.g. 48-59")
    first, last = int(match.group(1)), int(match.group(2))
    if last >= months:
        raise ConfigError("--window", f"month {last} is past the horizon of {months} months (0 to {months - 1})")
    return first, last


def target_values(experiments: pd.DataFrame, outcomes: dict, kpi: str, window: tuple[int, int]) -> np.ndarray:
    """The KPI's mean over the window, averaged over the replications, per experiment."""
    series = np.asarray(outcomes[kpi], dtype=float)  # experiments x replications x months
    if series.ndim == 2:
        series = series[:, None, :]
    return series[:, :, window[0]:window[1] + 1].mean(axis=2).mean(axis=1)


def discover(x: pd.DataFrame, y: np.ndarray, density: float, max_boxes: int = 2):
    """PRIM boxes (EMA Workbench) for the runs where ``y`` holds; each box chosen on its peeling
    trajectory as the one of largest coverage whose density reaches ``density`` (else the densest)."""
    from ema_workbench.analysis import prim

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, y, peel_alpha=0.1)
        boxes = []
        for _ in range(max_boxes):
            box = finder.find_box()
            if box is None:  # no cases of interest left outside the boxes found
                break
            trajectory = box.peeling_trajectory
            good = trajectory[trajectory["density"] >= density]
            chosen = int(good["coverage"].idxmax()) if len(good) else int(trajectory["density"].idxmax())
            box.select(chosen)
            if box.coverage <= 0:  # none of the cases of interest left
                break
            boxes.append(box)
            if box.density < density:
                break
    return boxes


def box_table(boxes, priors: dict) -> pd.DataFrame:
    rows = []
    for number_, box in enumerate(boxes, 1):
        limits = box.box_lims[box._cur_box]
        restricted = [c for c in limits.columns
                      if not np.isclose(limits[c].iloc[0], box.box_lims[0][c].iloc[0])
                      or not np.isclose(limits[c].iloc[1], box.box_lims[0][c].iloc[1])]
        for name in restricted or ["(none)"]:
            low, high = priors.get(name, (np.nan, np.nan))
            rows.append({"box": number_, "coverage": box.coverage, "density": box.density, "mass": box.mass,
                         "input": name, "min": limits[name].iloc[0] if name in limits else np.nan,
                         "max": limits[name].iloc[1] if name in limits else np.nan, "prior_low": low,
                         "prior_high": high})
    return pd.DataFrame(rows)


def robustness(values: pd.DataFrame, op: str, threshold: float) -> pd.DataFrame:
    """Satisficing and regret of each phase across the scenarios (values: scenario, phase, value)."""
    wide = values.pivot(index="scenario", columns="policy", values="value")
    best = wide.max(axis=1) if op in (">=", ">") else wide.min(axis=1)
    regret = (best.to_numpy()[:, None] - wide.to_numpy()) * (1 if op in (">=", ">") else -1)
    rows = []
    for i, phase in enumerate(wide.columns):
        v = wide[phase].to_numpy()
        rows.append({"phase": phase, "scenarios": len(v), "satisficing": float(OPERATORS[op](v, threshold).mean()),
                     "median": np.median(v), "p05": np.quantile(v, 0.05), "p95": np.quantile(v, 0.95),
                     "max_regret": regret[:, i].max(), "p90_regret": np.quantile(regret[:, i], 0.9)})
    return pd.DataFrame(rows)


def plot_box(x: pd.DataFrame, y: np.ndarray, table: pd.DataFrame, path: Path, title: str) -> None:
    first = table[table["box"] == 1]
    dims = [d for d in first["input"] if d in x.columns]
    dims = (dims + [c for c in x.columns if c not in dims])[:2]
    fig, ax = plt.subplots(figsize=(7, 5.5))
    ax.scatter(x.loc[~y, dims[0]], x.loc[~y, dims[1]], s=22, color="#bbbbbb", label="target missed", zorder=2)
    ax.scatter(x.loc[y, dims[0]], x.loc[y, dims[1]], s=26, color="#1b9e77", label="target met", zorder=3)
    lims = {d: (x[d].min(), x[d].max()) for d in dims}
    for _, row in first.iterrows():
        if row["input"] in dims:
            lims[row["input"]] = (row["min"], row["max"])
    ax.add_patch(plt.Rectangle((lims[dims[0]][0], lims[dims[1]][0]), lims[dims[0]][1] - lims[dims[0]][0],
                               lims[dims[1]][1] - lims[dims[1]][0], fill=False, lw=1.8, ec="black", zorder=4,
                               label=f"box 1: coverage {first['coverage'].iloc[0]:.2f}, "
                                     f"density {first['density'].iloc[0]:.2f}"))
    ax.set_xlabel(dims[0])
    ax.set_ylabel(dims[1])
    thousands(ax, "x")
    thousands(ax, "y")
    ax.legend(fontsize=8, loc="best")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_robustness(values: pd.DataFrame, op: str, threshold: float, kpi: str, path: Path) -> None:
    phases = list(dict.fromkeys(values["policy"]))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    jitter = np.random.default_rng(0)
    for i, phase in enumerate(phases):
        v = values[values["policy"] == phase]["value"].to_numpy()
        ax.scatter(i + jitter.uniform(-0.2, 0.2, len(v)), v, s=12, alpha=0.6, color=colour(phase, i), lw=0)
        ax.plot([i - 0.3, i + 0.3], [np.median(v)] * 2, color="black", lw=2)
    ax.axhline(threshold, color="#d95f02", ls="--", lw=1.2, label=f"target {op} {number(threshold)}")
    ax.set_xticks(range(len(phases)), phases, rotation=20, ha="right")
    ax.set_ylabel(kpi)
    thousands(ax)
    ax.legend(fontsize=8)
    ax.set_title("Target KPI per phase across the scenarios (one point per scenario, bar: median)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--target", default="cross_border_wb6_eow_t>=20000", help="'<kpi> >= <number>' (t/month ...)")
    parser.add_argument("--window", default="48-59", help="months (0-based, inclusive) the target averages over")
    parser.add_argument("--phase", default="short_term", help="phase whose target conditions PRIM looks for")
    parser.add_argument("--phases", help="phases compared for robustness (default: every configs/phase option)")
    parser.add_argument("--scenarios", type=int, default=40, help="scenarios (Latin hypercube over the priors)")
    parser.add_argument("--replications", type=int, default=1, help="seeds per scenario")
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--density", type=float, default=0.8, help="PRIM's density threshold for a box")
    parser.add_argument("--seed", type=int, default=1, help="seed of the scenario sample")
    parser.add_argument("--jobs", type=int, default=-1, help="worker processes (-1: one per core)")
    parser.add_argument("--out", type=Path, default=Path("results/discovery"))
    args = parser.parse_args(argv)
    try:
        return run(args)
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run(args) -> int:
    from ema_workbench import perform_experiments, save_results

    from sim.config import group_options
    from sim.ema import UNCERTAINTY_KEYS, LauncherEvaluator, kpi_columns, phase_policies, wb6_model
    from sim.priors import PRIORS

    if args.scenarios < 4 or args.replications < 1 or not 0 < args.density <= 1 or args.months < 1:
        raise ConfigError("arguments", "need --scenarios >= 4, --replications >= 1, 0 < --density <= 1, --months >= 1")
    kpi, op, threshold = parse_target(args.target, list(kpi_columns()))
    window = parse_window(args.window, args.months)
    options = group_options("phase")
    phases = args.phases.split(",") if args.phases else options
    for name in [*phases, args.phase]:
        if name not in options:
            raise ConfigError("--phases" if name != args.phase else "--phase", f"unknown phase {name!r}",
                              choices=options, value=name)
    phases = list(dict.fromkeys([args.phase, *phases]))
    out = args.out.resolve()
    model = wb6_model(months=args.months, replications=args.replications, root=out / "runs")
    with LauncherEvaluator(model, jobs=args.jobs) as evaluator:
        experiments, outcomes = perform_experiments(model, scenarios=args.scenarios,
                                                    policies=phase_policies(model, phases), evaluator=evaluator,
                                                    uncertainty_sampling_kwargs={"rng": args.seed})
    out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        save_results((experiments, outcomes), str(out / "experiments.tar.gz"))
    names = list(UNCERTAINTY_KEYS)
    values = experiments[["scenario", "policy", *names]].copy()
    values["scenario"] = values["scenario"].astype(str)
    values["policy"] = values["policy"].astype(str)
    values["value"] = target_values(experiments, outcomes, kpi, window)
    values["meets_target"] = OPERATORS[op](values["value"], threshold)
    values.to_csv(out / "values.csv", index=False, float_format="%.6g")

    mine = values[values["policy"] == args.phase].reset_index(drop=True)
    x, y = mine[names].astype(float), mine["meets_target"].to_numpy(dtype=bool)
    summary = {"target": f"{kpi} {op} {threshold:g}", "window_months": list(window), "phase": args.phase,
               "scenarios": args.scenarios, "replications": args.replications, "months": args.months,
               "share_meeting_target": float(y.mean()), "inputs": {n: UNCERTAINTY_KEYS[n] for n in names}}
    title = f"{args.phase}: {kpi} {op} {number(threshold)} (mean of months {window[0]}-{window[1]})"
    if 0 < y.sum() < len(y):
        boxes = discover(x, y, args.density)
        table = box_table(boxes, {n: (PRIORS[k].low, PRIORS[k].high) for n, k in UNCERTAINTY_KEYS.items()})
        table.to_csv(out / "boxes.csv", index=False, float_format="%.6g")
        boxes[0].peeling_trajectory.to_csv(out / "tradeoff.csv", index=False, float_format="%.6g")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            figure = boxes[0].show_tradeoff(annotated=True)
        figure.suptitle(f"PRIM peeling trajectory, box 1 ({title})", fontsize=9)
        figure.savefig(out / "tradeoff.png", dpi=100)
        plt.close(figure)
        plot_box(x, y, table, out / "box.png", title)
        summary["boxes"] = table.to_dict(orient="records")
    else:  # all or none of the runs meet it: no conditions to discover
        pd.DataFrame(columns=["box", "coverage", "density", "mass", "input", "min", "max", "prior_low",
                              "prior_high"]).to_csv(out / "boxes.csv", index=False)
        summary["boxes"] = []
        summary["note"] = f"{int(y.sum())} of {len(y)} runs meet the target: nothing to discover"
    scores = robustness(values.rename(columns={"policy": "policy"}), op, threshold)
    scores.to_csv(out / "robustness.csv", index=False, float_format="%.6g")
    plot_robustness(values, op, threshold, kpi, out / "robustness.png")
    summary["robustness"] = scores.to_dict(orient="records")
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"{title}: {int(y.sum())} of {len(y)} runs meet the target")
    if summary["boxes"]:
        print(pd.DataFrame(summary["boxes"]).to_string(index=False))
    print(scores.to_string(index=False))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
