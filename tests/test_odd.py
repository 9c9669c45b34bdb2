"""docs/ODD.md stays in step with the parameters: every scenario parameter and every pilot
parameter is named in it."""

import dataclasses
import re
from pathlib import Path

import yaml

from sim.policies import REGISTRY
from sim.parameters import SCHEMA
from sim.scenario import DEFAULT_SCENARIO

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
SECTIONS = ("Purpose and patterns", "Entities, state variables and scales", "Process overview and scheduling",
            "Individual decision-making", "Learning", "Individual sensing", "Individual prediction", "Interaction",
            "Collectives", "Heterogeneity", "Stochasticity", "Observation", "Emergence", "Initialisation",
            "Input data", "Submodels")


def named() -> set[str]:
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_.]*)`", ODD.read_text(encoding="utf-8")))


def test_odd_has_every_odd_d_section():
    headings = [line.lstrip("#").strip() for line in ODD.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    missing = [s for s in SECTIONS if not any(s in h for h in headings)]
    assert not missing, f"docs/ODD.md lacks the ODD+D section(s) {missing}"


def test_odd_names_every_scenario_parameter():
    in_file = set(yaml.safe_load((DEFAULT_SCENARIO / "parameters.yaml").read_text(encoding="utf-8")))
    missing = sorted((set(SCHEMA) | in_file) - named())
    assert not missing, (f"docs/ODD.md does not name the scenario parameter(s) {missing}: add each, in backticks, "
                         "to the submodel that uses it (section III.iv) with what it does, or, if the model does not "
                         "read it, to the list in III.iii Input data")


def test_odd_names_every_pilot_parameter():
    have = named()
    missing = sorted(f"{pilot}.{field.name}" for pilot, cls in REGISTRY.items()
                     for field in dataclasses.fields(cls.Params) if field.name not in have or pilot not in have)
    assert not missing, (f"docs/ODD.md does not name the pilot parameter(s) {missing}: add the pilot `name` and each "
                         "parameter, in backticks, to the pilot's submodel in section III.iv with what it does")
