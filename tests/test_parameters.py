"""Scenario parameters have defaults: a scenario folder gives only what it changes, a parameter
declared in code carries its default, unit and source, and rebuilding the default scenario's
data keeps the entries the build does not derive."""

import importlib.util
import re
import shutil
from pathlib import Path

import pytest
import yaml

from sim.errors import ConfigError
from sim.model import WB6Model
from sim.parameters import SCHEMA, declare
from sim.scenario import DEFAULT_SCENARIO, load_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def declared():
    """Declare parameters for one test only."""
    before = dict(SCHEMA)
    yield declare
    SCHEMA.clear()
    SCHEMA.update(before)


def scenario_copy(tmp_path, parameters_yaml: str) -> Path:
    folder = tmp_path / "scenario"
    shutil.copytree(DEFAULT_SCENARIO, folder)
    (folder / "parameters.yaml").write_text(parameters_yaml, encoding="utf-8")
    return folder


def test_a_scenario_folder_gives_only_the_parameters_it_changes(tmp_path):
    folder = scenario_copy(tmp_path, "handling_eur_t:\n  value: 7.5\n  unit: EUR per tonne\n  source: test\n")
    changed, packaged = load_scenario(folder).parameters, load_scenario().parameters
    assert changed["handling_eur_t"] == 7.5 != packaged["handling_eur_t"]
    assert {k: v for k, v in changed.items() if k != "handling_eur_t"} == {
        k: v for k, v in packaged.items() if k != "handling_eur_t"}


def test_a_parameter_left_out_runs_as_the_packaged_scenario(tmp_path):
    text = (DEFAULT_SCENARIO / "parameters.yaml").read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^holding_cost_eur_t_day:\n(  .*\n)+", "", text)
    assert count == 1
    folder = scenario_copy(tmp_path, text)
    runs = [WB6Model({"months": 3, "scenario": str(scenario)}) for scenario in (folder, DEFAULT_SCENARIO)]
    for model in runs:
        model.run()
    assert runs[0].kpis.frame().equals(runs[1].kpis.frame())


def test_a_parameter_declared_in_code_has_its_default_and_can_be_overridden(declared):
    declared("test_gate_share", default=0.25, unit="share of firms", source="assumption: a test")
    assert WB6Model({"months": 1}).params["test_gate_share"] == 0.25
    assert WB6Model({"months": 1, "parameters": {"test_gate_share": 0.5}}).params["test_gate_share"] == 0.5
    with pytest.raises(ConfigError, match="parameters.test_gate_share: must be a finite number >= 0, got -1"):
        WB6Model({"months": 1, "parameters": {"test_gate_share": -1}})


def test_a_default_needs_its_unit_and_source(declared):
    with pytest.raises(ValueError, match="needs its unit and its source"):
        declared("test_no_source", default=1.0, unit="t")
    with pytest.raises(ValueError, match="kind 'keyed'"):
        declared("test_keyed", kind="keyed")


def test_rebuilding_the_data_keeps_the_entries_it_does_not_derive(tmp_path):
    spec = importlib.util.spec_from_file_location("build_data", ROOT / "scripts" / "build_data.py")
    build_data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_data)
    path = tmp_path / "parameters.yaml"
    path.write_text(yaml.safe_dump({"handling_eur_t": {"value": 99.0}, "added_by_hand": {"value": 1.0}}))
    derived = {"handling_eur_t": {"value": 5.0}, "search_cost_eur_t": {"value": 2.0}}
    merged = build_data.keep_entries_not_derived(derived, path)
    assert list(merged) == ["handling_eur_t", "search_cost_eur_t", "added_by_hand"]
    assert merged["handling_eur_t"] == {"value": 5.0} and merged["added_by_hand"] == {"value": 1.0}
    assert build_data.keep_entries_not_derived(derived, tmp_path / "none.yaml") == derived


def test_the_minimum_grade_factor_scales_buyers_minimum_grades_up_to_1():
    base = WB6Model({"months": 1})
    strict = WB6Model({"months": 1, "parameters": {"min_grade_factor": 1.2}})
    buyers = base.firms.capacity > 0
    assert buyers.any() and (base.firms.min_quality[buyers] > 0).any()
    assert strict.firms.min_quality[buyers] == pytest.approx(
        [min(q * 1.2, 1.0) for q in base.firms.min_quality[buyers]])
    assert (strict.firms.quality == base.firms.quality).all()
