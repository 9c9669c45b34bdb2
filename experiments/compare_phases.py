"""Compare the roadmap phases: baseline, each phase's pilot bundle and the whole roadmap, over
several seeds, on the real WB6 scenario.

    .venv/bin/python experiments/compare_phases.py [--seeds 10] [--months 120] [--out results/phase_comparison]
                                                   [--from-runs]

One Hydra multirun of the command line (``python -m sim -m phase=baseline,...,roadmap
seed=range(1,N+1)``, basic launcher) writes every run under ``<out>/runs/``; then the KPIs are
compared:

- ``kpi_comparison.csv``: per variant and KPI, mean, standard deviation, min and max across seeds
  of the KPI's end-of-horizon figure, and its change against the baseline run of the same seed
  (mean and standard deviation of the paired differences, and the mean change in % of the
  baseline mean);
- ``kpi_comparison.md``: the same as a readable table;
- ``kpi_timeseries.png``: monthly KPIs, mean across seeds with a band of +-1 standard deviation;
- ``kpi_deltas.png``: end-of-horizon change against the baseline per variant, with error bars.

The end-of-horizon figure of a monthly flow is its mean over the last 12 months; of a count
that accumulates (registrations, investments), its value in the last month; of CRM recovered,
the total over the run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("baseline", "low_hanging_fruits", "short_term", "medium_term", "long_term", "roadmap")
LABELS = {"baseline": "baseline", "low_hanging_fruits": "low-hanging fruits (0-12)",
          "short_term": "short term (12-24)", "medium_term": "medium term (24-48)",
          "long_term": "long term (48+)", "roadmap": "full roadmap"}
COLOURS = {"baseline": "#555555", "low_hanging_fruits": "#66a61e", "short_term": "#1b9e77",
           "medium_term": "#7570b3", "long_term": "#d95f02", "roadmap": "#e7298a"}
PHASE_STARTS = {"short_term": 12, "medium_term": 24, "long_term": 48}

#: KPI column, label, unit, how its end-of-horizon figure is taken ("last_year", "last", "total")
KPIS = (
    ("exchange_volume_t", "exchange volume", "t/month", "last_year"),
    ("exchange_value_eur", "exchange value", "EUR/month", "last_year"),
    ("cross_border_wb6_t", "cross-border WB6 trade", "t/month", "last_year"),
    ("cross_border_wb6_eow_t", "cross-border WB6 trade as EoW", "t/month", "last_year"),
    ("export_eu_t", "exports to the EU", "t/month", "last_year"),
    ("secondary_used_t", "secondary materials used", "t/month", "last_year"),
    ("landfilled_t", "landfilled", "t/month", "last_year"),
    ("dumped_t", "dumped illegally", "t/month", "last_year"),
    ("co2_abated_t", "CO2 abated", "t/month", "last_year"),
    ("co2_abated_net_t", "CO2 abated net of transport", "t/month", "last_year"),
    ("cmur_eurostat", "circular material use rate (Eurostat)", "share", "last_year"),
    ("resource_productivity_pps_kg", "resource productivity (GDP / DMC)", "EUR PPS/kg", "last_year"),
    ("by_products_registered", "by-product streams registered", "streams", "last"),
    ("eow_registered", "EoW streams registered", "streams", "last"),
    ("customs_delay_days", "customs delay", "days", "last_year"),
    ("customs_waste_filings", "waste-class customs filings", "filings/month", "last_year"),
    ("collection_rate_plastics", "plastics collection rate", "share", "last"),
    ("participating_firms", "firms in exchanges", "firms", "last"),
    ("investments_count", "investments", "count", "last"),
    ("investment_capex_eur", "investment capex", "EUR", "last"),
    ("public_funds_eur", "public funds committed", "EUR", "last"),
    ("leverage_private_per_public_ge", "leverage (private co-finance / public grant equivalent)", "ratio", "last"),
    ("secondary_crm_recovered_t", "secondary CRM recovered", "t (total)", "total"),
)
TIMESERIES = ("exchange_volume_t", "cross_border_wb6_eow_t", "secondary_used_t", "dumped_t",
              "cmur_eurostat", "customs_delay_days", "eow_registered", "participating_firms")
DELTAS = ("exchange_volume_t", "cross_border_wb6_eow_t", "secondary_used_t", "co2_abated_t",
          "landfilled_t", "dumped_t", "cmur_eurostat", "customs_delay_days",
          "eow_registered", "collection_rate_plastics", "investment_capex_eur", "participating_firms")


# ---- the runs: one Hydra multirun ------------------------------------------------------
def sweep(runs: Path, seeds: int, months: int) -> None:
    """Every variant at every seed, as one multirun of the command line (basic launcher)."""
    if runs.exists():
        shutil.rmtree(runs)  # a comparison is made from fresh runs only
    command = [sys.executable, "-m", "sim", "-m", f"phase={','.join(VARIANTS)}", f"seed=range(1,{seeds + 1})",
               f"months={months}", f"output.root={runs}", "output.write_flows=false", "hydra/launcher=basic"]
    print("running:", " ".join(command[1:]), flush=True)
    done = subprocess.run(command, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"error: the sweep failed (exit code {done.returncode})")


def load_runs(runs: Path, seeds: int, months: int) -> pd.DataFrame:
    """The KPIs of every complete run under ``runs``, labelled with its phase and seed (read
    from the run's own config.yaml, wherever the sweep placed its folder)."""
    frames = {}
    for manifest in runs.rglob("manifest.json"):
        config = yaml.safe_load((manifest.parent / "config.yaml").read_text(encoding="utf-8"))
        key = (config["phase"], config["seed"])
        if config["months"] == months and key in frames:
            raise SystemExit(f"error: two runs of {key} under {runs}")
        if config["months"] == months:
            frames[key] = pd.read_parquet(manifest.parent / "kpis.parquet").assign(variant=key[0], seed=key[1])
    missing = [(v, s) for v in VARIANTS for s in range(1, seeds + 1) if (v, s) not in frames]
    if missing:
        raise SystemExit(f"error: {len(missing)} run(s) missing under {runs}, e.g. phase={missing[0][0]} "
                         f"seed={missing[0][1]}")
    return pd.concat(frames.values(), ignore_index=True)


def end_of_horizon(kpis: pd.DataFrame) -> pd.DataFrame:
    """One figure per variant, seed and KPI (see the module docstring)."""
    last_step = kpis["step"].max()
    groups = kpis.groupby(["variant", "seed"])
    parts = {}
    for column, _, _, how in KPIS:
        if how == "last_year":
            parts[column] = kpis[kpis["step"] > last_step - 12].groupby(["variant", "seed"])[column].mean()
        elif how == "last":
            parts[column] = groups[column].last()
        else:
            parts[column] = groups[column].sum()
    return pd.DataFrame(parts)


def comparison_table(figures: pd.DataFrame) -> pd.DataFrame:
    base = figures.xs("baseline", level="variant")
    rows = []
    for variant in VARIANTS:
        values = figures.xs(variant, level="variant")
        delta = values - base.loc[values.index]  # paired by seed
        for column, label, unit, how in KPIS:
            base_mean = base[column].mean()
            rows.append({
                "variant": variant, "kpi": column, "label": label, "unit": unit, "figure": how,
                "mean": values[column].mean(), "std": values[column].std(ddof=1),
                "min": values[column].min(), "max": values[column].max(),
                "delta_mean": delta[column].mean(), "delta_std": delta[column].std(ddof=1),
                "delta_pct": 100.0 * delta[column].mean() / base_mean if base_mean != 0 else np.nan,
                "seeds": len(values),
            })
    return pd.DataFrame(rows)


def fmt(x: float) -> str:
    """Three significant digits; thousands separated; float dust shown as 0."""
    if not np.isfinite(x):
        return "n/a"
    if abs(x) < 1e-9:
        return "0"
    if 1e3 <= abs(x) < 1e6:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def markdown(table: pd.DataFrame, seeds: int, months: int) -> str:
    lines = [
        f"# Roadmap phases vs baseline (real WB6 scenario, {months} months, seeds 1-{seeds})",
        "",
        "Each cell: mean across seeds (± standard deviation) of the end-of-horizon figure; below it, the change "
        "against the baseline run of the same seed (mean ± standard deviation of the paired differences, and % of "
        "the baseline mean). Figure: `last_year` = mean of the last 12 months, `last` = last month, `total` = "
        "sum over the run. Made by `experiments/compare_phases.py`.",
        "",
        "| KPI | unit | figure | " + " | ".join(LABELS[v] for v in VARIANTS) + " |",
        "|---|---|---|" + "---|" * len(VARIANTS),
    ]
    for column, label, unit, how in KPIS:
        cells = []
        for variant in VARIANTS:
            row = table[(table["variant"] == variant) & (table["kpi"] == column)].iloc[0]
            cell = f"{fmt(row['mean'])} ± {fmt(row['std'])}"
            if variant != "baseline":
                pct = "" if not np.isfinite(row["delta_pct"]) else f", {row['delta_pct']:+.1f} %"
                cell += f"<br>Δ {fmt(row['delta_mean'])} ± {fmt(row['delta_std'])}{pct}"
            cells.append(cell)
        lines.append(f"| {label} (`{column}`) | {unit} | {how} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_timeseries(kpis: pd.DataFrame, path: Path) -> None:
    units = {c: u for c, _, u, _ in KPIS}
    labels = {c: lab for c, lab, _, _ in KPIS}
    fig, axes = plt.subplots(4, 2, figsize=(13, 14), sharex=True)
    for ax, column in zip(axes.flat, TIMESERIES):
        stats = kpis.groupby(["variant", "step"])[column].agg(["mean", "std"]).fillna(0.0)
        for variant in VARIANTS:
            s = stats.loc[variant]
            ax.plot(s.index, s["mean"], color=COLOURS[variant], label=LABELS[variant], lw=1.6)
            ax.fill_between(s.index, s["mean"] - s["std"], s["mean"] + s["std"], color=COLOURS[variant], alpha=0.15,
                            lw=0)
        for month in PHASE_STARTS.values():
            ax.axvline(month, color="#999999", lw=0.8, ls=":")
        ax.set_title(labels[column], fontsize=11)
        ax.set_ylabel(units[column].replace(" (total)", ""))
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("month")
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.suptitle("KPIs by month: mean across seeds, band ±1 standard deviation; dotted lines: phase starts",
                 fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_deltas(table: pd.DataFrame, path: Path) -> None:
    variants = [v for v in VARIANTS if v != "baseline"]
    fig, axes = plt.subplots(3, 4, figsize=(16, 10))
    x = np.arange(len(variants))
    for ax, column in zip(axes.flat, DELTAS):
        rows = table[table["kpi"] == column].set_index("variant").loc[variants]
        ax.bar(x, rows["delta_mean"], yerr=rows["delta_std"], color=[COLOURS[v] for v in variants], capsize=3)
        ax.axhline(0.0, color="black", lw=0.8)
        ax.set_title(f"{rows['label'].iloc[0]}\n({rows['unit'].iloc[0]}, {rows['figure'].iloc[0].replace('_', ' ')})",
                     fontsize=10)
        ax.set_xticks(x, [LABELS[v].split(" (")[0] for v in variants], rotation=35, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("End-of-horizon change against the baseline (paired by seed; error bars: ±1 standard deviation)",
                 fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds 1..N per variant (default 10)")
    parser.add_argument("--months", type=int, default=120, help="months per run (default 120)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "phase_comparison", help="output folder")
    parser.add_argument("--from-runs", action="store_true",
                        help="compare the runs already under <out>/runs instead of running the sweep again")
    args = parser.parse_args()
    if args.seeds < 2 or args.months < 13:
        parser.error("need --seeds >= 2 (for a spread) and --months >= 13 (for a last year)")
    out = args.out.resolve()
    runs = out / "runs"
    if not args.from_runs:
        sweep(runs, args.seeds, args.months)
    kpis = load_runs(runs, args.seeds, args.months)
    table = comparison_table(end_of_horizon(kpis))
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "kpi_comparison.csv", index=False)
    (out / "kpi_comparison.md").write_text(markdown(table, args.seeds, args.months), encoding="utf-8")
    plot_timeseries(kpis, out / "kpi_timeseries.png")
    plot_deltas(table, out / "kpi_deltas.png")
    print(f"comparison written to {out}")


if __name__ == "__main__":
    main()
