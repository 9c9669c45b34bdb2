"""A changing region: dated schedules change generation and capacity on their dates, a coal
phase-out scenario empties the ash supply, capacity built by investment survives a schedule,
and bad schedules get a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.config import compose_config
from sim.errors import ScenarioError
from sim.model import WB6Model
from sim.scenario import load_scenario, load_schedule


def generation(model, firm_id: str, material: str) -> float:
    return float(model.firms.generation[model.region.firms["firm_id"].tolist().index(firm_id),
                                        model.material_index[material]])


def test_coal_phase_out_empties_ash_supply_on_its_dates():
    model = WB6Model({"months": 120, "schedule": "coal_phase_out"})
    seen = {}
    for month in range(120):
        model.step()
        if month in (11, 12, 47, 48, 107, 108):
            seen[month] = (generation(model, "F_MK_PP_BITOLA", "fly_ash"), generation(model, "F_RS_PP_MORAVA", "fly_ash"),
                           generation(model, "F_ME_PP_PLJEVLJA", "fly_ash"))
    # North Macedonia by January 2027 (month 12), Morava by 2030 (month 48), Pljevlja in 2035 (month 108)
    assert seen[11][0] > 0 and seen[12][0] == 0
    assert seen[47][1] > 0 and seen[48][1] == 0
    assert seen[107][2] > 0 and seen[108][2] == 0
    ash = model.kpis.frame().groupby("year")["coal_ash_generated_t"].sum()
    assert ash.is_monotonic_decreasing and ash.iloc[-1] == 0 and ash.iloc[0] > 10e6
    default = WB6Model({"months": 120})
    default.run()
    announced = default.kpis.frame().groupby("year")["coal_ash_generated_t"].sum()
    # announced closures (Serbia by 2030, Pljevlja 2035) cut less than the phase-out
    assert ash.iloc[0] < announced.iloc[0] and announced.iloc[-1] < announced.iloc[0] and announced.iloc[-1] > 10e6


def test_the_default_schedule_grows_construction_waste():
    model = WB6Model({"months": 1})
    before = generation(model, "F_MUN_RS_BELGRADE", "cd_waste")
    model.schedules.apply(120)
    assert generation(model, "F_MUN_RS_BELGRADE", "cd_waste") == pytest.approx(before * 1.02 ** 10, rel=1e-6)


def beocin_fly_ash(years: list[int], factors: list[float]) -> pd.DataFrame:
    """A schedule of Beocin cement plant's fly-ash intake."""
    n = len(years)
    return pd.DataFrame({"firm_id": ["F_RS_CE_BEOCIN"] * n, "material": ["fly_ash"] * n, "role": ["absorbs"] * n,
                         "year": years, "factor": factors, "source": ["test"] * n, "assumption": [""] * n})


def test_capacity_added_by_investment_survives_a_schedule():
    region = load_scenario()
    table = beocin_fly_ash([2026, 2028], [1.0, 0.5])
    model = WB6Model({"months": 1}, region=region.with_tables(schedules=table))
    f, m = region.firms["firm_id"].tolist().index("F_RS_CE_BEOCIN"), model.material_index["fly_ash"]
    base = model.firms.capacity[f, m]
    model.firms.capacity[f, m] += 1000.0  # a recycling line
    model.schedules.apply(24)
    assert model.firms.capacity[f, m] == pytest.approx(0.5 * base + 1000.0)
    model.schedules.apply(12)
    assert model.firms.capacity[f, m] == pytest.approx(0.75 * base + 1000.0)


def test_a_new_plant_starts_on_its_commissioning_date():
    """A plant at factor 0 until 2029 and 1 from 2030 has no intake before and its full intake after."""
    region = load_scenario()
    table = beocin_fly_ash([2029, 2030], [0.0, 1.0])
    model = WB6Model({"months": 60}, region=region.with_tables(schedules=table))
    f, m = region.firms["firm_id"].tolist().index("F_RS_CE_BEOCIN"), model.material_index["fly_ash"]
    full = float(region.firm_streams.query("firm_id == 'F_RS_CE_BEOCIN' and material == 'fly_ash' "
                                           "and role == 'absorbs'")["tonnes"].iloc[0])
    received = []
    for _ in range(60):
        model.step()
        received.append(model.market.flows.received[f, m])
    assert model.firms.capacity[f, m] == pytest.approx(full / 12)  # t/yr in the table, t/month in the model
    assert sum(received[:36]) == 0.0 and sum(received[48:]) > 0.0


def test_bad_schedules_are_reported():
    region = load_scenario()
    with pytest.raises(ScenarioError, match="schedule not found.*coal_phase_out"):
        load_schedule(region, "coal_phaseout")
    bad = region.schedules.assign(material=np.where(region.schedules.index == 0, "tyres", region.schedules["material"]))
    with pytest.raises(ScenarioError, match="schedules.csv:2: firm 'F_RS_PP_MORAVA' has no 'generates' row for 'tyres'"):
        region.with_tables(schedules=bad)


def test_the_phase_out_is_a_config_option():
    config = compose_config(["schedule=coal_phase_out"])
    assert config.schedule == "coal_phase_out" and config.run_name == "coal_phase_out"
