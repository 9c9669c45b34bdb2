"""Invariants are checked in every run and fail loudly, naming the step, firm and material.

Runs of the real scenario (with every pilot on) and of random synthetic regions keep mass
balance, non-negative stocks and backlogs, and conserve money in EPR funds and the de-risking
budget; a run whose books are broken on purpose stops with an error that says where.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import SimConfig
from sim.errors import InvariantError
from sim.model import WB6Model
from sim.policies import REGISTRY
from sim.results import run_to_folder
from sim.synthetic import synthetic_scenario


def all_policies(start_month: int = 0) -> dict:
    """Every registered pilot, with its configured defaults (configs/policies/)."""
    return {name: {"start_month": start_month} for name in REGISTRY}


def test_invariants_are_checked_by_default():
    assert SimConfig().check_invariants


def test_real_scenario_with_every_pilot_keeps_its_books():
    model = WB6Model({"months": 36, "policies": all_policies(start_month=2)})
    model.run()  # check_month ran every month
    (financier,) = model.instruments
    assert financier.committed_eur > 0
    assert model.investments and sum(i["public_eur"] for i in model.investments) > 0
    assert sum(p.fees_collected_eur for p in model.pros) > 0
    assert (model.firms.stock >= 0).all()
    assert all(post.backlog_t >= 0 for post in model.customs)
    assert financier.committed_eur <= financier.window.budget_eur


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_firms=st.integers(10, 150),
    n_economies=st.integers(1, 6),
    with_eu=st.booleans(),
    region_seed=st.integers(0, 1000),
    seed=st.integers(0, 2**31 - 1),
    price_multiplier=st.sampled_from([0.1, 1.0, 10.0]),
    with_policies=st.booleans(),
)
def test_random_regions_keep_their_books(n_firms, n_economies, with_eu, region_seed, seed, price_multiplier,
                                         with_policies):
    region = synthetic_scenario(n_firms, n_economies=n_economies, with_eu=with_eu, seed=region_seed)
    policies = all_policies(start_month=1) if with_policies else {}
    if with_policies:  # parks name real sites: in a synthetic region, its first two sites
        policies["eco_industrial_parks"]["parks"] = {"zone": list(region.sites["site_id"][:2])}
    config = {"months": 14, "seed": seed, "price_multiplier": price_multiplier, "policies": policies}
    model = WB6Model(config, region=region)
    model.run()
    assert model.month == 14
    assert np.isfinite(model.firms.stock).all() and (model.firms.stock >= 0).all()


# ---- broken books are caught -------------------------------------------------------------------
def run_with(config: dict, month: int, damage) -> WB6Model:
    """Run ``config``, calling ``damage(model)`` after the market settles in ``month``,
    just before the ledger is checked."""
    model = WB6Model(config)
    settle = model.market.settle

    def settle_then_damage():
        settle()
        if model.month == month:
            damage(model)

    model.market.settle = settle_then_damage
    model.run()
    return model


def firm_row(model, firm_id: str) -> int:
    return list(model.region.firms["firm_id"]).index(firm_id)


FIRM, MATERIAL = "F_RS_PP_TENT_A", "fly_ash"


def leak_mass(model):
    model.market.flows.landfilled[firm_row(model, FIRM), model.material_index[MATERIAL]] += 5.0


def negative_stock(model):
    f, m, flows = firm_row(model, FIRM), model.material_index[MATERIAL], model.market.flows
    flows.used[f, m] += flows.stock_close[f, m] + 3.0  # the balance still closes, on a negative stock
    flows.stock_close[f, m] = -3.0


def nan_flow(model):
    model.market.flows.dumped[firm_row(model, FIRM), model.material_index[MATERIAL]] = math.nan


def phantom_freight(model):
    model.customs[0].queue.append([0, 0, model.material_index[MATERIAL], 10.0, 0])


def negative_backlog(model):
    post = model.customs[0]
    post.queue.append([0, 0, model.material_index[MATERIAL], -4.0, 0])
    post.backlog_t = -4.0


def overdraw_epr(model):
    pro = model.pros[0]
    pro.spent_eur += pro.balance_eur + 100.0
    pro.balance_eur = -100.0


def create_epr_money(model):
    model.pros[0].balance_eur += 1000.0


def overdraw_derisking(model):
    model.instruments[0].committed_eur = 2 * model.instruments[0].window.budget_eur


def lose_derisking_money(model):
    model.instruments[0].committed_eur += 1000.0


EPR = {"epr": {"start_month": 0, "fee_eur_t": 20.0}}
DERISK = {"de_risking": {"start_month": 0}}

#: (id, policies, damage, expected messages)
DAMAGE = [
    ("mass leak", {}, leak_mass, ["mass balance broken at step 3", f"firm {FIRM}", f"material {MATERIAL}",
                                  "residual -5 t"]),
    ("negative stock", {}, negative_stock, ["negative stock_close at step 3", f"firm {FIRM}", f"material {MATERIAL}"]),
    ("NaN flow", {}, nan_flow, ["non-finite dumped at step 3", f"firm {FIRM}", f"material {MATERIAL}"]),
    ("freight appearing at customs", {}, phantom_freight, [
        "shipments not conserved in transit at step 3", f"material {MATERIAL}", "= -10 t"]),
    ("negative customs backlog", {}, negative_backlog, ["negative customs backlog at step 3", "crossing BX01_RS_BA"]),
    ("EPR fund overdrawn", EPR, overdraw_epr, ["EPR fund overdrawn at step 3", "PRO AL/plastics"]),
    ("EPR money created", EPR, create_epr_money, ["EPR money not conserved at step 3", "PRO AL/plastics",
                                                  "opening + fees - spent"]),
    ("de-risking budget overdrawn", DERISK, overdraw_derisking, ["de-risking budget overdrawn at step 3"]),
    ("de-risking money lost", DERISK, lose_derisking_money, ["de-risking money not conserved at step 3",
                                                             "projects received"]),
]


@pytest.mark.parametrize("policies, damage, expected", [pytest.param(p, d, e, id=i) for i, p, d, e in DAMAGE])
def test_broken_books_stop_the_run_and_say_where(policies, damage, expected):
    with pytest.raises(InvariantError) as info:
        run_with({"months": 6, "policies": policies}, 3, damage)
    for part in expected:
        assert part in str(info.value), f"{part!r} not in {str(info.value)!r}"


def test_damage_is_not_caught_when_checks_are_off():
    # the same damage passes unnoticed without the checks: the test above does test them
    model = run_with({"months": 6, "check_invariants": False}, 3, leak_mass)
    assert model.month == 6


def test_a_broken_invariant_leaves_no_results(tmp_path, monkeypatch):
    from sim.market import Market

    settle = Market.settle

    def leaky_settle(self):
        settle(self)
        if self.model.month == 2:
            leak_mass(self.model)

    monkeypatch.setattr(Market, "settle", leaky_settle)
    with pytest.raises(InvariantError, match="mass balance broken at step 2"):
        run_to_folder({"months": 4, "run_name": "leaky", "output": {"root": str(tmp_path)}})
    assert list(tmp_path.iterdir()) == []
