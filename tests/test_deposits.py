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
    firms = SimpleNamespace(n_firms=len(region.firms), economy=np.zeros(len(region.firms), dtype=int))
    bor = region.firms["firm_id"].tolist().index("F_RS_MT_BOR")
    stock = region.firm_streams.query("firm_id == 'F_RS_MT_BOR' and role == 'stock'")["tonnes"].sum()
    metals = region.remining.query("firm_id == 'F_RS_MT_BOR'")
    value = (metals["grade_kg_t"] / 1000 * metals["metal_price_eur_t"]).sum() * stock
    assert value == pytest.approx(6.6e9, rel=0.01)
    factors = [Deposits(SimpleNamespace(params=region.parameters, firms=firms, region=region,
                                        economy_codes=region.economy_codes, config=SimpleNamespace(seed=seed))
                        ).grade_factor[bor] for seed in range(300)]
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


def test_the_esg_screen_refuses_a_default_project_and_safeguards_cut_the_social_licence_hazard():
    model = WB6Model({"months": 1, "policies": {"de_risking": {"start_month": 0, "additionality": False,
                                                               "project_kinds": ["remining"]}}})
    model.step()
    window = model.instruments[0]
    firm = next(iter(model.firm_agents))
    options = model.pipeline.options_of(np.flatnonzero(model.remining_revenue_eur_t > 0), np.array([], dtype=int))
    projects = {model.region.firms["firm_id"][f]: p[0] for f, p in options.items() if p}
    veles, bor = projects["F_MK_SM_VELES"], projects["F_RS_MT_BOR"]
    assert veles.esg_risk > window.window.esg_risk_screen >= bor.esg_risk
    base = FinancingTerms(rate=0.15)
    assert window.terms(firm, veles, base) is base  # screened out
    supported = window.terms(firm, bor, base)
    assert supported.public_eur > 0 and supported.esg_risk_cut == window.window.safeguards_risk_cut > 0
    # the hazard differs by economy (Serbia, North Macedonia, Bosnia: observed opposition) and by project
    deposits = model.deposits
    hazard = model.params["social_licence_refusal_per_month"]
    f = row(model, "F_RS_MT_BOR")
    assert deposits.refusal_per_month[f] == pytest.approx(hazard["RS"] * deposits.esg_risk[f])
    assert hazard["RS"] > hazard["AL"]


def test_a_refused_plant_is_not_built_and_its_public_money_returns():
    everywhere = {code: 0.2 for code in ("AL", "BA", "ME", "MK", "RS", "XK")}
    model = WB6Model({"months": 60, "parameters": {"social_licence_refusal_per_month": everywhere},
                      "policies": {"de_risking": {"start_month": 0, "additionality": False, "project_kinds": ["remining"]}}})
    model.run()  # the books of the window are checked every month
    refused = model.pipeline.refused
    assert refused and model.kpis.frame()["permits_refused"].iloc[-1] == len(refused)
    window = model.instruments[0]
    assert window.committed_eur == pytest.approx(sum(i["public_eur"] for i in model.investments))
    for record in refused:
        f = row(model, record["firm"])
        assert model.firms.remining_t_month[f].sum() == 0 or any(
            i["firm"] == record["firm"] and i["kind"] == "remining" for i in model.investments)


def test_the_chance_of_keeping_the_licence_lowers_the_value_of_exploring():
    terms = FinancingTerms(rate=0.15)
    common = dict(lifetime_years=15, crm_output=True, exploration_eur=2e6, exploration_months=12, capex_eur=60e6,
                  annual_margin_eur=9e6, annual_revenue_eur=22e6, grade_uncertainty=0.35)
    sure = Project("remining", 0, (), 1e6, **common)
    contested = Project("remining", 0, (), 1e6, permit_odds=0.6, **common)
    assert contested.staged_npv(terms) < sure.staged_npv(terms)
    assert contested.plant_npv(terms) == sure.plant_npv(terms)  # nothing is spent on a plant refused


def test_the_crm_share_factor_moves_the_metal_split_and_keeps_each_deposit_s_value():
    from sim.deposits import split_grades
    from sim.errors import ConfigError

    table = load_scenario().remining
    assert (split_grades(table, 1.0) == table["grade_kg_t"].to_numpy()).all()
    grades = split_grades(table, 1.5)
    price = table["metal_price_eur_t"].to_numpy()
    mixed = set()
    for deposit, rows in table.groupby("firm_id").groups.items():
        i = table.index.get_indexer(rows)
        crm = table["crm"].to_numpy()[i]
        before, after = table["grade_kg_t"].to_numpy()[i] * price[i], grades[i] * price[i]
        assert after.sum() == pytest.approx(before.sum(), rel=1e-12), deposit
        if crm.all() or not crm.any():
            assert (after == before).all(), deposit
        else:
            mixed.add(deposit)
            assert after[crm].sum() / after.sum() == pytest.approx(1.5 * before[crm].sum() / before.sum()), deposit
    assert mixed == {"F_RS_MT_BOR", "F_XK_MT_GORNJE_POLJE_III"}
    with pytest.raises(ConfigError, match="remining_crm_share_factor"):
        split_grades(table, 3.0)  # Gornje Polje III's CRM share is 0.45


def test_the_processing_cost_factor_and_the_metal_split_reach_costs_revenue_and_crm_output():
    base = WB6Model({"months": 1, "seed": 3})
    moved = WB6Model({"months": 1, "seed": 3, "parameters": {"remining_processing_cost_factor": 2.0,
                                                            "remining_crm_share_factor": 0.5}})
    assert moved.deposits.processing_cost_eur_t == pytest.approx(2.0 * base.deposits.processing_cost_eur_t)
    gp3, veles = row(base, "F_XK_MT_GORNJE_POLJE_III"), row(base, "F_MK_SM_VELES")
    assert moved.offtake.crm_yield_t_t[gp3] < 0.6 * base.offtake.crm_yield_t_t[gp3]
    # antimony and silver recover less than lead and zinc: the deposit's revenue moves with its split
    assert moved.remining_revenue_eur_t[gp3] != pytest.approx(base.remining_revenue_eur_t[gp3])
    assert moved.remining_revenue_eur_t[veles] == base.remining_revenue_eur_t[veles]
