"""CBAM: the share of embedded CO2 priced follows the Regulation's phase-in; exporters of cement
and steel value low-carbon inputs by the certificates they save, in proportion to their EU export
share; with the pilot on, buyers pay more for those inputs, more of them reach the exporters, and
the certificates saved are counted."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import ConfigError
from sim.model import WB6Model


def row(model, firm_id):
    return list(model.region.firms["firm_id"]).index(firm_id)


def test_the_priced_share_follows_the_phase_in():
    cbam = WB6Model({"months": 1}).cbam
    assert cbam.factor_at(0) == pytest.approx(0.025)  # January 2026
    assert cbam.factor_at(12) == pytest.approx(0.05)
    assert cbam.factor_at(48) == pytest.approx(0.485)  # 2030
    assert cbam.factor_at(54) == pytest.approx((0.485 + 0.61) / 2)
    assert cbam.factor_at(96) == cbam.factor_at(119) == 1.0  # from 2034
    path = [cbam.factor_at(m) for m in range(120)]
    assert all(b >= a for a, b in zip(path, path[1:]))


def test_exporters_value_low_carbon_inputs_by_their_eu_export_share():
    model = WB6Model({"months": 1})
    cbam, m = model.cbam, model.material_index
    kakanj, sharrcem, makstil = (row(model, f) for f in ("F_BA_CE_KAKANJ", "F_XK_CE_SHARRCEM", "F_MK_ST_MAKSTIL"))
    before = model.willingness_to_pay(np.array([kakanj, makstil]), m["fly_ash"]).copy()
    cbam.set_price(100.0, 48)
    price = 100.0 * 0.485
    assert cbam.price_eur_t == pytest.approx(price)
    assert cbam.premium[kakanj, m["fly_ash"]] == pytest.approx(0.15 * 0.7 * price)  # BA cement, 15 % to the EU
    assert cbam.premium[makstil, m["steel_scrap"]] == pytest.approx(0.8 * 1.5 * price)  # MK steel, 80 %
    assert cbam.premium[sharrcem].sum() == 0.0  # Kosovo's cement is not sold in the EU
    assert cbam.premium[kakanj, m["plastics"]] == 0.0  # a fossil kiln fuel cuts no embedded CO2
    eu = model.region.firms["sector"].isin(["eu_buyer", "recycler"]).to_numpy()
    assert cbam.premium[eu].sum() == 0.0
    after = model.willingness_to_pay(np.array([kakanj, makstil]), m["fly_ash"])
    np.testing.assert_allclose(after - before, [0.15 * 0.7 * price, 0.0])
    cbam.set_price(200.0, 48)
    assert cbam.premium[kakanj, m["fly_ash"]] == pytest.approx(2 * 0.15 * 0.7 * price)


@pytest.fixture(scope="module")
def runs():
    out = {}
    for name, policies in (("baseline", {}), ("cbam", {"cbam": {"start_month": 0}}),
                           ("high", {"cbam": {"start_month": 0, "ets_price_2030_eur_t": 160.0}})):
        model = WB6Model({"months": 60, "policies": policies})
        model.run()
        out[name] = model
    return out


def to_exporters(model, material):
    flows = model.kpis.shipments_frame()
    flows = flows[(flows["outcome"] == "delivered") & (flows["material"] == material)]
    return flows.loc[flows["buyer_sector"].isin(["cement", "steel"]), "tonnes"].sum()


def test_cbam_moves_the_kpis(runs):
    kpis = {name: model.kpis.frame() for name, model in runs.items()}
    assert (kpis["baseline"]["cbam_cost_avoided_eur"] == 0).all() and (kpis["baseline"]["cbam_price_eur_t_co2"] == 0).all()
    saved = {name: k["cbam_cost_avoided_eur"].sum() for name, k in kpis.items()}
    assert 0 < saved["cbam"] < saved["high"]
    # the price rises smoothly month by month (the ETS path times the phase-in)
    price = kpis["cbam"]["cbam_price_eur_t_co2"].to_numpy()
    assert price[0] == pytest.approx(75.0 * 0.025) and np.all(np.diff(price) > 0)
    assert kpis["cbam"]["cbam_cost_eur_per_t_steel"].iloc[48] == pytest.approx(2.0 * 80.0 * 0.485)
    # exporters outbid others for scrap: more of it reaches the steelworks
    assert to_exporters(runs["cbam"], "steel_scrap") > to_exporters(runs["baseline"], "steel_scrap")
    # counted by the buyer's economy, only in economies that export cement or steel to the EU
    by_economy = runs["cbam"].kpis.economy_frame()
    saved_by = by_economy[by_economy["kpi"] == "cbam_cost_avoided_eur"].groupby("economy")["value"].sum()
    assert saved_by["XK"] == 0.0 and saved_by.sum() == pytest.approx(saved["cbam"])


def test_a_misspelt_cbam_parameter_is_reported():
    with pytest.raises(ConfigError, match="policies.cbam"):
        WB6Model({"months": 1, "policies": {"cbam": {"start_month": 0, "ets_price": 80.0}}})
