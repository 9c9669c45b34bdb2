"""A self-contained HTML report of a run, a phase comparison or a sweep, to hand on.

    python -m sim.report <folder> [--out <folder>/report.html] [--screenshot report.png]

``<folder>`` is a run (``results/<run_name>/``), a phase comparison
(``experiments/compare_phases.py``'s output) or a sweep (``results/sweeps/<name>/``). The report
states the question the folder answers, its configuration and provenance (manifest), the
headline KPIs with intervals, the KPIs' definitions (the project's KPI catalogue), the
assumptions that drive the result, and warnings. Figures are embedded (PNG as data URIs) and the
page loads nothing from elsewhere, so it opens offline. ``--screenshot`` saves a picture of the
rendered page (Debian's chromium through Playwright).
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.catalogue import kpi_info, roadmap_kpis  # noqa: E402
from sim.errors import ConfigError, SimInputError  # noqa: E402
from sim.figures import colour, line_style, number, thousands  # noqa: E402
from sim.priors import PRIORS  # noqa: E402

HEADLINE = ("exchange_volume_t", "cross_border_wb6_eow_t", "cross_border_wb6_t", "export_eu_t", "secondary_used_t",
            "landfilled_t", "dumped_t", "co2_abated_t", "co2_abated_net_t", "cmur_eurostat", "circular_material_use_rate",
            "customs_delay_days", "by_products_registered",
            "eow_registered", "participating_firms")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #1b9e77;padding-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;
color:#1b5e4a}table{border-collapse:collapse;margin:.6em 0;font-size:.88em}th,td{border:1px solid #ccc;
padding:.25em .5em;text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#eef5f2}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}code{background:#f3f3f3;
padding:0 .2em}.warn{background:#fff4e5;border-left:4px solid #d95f02;padding:.4em .8em;margin:.4em 0}
details{margin:.5em 0}pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.82em}
"""


# ---- reading the folder ------------------------------------------------------------------
def kind_of(folder: Path) -> str:
    if (folder / "manifest.json").is_file() and (folder / "kpis.parquet").is_file():
        return "run"
    if (folder / "kpi_comparison.csv").is_file() and (folder / "comparison.json").is_file():
        return "comparison"
    if (folder / "runs.parquet").is_file() or any((p / "manifest.json").is_file() for p in _subfolders(folder)):
        return "sweep"
    raise ConfigError(str(folder), "is neither a run (manifest.json, kpis.parquet), a phase comparison "
                      "(kpi_comparison.csv, comparison.json) nor a sweep (runs.parquet or run folders)",
                      choices=["run", "comparison", "sweep"])


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) if folder.is_dir() else []


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(str(path), f"cannot be read as JSON: {exc}") from exc


def _first_manifest(folder: Path) -> tuple[dict, Path] | tuple[None, None]:
    for manifest in sorted(folder.rglob("manifest.json")):
        return _json(manifest), manifest.parent
    return None, None


# ---- pieces of HTML ------------------------------------------------------------------------
def esc(x) -> str:
    return html.escape(str(x))


def table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for value in row:
            numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            cells.append(f"<td class=n>{esc(number(float(value)))}</td>" if numeric else f"<td>{esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def png(path_or_figure, alt: str) -> str:
    if isinstance(path_or_figure, Path):
        data = path_or_figure.read_bytes()
    else:
        buffer = io.BytesIO()
        path_or_figure.savefig(buffer, format="png", dpi=90)
        plt.close(path_or_figure)
        data = buffer.getvalue()
    return f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}"></figure>'


def section(title: str, body: str) -> str:
    return f'<section id="{esc(title.lower().replace(" ", "-"))}"><h2>{esc(title)}</h2>{body}</section>'


def definitions(kpis: list[str]) -> str:
    roadmap = roadmap_kpis()
    rows = [{"KPI": k, "unit": kpi_info(k).unit, "meaning": kpi_info(k).meaning or "(not documented)",
             "defined in": kpi_info(k).source or "-",
             "roadmap KPI it answers (docs/kpis.md)": "; ".join(roadmap.get(k, [])) or "-"} for k in kpis]
    return table(pd.DataFrame(rows))


def _headline(columns) -> list[str]:
    return [k for k in HEADLINE if k in columns]


def _monthly_figure(kpis: pd.DataFrame, shown: list[str], by: str | None, title: str):
    """Monthly KPIs: one line per group of ``by`` (median, band 5-95 % over its runs), or one run."""
    fig, axes = plt.subplots(int(np.ceil(len(shown) / 3)), 3, figsize=(13, 3.0 * np.ceil(len(shown) / 3)),
                             squeeze=False, sharex=True)
    groups = list(dict.fromkeys(kpis[by])) if by else [None]
    for ax, kpi in zip(axes.flat, shown):
        for i, group in enumerate(groups):
            part = kpis if group is None else kpis[kpis[by] == group]
            stats = part.groupby("step")[kpi].quantile([0.05, 0.5, 0.95]).unstack()
            name = str(group) if group is not None else kpi
            if group is not None and part["run"].nunique() > 1 if "run" in part else False:
                ax.fill_between(stats.index, stats[0.05], stats[0.95], color=colour(name, i), alpha=0.12, lw=0)
            ax.plot(stats.index, stats[0.5], color=colour(name, i), label=name, **line_style(i, len(groups)))
        ax.set_title(f"{kpi} ({kpi_info(kpi).unit or 'no unit'})", fontsize=9)
        thousands(ax)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    if by:
        axes[0, 0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def _provenance(manifest: dict | None, where: Path | None) -> str:
    if manifest is None:
        return "<p>No run manifest found.</p>"
    keys = ["run_name", "scenario", "seed", "months", "policies", "git_revision", "command", "wall_time_s"]
    rows = pd.DataFrame([{"field": k, "value": json.dumps(manifest.get(k)) if isinstance(manifest.get(k), list)
                          else manifest.get(k)} for k in keys if k in manifest])
    packages = ", ".join(f"{k} {v}" for k, v in manifest.get("packages", {}).items())
    checks = "".join(f"<li><code>{esc(n)}</code> sha256 {esc(h[:16])}...</li>" for n, h in manifest.get("sha256", {}).items())
    out = table(rows) + f"<p>Packages: {esc(packages)}</p>"
    out += f"<details><summary>files of {esc(where)} and their checksums</summary><ul>{checks}</ul></details>"
    config = where / "config.yaml" if where else None
    if config and config.is_file():
        out += f"<details><summary>resolved configuration (config.yaml)</summary><pre>{esc(config.read_text())}</pre></details>"
    return out


def _assumptions(config: dict | None, varied: list[str]) -> str:
    """The pilots and their parameters, the settings away from their defaults, and the uncertain
    inputs with their ranges and sources (which ones this result varies)."""
    from sim.scenario import DEFAULT_SCENARIO

    parts = []
    if config:
        pilots = config.get("policies") or {}
        if pilots:
            rows = [{"pilot": p, "parameter": k, "value": json.dumps(v) if not isinstance(v, (int, float)) else v}
                    for p, params in pilots.items() for k, v in (params or {}).items()]
            parts.append("<p>Pilots switched on and their parameters (sources and assumptions: "
                         "<code>configs/policies/&lt;pilot&gt;.yaml</code>):</p>" + table(pd.DataFrame(rows)))
        else:
            parts.append("<p>No pilot is switched on (the baseline).</p>")
        changed = {k: v for k, v in (config.get("parameters") or {}).items()}
        for key in ("price_multiplier", "transport_cost_multiplier"):
            if config.get(key, 1.0) != 1.0:
                changed[key] = config[key]
        if changed:
            parts.append("<p>Settings away from the scenario's defaults:</p>" + table(
                pd.DataFrame([{"setting": k, "value": json.dumps(v)} for k, v in changed.items()])))
    scenario = Path(config.get("scenario") or DEFAULT_SCENARIO) if config else DEFAULT_SCENARIO
    try:
        documented = yaml.safe_load((scenario / "parameters.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        documented = {}
    rows = []
    for key, prior in PRIORS.items():
        name = key.removeprefix("parameters.").split(".")[0]
        entry = documented.get(name, {}) if isinstance(documented.get(name), dict) else {}
        rows.append({"input": key, "varied here": "yes" if key in varied else "no (default)",
                     "range": f"{number(prior.low)} - {number(prior.high)}", "range source": prior.source,
                     "default source": entry.get("source", "-")})
    parts.append("<p>Uncertain inputs that move the results most (the sensitivity study's inputs), with their "
                 "documented ranges:</p>" + table(pd.DataFrame(rows)))
    return "".join(parts)


def _warnings(items: list[str]) -> str:
    if not items:
        return "<p>None.</p>"
    return "".join(f'<div class="warn">{esc(w)}</div>' for w in items)


def _end_figures(kpis: pd.DataFrame, columns: list[str], by: list[str]) -> pd.DataFrame:
    """Mean of the last 12 months per run (``by``) and KPI."""
    last = kpis[kpis["step"] > kpis["step"].max() - 12]
    return last.groupby(by)[columns].mean()


# ---- the three kinds ---------------------------------------------------------------------------
def run_report(folder: Path) -> tuple[str, list[str]]:
    manifest = _json(folder / "manifest.json")
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8")) if (folder / "config.yaml").is_file() else {}
    kpis = pd.read_parquet(folder / "kpis.parquet")
    shown = _headline(kpis.columns)
    last = kpis[kpis["step"] > kpis["step"].max() - 12]
    rows = [{"KPI": k, "unit": kpi_info(k).unit, "mean of the last 12 months": last[k].mean(),
             "5 % month": last[k].quantile(0.05), "95 % month": last[k].quantile(0.95),
             "first month": kpis[k].iloc[0]} for k in shown]
    pilots = ", ".join(manifest.get("policies", [])) or "no pilots (baseline)"
    question = (f"What do waste, by-product and secondary-material flows in the WB6 region look like over "
                f"{manifest.get('months')} months with {pilots} (seed {manifest.get('seed')})?")
    body = [section("Question", f"<p>{esc(question)}</p>"),
            section("Configuration and provenance", _provenance(manifest, folder)),
            section("Headline KPIs", "<p>One run: the interval is the spread of the monthly values over the last "
                    "12 months (5 % and 95 %), not an uncertainty range; a phase comparison gives those.</p>"
                    + table(pd.DataFrame(rows))
                    + png(_monthly_figure(kpis, shown, None, "KPIs by month"), "KPIs by month")),
            section("KPI definitions", definitions(shown)),
            section("Assumptions that drive the result", _assumptions(config, [])),
            section("Warnings", _warnings(list(manifest.get("warnings", []))))]
    return f"Run {manifest.get('run_name')}", body


def comparison_report(folder: Path) -> tuple[str, list[str]]:
    settings = _json(folder / "comparison.json")
    summary = pd.read_csv(folder / "kpi_comparison.csv")
    manifest, where = _first_manifest(folder / "runs")
    shown = _headline(set(summary["kpi"]))
    variants = [v for v in settings.get("variants", summary["variant"].unique()) if v != "baseline"]
    rows = []
    for kpi in shown:
        base = summary[(summary["variant"] == "baseline") & (summary["kpi"] == kpi)].iloc[0]
        row = {"KPI": kpi, "unit": base["unit"], "baseline median [5 %, 95 %]":
               f"{number(base['value_median'])} [{number(base['value_p05'])}, {number(base['value_p95'])}]"}
        for v in variants:
            r = summary[(summary["variant"] == v) & (summary["kpi"] == kpi)].iloc[0]
            row[f"effect: {v}"] = f"{number(r['effect_median'])} [{number(r['effect_p05'])}, {number(r['effect_p95'])}]"
        rows.append(row)
    warnings = []
    for _, r in summary[(summary["variant"] != "baseline") & summary["kpi"].isin(shown)].iterrows():
        if r["bimodality"] > 0.555 and r["runs"] >= 10:
            warnings.append(f"{r['variant']}, {r['kpi']}: the effects look bimodal (coefficient {r['bimodality']:.2f}); "
                            "read the points in the figure, not the median alone.")
        if r["effect_p05"] < 0 < r["effect_p95"]:
            warnings.append(f"{r['variant']}, {r['kpi']}: the 5-95 % interval of the effect includes 0.")
    if manifest:
        warnings += [f"model (first run): {w}" for w in manifest.get("warnings", [])]
    question = ("How do the roadmap phases change the KPIs against the baseline, and how sure is that, given the "
                f"uncertain inputs ({settings.get('sampling')}) and seed noise? {settings.get('draws')} draws x "
                f"{settings.get('seeds')} seeds, {settings.get('months')} months; overrides: "
                f"{' '.join(settings.get('overrides', [])) or 'none'}.")
    figures = "".join(png(folder / name, name) for name in ("kpi_effects.png", "kpi_timeseries.png")
                      if (folder / name).is_file())
    body = [section("Question", f"<p>{esc(question)}</p>"),
            section("Configuration and provenance", "<p>Study settings (comparison.json):</p>" + table(pd.DataFrame(
                [{"setting": k, "value": json.dumps(v) if not isinstance(v, (int, float)) else v}
                 for k, v in settings.items() if k != "priors"])) + "<p>A run of the study:</p>"
                + _provenance(manifest, where)),
            section("Headline KPIs", "<p>Effect = phase run minus the baseline run of the same draw and seed; "
                    "median and 5-95 % interval over the runs. End-of-horizon figure: mean of the last 12 months "
                    "(cumulative KPIs: last month).</p>" + table(pd.DataFrame(rows)) + figures),
            section("KPI definitions", definitions(shown)),
            section("Assumptions that drive the result", _variant_pilots(settings) + _assumptions(
                None, list(settings.get("priors", {})))),
            section("Warnings", _warnings(warnings))]
    return "Roadmap phases compared with the baseline", body


def _variant_pilots(settings: dict) -> str:
    """Each compared variant's pilots with their start months (configs/phase/, or the custom roadmap)."""
    from sim.config import compose_config

    rows = []
    for variant in settings.get("variants", []):
        if variant.startswith("custom:"):
            pilots = settings.get("roadmap", {})
        else:
            pilots = compose_config([f"phase={variant}"]).policies
        text = ", ".join(f"{p} from month {(pilots[p] or {}).get('start_month', 'default')}" for p in sorted(pilots))
        rows.append({"variant": variant, "pilots (start month)": text or "none"})
    return "<p>Variants compared and their pilots (parameters: <code>configs/phase/</code>, " \
           "<code>configs/policies/</code>):</p>" + table(pd.DataFrame(rows))


def sweep_report(folder: Path) -> tuple[str, list[str]]:
    from sim.sweep import aggregate

    table_path = folder / "runs.parquet"
    if not table_path.is_file():
        table_path = aggregate(folder)
    runs = pd.read_parquet(table_path)
    manifest, where = _first_manifest(folder)
    settings = [c for c in runs.columns if c not in ("run", "step", "year") and c in _swept(runs)]
    shown = _headline(runs.columns)
    by = settings[0] if settings else None
    figures = _end_figures(runs, shown, ["run", *settings])
    rows = []
    for kpi in shown:
        row = {"KPI": kpi, "unit": kpi_info(kpi).unit}
        groups = figures.groupby(level=by) if by else [("all runs", figures)]
        for name, part in groups:
            row[f"{by}={name}" if by else name] = (f"{number(part[kpi].median())} [{number(part[kpi].quantile(0.05))}, "
                                                   f"{number(part[kpi].quantile(0.95))}]")
        rows.append(row)
    warnings = sorted({w for m in folder.glob("*/manifest.json") for w in _json(m).get("warnings", [])})
    question = (f"How do the KPIs vary across the {runs['run'].nunique()} runs of the sweep {folder.name} "
                f"(swept: {', '.join(settings) or 'nothing'})?")
    body = [section("Question", f"<p>{esc(question)}</p>"),
            section("Configuration and provenance", "<p>A run of the sweep:</p>" + _provenance(manifest, where)),
            section("Headline KPIs", f"<p>Mean of the last 12 months per run; median [5 %, 95 %] over the runs"
                    f"{' of each ' + by if by else ''}.</p>" + table(pd.DataFrame(rows))
                    + png(_monthly_figure(runs.assign(**{by: runs[by].astype(str)}) if by else runs, shown, by,
                                          f"KPIs by month: median over runs{' by ' + by if by else ''}, band 5-95 %"),
                          "KPIs by month")),
            section("KPI definitions", definitions(shown)),
            section("Assumptions that drive the result",
                    _assumptions(yaml.safe_load((where / "config.yaml").read_text()) if where else None, settings)),
            section("Warnings", _warnings(warnings))]
    return f"Sweep {folder.name}", body


def _swept(runs: pd.DataFrame) -> list[str]:
    """The swept settings: runs.parquet has them between ``run`` and the KPIs (from ``step`` on)."""
    columns = list(runs.columns)
    return columns[columns.index("run") + 1:columns.index("step")]


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise ConfigError(str(folder), "folder not found")
    kind = kind_of(folder)
    title, body = {"run": run_report, "comparison": comparison_report, "sweep": sweep_report}[kind](folder)
    page = (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{esc(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{esc(title)}</h1>"
            f"<p>Report of <code>{esc(folder)}</code> ({kind}), made by <code>python -m sim.report</code>.</p>"
            + "".join(body) + "</body></html>\n")
    target = Path(out) if out else folder / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(target)
    return target


def screenshot(report: Path, picture: Path) -> dict:
    """Open the report in chromium (no network), save a full-page picture; return what rendered:
    the section titles, the number of images that decoded, and any request that left the page."""
    from playwright.sync_api import sync_playwright

    outside = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.route("**/*", lambda route: (outside.append(route.request.url), route.abort())
                   if not route.request.url.startswith(("file:", "data:")) else route.continue_())
        page.goto(report.resolve().as_uri())
        rendered = {"sections": page.locator("h2").all_inner_texts(),
                    "images": page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth > 0).length"),
                    "requests_outside": outside}
        picture.parent.mkdir(parents=True, exist_ok=True)
        jpeg = picture.suffix.lower() in (".jpg", ".jpeg")  # a JPEG is a tenth of the PNG's size
        page.screenshot(path=str(picture), full_page=True, **({"quality": 40} if jpeg else {}))
        browser.close()
    return rendered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("folder", type=Path, help="a run, phase comparison or sweep folder")
    parser.add_argument("--out", type=Path, help="where to write the report (default <folder>/report.html)")
    parser.add_argument("--screenshot", type=Path, help="also save a picture of the rendered report (.png or .jpg)")
    args = parser.parse_args(argv)
    try:
        target = write_report(args.folder, args.out)
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"report written to {target}")
    if args.screenshot:
        rendered = screenshot(target, args.screenshot)
        print(f"screenshot {args.screenshot}: {len(rendered['sections'])} sections, {rendered['images']} figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
