"""The worked examples of docs/extending.md, each run as a researcher would run it: from the
command line and from Python, with the model's invariants checked every month."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.agents.kinds import KINDS
from sim.errors import ConfigError
from sim.model import WB6Model
from sim.parameters import SCHEMA
from sim.policies import REGISTRY

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def registries_as_they_were():
    """An example registers its pilot, actor kind or parameters on import: leave the registries as
    found, so that the suites checking every registered pilot see only the model's own."""
    saved = dict(REGISTRY), dict(KINDS), dict(SCHEMA)
    yield
    for registry, before in zip((REGISTRY, KINDS, SCHEMA), saved):
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
    folder = cli(tmp_path, "months=60", "extensions=[examples.remining_fund]", "policies=[de_risking]",
                 "+policies.remining_fund.start_month=0", "policies.de_risking.additionality=false",
                 "policies.de_risking.project_kinds=[remining]",
                 "+policies.remining_fund.additionality=false", "+policies.remining_fund.budget_eur=2e9")
    funds = pd.read_parquet(folder / "public_funds.parquet")
    assert set(funds["instrument"]) == {"de_risking", "remining_fund"}
    assert (funds.groupby("instrument")["public_funds_eur"].last() > 0).all()


# ---- (a) a joining rule in a Firm subclass, chosen on the command line ------------------------
PEER_GATED = "agents.firm=examples.peer_gated_joining.PeerGatedFirm"


def joining_one_by_one(model, rows):
    """The peer-gated rule firm by firm: willing, and outside the gated economies or with a firm
    of the same sector and economy taking part."""
    firms = model.firms
    gated = {model.economy_index[code] for code in model.params["peer_gated_economies"]}
    joins = []
    for i in rows:
        peer = any(firms.participating[j] and firms.economy[j] == firms.economy[i] and firms.sector[j] == firms.sector[i]
                   for j in range(firms.n_firms))
        joins.append(firms.awareness[i] >= firms.trust_threshold[i] and (firms.economy[i] not in gated or peer))
    return joins


def test_peer_gated_joining_decides_in_bulk_as_firm_by_firm():
    from examples.peer_gated_joining import PeerGatedFirm

    model = WB6Model({"months": 60, "agents": {"firm": "examples.peer_gated_joining.PeerGatedFirm"},
                      "parameters": {"peer_gated_economies": ["AL", "XK", "RS"]}})
    for _ in range(30):
        model.step()
    firms = model.firms
    firms.awareness[:] = np.maximum(firms.awareness, firms.trust_threshold)  # everyone willing: the gate decides
    rows = np.flatnonzero(~firms.participating)
    bulk = PeerGatedFirm.decide_joining(model, rows)
    assert list(bulk) == joining_one_by_one(model, rows)
    assert 0 < bulk.sum() < len(rows), "the gate should hold some firms back and let others join"


def test_peer_gated_joining_without_gated_economies_runs_as_the_base_rule():
    gated = WB6Model({"months": 36, "agents": {"firm": "examples.peer_gated_joining.PeerGatedFirm"}})
    base = WB6Model({"months": 36})
    gated.run()
    base.run()
    assert gated.kpis.frame().equals(base.kpis.frame())


def test_peer_gated_joining_from_the_command_line(tmp_path):
    folder = cli(tmp_path, PEER_GATED, "parameters.peer_gated_economies=[AL,XK]", "run_name=gated")
    base = WB6Model({})
    base.run()
    gated = pd.read_parquet(folder / "kpis.parquet")
    assert gated["participating_firms"].iloc[-1] < base.kpis.frame()["participating_firms"].iloc[-1]
    sellers = pd.read_parquet(folder / "flows.parquet").query("from_economy in ['AL', 'XK']")["seller"].nunique()
    base_sellers = base.kpis.shipments_frame().query("from_economy in ['AL', 'XK']")["seller"].nunique()
    assert sellers < base_sellers


def test_an_unknown_gated_economy_is_a_config_error():
    model = WB6Model({"months": 2, "agents": {"firm": "examples.peer_gated_joining.PeerGatedFirm"},
                      "parameters": {"peer_gated_economies": ["KS"]}})
    with pytest.raises(ConfigError, match="parameters.peer_gated_economies: unknown economy 'KS'"):
        model.step()


# ---- (c) a new actor kind: one module plus one config -------------------------------------------
def test_inspectorates_step_up_enforcement_and_dumping_falls(tmp_path):
    folder = cli(tmp_path, "agents=[inspectorate]", "months=36", "run_name=inspected")
    base = WB6Model({"months": 36})
    base.run()
    inspected = pd.read_parquet(folder / "kpis.parquet")  # mass balance checked every month
    assert inspected["dumped_t"].iloc[-1] < 0.9 * base.kpis.frame()["dumped_t"].iloc[-1]
    assert inspected["dumped_t"].iloc[0] == base.kpis.frame()["dumped_t"].iloc[0]  # it acts at the month's end


def test_inspectorates_are_one_per_wb6_economy_and_keep_below_their_ceiling():
    model = WB6Model({"months": 24, "agents": {"inspectorate": "examples.inspectorate.Inspectorate"}})
    before = [r.enforcement_probability for r in model.regulators]
    model.run()
    (stage, [(cls, inspectorates)]), = model.added_actors.items()
    assert stage == "month_end" and len(inspectorates) == int(model.is_wb6.sum())
    ceiling = model.params["inspectorate_enforcement_ceiling"]
    for agent in inspectorates:
        e = agent.regulator.economy
        assert before[e] < agent.regulator.enforcement_probability <= ceiling
