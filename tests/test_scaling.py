"""What makes large regions fast must not change what the model does: firms decide in bulk
exactly as one by one, shipments in columns read as rows, synthetic regions are reproducible."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.agents.firm import Firm
from sim.market import SHIPMENT_COLUMNS
from sim.model import WB6Model
from sim.synthetic import synthetic_scenario
from sim.world import WASTE
from tests import reference


def decide_one_by_one(model, order, heard):
    """The firms' monthly rules applied firm by firm in ``order`` (``heard``: each firm's contacts
    this month): the applications filed, in order."""
    firms, filed, p = model.firms, [], model.params
    for i in order:
        took_part = firms.participating[i]
        for _ in range(heard[i]):
            firms.awareness[i] += p["awareness_per_contact"] * (1.0 - firms.awareness[i])
        if not took_part:
            if firms.awareness[i] >= firms.trust_threshold[i]:
                firms.participating[i] = True
            continue
        grantable = model.regulators[firms.economy[i]].can_grant
        age = model.month - firms.status_month[i]
        due = np.where(firms.status[i] == WASTE, (firms.status_month[i] < 0) | (age >= model.status_refiling_months),
                       age >= model.status_validity_months)
        for m in np.flatnonzero(firms.offers[i] & ~firms.applied[i] & due & grantable):
            firms.applied[i, m] = True
            filed.append((int(i), int(m)))
    return filed


@pytest.mark.parametrize("months", [0, 5])
def test_firms_planned_together_decide_as_one_by_one(months):
    model = WB6Model({"months": 12}, region=synthetic_scenario(400, seed=1))
    for _ in range(months):
        model.step()
    model.firms.applied[::3] = False  # fresh applications later on too
    model.peer_share = model._peer_share()
    order = model.rng.permutation(model.firms.n_firms)
    before, draws = model.firms.copy(), model.contact_draws.bit_generator.state
    # the contacts plan_month draws next, by the plain inversion
    heard = reference.poisson_counts(model.contact_draws.random(model.firms.n_firms), Firm.hearing_rate(model))
    model.contact_draws.bit_generator.state = draws
    Firm.plan_month(model)
    planned = model.firms.copy()
    model.firms = before
    filed = decide_one_by_one(model, order, heard)
    assert any(heard), "nobody heard of exchanges: the test would not see awareness grow"
    np.testing.assert_allclose(planned.awareness, model.firms.awareness, rtol=1e-12)
    for name in ("participating", "applied"):
        np.testing.assert_array_equal(getattr(planned, name), getattr(model.firms, name), err_msg=name)
    assert filed, "no firm applied: the test would not see the order"
    tasks = model.firm_tasks
    assert [(int(i), m) for i in order for m in tasks.get(int(i), [])] == filed


def test_peer_share_is_the_share_of_the_other_firms_of_the_economy_and_sector_taking_part():
    model = WB6Model({"months": 12}, region=synthetic_scenario(400, seed=1))
    for _ in range(3):
        model.step()
    firms = model.firms
    expected = []
    for i in range(firms.n_firms):
        same_economy = [j for j in range(firms.n_firms) if j != i and firms.economy[j] == firms.economy[i]]
        peers = [j for j in same_economy if firms.sector[j] == firms.sector[i]] or same_economy
        expected.append(sum(firms.participating[j] for j in peers) / len(peers) if peers else 0.0)
    assert 0.0 < np.mean(expected) < 1.0
    np.testing.assert_allclose(model._peer_share(), expected, rtol=1e-12)


def test_investment_prospects_include_every_firm_that_would_invest():
    model = WB6Model({"months": 24})
    for _ in range(11):
        model.step()
    model.firms.utilisation[::3] = 1.0  # some full recycling lines, so that both kinds of project show
    everyone = np.arange(model.firms.n_firms)
    options = model.pipeline.options_of(everyone, everyone)
    assert {p.kind for projects in options.values() for p in projects} == {"remining", "recycling_line"}
    prospects = dict(zip(("remining", "recycling_line"), model.pipeline.prospects()))
    investing = 0
    for kind, asked in prospects.items():
        would = [f.index for f in model.firm_agents if any(
            p.kind == kind and p.npv(model.pipeline.financing_terms(f, p)) > 0.0 for p in options[f.index])]
        has = [f for f, projects in options.items() if any(p.kind == kind for p in projects)]
        assert asked[would].all(), kind
        assert asked.sum() < len(has), kind  # the screen leaves some out
        investing += len(would)
    assert investing, "no project pays: the test would not see the screen"
    # a financial instrument may make any project pay: then every firm with a project is asked
    model.instruments.append(object())
    for kind, asked in zip(prospects, model.pipeline.prospects()):
        assert asked[[f for f, projects in options.items() if any(p.kind == kind for p in projects)]].all(), kind


def test_shipments_read_as_rows_of_the_shipment_columns():
    model = WB6Model({"months": 3})
    model.step()
    shipments = model.market.shipments
    rows = list(shipments)
    assert len(rows) == len(shipments) > 0
    assert all(len(row) == len(SHIPMENT_COLUMNS) for row in rows)
    k = len(rows) // 2
    assert rows[k][8] == shipments.tonnes[k] and rows[k][2] == shipments.seller[k]
    assert {row[12] for row in rows} <= {"delivered", "filed", "refused"}


def test_synthetic_region_runs_balanced_and_reproducibly():
    frames = []
    for _ in range(2):
        model = WB6Model({"months": 6, "check_invariants": True}, region=synthetic_scenario(1000, seed=5))
        model.run()
        frames.append((model.kpis.frame(), model.kpis.shipments_frame()))
    assert frames[0][0].equals(frames[1][0]) and frames[0][1].equals(frames[1][1])
    assert frames[0][0]["exchanges_count"].iloc[-1] > 0


@pytest.mark.slow
def test_benchmark_command_writes_its_table(tmp_path):
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(tmp_path)], cwd=root, check=True,
                   capture_output=True, timeout=1800)
    table = (tmp_path / "table.md").read_text(encoding="utf-8")
    for measure in ("speed-up over reference", "speed-up over scipy", "share of the copy rate", "ready to step",
                    "time per step", "peak memory", "agent layer / bare shuffle_do", "batch: runs/s", "ema: runs/s",
                    "mesa: runs/s", "batch / ema runs/s", "this code / b9a10b7", "empty task, round trip",
                    "Ray tasks: CPU-seconds per run", "100,000-run study"):
        assert measure in table
    assert (tmp_path / "scaling.png").stat().st_size > 0
