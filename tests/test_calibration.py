"""Calibration: the default scenario's calibrated outputs stay inside their observed bands, the
targets are data the model never reads, and the command resumes an interrupted study."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import calibrate
from sim.errors import SimInputError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_calibrated_outputs_of_the_default_scenario_stay_in_their_bands():
    """Fails when a change moves a fitted output out of its observed band: run
    ``python -m sim.calibrate`` again (and say why in docs/calibration.md)."""
    targets = calibrate.load_targets()
    fit = targets[targets["role"] == "fit"].reset_index(drop=True)
    settings = yaml.safe_load(calibrate.ENSEMBLE_FILE.read_text(encoding="utf-8"))["settings"]
    outputs = calibrate.simulate({}, fit, settings["seeds"], settings["months"])
    outside = fit.loc[~calibrate.inside(outputs, fit), "target_id"].tolist()
    assert not outside, f"calibrated outputs left their bands: {dict(zip(fit['target_id'], outputs.round(3)))}"


def test_the_default_scenario_uses_the_fitted_point():
    point = yaml.safe_load(calibrate.ENSEMBLE_FILE.read_text(encoding="utf-8"))["point"]
    params = load_scenario().parameters
    for name, value in point.items():
        base, _, key = name.partition(".")
        assert (params[base][key] if key else params[base]) == value
    assert set(point) == set(calibrate.PRIORS)


def test_no_target_value_is_read_by_the_model():
    readers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "sim").rglob("*.py")
               if "calibration_targets" in p.read_text(encoding="utf-8") or "TARGETS_FILE" in p.read_text(encoding="utf-8")]
    assert readers == ["sim/calibrate.py"]


def test_every_target_names_a_model_output_and_a_source():
    targets = calibrate.load_targets()
    assert set(targets["role"]) == {"fit", "holdout"}
    assert targets["source"].str.len().min() > 10
    known = {"ash_sold_share", "municipal_dumped_share", "municipal_landfilled_share", "municipal_recycled_share",
             "aware_share"}
    assert set(targets["output"]) <= known


def test_a_target_outside_its_band_is_a_clear_error(tmp_path):
    bad = pd.read_csv(calibrate.TARGETS_FILE)
    bad.loc[0, "value"] = bad.loc[0, "high"] + 1.0
    path = tmp_path / "targets.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(SimInputError, match=r"targets.csv:2: value must lie inside its band"):
        calibrate.load_targets(path)


def test_distance_is_zero_on_target_and_one_a_half_band_off():
    targets = calibrate.load_targets()
    fit = (targets["role"] == "fit").to_numpy()
    assert calibrate.distance(targets["value"].to_numpy(), targets) == 0.0
    half = (targets["high"] - targets["low"]) / 2
    edge = np.where(fit, targets["value"] + half, targets["value"])
    assert calibrate.distance(edge, targets) == pytest.approx(1.0)


@pytest.mark.slow
def test_an_interrupted_study_resumes(tmp_path):
    args = ["--seeds", "1", "--months", "13", "--workers", "1", "--keep", "1", "--out", str(tmp_path),
            "--no-write-default"]
    assert calibrate.main(["--trials", "2", *args]) == 0
    assert calibrate.main(["--trials", "3", *args]) == 0
    trials = pd.read_csv(tmp_path / "trials.csv")
    assert len(trials) == 3 and trials["trial"].tolist() == [0, 1, 2]
    assert (tmp_path / "report.md").exists() and (tmp_path / "fit.png").exists()
