"""EU offtake of secondary CRM: on the default data an offtake agreement at a floor price, or
de-risking finance for re-mining, brings a CRM deposit (Gornje Polje III) into production that
the metal price risk keeps out otherwise; the premium falls with the share of revenue covered;
the CRMA benchmark KPIs are shares of EU use."""

from __future__ import annotations

import pytest

from sim.errors import ConfigError
from sim.investment import Project
from sim.model import WB6Model


@pytest.fixture(scope="module")
def runs():
    out = {}
    for name, policies in (("baseline", {}), ("offtake", {"eu_offtake": {"start_month": 0}}),
                           ("de_risking", {"de_risking": {"start_month": 0, "project_kinds": ["remining"]}})):
        model = WB6Model({"months": 120, "policies": policies})
        model.run()
        out[name] = model
    return out


def remining_firms(model) -> set[str]:
    return {i["firm"] for i in model.investments if i["kind"] == "remining"}


def test_offtake_or_de_risking_changes_crm_recovered_on_the_default_data(runs):
    crm = {name: model.kpis.frame()["secondary_crm_recovered_t"].sum() for name, model in runs.items()}
    assert crm["offtake"] > crm["baseline"]
    assert crm["de_risking"] > crm["baseline"]
    assert "F_XK_MT_GORNJE_POLJE_III" in remining_firms(runs["offtake"]) - remining_firms(runs["baseline"])
    kpis = runs["offtake"].kpis.frame()
    assert kpis["crm_offtake_eu_t"].sum() == pytest.approx(kpis["secondary_crm_recovered_t"].sum(), rel=1e-9)
    assert runs["baseline"].kpis.frame()["crm_offtake_eu_t"].sum() == 0.0


def test_the_crma_benchmark_kpi_is_a_share_of_eu_use(runs):
    model = runs["offtake"]
    kpis = model.kpis.frame()
    demand = model.params["eu_crm_demand_t_yr"]
    assert (kpis["crm_share_of_eu_demand_copper"] == kpis["recovered_copper_t"] * 12 / demand["copper"]).all()
    assert kpis["crm_share_of_eu_demand_antimony"].max() > 0


def test_the_price_risk_premium_falls_with_the_revenue_covered():
    model = WB6Model({"months": 1})
    offtake = model.offtake
    row = model.region.firms["firm_id"].tolist().index("F_XK_MT_GORNJE_POLJE_III")
    project = Project("remining", row, (), 1.0, 1.0, 1.0, 15, True)
    assert offtake.risk_premium(project) == pytest.approx(offtake.premium)
    assert offtake.risk_premium(Project("recycling_line", row, (), 1.0, 1.0, 1.0, 10, False)) == 0.0
    share = offtake.crm_value_eur_t[row] / model.remining_revenue_eur_t[row]
    assert 0.2 < share < 0.8  # antimony and copper; lead, zinc and silver are not covered
    offtake.contract([model.economy_index["XK"]], coverage=1.0, floor_share=1.0)
    assert offtake.floor_uplift_eur_t[row] == 0.0
    assert offtake.risk_premium(project) == pytest.approx(offtake.premium * (1 - share))
    offtake.contract([model.economy_index["XK"]], coverage=1.0, floor_share=1.2)
    assert offtake.floor_uplift_eur_t[row] == pytest.approx(0.2 * offtake.crm_reference_eur_t[row])
    assert offtake.revenue_eur_t(row) > model.remining_revenue_eur_t[row]


def test_unknown_offtake_economy_is_reported():
    with pytest.raises(ConfigError, match="unknown economy 'SR'"):
        WB6Model({"policies": {"eu_offtake": {"economies": ["SR"]}}})
