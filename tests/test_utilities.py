"""Energy and water exchanges: the kernel equals its reference; heat (MWh) and water (m3) are
balanced on every link and month (supplied = used + lost), apart from the tonnes; heat follows the
heating season and its source's activity; the pilot builds candidate links that then deliver;
bad link data is reported."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InvariantError, ScenarioError
from sim.kernels import utility_flows
from sim.model import WB6Model
from sim.scenario import load_scenario
from tests import reference


@settings(max_examples=60, deadline=None)
@given(n_links=st.integers(0, 12), n_sources=st.integers(1, 4), seed=st.integers(0, 2**31))
def test_kernel_matches_reference(n_links, n_sources, seed):
    rng = np.random.default_rng(seed)
    source = rng.integers(0, n_sources, n_links).astype(np.int64)
    available = rng.choice([0.0, 5.0, 50.0, 500.0], n_sources)
    capacity, demand = rng.uniform(0, 100, n_links), rng.choice([0.0, 10.0, 80.0], n_links)
    loss = rng.uniform(0, 0.5, n_links)
    got = utility_flows(source, available, capacity, demand, loss)
    for a, b in zip(got, reference.utility_flows(source, available, capacity, demand, loss)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    supplied, used, lost = got
    np.testing.assert_allclose(supplied, used + lost)
    assert np.all(used <= demand + 1e-9) and np.all(supplied <= capacity + 1e-9)
    assert np.all(np.bincount(source, weights=supplied, minlength=n_sources) <= available * (1 + 1e-12) + 1e-9)


@pytest.fixture(scope="module")
def runs():
    out = {}
    for name, policies in (("baseline", {}), ("pilot", {"energy_water_symbiosis": {"start_month": 0}})):
        model = WB6Model({"months": 30, "policies": policies})
        model.run()
        out[name] = model
    return out


def test_heat_and_water_balance_every_month_in_their_own_units(runs):
    for model in runs.values():
        kpis = model.kpis.frame()
        np.testing.assert_allclose(kpis["energy_supplied_mwh"], kpis["energy_exchanged_mwh"] + kpis["energy_lost_mwh"])
        np.testing.assert_allclose(kpis["water_supplied_m3"], kpis["water_reused_m3"] + kpis["water_lost_m3"])
        assert (kpis["energy_exchanged_mwh"] > 0).any() and (kpis["water_reused_m3"] > 0).all()
        by_economy = model.kpis.economy_frame().pivot_table(index="step", columns="kpi", values="value", aggfunc="sum")
        np.testing.assert_allclose(by_economy["energy_exchanged_mwh"], kpis["energy_exchanged_mwh"])
    # no heat or water enters the tonnes: the material ledger has no such stream
    assert not {"heat", "water"} & set(runs["baseline"].material_ids)


def test_heat_follows_the_heating_season(runs):
    kpis = runs["baseline"].kpis.frame()
    january, july = kpis.loc[kpis["step"] == 12, "energy_exchanged_mwh"].item(), kpis.loc[
        kpis["step"] == 18, "energy_exchanged_mwh"].item()
    assert january > 0 and july == 0.0
    # the committed Obrenovac-New Belgrade line delivers from 2028 (month 24) on
    model = runs["baseline"]
    at = list(model.utilities.link_id).index("H_RS_TENT_A_NEW_BELGRADE")
    assert model.utilities.open_month[at] == 24


def test_the_pilot_builds_candidates_that_then_deliver(runs):
    base, pilot = (runs[n].kpis.frame() for n in ("baseline", "pilot"))
    assert (base["utility_capex_eur"] == 0).all()
    links = runs["pilot"].utilities
    assert links.built.sum() == 3 and set(links.kind[links.built]) == {"heat", "water"}
    # built in month 0, delivering after build_months (12), not before
    before, after = base["step"] < 12, base["step"] >= 12
    np.testing.assert_array_equal(pilot.loc[before, "energy_exchanged_mwh"], base.loc[before, "energy_exchanged_mwh"])
    assert pilot.loc[after, "energy_exchanged_mwh"].sum() > base.loc[after, "energy_exchanged_mwh"].sum()
    assert pilot.loc[after, "water_reused_m3"].sum() > base.loc[after, "water_reused_m3"].sum()
    assert pilot.loc[after, "heat_co2_avoided_t"].sum() > base.loc[after, "heat_co2_avoided_t"].sum()
    assert pilot["utility_capex_eur"].iloc[-1] == links.capex_eur[links.built].sum() > 0
    # the material exchanges are the same: heat and water do not touch the tonnes
    np.testing.assert_array_equal(pilot["exchange_volume_t"], base["exchange_volume_t"])


def test_a_source_that_stops_generating_gives_no_heat():
    model = WB6Model({"months": 13})
    for _ in range(12):
        model.step()
    links = model.utilities
    at = list(links.link_id).index("H_XK_KOSOVO_B_PRISHTINA")
    model.firms.generation[links.source[at]] = 0.0  # the plant closes
    model.step()
    assert links.used[at] == 0.0 and links.demand[at] > 0


def test_a_broken_balance_is_reported():
    model = WB6Model({"months": 1})
    model.step()
    model.utilities.lost[0] += 1.0
    with pytest.raises(InvariantError, match="heat balance broken at step 1, link H_XK_KOSOVO_B_PRISHTINA"):
        model.utilities.check()


@pytest.mark.parametrize("change, message", [
    (lambda u: u.assign(sink_firm=np.where(u.index == 0, u["source_firm"], u["sink_firm"])), "to itself"),
    (lambda u: u.assign(source_surplus_per_year=np.where(u.index == 3, 1.0, u["source_surplus_per_year"])),
     "differs from its first link"),
    (lambda u: u.assign(displaced=np.where(u["kind"] == "water", "natural_gas", u["displaced"])), "water displaces"),
    (lambda u: u.assign(sink_firm=np.where(u.index == 0, "F_NOWHERE", u["sink_firm"])), "F_NOWHERE"),
])
def test_bad_link_data_is_reported(change, message):
    region = load_scenario()
    with pytest.raises(ScenarioError, match=message):
        region.with_tables(utility_links=change(region.utility_links))
