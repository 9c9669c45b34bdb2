"""Treatment plants take in a stream and make products of a higher grade: mass is conserved
through treatment every month, products trade where the raw stream never did, plants bid
what their products are worth, stop taking in when their stock is full, and bad treatment
data or pilot parameters get a clear error."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import ConfigError, InvariantError, ScenarioError
from sim.ledger import check_treatment
from sim.model import WB6Model
from sim.scenario import load_scenario

PRODUCTS = ("recycled_aggregate", "glass_cullet", "sorted_textiles")
#: treatment capacity, and separate collection of textiles (no WB6 economy collects them today)
BUILT = {"treatment_capacity": {"start_month": 0}, "epr": {"start_month": 0}}


@pytest.fixture(scope="module")
def built():
    model = WB6Model({"months": 30, "policies": BUILT})
    months = []
    for _ in range(30):
        model.step()  # check_month (with check_treatment) runs in every step
        plants, flows = model.treatment, model.market.flows
        made = np.bincount(plants.pair, weights=plants.output_t, minlength=len(plants.intake_t))
        f, p = np.nonzero(plants.product_mask)
        months.append((plants.intake_t.sum(), made.sum(), plants.residue_t.sum(),
                       (flows.stock_close[f, p] - flows.stock_open[f, p]).sum(), flows.shipped[f, p].sum()))
    return model, np.array(months)


def traded(model, material: str) -> float:
    shipments = model.kpis.shipments_frame()
    return float(shipments.loc[(shipments["material"] == material) & (shipments["outcome"] != "refused"), "tonnes"].sum())


def test_mass_balance_through_treatment_every_month(built):
    _, months = built
    intake, products, residues, stock_change, sold = months.T
    assert intake.sum() > 10_000  # the plants did treat
    # input = products + residues, and products = stock change + products sold, every month
    np.testing.assert_allclose(intake, products + residues, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(products, stock_change + sold, rtol=1e-9, atol=1e-6)
    assert (residues > 0).all() == (intake > 0).all()


def test_treated_products_trade_where_the_raw_streams_did_not(built):
    model, _ = built
    baseline = WB6Model({"months": 30})
    baseline.run()
    for product in PRODUCTS:
        assert traded(baseline, product) == 0.0
        assert traded(model, product) > 100.0, product
    kpis = model.kpis.frame()
    assert kpis["treatment_products_t"].sum() > 0 and kpis["treatment_residue_t"].sum() > 0
    assert kpis["treated_cd_crushing_t"].iloc[-1] > kpis["treated_glass_processing_t"].iloc[-1] > 0
    # products are certified like other streams: Serbia grants end-of-waste to recycled aggregate
    plant = model.region.firms["firm_id"].tolist().index("F_TP_CD_RS_BELGRADE")
    assert model.firms.status[plant, model.material_index["recycled_aggregate"]] == 2


def test_plants_bid_their_products_value_less_cost():
    model = WB6Model({"months": 1})
    plants, m = model.treatment, model.material_index
    row = model.region.firms["firm_id"].tolist().index("F_RS_RE_ECO_RECYCLING")
    expected = 0.70 * model.unit_value[m["rubber_granulate"]] + 0.15 * model.unit_value[m["steel_scrap"]] - 60.0
    others = np.array([0, 1])
    bids = model.willingness_to_pay(np.array([row, *others]), m["tyres"])
    assert bids[0] == pytest.approx(expected)
    assert (bids[1:] == model.unit_value[m["tyres"]]).all()
    assert plants.residue_share[(plants.pair_firm == row)] == pytest.approx(0.15)


def test_full_product_stock_stops_intake():
    model = WB6Model({"months": 1})
    firms, plants = model.firms, model.treatment
    row = model.region.firms["firm_id"].tolist().index("F_RS_RE_ECO_RECYCLING")
    tyres, granulate = model.material_index["tyres"], model.material_index["rubber_granulate"]
    bids = firms.capacity.copy()
    plants.limit_intake(bids)
    assert bids[row, tyres] == firms.capacity[row, tyres]
    output = firms.capacity[row, tyres] * 0.85 * plants.storage_months
    for share, room in ((0.5, 0.5), (1.0, 0.0)):
        firms.stock[row, granulate] = share * output * 0.70 / 0.85
        firms.stock[row, model.material_index["steel_scrap"]] = share * output * 0.15 / 0.85
        bids = firms.capacity.copy()
        plants.limit_intake(bids)
        assert bids[row, tyres] == pytest.approx(room * firms.capacity[row, tyres])


def test_broken_treatment_books_are_caught(built):
    model, _ = built
    model.treatment.output_t[0] += 1.0
    with pytest.raises(InvariantError, match="treatment mass balance broken at step .*F_TP_CD"):
        check_treatment(model)
    model.treatment.output_t[0] -= 1.0
    check_treatment(model)


@pytest.mark.parametrize("change, message", [
    (lambda t: t.assign(product_yield=np.where(t["firm_id"] == "F_RS_RE_ECO_RECYCLING", 0.6, t["product_yield"])),
     "add up to 1.2, above 1"),
    (lambda t: t.assign(product=np.where(t.index == 0, t["material"], t["product"])), "is its own input"),
    (lambda t: t.assign(material=np.where(t.index == 0, "glass", t["material"])), "has no 'absorbs' row for its input 'glass'"),
    (lambda t: t.assign(product=np.where(t.index == 0, "concrete", t["product"])), "unknown product 'concrete'"),
])
def test_bad_treatment_data_is_reported(change, message):
    region = load_scenario()
    with pytest.raises(ScenarioError, match=message):
        region.with_tables(treatment=change(region.treatment))


def test_unknown_process_in_the_pilot_is_reported():
    with pytest.raises(ConfigError, match="unknown process 'incineration'"):
        WB6Model({"policies": {"treatment_capacity": {"processes": ["incineration"]}}})
