"""Bad input gets a clear error and leaves nothing half-written.

Each case breaks one thing (a copy of the default scenario folder with one file corrupted, or
one config value) and checks the error names the thing, where it is (file:line or config key)
and, where there is a closed set, the valid choices; and that no result folder is left.
Scenario and config cases run in-process (``run_to_folder``); the command-line cases run
``python -m sim`` in subprocesses, all at once, and check the exit code and stderr too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.errors import ConfigError, ScenarioError
from sim.results import run_to_folder
from sim.scenario import DEFAULT_SCENARIO

ROOT = Path(__file__).resolve().parents[1]
RUN = "broken"
#: the line a row appended to links.csv lands on
APPENDED_LINK_LINE = len((DEFAULT_SCENARIO / "links.csv").read_text(encoding="utf-8").splitlines()) + 1


# ---- how to break a scenario folder ---------------------------------------------------------
def set_cell(table: str, row: int, column: str, value: str):
    """Data row ``row`` (0-based; CSV line row + 2) of ``table``.csv gets ``value`` in ``column``."""
    def corrupt(folder: Path) -> None:
        path = folder / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.loc[row, column] = value
        frame.to_csv(path, index=False)
    return corrupt


def rename_column(table: str, old: str, new: str):
    def corrupt(folder: Path) -> None:
        path = folder / f"{table}.csv"
        header, rest = path.read_text(encoding="utf-8").split("\n", 1)
        path.write_text(header.replace(old, new) + "\n" + rest, encoding="utf-8")
    return corrupt


def write_bytes(name: str, data: bytes):
    def corrupt(folder: Path) -> None:
        (folder / name).write_bytes(data)
    return corrupt


def append_line(table: str, line: str):
    def corrupt(folder: Path) -> None:
        with (folder / f"{table}.csv").open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    return corrupt


def reencode(table: str, encoding: str):
    def corrupt(folder: Path) -> None:
        path = folder / f"{table}.csv"
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding, errors="replace"))
    return corrupt


def copy_first_row(table: str):
    def corrupt(folder: Path) -> None:
        path = folder / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        pd.concat([frame, frame.iloc[:1]]).to_csv(path, index=False)
    return corrupt


def remove(name: str):
    def corrupt(folder: Path) -> None:
        (folder / name).unlink()
    return corrupt


def folder_instead_of(name: str):
    def corrupt(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
    return corrupt


def set_parameter(name: str, value: str):
    """``parameters.yaml``: the value of ``name`` becomes ``value`` (YAML text)."""
    def corrupt(folder: Path) -> None:
        path = folder / "parameters.yaml"
        text, count = re.subn(rf"(?m)^{name}:\n(  .*\n)+", f"{name}:\n  value: {value}\n",
                              path.read_text(encoding="utf-8"))
        assert count == 1
        path.write_text(text, encoding="utf-8")
    return corrupt


def parameter_line(name: str) -> int:
    lines = (DEFAULT_SCENARIO / "parameters.yaml").read_text(encoding="utf-8").splitlines()
    return lines.index(f"{name}:") + 1


ECONOMIES = "valid choices: AL, BA, BG, GR, HR, HU, ME, MK, RO, RS, XK"
MATERIALS = "valid choices: bottom_ash, cd_waste, e_waste, fly_ash, glass"

#: (id, corruption, expected messages). Row r of a table is on CSV line r + 2.
SCENARIO_CASES = [
    ("negative tonnage", set_cell("firm_streams", 3, "tonnes", "-5"),
     ["firm_streams.csv:5", "column 'tonnes'", "-5.0, below 0"]),
    ("NaN tonnage", set_cell("firm_streams", 3, "tonnes", "nan"),
     ["firm_streams.csv:5", "column 'tonnes' needs a finite number", "'nan'"]),
    ("infinite tonnage", set_cell("firm_streams", 3, "tonnes", "inf"),
     ["firm_streams.csv:5", "column 'tonnes' needs a finite number", "'inf'"]),
    ("tonnage of the wrong type", set_cell("firm_streams", 3, "tonnes", "a lot"),
     ["firm_streams.csv:5", "column 'tonnes' needs a finite number", "'a lot'"]),
    ("negative price", set_cell("materials", 2, "virgin_price_eur_t", "-1"),
     ["materials.csv:4", "column 'virgin_price_eur_t' must be > 0", "-1"]),
    ("NaN price", set_cell("materials", 2, "unit_value_eur_t", "NaN"),
     ["materials.csv:4", "column 'unit_value_eur_t' needs a finite number", "'NaN'"]),
    ("NaN metal price", set_cell("remining", 0, "metal_price_eur_t", "nan"),
     ["remining.csv:2", "column 'metal_price_eur_t' needs a finite number"]),
    # quantities the model divides by must be > 0 (a closed border, capacity 0, is allowed: see test_extremes)
    ("zero link length", set_cell("links", 5, "distance_km", "0"),
     ["links.csv:7", "column 'distance_km' must be > 0", "got 0"]),
    ("zero hurdle rate", set_cell("economies", 1, "hurdle_rate", "0"),
     ["economies.csv:3", "column 'hurdle_rate' must be > 0"]),
    ("negative customs capacity", set_cell("borders", 2, "capacity_t_month", "-100"),
     ["borders.csv:4", "column 'capacity_t_month'", "below 0"]),
    ("unknown recycled material", set_cell("process_inputs", 2, "recycled_materials", "fly_ash slagg"),
     ["process_inputs.csv:4", "column 'recycled_materials' needs material names", "did you mean 'slag'"]),
    ("unknown waste customs office", lambda folder: (folder / "parameters.yaml").write_text(
        (folder / "parameters.yaml").read_text(encoding="utf-8").replace("  - BX01_RS_BA\n", "  - BX01_RS_BAX\n", 1),
        encoding="utf-8"),
     ["parameters.yaml: waste_customs_offices", "unknown crossing 'BX01_RS_BAX'", "did you mean 'BX01_RS_BA'"]),
    ("share above one", set_cell("epr", 0, "collection_rate", "1.5"),
     ["epr.csv:2", "column 'collection_rate' is 1.5, above 1"]),
    ("missing latitude", set_cell("sites", 4, "lat", ""),
     ["sites.csv:6", "column 'lat' is empty: a number is needed"]),
    ("missing longitude of a crossing", set_cell("borders", 0, "lon", ""),
     ["borders.csv:2", "column 'lon' is empty"]),
    ("latitude out of range", set_cell("sites", 4, "lat", "91"),
     ["sites.csv:6", "column 'lat' is 91.0, above 90"]),
    ("site in an unknown economy", set_cell("sites", 4, "economy", "XX"),
     ["sites.csv:6", "unknown economy 'XX'", ECONOMIES]),
    ("crossing into an unknown economy", set_cell("borders", 1, "economy_b", "SRB"),
     ["borders.csv:3", "unknown economy_b 'SRB'", ECONOMIES]),
    ("legal status of an unknown economy", set_cell("legal_status", 0, "economy", "EU"),
     ["legal_status.csv:2", "unknown economy 'EU'", ECONOMIES]),
    ("unknown material", set_cell("firm_streams", 4, "material", "plastic"),
     ["firm_streams.csv:6", "unknown material 'plastic'", "did you mean 'plastics'", MATERIALS]),
    ("EPR for a material that is no EPR stream", set_cell("epr", 0, "material", "fly_ash"),
     ["epr.csv:2", "unknown material 'fly_ash'", "valid choices: e_waste"]),
    ("firm at an unknown site", set_cell("firms", 4, "site_id", "RS_PP_TENT_X"),
     ["firms.csv:6", "unknown site_id 'RS_PP_TENT_X'", "did you mean", "'RS_PP_TENT_A'", "valid choices: AL_"]),
    ("stream of an unknown firm", set_cell("firm_streams", 7, "firm_id", "F_NOBODY"),
     ["firm_streams.csv:9", "unknown firm_id 'F_NOBODY'", "valid choices: F_"]),
    ("edge to an unknown node", set_cell("links", 6, "to_node", "NOWHERE"),
     ["links.csv:8", "unknown to_node 'NOWHERE'", "valid choices: AL_", "in all)"]),
    ("unknown stream role", set_cell("firm_streams", 0, "role", "produces"),
     ["firm_streams.csv:2", "unknown role 'produces'", "valid choices: absorbs, generates, stock"]),
    ("unknown transport mode", set_cell("links", 0, "mode", "ship"),
     ["links.csv:2", "unknown mode 'ship'", "valid choices: rail, road"]),
    ("unknown EPR status", set_cell("epr", 2, "epr_status", "planned"),
     ["epr.csv:4", "unknown epr_status 'planned'", "valid choices: early, none, operational, partial"]),
    ("boolean of the wrong type", set_cell("materials", 2, "hazardous", "maybe"),
     ["materials.csv:4", "column 'hazardous' must be true or false", "'maybe'"]),
    ("duplicate firm", append_line("firms", "F_RS_PP_TENT_A,RS_PP_TENT_A,power,Copy,x,"),
     # the appended line follows the header and every firm
     [f"firms.csv:{len(pd.read_csv(DEFAULT_SCENARIO / 'firms.csv')) + 2}", "duplicate ['firm_id']", "F_RS_PP_TENT_A"]),
    ("misspelt column header", rename_column("firm_streams", "tonnes", "tonnse"),
     ["firm_streams.csv:1", "missing column(s) ['tonnes']", "unexpected column(s) ['tonnse']",
      "did you mean 'tonnes'", "valid choices: assumption, firm_id"]),
    ("row with too many fields", append_line("links", "A,B,road,3,src,,extra,fields"),
     ["links.csv", "cannot be read as CSV", f"Expected 6 fields in line {APPENDED_LINK_LINE}, saw 8"]),
    ("empty file", write_bytes("economies.csv", b""),
     ["economies.csv", "is empty: a header line is needed", "valid choices: assumption, by_product_framework"]),
    ("binary garbage", write_bytes("firms.csv", bytes(range(256)) * 8),
     ["firms.csv", "is binary, not a CSV text file"]),
    ("not UTF-8", reencode("sites", "cp1250"),
     ["sites.csv", "is not UTF-8 text"]),
    ("missing file", remove("epr.csv"),
     ["epr.csv", "file not found", "valid choices: borders, deposits, economies, epr"]),
    ("unreadable file (a folder in its place)", folder_instead_of("firms.csv"),
     ["firms.csv", "is not a regular file"]),
    ("malformed YAML", write_bytes("parameters.yaml", b"handling_eur_t:\n  value: [5.0\nborder_fee_eur_t: {\n"),
     ["parameters.yaml:3", "cannot be read as YAML"]),
    ("YAML that is no mapping", write_bytes("parameters.yaml", b"- 1\n- 2\n"),
     ["parameters.yaml", "must be a mapping of parameter name"]),
    ("negative parameter", set_parameter("handling_eur_t", "-1"),
     [f"parameters.yaml:{parameter_line('handling_eur_t')}: handling_eur_t", "must be a finite number >= 0, got -1"]),
    ("NaN parameter", set_parameter("handling_eur_t", ".nan"),
     [f"parameters.yaml:{parameter_line('handling_eur_t')}: handling_eur_t", "must be a finite number >= 0, got nan"]),
    ("parameter of the wrong type", set_parameter("transport_eur_tkm_road", "cheap"),
     [f"parameters.yaml:{parameter_line('transport_eur_tkm_road')}: transport_eur_tkm_road", "got 'cheap'"]),
    ("class-keyed parameter without classes", set_parameter("border_delay_days", "3"),
     ["border_delay_days", "needs one number for each of ['waste', 'by_product', 'eow']",
      "valid choices: by_product, eow, waste"]),
    # cross-references: the two sides of a crossing, repeated entries
    ("crossing with one economy on both sides", set_cell("borders", 0, "economy_b", "RS"),
     ["borders.csv:2", "crossing BX01_RS_BA has 'RS' on both sides"]),
    ("road from a crossing to neither of its sides", set_cell("links", 5, "from_node", "RS_PP_TENT_A"),
     ["links.csv:7", "road from crossing BX17_ME_AL to RS_PP_TENT_A in RS, which is on neither side",
      "valid choices: AL, ME"]),
    ("repeated road", append_line("links", "AL_CE_COLACEM,BX17_ME_AL,road,40.6,x,"),
     [f"links.csv:{APPENDED_LINK_LINE}", "duplicate ['from_node', 'to_node', 'mode']"]),
    ("repeated legal status", copy_first_row("legal_status"), ["legal_status.csv:", "duplicate ['economy', 'material']"]),
    ("repeated EPR entry", copy_first_row("epr"), ["epr.csv:", "duplicate ['economy', 'material']"]),
    ("repeated sector in a parameter list", set_parameter("sectors_trading_at_start", "[power, cement, power]"),
     [f"parameters.yaml:{parameter_line('sectors_trading_at_start')}: sectors_trading_at_start",
      "lists 'power' more than once"]),
]


def assert_no_results(root: Path, run_name: str = RUN) -> None:
    """Neither a finished nor a half-written result folder is left under ``root``."""
    if not root.exists():
        return
    assert not (root / run_name).exists()
    assert not list(root.rglob("manifest.json"))
    assert not list(root.glob(f".{run_name}.incomplete-*"))


def check_message(message: str, expected: list[str]) -> None:
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


@pytest.mark.parametrize("corrupt, expected", [pytest.param(c, e, id=i) for i, c, e in SCENARIO_CASES])
def test_broken_scenario_file_is_reported_with_file_line_and_choices(tmp_path, corrupt, expected):
    folder = tmp_path / "scenario"
    shutil.copytree(DEFAULT_SCENARIO, folder)
    corrupt(folder)
    out = tmp_path / "out"
    with pytest.raises(ScenarioError) as info:
        run_to_folder({"months": 2, "scenario": str(folder), "run_name": RUN, "output": {"root": str(out)}})
    check_message(str(info.value), expected)
    assert str(folder) in str(info.value)
    assert_no_results(out)


#: (id, config, expected messages)
CONFIG_CASES = [
    ("misspelt key", {"montsh": 3}, ["montsh: unknown config key", "did you mean 'months'", "valid choices: agents, check_invariants"]),
    ("misspelt nested key", {"output": {"rot": "x"}},
     ["output.rot: unknown config key", "did you mean 'root'", "valid choices:", "root", "write_flows"]),
    ("months of the wrong type", {"months": "abc"}, ["months:", "'abc'", "Integer"]),
    ("seed of the wrong type", {"seed": "x1"}, ["seed:", "'x1'"]),
    ("flag of the wrong type", {"check_invariants": "perhaps"}, ["check_invariants:", "'perhaps'"]),
    ("zero months", {"months": 0}, ["months: must be >= 1, got 0"]),
    ("months past the cap", {"months": 10**12}, ["months: must be <= 600 (50 years), got 1000000000000"]),
    ("negative seed", {"seed": -1}, ["seed: must be a whole number >= 0, got -1"]),
    ("negative price multiplier", {"price_multiplier": -10.0}, ["price_multiplier: must be > 0, got -10.0"]),
    ("zero price multiplier", {"price_multiplier": 0.0}, ["price_multiplier: must be > 0, got 0.0"]),
    ("NaN price multiplier", {"price_multiplier": float("nan")}, ["price_multiplier: must be > 0, got nan"]),
    ("NaN transport cost", {"transport_cost_multiplier": float("nan")}, ["transport_cost_multiplier: must be > 0"]),
    ("unknown policy", {"policies": {"carbon_tax": {}}},
     ["policies.carbon_tax: unknown policy", "valid choices: automatic_mapping, cbam, customs_streamlining, de_risking"]),
    ("policies not a mapping", {"policies": {"epr": 3}}, ["policies.epr", "needs a mapping of parameters, got 3"]),
    ("unknown policy parameter", {"policies": {"epr": {"fee": 3}}},
     ["policies.epr.fee: unknown parameter", "valid choices:", "fee_eur_t"]),
    ("negative policy parameter", {"policies": {"epr": {"fee_eur_t": -3}}},
     ["policies.epr.fee_eur_t: must be a finite number >= 0, got -3"]),
    ("NaN policy parameter", {"policies": {"epr": {"fee_eur_t": float("nan")}}},
     ["policies.epr.fee_eur_t: must be a finite number >= 0, got nan"]),
    ("infinite policy budget", {"policies": {"de_risking": {"budget_eur": float("inf")}}},
     ["policies.de_risking.budget_eur: must be a finite number >= 0, got inf"]),
    ("policy parameter of the wrong type", {"policies": {"landfill_fee": {"start_month": "soon"}}},
     ["policies.landfill_fee.start_month: must be a number, got 'soon'"]),
    ("unknown economy in a policy", {"policies": {"epr": {"economies": ["SRB"]}}},
     ["policies.epr.economies: unknown economy 'SRB'", ECONOMIES]),
    ("unknown material in a policy", {"policies": {"epr": {"streams": ["plastic"]}}},
     ["policies.epr.streams: unknown material 'plastic'", "did you mean 'plastics'", MATERIALS]),
    ("misspelt policy", {"policies": {"landfil_fee": {}}},
     ["policies.landfil_fee: unknown policy", "did you mean 'landfill_fee'", "valid choices: automatic_mapping, cbam, customs_streamlining"]),
    ("unknown parameter", {"parameters": {"handlng_eur_t": 1.0}},
     ["parameters.handlng_eur_t: unknown parameter", "did you mean 'handling_eur_t'", "valid choices:"]),
    ("negative parameter", {"parameters": {"handling_eur_t": -1.0}},
     ["parameters.handling_eur_t: must be a finite number >= 0, got -1.0"]),
    ("NaN parameter", {"parameters": {"holding_cost_eur_t_day": float("nan")}},
     ["parameters.holding_cost_eur_t_day: must be a finite number >= 0, got nan"]),
    ("parameter of the wrong type", {"parameters": {"handling_eur_t": "five"}},
     ["parameters.handling_eur_t: must be a finite number >= 0, got 'five'"]),
    ("class-keyed parameter without classes", {"parameters": {"border_fee_eur_t": 3}},
     ["parameters.border_fee_eur_t: needs a mapping of ['waste', 'by_product', 'eow']", "valid choices: by_product"]),
    ("class-keyed parameter with a NaN", {"parameters": {"border_fee_eur_t": {"waste": float("nan")}}},
     ["parameters.border_fee_eur_t: 'waste' must be a finite number >= 0, got nan"]),
    ("economy repeated in a pilot's list", {"policies": {"epr": {"economies": ["RS", "BA", "RS"]}}},
     ["policies.epr.economies: lists 'RS' more than once"]),
    ("material repeated in a pilot's list", {"policies": {"epr": {"streams": ["paper", "paper"]}}},
     ["policies.epr.streams: lists 'paper' more than once"]),
    ("EU economy in a WB6 pilot", {"policies": {"landfill_fee": {"economies": ["HU"]}}},
     ["policies.landfill_fee.economies: 'HU' is not a WB6 economy", "valid choices: AL, BA, ME, MK, RS, XK"]),
    ("missing scenario folder", {"scenario": "/nonexistent/scenario"}, ["/nonexistent/scenario: scenario folder not found"]),
]


@pytest.mark.parametrize("config, expected", [pytest.param(c, e, id=i) for i, c, e in CONFIG_CASES])
def test_bad_config_is_reported_with_its_key_and_choices(tmp_path, config, expected):
    out = tmp_path / "out"
    error = ScenarioError if "scenario" in config else ConfigError
    with pytest.raises(error) as info:
        run_to_folder({"months": 2, "run_name": RUN, "output": {"root": str(out)}, **config})
    check_message(str(info.value), expected)
    assert_no_results(out)


def test_output_folder_that_cannot_be_written(tmp_path):
    # tests run as root, for whom permissions do not stop a write: a file in the way does
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError) as info:
        run_to_folder({"months": 2, "run_name": RUN, "output": {"root": str(blocker / "results")}})
    check_message(str(info.value), ["output.root: cannot write results under", f"{blocker} is a file, not a folder"])
    assert blocker.read_text() == "not a folder"
    with pytest.raises(ConfigError) as info:
        run_to_folder({"months": 2, "run_name": "a_file", "output": {"root": str(tmp_path)}})
    check_message(str(info.value), ["run_name: cannot write results to", "a file of that name is in the way"])
    assert blocker.read_text() == "not a folder"


def test_failed_rerun_leaves_the_earlier_complete_results_intact(tmp_path):
    config = {"months": 2, "run_name": RUN, "output": {"root": str(tmp_path)}}
    first = run_to_folder(config)
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    with pytest.raises(ConfigError):
        run_to_folder({**config, "parameters": {"handling_eur_t": -1.0}})
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before
    assert not list(tmp_path.glob(f".{RUN}.incomplete-*"))


# ---- the command line -------------------------------------------------------------------------
PHASES = sorted(p.stem for p in (ROOT / "configs" / "phase").glob("*.yaml"))

#: id -> (overrides, expected in stderr); {scenario} is a copy of the default scenario with a
#: site in an unknown economy, {file} a regular file
CLI_CASES = {
    "misspelt key": (["montsh=3"], ["error: montsh: unknown config key", "did you mean 'months'",
                                    "valid choices: agents, check_invariants"]),
    "misspelt key added with +": (["+montsh=3"], ["error: montsh: unknown config key", "valid choices:"]),
    "months of the wrong type": (["months=abc"], ["error: months:", "'abc'", "Integer"]),
    "negative seed": (["seed=-1"], ["error: seed: must be a whole number >= 0, got -1"]),
    "unknown policy in the group list": (["policies=[epr,carbon_tax]"], [
        "error: policies: unknown option 'carbon_tax' of configs/policies", "valid choices: automatic_mapping, cbam, customs_streamlining"]),
    "misspelt parameter": (["parameters.handlng_eur_t=1"], [
        "error: parameters.handlng_eur_t: unknown parameter", "did you mean 'handling_eur_t'"]),
    "site in an unknown economy": (["scenario={scenario}"], ["error: {scenario}/sites.csv:6: unknown economy 'XX'",
                                                             ECONOMIES]),
    "output folder under a file": (["output.root={file}/results"], [
        "error: output.root: cannot write results under", "{file} is a file, not a folder"]),
    "unknown phase": (["phase=fastest"], ["error: phase: unknown option 'fastest' of configs/phase",
                                          f"valid choices: {', '.join(PHASES)}"]),
    "unknown phase in a sweep": (["-m", "phase=short_term,shortterm"], [
        "error: phase: unknown option 'shortterm'", "did you mean 'short_term'", "valid choices:"]),
    "misspelt pilot parameter": (["policies=[epr]", "policies.epr.fee_eur=40"], [
        "error: policies.epr.fee_eur: unknown parameter of the pilot", "did you mean 'fee_eur_t'",
        "valid choices: by_economy"]),
    "parameter of a pilot that is off": (["policies.landfill_fee.start_month=12"], [
        "error: policies.landfill_fee: pilot 'landfill_fee' is not switched on in this run",
        "switch it on with policies=[landfill_fee]"]),
    "parameter of a pilot that is off, added with +": (["+policies.landfill_fee.start_month=12"], [
        "error: policies.landfill_fee: pilot 'landfill_fee' is not switched on"]),
    "parameter of a pilot outside the phase": (["phase=short_term", "policies.landfill_fee.ramp_months=3"], [
        "is not switched on in this run (phase=short_term)",
        "policies=[epr,green_procurement,harmonised_eow,symbiosis_platform,treatment_capacity,landfill_fee]", "valid choices: epr, green_procurement"]),
    "parameter of a pilot off in one run of a sweep": (["-m", "phase=baseline,short_term", "policies.epr.fee_eur_t=9"], [
        "error: policies.epr: pilot 'epr' is not switched on in this run (phase=baseline)"]),
    "unknown pilot": (["policies.carbon_tax.rate=3"], ["error: policies.carbon_tax.rate: unknown pilot",
                                                       "valid choices: automatic_mapping, cbam, customs_streamlining"]),
    "pilot repeated in the group list": (["policies=[epr,landfill_fee,epr]"], [
        "error: policies: lists 'epr' more than once"]),
    "economy repeated in a pilot's list": (["policies=[epr]", "policies.epr.economies=[RS,RS]"], [
        "error: policies.epr.economies: lists 'RS' more than once"]),
    "misspelt part of a class-keyed parameter": (["parameters.border_delay_days.wast=3"], [
        "error: parameters.border_delay_days.wast: border_delay_days has no part 'wast'", "did you mean 'waste'"]),
    "bad value in a sweep": (["-m", "months=2,abc"], ["error: months:", "'abc'", "Integer"]),
    "unparsable override": (["months=(3"], ["error: months=(3: cannot be read as an override", "key='value'"]),
    "user config file with a tab": (["--config-dir", "{confdir}", "--config-name", "tabbed"], [
        "error: {confdir}/tabbed.yaml:4:8: cannot be read as YAML: a tab character"]),
    "user pilot file with broken YAML": (["--config-dir", "{confdir}", "policies=[broken]"], [
        "error: {confdir}/policies/broken.yaml:3:1: cannot be read as YAML: expected ',' or ']'"]),
    "unknown config name": (["--config-dir", "{confdir}", "--config-name", "tabed"], [
        "error: --config-name: no config 'tabed'", "did you mean 'tabbed'"]),
    "config folder that is not there": (["--config-dir", "{file}/configs"], ["error: --config-dir:", "is not a folder"]),
    "broken scenario in a sweep": (["-m", "seed=1,2", "scenario={scenario}"], [
        "error: {scenario}/sites.csv:6: unknown economy 'XX'"]),
    "non-ASCII path of a missing scenario": (["scenario={tmp}/scénario_čšž"], [
        "error: {tmp}/scénario_čšž: scenario folder not found"]),
}


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory):
    """Every command-line case, run at the same time (each start costs a few seconds of imports)."""
    tmp = tmp_path_factory.mktemp("cli")
    places = {"scenario": tmp / "scenario", "file": tmp / "a_file", "confdir": tmp / "conf", "tmp": tmp}
    (places["confdir"] / "policies").mkdir(parents=True)
    (places["confdir"] / "tabbed.yaml").write_text("defaults:\n  - config\n  - _self_\nmonths:\t3\n")
    (places["confdir"] / "policies" / "broken.yaml").write_text("broken:\n  start_month: [3\n")
    shutil.copytree(DEFAULT_SCENARIO, places["scenario"])
    set_cell("sites", 4, "economy", "XX")(places["scenario"])
    places["file"].write_text("in the way")
    running = {}
    for i, (case, (overrides, expected)) in enumerate(CLI_CASES.items()):
        root = tmp / f"out{i}"
        args = [sys.executable, "-m", "sim", "months=2", f"run_name={RUN}", f"output.root={root}",
                *(o.format(**places) for o in overrides)]
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running[case] = (process, root, [e.format(**places) for e in expected])
    results = {}
    for case, (process, root, expected) in running.items():
        _, stderr = process.communicate(timeout=300)
        results[case] = (process.returncode, stderr, root, expected)
    return results


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_command_line_fails_clearly_and_writes_nothing(cli_results, case):
    returncode, stderr, root, expected = cli_results[case]
    assert returncode == 2, stderr
    assert "Traceback" not in stderr
    check_message(stderr, expected)
    assert stderr.strip().count("\n") == 0, stderr  # one line
    assert not root.exists(), sorted(root.rglob("*"))  # nothing written, not even Hydra's log folder
