"""Compare the roadmap phases with the baseline under parameter uncertainty, on the real WB6
scenario: each phase's effect (phase minus baseline) with its median and 5-95 % interval.

    .venv/bin/python experiments/compare_phases.py [--draws 8] [--seeds 2] [--months 120] [--jobs 1]
        [--ensemble FILE] [--roadmap FILE] [--out results/phase_comparison] [--from-runs] [override ...]

Every variant (baseline, each phase's pilot bundle, the whole roadmap, and a custom roadmap file
if given) runs at every draw of the uncertain inputs (``sim.priors.PRIORS``, Latin hypercube; with
``--ensemble sim/data/calibration.yaml``, the calibrated parameters take the values of the
ensemble's members, one per draw) x every seed. Each phase run is paired with the baseline run of the
same draw and seed, so the effect carries the parameter uncertainty and the seed noise, not
the spread of the baseline. Overrides (``parameters.x=v``, ``months=60``, ``policies.<pilot>.<param>=v``
for the variants whose bundle has that pilot, e.g. its ``start_month``) apply to every run.

The runs are a resumable sweep under ``<out>/runs/sweeps/comparison/``; ``--from-runs`` only
reads them. Written to ``<out>``, byte-identical for the same inputs:

- ``kpi_comparison.csv``: per variant and KPI (every column of kpis.parquet), the median and 5-95 %
  interval of the end-of-horizon figure and of the paired effect, the share of runs where the
  effect is positive / negative, and the bimodality coefficient of the effects (above 0.555 hints
  at two groups of runs);
- ``effects_runs.parquet``: each run's figure, its baseline's and the effect, with its draw and seed;
- ``design.csv``: the draws; ``comparison.json``: the settings;
- ``kpi_comparison.md``: the headline KPIs as a table;
- ``kpi_effects.png``: effect per variant, one point per run, median and 5-95 % interval;
- ``kpi_timeseries.png``: monthly KPIs, median across runs with a 5-95 % band.

The end-of-horizon figure of a KPI that never falls (cumulative counts) is its last month; of
any other, the mean of the last 12 months.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import yaml
from omegaconf import OmegaConf

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the simulator of this checkout, whichever one is installed
import matplotlib.pyplot as plt  # noqa: E402
from hydra.core.override_parser.overrides_parser import OverridesParser  # noqa: E402

from sim.catalogue import kpi_info  # noqa: E402
from sim.config import compose_config, group_options  # noqa: E402
from sim.errors import ConfigError, SimInputError  # noqa: E402
from sim.figures import colour, line_style, number, thousands  # noqa: E402
from sim.priors import PRIORS, latin_hypercube, load_ensemble, overrides, with_ensemble  # noqa: E402
from sim.results import is_complete  # noqa: E402
from sim.sweep import _hydra_ready, job_name, run_many, sweep_folder  # noqa: E402

ORDER = ("baseline", "low_hanging_fruits", "short_term", "medium_term", "long_term", "roadmap")
LABELS = {"baseline": "baseline", "low_hanging_fruits": "low-hanging fruits (0-12)",
          "short_term": "short term (12-24)", "medium_term": "medium term (24-48)",
          "long_term": "long term (48+)", "roadmap": "full roadmap"}
PHASE_STARTS = {"short_term": 12, "medium_term": 24, "long_term": 48}
#: KPIs shown in the figures and the Markdown table first, where kpis.parquet has them; the
#: others with the largest effects fill the remaining panels (all are in the CSV)
HEADLINE = ("exchange_volume_t", "cross_border_wb6_eow_t", "cross_border_wb6_t", "export_eu_t", "secondary_used_t",
            "landfilled_t", "dumped_t", "co2_abated_t", "co2_abated_net_t", "cmur_eurostat", "circular_material_use_rate",
            "customs_delay_days", "by_products_registered",
            "eow_registered", "participating_firms", "investment_capex_eur", "collection_rate_plastics")
PANELS = 12
SWEEP = "comparison"


# ---- the study's runs ---------------------------------------------------------------------
def variants(roadmap: Path | None) -> list[str]:
    phases = group_options("phase")
    names = [v for v in ORDER if v in phases] + [v for v in phases if v not in ORDER]
    return names + ([f"custom:{roadmap.stem}"] if roadmap else [])


def read_roadmap(path: Path) -> dict:
    """A custom roadmap: a YAML file in the form of configs/phase/*.yaml (``policies: {pilot:
    {start_month: ..., ...}}``; pilots listed as ``/policies/<pilot>`` under ``defaults`` are
    switched on with their defaults)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read the roadmap file: {exc}") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ConfigError(f"{path}:{mark.line + 1 if mark else 1}", f"cannot be read as YAML: {exc.problem}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("policies", {}), dict):
        raise ConfigError(str(path), "needs a mapping with 'policies: {pilot: {parameter: value}}'")
    pilots = {str(d).removeprefix("/policies/"): {} for d in raw.get("defaults", []) if str(d).startswith("/policies/")}
    return {**pilots, **(raw.get("policies") or {})}


def _active(variant: str, roadmap: dict) -> set[str]:
    return set(roadmap) if variant.startswith("custom:") else set(compose_config([f"phase={variant}"]).policies)


def plan(names: list[str], design: pd.DataFrame, seeds: int, months: int, extra: list[str],
         roadmap: dict) -> tuple[list[dict], list[list[str]], list]:
    """Each run: its (variant, draw, seed), its overrides (which name its folder) and its config."""
    parser = OverridesParser.create()
    pilot_overrides = [o for o in extra if o.lstrip("+").startswith("policies.")]
    for text in pilot_overrides:
        pilot = text.lstrip("+").split(".")[1]
        if not any(pilot in _active(v, roadmap) for v in names):
            raise ConfigError(text.split("=")[0], f"pilot {pilot!r} is in none of the compared variants",
                              choices=sorted(set().union(*(_active(v, roadmap) for v in names))))
    keys, runs, configs = [], [], []
    for variant in names:
        active = _active(variant, roadmap)
        mine = [o for o in extra if o not in pilot_overrides or o.lstrip("+").split(".")[1] in active]
        for draw, row in design.iterrows():
            for seed in range(1, seeds + 1):
                common = [f"months={months}", f"seed={seed}", "output.write_flows=false", *overrides(row), *mine]
                if variant.startswith("custom:"):
                    name = variant.split(":", 1)[1]
                    cfg = compose_config(_hydra_ready([o for o in common if o not in pilot_overrides]))
                    cfg = OmegaConf.merge(cfg, {"policies": roadmap, "phase": name, "run_name": name})
                    for text in (o for o in mine if o in pilot_overrides):
                        override = parser.parse_override(text)
                        OmegaConf.update(cfg, override.key_or_group, override.value(), force_add=True)
                    ov = [f"roadmap={name}", *common]
                else:
                    cfg, ov = None, [f"phase={variant}", *common]
                keys.append({"variant": variant, "draw": int(draw), "seed": seed})
                runs.append(ov)
                configs.append(cfg)
    return keys, runs, configs


def load(folders: list[Path], keys: list[dict]) -> pd.DataFrame:
    missing = [k for f, k in zip(folders, keys) if not is_complete(f)]
    if missing:
        raise ConfigError("--from-runs", f"{len(missing)} of {len(keys)} runs missing, e.g. {missing[0]}; "
                          "run without --from-runs to make them")
    return pd.concat([pd.read_parquet(f / "kpis.parquet").assign(**k) for f, k in zip(folders, keys)],
                     ignore_index=True)


# ---- effects ------------------------------------------------------------------------------
def kpi_columns(kpis: pd.DataFrame) -> list[str]:
    skip = {"step", "year", "variant", "draw", "seed"}
    return [c for c in kpis.columns if c not in skip and pd.api.types.is_numeric_dtype(kpis[c])]


def end_of_horizon(kpis: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """One figure per run and KPI, and how each KPI's figure is taken (``last`` or ``last_year``)."""
    columns = kpi_columns(kpis)
    runs = kpis.sort_values("step").groupby(["variant", "draw", "seed"])
    never_falls = runs[columns].agg(lambda s: bool((s.diff().dropna() >= 0).all())).all()
    how = {c: "last" if never_falls[c] else "last_year" for c in columns}
    last = runs[columns].last()
    recent = kpis[kpis["step"] > kpis["step"].max() - 12].groupby(["variant", "draw", "seed"])[columns].mean()
    figures = pd.DataFrame({c: (last[c] if how[c] == "last" else recent[c]) for c in columns})
    return figures, how


def bimodality(x: np.ndarray) -> float:
    """Sarle's bimodality coefficient (skewness^2 + 1) / excess-corrected kurtosis; > 0.555 (the
    uniform's) hints at two modes. NaN for fewer than 4 values or none that differ."""
    n = len(x)
    if n < 4 or np.ptp(x) <= 1e-12 * max(1.0, np.abs(x).max()):
        return float("nan")
    from scipy.stats import kurtosis, skew

    g, k = skew(x, bias=False), kurtosis(x, bias=False)
    return float((g ** 2 + 1) / (k + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


def effects(figures: pd.DataFrame, how: dict[str, str], names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-run effects (tidy) and their summary per variant (in the order of ``names``) and KPI."""
    base = figures.xs("baseline", level="variant")
    long = []
    for variant in names:
        values = figures.xs(variant, level="variant")
        paired = base.loc[values.index]
        frame = pd.DataFrame({"value": values.stack(), "baseline": paired.stack()})
        frame["effect"] = frame["value"] - frame["baseline"]
        long.append(frame.reset_index().rename(columns={"level_2": "kpi"}).assign(variant=variant))
    runs = pd.concat(long, ignore_index=True)[["variant", "draw", "seed", "kpi", "value", "baseline", "effect"]]
    rows = []
    for (variant, kpi), group in runs.groupby(["variant", "kpi"], sort=False):
        e, v = group["effect"].to_numpy(), group["value"].to_numpy()
        info = kpi_info(kpi)
        rows.append({"variant": variant, "kpi": kpi, "unit": info.unit, "figure": how[kpi], "runs": len(group),
                     "value_median": np.median(v), "value_p05": np.quantile(v, 0.05), "value_p95": np.quantile(v, 0.95),
                     "effect_median": np.median(e), "effect_p05": np.quantile(e, 0.05),
                     "effect_p95": np.quantile(e, 0.95), "effect_mean": e.mean(),
                     "share_positive": float((e > 1e-9 * (1 + np.abs(v))).mean()),
                     "share_negative": float((e < -1e-9 * (1 + np.abs(v))).mean()), "bimodality": bimodality(e)})
    return runs, pd.DataFrame(rows)


def panels(table: pd.DataFrame) -> list[str]:
    """The headline KPIs there are, then those with the largest effects relative to their level."""
    present = [k for k in HEADLINE if k in set(table["kpi"])]
    rest = table[~table["kpi"].isin(present) & (table["variant"] != "baseline")].copy()
    rest["size"] = rest["effect_median"].abs() / (rest["value_median"].abs() + 1e-9)
    ranked = rest.groupby("kpi")["size"].max().sort_values(ascending=False, kind="stable")
    return (present + [k for k in ranked.index if ranked[k] > 1e-6])[:PANELS]


# ---- tables and figures -----------------------------------------------------------------
def label(variant: str) -> str:
    return LABELS.get(variant, variant.replace("custom:", "custom roadmap: "))


def markdown(table: pd.DataFrame, settings: dict, shown: list[str]) -> str:
    names = list(dict.fromkeys(table["variant"]))
    lines = [f"# Roadmap phases vs baseline: effects with uncertainty (real WB6 scenario, {settings['months']} months)",
             "", f"{settings['draws']} draws of the uncertain inputs ({settings['sampling']}) x {settings['seeds']} seeds "
             f"= {settings['draws'] * settings['seeds']} runs per variant; overrides: "
             f"{' '.join(settings['overrides']) or 'none'}. Baseline column: median [5 %, 95 %] of the end-of-horizon "
             "figure. Other columns: the effect, phase run minus the baseline run of the same draw and seed, median "
             "[5 %, 95 %]; (+n %) is the share of runs where it is positive. Made by `experiments/compare_phases.py`.",
             "", "| KPI | unit | figure | " + " | ".join(label(v) for v in names) + " |",
             "|---|---|---|" + "---|" * len(names)]
    for kpi in shown:
        cells = []
        for variant in names:
            r = table[(table["variant"] == variant) & (table["kpi"] == kpi)].iloc[0]
            if variant == "baseline":
                cells.append(f"{number(r['value_median'])} [{number(r['value_p05'])}, {number(r['value_p95'])}]")
            else:
                cells.append(f"{number(r['effect_median'])} [{number(r['effect_p05'])}, {number(r['effect_p95'])}] "
                             f"(+{100 * r['share_positive']:.0f} %)")
        r = table[table["kpi"] == kpi].iloc[0]
        lines.append(f"| `{kpi}` | {r['unit']} | {r['figure']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_effects(runs: pd.DataFrame, table: pd.DataFrame, shown: list[str], path: Path, title: str) -> None:
    names = [v for v in dict.fromkeys(runs["variant"]) if v != "baseline"]
    cols = 4
    fig, axes = plt.subplots(int(np.ceil(len(shown) / cols)), cols, figsize=(16, 3.4 * np.ceil(len(shown) / cols)),
                             squeeze=False)
    jitter = np.random.default_rng(0)
    for ax, kpi in zip(axes.flat, shown):
        for i, variant in enumerate(names):
            e = runs[(runs["variant"] == variant) & (runs["kpi"] == kpi)]["effect"].to_numpy()
            ax.scatter(i + jitter.uniform(-0.22, 0.22, len(e)), e, s=9, alpha=0.55, color=colour(variant, i), lw=0)
            r = table[(table["variant"] == variant) & (table["kpi"] == kpi)].iloc[0]
            ax.vlines(i + 0.32, r["effect_p05"], r["effect_p95"], color="black", lw=1.4)
            ax.plot([i + 0.26, i + 0.38], [r["effect_median"]] * 2, color="black", lw=2.2)
        ax.axhline(0.0, color="#888888", lw=0.8)
        unit = table[table["kpi"] == kpi]["unit"].iloc[0]
        how = table[table["kpi"] == kpi]["figure"].iloc[0].replace("_", " ")
        ax.set_title(f"{kpi}\n({unit or 'no unit'}, {how})", fontsize=9)
        ax.set_xticks(range(len(names)), [label(v).split(" (")[0] for v in names], rotation=30, ha="right", fontsize=8)
        thousands(ax)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_timeseries(kpis: pd.DataFrame, shown: list[str], path: Path, title: str) -> None:
    names = list(dict.fromkeys(kpis["variant"]))
    shown = shown[:8]
    fig, axes = plt.subplots(int(np.ceil(len(shown) / 2)), 2, figsize=(13, 3.2 * np.ceil(len(shown) / 2)),
                             sharex=True, squeeze=False)
    for ax, kpi in zip(axes.flat, shown):
        stats = kpis.groupby(["variant", "step"])[kpi].quantile([0.05, 0.5, 0.95]).unstack()
        for i, variant in enumerate(names):
            s = stats.loc[variant]
            ax.fill_between(s.index, s[0.05], s[0.95], color=colour(variant, i), alpha=0.10, lw=0)
            ax.plot(s.index, s[0.5], color=colour(variant, i), label=label(variant), **line_style(i, len(names)))
        for month in PHASE_STARTS.values():
            ax.axvline(month, color="#999999", lw=0.8, ls=":")
        ax.set_title(f"{kpi} ({kpi_info(kpi).unit or 'no unit'})", fontsize=10)
        thousands(ax)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("month")
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--draws", type=int, default=8, help="draws of the uncertain inputs (default 8)")
    parser.add_argument("--seeds", type=int, default=2, help="seeds 1..N per draw (default 2)")
    parser.add_argument("--months", type=int, default=120, help="months per run (default 120)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (-1: one per core)")
    parser.add_argument("--design-seed", type=int, default=1, help="seed of the Latin hypercube (default 1)")
    parser.add_argument("--ensemble", type=Path, help="calibrated ensemble (sim/data/calibration.yaml, or CSV/parquet "
                                                      "with a row per member): its parameters from its members, the "
                                                      "others from their priors")
    parser.add_argument("--roadmap", type=Path, help="a custom roadmap (YAML, as configs/phase/*.yaml) to compare too")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "phase_comparison", help="output folder")
    parser.add_argument("--from-runs", action="store_true", help="only read the runs already under <out>/runs")
    parser.add_argument("overrides", nargs="*", help="config overrides for every run, e.g. parameters.handling_eur_t=6")
    args = parser.parse_args(argv)
    if args.draws < 1 or args.seeds < 1 or args.draws * args.seeds < 2 or args.months < 13:
        parser.error("need --draws x --seeds >= 2 (for an interval) and --months >= 13 (for a last year)")
    clash = [o for o in args.overrides if o.split("=")[0].lstrip("+") in {"months", "seed", "phase", "policies"}
             or o.startswith("output.")]
    if clash:
        parser.error(f"{clash}: set by the study itself (use --months; seeds, phases and output are the study's)")
    try:
        design, sampling = latin_hypercube(args.draws, args.design_seed), "Latin hypercube over sim.priors.PRIORS"
        if args.ensemble:
            design = with_ensemble(design, load_ensemble(args.ensemble))
            sampling += f", calibrated parameters from the members of {args.ensemble.name}"
        roadmap = read_roadmap(args.roadmap) if args.roadmap else {}
        names = variants(args.roadmap)
        keys, runs, configs = plan(names, design, args.seeds, args.months, args.overrides, roadmap)
        root = args.out.resolve() / "runs"
        if args.from_runs:
            folders = [sweep_folder(root, SWEEP) / job_name(ov) for ov in runs]
        else:
            folders = run_many(runs, root, SWEEP, args.jobs, "comparison", configs=configs)
        kpis = load(folders, keys)
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    figures, how = end_of_horizon(kpis)
    per_run, table = effects(figures, how, names)
    shown = panels(table)
    out = args.out.resolve()
    settings = {"draws": len(design), "seeds": args.seeds, "months": args.months, "sampling": sampling,
                "design_seed": args.design_seed, "overrides": list(args.overrides), "variants": names,
                "roadmap": roadmap, "priors": {k: [p.low, p.high, p.source] for k, p in PRIORS.items()},
                "runs": len(runs)}
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "kpi_comparison.csv", index=False, float_format="%.6g")
    per_run.to_parquet(out / "effects_runs.parquet", index=False)
    design.rename_axis("draw").to_csv(out / "design.csv")
    (out / "comparison.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    (out / "kpi_comparison.md").write_text(markdown(table, settings, shown), encoding="utf-8")
    note = f"{len(design)} draws x {args.seeds} seeds, {args.months} months"
    plot_effects(per_run, table, shown, out / "kpi_effects.png",
                 f"Effect against the baseline run of the same draw and seed ({note}): one point per run, "
                 "black: median and 5-95 % interval")
    plot_timeseries(kpis, shown, out / "kpi_timeseries.png",
                    f"KPIs by month: median across runs, band 5-95 % ({note}); dotted: phase starts")
    print(f"comparison written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
