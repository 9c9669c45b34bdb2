"""EU buyers as agents (``agents=[eu_buyers]``): each EU neighbour's scrap buyers bid their own
monthly demand at their own price; never take in more than they demand; pay the EU ETS cost scrap
saves them once the cbam pilot prices carbon, which draws more WB6 scrap to the EU; the ledger
balances every month and reruns are identical; bad rows of ``eu_demand.csv`` are reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.config import compose_config
from sim.errors import ScenarioError
from sim.model import WB6Model
from sim.scenario import load_scenario

MONTHS = 72
AGENTS = {"eu_buyers": "sim.agents.eu_buyers.EUBuyers"}
EU = ("HR", "HU", "RO", "BG", "GR")


def run(agents=True, cbam=False, months=MONTHS, region=None) -> WB6Model:
    model = WB6Model({"months": months, "agents": AGENTS if agents else {},
                      "policies": {"cbam": {}} if cbam else {}}, region=region)
    model.run()  # the ledger (mass balance per firm and material) is checked every month
    return model


@pytest.fixture(scope="module")
def runs():
    return {"passive": run(agents=False), "agents": run(), "agents_cbam": run(cbam=True)}


def scrap_to_eu(model, last_months=12) -> float:
    frame = model.kpis.material_frame()
    rows = frame[(frame["material"] == "steel_scrap") & (frame["step"] >= model.month - last_months)]
    return float(rows["to_eu_t"].sum())


def test_demand_and_price_come_from_the_data():
    table = load_scenario().eu_demand
    scrap = table[table["material"] == "steel_scrap"].set_index("firm_id")
    assert set(scrap.index) == {f"F_EU_{e}" for e in EU}
    # Greece and Bulgaria: their 2023 shares of the EU's 2.7 Mt/yr of extra-EU scrap imports
    assert scrap.at["F_EU_GR", "demand_t_month"] == pytest.approx(2.7e6 * 0.2506 / 12, abs=1.0)
    assert scrap.at["F_EU_BG", "demand_t_month"] == pytest.approx(2.7e6 * 0.0285 / 12, abs=1.0)
    assert scrap["assumption"].str.contains("1 % assumed").sum() == 3
    assert (scrap["wtp_eur_t"] == 305.0).all() and scrap["ets_pull"].all()
    assert scrap["source"].str.contains("steelorbis.com").all()


def test_the_kind_is_chosen_by_config():
    config = compose_config(["agents=[eu_buyers]", "months=1"])
    model = WB6Model(config)
    agents = model.added_actors["month_start"][0][1]
    assert len(agents) == 5 and {type(a).__name__ for a in agents} == {"EUBuyers"}
    assert "month_start" not in WB6Model({"months": 1}).added_actors


def test_buyers_bid_their_demand_at_their_price(runs):
    model = runs["agents"]
    firms = model.region.firms["firm_id"].tolist()
    m = model.material_index["steel_scrap"]
    for agent in model.added_actors["month_start"][0][1]:
        assert model.firms.capacity[agent.firm, m] == agent.demand_t_month
        assert model.buyer_price[agent.firm, m] == 305.0  # no carbon price without the cbam pilot
        assert firms[agent.firm].startswith("F_EU_")
    # each neighbour buys at most its demand, every month (the passive node took far more); what
    # arrives in a month may be more: freight held at the borders arrives with the next month's
    flows = model.kpis.shipments_frame()
    scrap = flows[(flows["material"] == "steel_scrap") & flows["to_economy"].isin(EU)]
    bought = scrap.groupby(["step", "to_economy"])["tonnes"].sum().reset_index()
    demand = {a.firm: a.demand_t_month for a in model.added_actors["month_start"][0][1]}
    limit = bought["to_economy"].map({e: demand[firms.index(f"F_EU_{e}")] for e in EU})
    assert len(bought) and (bought["tonnes"] <= limit + 1e-6).all()
    assert scrap_to_eu(model) != scrap_to_eu(runs["passive"])


def test_carbon_pull_draws_more_scrap_to_the_eu(runs):
    plain, pulled = runs["agents"], runs["agents_cbam"]
    m = plain.material_index["steel_scrap"]
    agent = pulled.added_actors["month_start"][0][1][0]
    # the ETS cost a tonne of scrap saves: 1.5 t CO2 x the CBAM price of the month
    assert agent.pull_eur_t == pytest.approx(1.5 * pulled.cbam.price_eur_t)
    assert pulled.buyer_price[agent.firm, m] == pytest.approx(305.0 + agent.pull_eur_t)
    assert agent.pull_eur_t > 40.0
    assert scrap_to_eu(pulled) > 1.2 * scrap_to_eu(plain)


def test_reruns_are_identical():
    a, b = run(months=12), run(months=12)
    pd.testing.assert_frame_equal(a.kpis.material_frame(), b.kpis.material_frame())
    pd.testing.assert_frame_equal(a.kpis.shipments_frame(), b.kpis.shipments_frame())


@pytest.mark.parametrize("change, message", [
    (lambda t: t.assign(firm_id=np.where(t.index == 0, "F_RS_ST_METALFER", t["firm_id"])),
     "eu_demand.csv:2.*unknown firm_id 'F_RS_ST_METALFER'"),
    (lambda t: t.assign(material=np.where(t.index == 0, "glass", t["material"])),
     "eu_demand.csv:2.*has no 'absorbs' row for 'glass'"),
    (lambda t: pd.concat([t, t.iloc[[0]]], ignore_index=True), r"eu_demand.csv:7.*duplicate"),
])
def test_bad_eu_demand_rows_are_reported(change, message):
    region = load_scenario()
    with pytest.raises(ScenarioError, match=message):
        region.with_tables(eu_demand=change(region.eu_demand))
