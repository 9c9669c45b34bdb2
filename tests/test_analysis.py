"""Analyst tools end to end on small settings: the phase comparison with uncertainty, the EMA
model, scenario discovery (PRIM) and the HTML report rendered in chromium."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import discover, report
from sim.ema import kpi_columns, overrides_of, phase_policies, wb6_model
from sim.results import run_to_folder

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("compare_phases", ROOT / "experiments" / "compare_phases.py")
compare_phases = importlib.util.module_from_spec(spec)
sys.modules["compare_phases"] = compare_phases
spec.loader.exec_module(compare_phases)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    """Baseline and the low-hanging fruits at 2 draws x 2 seeds, 13 months."""
    out = tmp_path_factory.mktemp("comparison")
    phases = compare_phases.variants
    compare_phases.variants = lambda roadmap: ["baseline", "low_hanging_fruits"]
    try:
        assert compare_phases.main(["--draws", "2", "--seeds", "2", "--months", "13", "--out", str(out)]) == 0
        first = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
        assert compare_phases.main(["--draws", "2", "--seeds", "2", "--months", "13", "--out", str(out),
                                    "--from-runs"]) == 0
    finally:
        compare_phases.variants = phases
    return out, first


def test_comparison_pairs_runs_and_reports_effect_intervals(comparison):
    out, first = comparison
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == first  # byte-identical again
    runs = pd.read_parquet(out / "effects_runs.parquet")
    table = pd.read_csv(out / "kpi_comparison.csv")
    assert set(runs["variant"]) == {"baseline", "low_hanging_fruits"}
    assert (runs[runs["variant"] == "baseline"]["effect"] == 0).all()
    one = runs[(runs["variant"] == "low_hanging_fruits") & (runs["kpi"] == "exchange_volume_t")]
    assert len(one) == 4 and one["effect"].nunique() == 4  # each draw x seed its own paired effect
    row = table[(table["variant"] == "low_hanging_fruits") & (table["kpi"] == "exchange_volume_t")].iloc[0]
    assert row["effect_p05"] <= row["effect_median"] <= row["effect_p95"]
    assert np.isclose(row["effect_median"], one["effect"].median())
    assert len(pd.read_csv(out / "design.csv")) == 2


def test_comparison_refuses_a_pilot_in_none_of_its_variants(tmp_path, capsys):
    phases = compare_phases.variants
    compare_phases.variants = lambda roadmap: ["baseline", "low_hanging_fruits"]
    try:
        code = compare_phases.main(["--draws", "1", "--seeds", "2", "--months", "13", "--out", str(tmp_path),
                                    "policies.landfill_fee.start_month=3"])
    finally:
        compare_phases.variants = phases
    assert code == 2
    assert "policies.landfill_fee.start_month: pilot 'landfill_fee' is in none of the compared variants" in \
        capsys.readouterr().err
    assert not (tmp_path / "kpi_comparison.csv").exists()


def test_calibrated_ensemble_fills_its_parameters_and_priors_the_rest():
    from sim.priors import PRIORS, latin_hypercube, load_ensemble, with_ensemble
    from sim.scenario import DEFAULT_SCENARIO

    ensemble = load_ensemble(DEFAULT_SCENARIO / "calibration.yaml")
    assert len(ensemble) >= 2 and all(c.startswith("parameters.") for c in ensemble.columns)
    design = with_ensemble(latin_hypercube(len(ensemble) + 1), ensemble)
    assert set(design.columns) == set(PRIORS) | set(ensemble.columns)
    for column in ensemble.columns:  # member i in draw i, cycled
        assert list(design[column]) == list(ensemble[column]) + [ensemble[column].iloc[0]]


def test_ema_model_has_the_project_vocabulary():
    model = wb6_model(months=13, replications=3, root="unused")
    assert {u.name for u in model.uncertainties} >= {"transport_eur_tkm_road", "trust_threshold"}
    assert {"harmonised_eow", "harmonised_eow__start_month"} <= {lever.name for lever in model.levers}
    assert {"exchange_volume_t", "exchange_volume_t_total"} <= {o.name for o in model.outcomes}
    assert len(kpi_columns()) > 30
    assert [r["seed"] for r in model.replications] == [1, 2, 3]
    short = next(p for p in phase_policies(model, ["short_term"]))
    ov = overrides_of({**short, "months": 13, "seed": 1, "transport_eur_tkm_road": 0.07})
    assert "policies=[epr,green_procurement,harmonised_eow,symbiosis_platform,treatment_capacity]" in ov
    assert "policies.harmonised_eow.start_month=12" in ov
    assert "policies.harmonised_eow.recognition_delay_months=12" in ov  # set by the phase, not a lever
    assert "++parameters.transport_eur_tkm_road=0.07" in ov


@pytest.fixture(scope="module")
def discovery(tmp_path_factory):
    out = tmp_path_factory.mktemp("discovery")
    args = ["--scenarios", "8", "--months", "13", "--window", "6-12", "--phase", "low_hanging_fruits",
            "--phases", "baseline", "--jobs", "1", "--out", str(out)]
    assert discover.main([*args, "--target", "exchange_volume_t>=0"]) == 0
    values = pd.read_csv(out / "values.csv")
    mine = values[values["policy"] == "low_hanging_fruits"]["value"]
    ranked = np.sort(mine)
    # half the runs meet it: halfway between two runs, so no run sits on the threshold (values.csv
    # holds 12 digits, the runs read again their full values)
    middle = float((ranked[len(mine) // 2 - 1] + ranked[len(mine) // 2]) / 2)
    assert discover.main([*args, "--target", f"exchange_volume_t>={middle}"]) == 0  # the runs are read again
    return out, middle


def test_discovery_writes_boxes_tradeoff_and_robustness(discovery):
    out, middle = discovery
    boxes = pd.read_csv(out / "boxes.csv")
    assert len(boxes) >= 1
    assert boxes["coverage"].between(0, 1).all() and boxes["density"].between(0, 1).all()
    restricted = boxes[boxes["input"] != "(none)"]
    assert (restricted["min"] <= restricted["max"]).all()
    trade = pd.read_csv(out / "tradeoff.csv")
    assert {"coverage", "density", "mass"} <= set(trade.columns) and len(trade) >= 2
    for name in ("tradeoff.png", "box.png", "robustness.png", "experiments.tar.gz"):
        assert (out / name).stat().st_size > 1000
    scores = pd.read_csv(out / "robustness.csv").set_index("phase")
    assert set(scores.index) == {"baseline", "low_hanging_fruits"}
    assert np.isclose(scores.loc["low_hanging_fruits", "satisficing"],
                      (pd.read_csv(out / "values.csv").query("policy == 'low_hanging_fruits'")["value"] >= middle).mean())
    assert (scores["max_regret"] >= 0).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["target"].startswith("exchange_volume_t >=")


def test_discovery_refuses_an_unknown_kpi(tmp_path, capsys):
    assert discover.main(["--target", "cross_border_eow>=20", "--out", str(tmp_path)]) == 2
    assert "--target: unknown KPI 'cross_border_eow'" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["run", "comparison", "sweep"])
def test_report_renders_in_chromium_offline(kind, comparison, tmp_path):
    if not report.CHROMIUM.exists():
        pytest.skip(f"{report.CHROMIUM} missing: install Debian's chromium")
    if kind == "run":
        folder = run_to_folder({"months": 13, "run_name": "r", "output": {"root": str(tmp_path), "write_flows": False},
                                "policies": {"epr": {}}})
    elif kind == "comparison":
        folder = comparison[0]
    else:
        folder = comparison[0] / "runs" / "sweeps" / "comparison"
    page = report.write_report(folder, tmp_path / "report.html")
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text.split("<body>")[0]
    rendered = report.screenshot(page, tmp_path / "report.png")
    assert rendered["sections"] == ["Question", "Configuration and provenance", "Headline KPIs", "KPI definitions",
                                    "Assumptions that drive the result", "Warnings"]
    assert rendered["images"] >= 1 and rendered["images"] == text.count("<img ")
    assert rendered["requests_outside"] == []
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_report_of_a_folder_that_is_none_of_the_kinds(tmp_path, capsys):
    assert report.main([str(tmp_path)]) == 2
    assert "is neither a run" in capsys.readouterr().err
