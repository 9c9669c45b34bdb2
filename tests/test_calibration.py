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
    """Fails when a change moves a fitted output out of its observed band, or a hold-out output
    that was inside its band at the calibration out of it: run ``python -m sim.calibrate`` again
    (and say why in docs/calibration.md)."""
    targets = calibrate.load_targets()
    document = yaml.safe_load(calibrate.ENSEMBLE_FILE.read_text(encoding="utf-8"))
    settings = document["settings"]
    outputs = calibrate.simulate({}, targets, settings["seeds"], settings["months"])
    kept = (targets["role"] == "fit") | targets["target_id"].isin(document["holdout_in_band"])
    outside = targets.loc[kept & ~calibrate.inside(outputs, targets), "target_id"].tolist()
    assert not outside, f"calibrated outputs left their bands: {dict(zip(targets['target_id'], outputs.round(3)))}"


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
             "aware_share", "cement_raw_material_t_yr", "cement_fuel_t_yr"}
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


@pytest.mark.parametrize("address, message", [("127.0.0.1:1", "no Ray head answers at 127.0.0.1:1"),
                                              ("nonsense", "neither 'local', 'auto' nor host:port")])
def test_a_bad_ray_address_is_a_clear_error(tmp_path, capsys, address, message):
    assert calibrate.main(["--trials", "1", "--ray-address", address, "--out", str(tmp_path), "--no-write-default"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ray_address: ") and message in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.ray
@pytest.mark.timeout(600)
def test_a_calibration_through_ray_on_a_local_head_gives_the_local_trials(tmp_path, local_ray):
    """Two trials, one seed, 13 months: evaluated as Ray tasks on a local head (127.0.0.1, two
    trials at once) and in one local worker process, the same parameter sets and outputs."""
    args = ["--trials", "2", "--seeds", "1", "--months", "13", "--keep", "1", "--no-write-default"]
    assert calibrate.main([*args, "--workers", "1", "--out", str(tmp_path / "local")]) == 0
    assert calibrate.main([*args, "--workers", "2", "--ray-address", "local", "--out", str(tmp_path / "ray")]) == 0
    local, through_ray = (pd.read_csv(tmp_path / name / "trials.csv") for name in ("local", "ray"))
    assert len(local) == 2
    pd.testing.assert_frame_equal(through_ray, local, check_exact=True)
