"""The worked examples of docs/extending.md, each run as a researcher would run it: from the
command line and from Python, with the model's invariants checked every month."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.agents.kinds import KINDS
from sim.model import WB6Model
from sim.policies import REGISTRY

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def registries_as_they_were():
    """An example registers its pilot or actor kind on import: leave the registries as found, so
    that the suites checking every registered pilot see only the model's own."""
    saved = dict(REGISTRY), dict(KINDS)
    yield
    for registry, before in zip((REGISTRY, KINDS), saved):
        registry.clear()
        registry.update(before)
    for name in [m for m in sys.modules if m.startswith("examples.")]:
        del sys.modules[name]


def cli(tmp_path, *overrides):
    done = subprocess.run([sys.executable, "-m", "sim", f"output.root={tmp_path}", *overrides], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1])


# ---- (b) a regional re-mining fund: a pilot with its own financial instrument -------------------
#: the fund and the de-risking window both supporting the same deposits (neither asks for
#: additionality), the case where one instrument's money used to count against the other's budget
BOTH_SUPPORT = {"de_risking": {"additionality": False, "project_kinds": ["remining"]},
                "remining_fund": {"budget_eur": 2e9, "additionality": False}}


def test_remining_fund_runs_together_with_de_risking_each_on_its_own_books():
    model = WB6Model({"months": 60, "extensions": ["examples.remining_fund"], "policies": BOTH_SUPPORT})
    model.run()  # every month: each instrument's budget ledger checked
    window, fund = model.instruments
    assert (window.name, fund.name) == ("de_risking", "remining_fund")  # same start month: by pilot name
    both = [i for i in model.investments if {name for name, _ in i["public_by_instrument"]} == {window.name, fund.name}]
    assert both, "no project was supported by both instruments"
    for instrument in (window, fund):
        own = sum(dict(i["public_by_instrument"]).get(instrument.name, 0.0) for i in model.investments)
        assert 0 < instrument.committed_eur == pytest.approx(own) and instrument.committed_eur <= instrument.budget_eur
    kpis = model.kpis.frame()
    assert kpis["public_funds_eur"].iloc[-1] == pytest.approx(window.committed_eur + fund.committed_eur)
    by_instrument = model.pipeline.public_funds_frame().groupby("instrument")["public_funds_eur"].last()
    assert by_instrument.to_dict() == pytest.approx({window.name: window.committed_eur, fund.name: fund.committed_eur})


def test_remining_fund_from_the_command_line(tmp_path):
    folder = cli(tmp_path, "months=48", "extensions=[examples.remining_fund]", "policies=[de_risking]",
                 "+policies.remining_fund.start_month=0", "policies.de_risking.additionality=false",
                 "policies.de_risking.project_kinds=[remining]",
                 "+policies.remining_fund.additionality=false", "+policies.remining_fund.budget_eur=2e9")
    funds = pd.read_parquet(folder / "public_funds.parquet")
    assert set(funds["instrument"]) == {"de_risking", "remining_fund"}
    assert (funds.groupby("instrument")["public_funds_eur"].last() > 0).all()
