"""Legacy deposits: costs and energy use by deposit, true grades drawn around the data's (the seed's
in-situ values hold in expectation), investors who see the expected grade until an exploration
resolves it, and the staged decision to explore."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.deposits import Deposits
from sim.investment import FinancingTerms, Project
from sim.model import WB6Model
from sim.scenario import load_scenario


@pytest.fixture(scope="module")
def run():
    model = WB6Model({"months": 120})
    model.run()
    return model


def row(model, firm_id: str) -> int:
    return model.region.firms["firm_id"].tolist().index(firm_id)


def test_each_deposit_has_its_own_processing_cost_and_energy_use():
    model = WB6Model({"months": 1})
    deposits = model.deposits
    bor, veles = row(model, "F_RS_MT_BOR"), row(model, "F_MK_SM_VELES")
    assert deposits.cost_eur_t(veles) > 5 * deposits.cost_eur_t(bor)
    assert deposits.cost_eur_t(bor) == pytest.approx(
        deposits.processing_cost_eur_t[bor] + deposits.energy_kwh_t[bor] * model.params["remining_electricity_price_eur_mwh"] / 1000)
    assert len(set(deposits.cost_eur_t(np.flatnonzero(model.remining_revenue_eur_t > 0)).round(6))) > 4


def test_true_grades_reproduce_the_seed_in_situ_values_in_expectation():
    region = load_scenario()
    firms = SimpleNamespace(n_firms=len(region.firms))
    bor = region.firms["firm_id"].tolist().index("F_RS_MT_BOR")
    stock = region.firm_streams.query("firm_id == 'F_RS_MT_BOR' and role == 'stock'")["tonnes"].sum()
    metals = region.remining.query("firm_id == 'F_RS_MT_BOR'")
    value = (metals["grade_kg_t"] / 1000 * metals["metal_price_eur_t"]).sum() * stock
    assert value == pytest.approx(6.6e9, rel=0.01)
    factors = [Deposits(SimpleNamespace(params=region.parameters, firms=firms, region=region,
                                        config=SimpleNamespace(seed=seed))).grade_factor[bor] for seed in range(300)]
    assert np.std(factors) > 0.1  # the grade is uncertain ...
    assert value * np.mean(factors) == pytest.approx(6.6e9, rel=0.04)  # ... around the seed's value


def test_the_plant_recovers_the_true_grade_and_investors_see_the_expected_one_until_explored():
    model = WB6Model({"months": 1, "seed": 3})
    deposits = model.deposits
    f = row(model, "F_XK_MT_GORNJE_POLJE_III")
    data = model.region.remining.query("firm_id == 'F_XK_MT_GORNJE_POLJE_III'")
    expected = (data["grade_kg_t"] * data["recovery"] / 1000 * data["metal_price_eur_t"]).sum()
    assert model.remining_revenue_eur_t[f] == pytest.approx(expected * deposits.grade_factor[f])
    assert deposits.grade_factor[f] != pytest.approx(1.0, abs=1e-3)
    assert model.offtake.revenue_eur_t(f) * deposits.believed_share(f) == pytest.approx(expected)
    assert deposits.uncertainty_left(f) > 0
    deposits.explored[f] = True
    assert model.offtake.revenue_eur_t(f) * deposits.believed_share(f) == pytest.approx(model.remining_revenue_eur_t[f])
    assert deposits.uncertainty_left(f) == 0


def test_a_marginal_deposit_is_worth_exploring_and_a_rich_one_is_built_on_the_expected_grade():
    terms = FinancingTerms(rate=0.15)
    common = dict(lifetime_years=15, crm_output=True, exploration_eur=2e6, exploration_months=12)
    marginal = Project("remining", 0, (), 1e6, capex_eur=60e6, annual_margin_eur=9e6, annual_revenue_eur=22e6,
                       grade_uncertainty=0.35, **common)
    assert marginal.plant_npv(terms) < 0 < marginal.npv(terms) and marginal.explores(terms)
    rich = Project("remining", 0, (), 4e6, capex_eur=240e6, annual_margin_eur=130e6, annual_revenue_eur=160e6,
                   grade_uncertainty=0.2, **common)
    assert rich.npv(terms) == rich.plant_npv(terms) > 0 and not rich.explores(terms)
    known = Project("remining", 0, (), 1e6, capex_eur=60e6, annual_margin_eur=9e6, annual_revenue_eur=22e6, **common)
    assert known.npv(terms) == known.plant_npv(terms) < 0


def test_an_exploration_resolves_the_grade_before_the_plant_is_decided(run):
    explorations = [i for i in run.investments if i["kind"] == "exploration"]
    assert explorations, "no deposit was explored on the default data"
    for record in explorations:
        f = row(run, record["firm"])
        assert record["capex_eur"] == run.params["exploration_cost_eur"]
        assert run.deposits.explored[f] == (record["step"] + run.params["exploration_months"] < run.config.months)
        plants = [i["step"] for i in run.investments if i["firm"] == record["firm"] and i["kind"] == "remining"]
        assert all(step >= record["step"] + run.params["exploration_months"] for step in plants)
    assert run.kpis.frame()["remining_energy_mwh"].sum() > 0
