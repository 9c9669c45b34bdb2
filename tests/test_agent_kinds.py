"""Actor classes are chosen by config: defaults are the built-in classes, a subclass named in
the config is the one built, and a bad choice fails before the run with key, value and choices."""

import subprocess
import sys
from pathlib import Path

import pytest

from sim.agents import (PRO, Broker, Chamber, Customs, Financier, Firm, MappingTaskForce, Municipality,
                        ParkCoordinator, Platform, Regulator, WorkingGroup)
from sim.agents.kinds import KINDS, resolve_actor_classes
from sim.errors import ConfigError
from sim.model import WB6Model

ROOT = Path(__file__).resolve().parents[1]


class CountingFirm(Firm):
    """A firm kind that only counts its steps (the rules stay the base's)."""

    __slots__ = ()
    steps = 0

    def step(self) -> None:
        CountingFirm.steps += 1
        super().step()


def test_defaults_are_the_built_in_classes():
    built_in = {"firm": Firm, "pro": PRO, "customs": Customs, "regulator": Regulator, "platform": Platform,
                "financier": Financier, "chamber": Chamber, "broker": Broker, "mapping_task_force": MappingTaskForce,
                "park_coordinator": ParkCoordinator, "municipality": Municipality,
                "working_group": WorkingGroup}
    assert resolve_actor_classes({}) == built_in
    assert all(KINDS[name].stage is None for name in built_in)


@pytest.mark.parametrize("value", [f"{__name__}.CountingFirm", {"_target_": f"{__name__}.CountingFirm"}])
def test_a_subclass_named_in_the_config_is_built(value):
    CountingFirm.steps = 0
    model = WB6Model({"months": 2, "agents": {"firm": value}})
    assert all(type(agent) is CountingFirm for agent in model.firm_agents)
    model.run()
    assert CountingFirm.steps == 2 * model.firms.n_firms


@pytest.mark.parametrize("kind, value, message, choice", [
    ("firm", "sim.agents.firm.Nope", "module 'sim.agents.firm' has no class 'Nope'", "sim.agents.firm.Firm"),
    ("firm", "nosuch.module.Firm", "cannot import 'nosuch.module'", "sim.agents.firm.Firm"),
    ("firm", "sim.agents.pro.PRO", "sim.agents.pro.PRO is not a subclass of sim.agents.firm.Firm", "sim.agents.firm.Firm"),
    ("regulator", "Regulator", "needs package.module.Class", "sim.agents.regulator.Regulator"),
    ("farm", "sim.agents.firm.Firm", "unknown actor kind", "firm"),
])
def test_a_bad_class_fails_before_the_run_with_key_value_and_choices(kind, value, message, choice):
    with pytest.raises(ConfigError) as caught:
        WB6Model({"months": 1, "agents": {kind: value}})
    text = str(caught.value)
    assert text.startswith(f"agents.{kind}: ") and message in text and choice in caught.value.choices


def test_command_line_names_a_class_and_a_bad_one_exits_2(tmp_path):
    run = [sys.executable, "-m", "sim", "months=1", f"output.root={tmp_path}"]
    ok = subprocess.run(run + [f"agents.firm={__name__}.CountingFirm"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert f"{__name__}.CountingFirm" in (tmp_path / "baseline" / "config.yaml").read_text()
    bad = subprocess.run(run + ["run_name=bad", "agents.customs=sim.agents.firm.Firm"], cwd=ROOT, capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "agents.customs: sim.agents.firm.Firm is not a subclass of sim.agents.customs.Customs" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_an_extension_that_cannot_be_imported_is_a_config_error():
    with pytest.raises(ConfigError, match=r"^extensions\[1\]: cannot import 'examples.nosuch'"):
        WB6Model({"months": 1, "extensions": ["examples", "examples.nosuch"]})
