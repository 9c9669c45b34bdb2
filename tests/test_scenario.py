"""The packaged WB6 scenario loads, is consistent, and reproduces the seeds' totals."""

import numpy as np
import pytest

from sim.model import WB6Model
from sim.scenario import load_scenario

MT = 1e6


@pytest.fixture(scope="module")
def region():
    return load_scenario()


def stock_t(region, materials, firm_ids=None):
    s = region.firm_streams
    sel = (s["role"] == "stock") & s["material"].isin(materials)
    if firm_ids is not None:
        sel &= s["firm_id"].isin(firm_ids)
    return float(s.loc[sel, "tonnes"].sum())


def test_tailings_and_slag_stocks_sum_to_seed_total(region):
    # seed 000: "tailings and slags in the Western Balkans contain around 344 million tonnes"
    wb6_firms = region.firms.merge(region.sites[["site_id", "economy"]], on="site_id")
    wb6_firms = wb6_firms[wb6_firms["economy"].isin(["AL", "BA", "XK", "ME", "MK", "RS"])]
    assert stock_t(region, ["tailings", "slag", "red_mud"], wb6_firms["firm_id"]) == pytest.approx(344 * MT, rel=1e-9)


def test_bor_holds_80_mt(region):
    # seed 000: "the Bor copper complex alone holds around 80 million tonnes of tailings and slag"
    bor = region.firms.loc[region.firms["name"].str.contains("Bor", case=False) &
                           (region.firms["sector"] == "mining_legacy"), "firm_id"]
    assert len(bor) == 1
    assert stock_t(region, ["tailings", "slag"], bor) == pytest.approx(80 * MT, rel=1e-9)


def test_in_situ_metal_values_match_seed(region):
    # seed 000: Bor EUR 6.6 bn (EUR 2 bn copper); Gornje Polje III EUR 1 bn; Zitkovac EUR 2.1 bn
    streams = region.firm_streams[region.firm_streams["role"] == "stock"]
    deposit = streams.groupby("firm_id")["tonnes"].sum()
    value = region.remining.assign(
        eur=lambda r: r["grade_kg_t"] / 1000 * r["metal_price_eur_t"] * r["firm_id"].map(deposit)
    )
    by_firm = value.groupby("firm_id")["eur"].sum()
    expected = {"F_RS_MT_BOR": 6.6e9, "F_XK_MT_GORNJE_POLJE_III": 1.0e9, "F_XK_MT_ZITKOVAC": 2.1e9}
    for firm, eur in expected.items():
        assert by_firm[firm] == pytest.approx(eur, rel=0.01), firm
    copper = value[(value["firm_id"] == "F_RS_MT_BOR") & (value["metal"] == "copper")]["eur"].sum()
    assert copper == pytest.approx(2.0e9, rel=0.01)


def test_every_row_has_a_source_or_an_assumption(region):
    for name in ("economies", "materials", "sites", "borders", "links", "firms", "firm_streams",
                 "legal_status", "epr", "remining"):
        table = getattr(region, name)
        unsourced = table[(table["source"] == "") & (table["assumption"] == "")]
        assert unsourced.empty, f"{name}.csv rows without source: {unsourced.index[:5].tolist()}"


def test_legal_status_matches_seeds(region):
    eco = region.economies.set_index("economy")
    # seed 001: Serbia and partly Montenegro have end-of-waste frameworks; List-of-Waste versions differ
    assert eco.loc["RS", "eow_framework"] and eco.loc["RS", "by_product_framework"]
    assert eco.loc["ME", "eow_framework"]
    assert set(eco.loc[["AL", "BA", "XK"], "list_of_waste"]) == {"2000/532/EC"}
    assert set(eco.loc[["RS", "MK", "ME"], "list_of_waste"]) == {"2014/955/EU"}


def test_material_catalogue_covers_the_design(region):
    needed = {"fly_ash", "bottom_ash", "slag", "red_mud", "tailings", "cd_waste", "plastics", "paper",
              "steel_scrap", "glass", "wood_biomass", "sludge", "textiles", "tyres", "e_waste"}
    assert needed <= set(region.material_ids)
    mats = region.materials.set_index("material")
    assert (mats["unit_value_eur_t"] <= mats["virgin_price_eur_t"]).all()
    assert mats.loc["steel_scrap", "eu_eow_criteria"] == "333/2011"


def test_network_connects_every_firm():
    model = WB6Model({"months": 1})
    nodes = np.unique(model.firms.node)
    costs = model.market.cost
    model.market.refresh_costs()
    reachable = np.isfinite(model.market.cost[0][:, nodes])
    assert reachable.all()
    assert costs is None  # costs are computed lazily, on the first month


def test_domestic_routes_never_pass_a_border_post():
    """Freight between two sites of one economy stays at home, in every shipment class."""
    model = WB6Model({"months": 1})
    market, network = model.market, model.network
    market.refresh_costs()
    site_economy = np.full(network.n_nodes, -1)
    site_economy[model.firms.node] = model.firms.economy
    origin_economy = site_economy[market.origin_nodes]
    for row, economy in enumerate(origin_economy):
        home = np.flatnonzero(site_economy == economy)
        crossings = market.first_crossing[:, row, home]
        assert (crossings < 0).all(), (network.node_ids[market.origin_nodes[row]], economy)
