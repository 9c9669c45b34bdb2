"""docs/roadmap.md stays in step with the code: every file, class, pilot, phase and KPI it names
exists; it has a row for each of seed 001's 21 roadmap actions and ten components; every pilot a
phase schedules has a row in that phase; every action a phase config cites is in the table."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from sim.config import compose_config
from sim.model import WB6Model
from sim.policies import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "roadmap.md"
ACTIONS = ([f"LHF{i}" for i in range(1, 9)] + [f"ST{i}" for i in range(1, 7)] + [f"MT{i}" for i in range(1, 7)]
           + ["LT1"])
COMPONENTS = [f"C{i}" for i in range(1, 11)]
PHASES = ("low_hanging_fruits", "short_term", "medium_term", "long_term")


@cache
def rows() -> dict[str, list[str]]:
    """Table rows of the doc by id: id, words, mechanism, pilot, phase, parameters, KPIs
    (the 21 actions, the ten components, and the policy directions, PD)."""
    found = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and re.fullmatch(r"(LHF|ST|MT|LT|C|PD)\d+", cells[0]):
            found[cells[0]] = cells
    return found


def test_every_action_and_component_has_a_row():
    assert sorted(k for k in rows() if not k.startswith("PD")) == sorted(ACTIONS + COMPONENTS)
    assert len(ACTIONS) == 21


def test_every_mechanism_named_exists():
    named = set()
    for cells in rows().values():
        named |= set(re.findall(r"`(sim/[\w/]+\.py):(\w+)`", cells[2]))
    assert named
    for path, cls in sorted(named):
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        assert cls in {n.name for n in tree.body if isinstance(n, ast.ClassDef)}, f"{path}:{cls}"


def test_rows_are_modelled_or_say_why_not():
    for key, (_, words, mechanism, pilot, phase, _, kpis) in rows().items():
        assert words.startswith('"') or ": " in words, key
        if mechanism.startswith("not modelled"):
            assert ": " in mechanism and pilot == "—" and phase == "—", key
        else:
            assert pilot.strip("`") in REGISTRY, (key, pilot)
            assert phase in PHASES, (key, phase)


@cache
def kpi_columns() -> set[str]:
    model = WB6Model({"months": 1})
    model.run()
    return set(model.kpis.frame().columns)


def test_kpis_named_are_columns_of_the_results():
    for key, cells in rows().items():
        for name in re.findall(r"`([a-z_0-9]+)`", cells[6]):
            if not name.endswith("parquet"):
                assert name in kpi_columns(), (key, name)


@pytest.mark.parametrize("phase", PHASES)
def test_phase_pilots_and_cited_actions_are_in_the_table(phase):
    text = (ROOT / "configs" / "phase" / f"{phase}.yaml").read_text(encoding="utf-8")
    by_phase = {cells[3].strip("`") for cells in rows().values() if cells[4] == phase}
    mentioned = {cells[3].strip("`") for cells in rows().values()}
    for pilot in compose_config([f"phase={phase}"]).policies:
        assert pilot in mentioned, (phase, pilot)
    # each action a phase config cites is in the table, and the table puts its pilot in a phase that runs it
    for action in re.findall(r"\b(LHF|ST|MT|LT) (\d)\b", text):
        key = "".join(action)
        assert key in rows(), (phase, key)
    assert by_phase <= set(compose_config([f"phase={phase}"]).policies) | {"—"}
