"""The roadmap's actors follow their decision rules: chambers, brokers, mapping task forces,
park coordinators, municipalities, and the scale-or-pivot review."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import compose_config
from sim.errors import ConfigError
from sim.model import WB6Model


def model_with(policies: dict, months: int = 0) -> WB6Model:
    model = WB6Model({"months": max(months, 1), "policies": policies})
    for _ in range(months):
        model.step()
    return model


def test_chamber_spreads_its_events_and_reaches_new_firms_first():
    model = model_with({"networking_events": {"events_per_year": 4, "participants_per_event": 5}})
    model.step()
    chamber = model.pilot_actors["chamber"][0]
    held = []
    for _ in range(12):
        before = chamber.events_held
        model.step()
        held.append(chamber.events_held - before)
    assert sum(held) == 4 and max(held) == 1
    # firms it had not reached went first: 4 events x 5 firms, all different while any are left
    members = np.isin(model.firms.economy, chamber.economies).sum()
    assert chamber.reached.sum() == min(members, 4 * 5)


def test_event_raises_awareness_and_links_only_participants_whose_streams_fit():
    model = model_with({"networking_events": {}})
    model.step()
    chamber = max(model.pilot_actors["chamber"], key=lambda c: np.isin(model.firms.economy, c.economies).sum())
    rows = chamber.invite()
    awareness = model.firms.awareness[rows].copy()
    links = model.relations.n_links
    chamber.hold_event(rows)
    assert (model.firms.awareness[rows] >= awareness).all() and (model.firms.awareness[rows] > awareness).any()
    assert model.relations.n_links >= links
    fits = set(zip(*[a.tolist() for a in model.relations.complementary(rows)]))
    participants = set(rows.tolist())
    start, partner = model.relations.start, model.relations.partner
    for f in participants:
        for g in partner[start[f]:start[f + 1]].tolist():
            if g in participants and (f, g) not in fits and (g, f) not in fits:
                pytest.fail("an event linked participants whose streams do not fit")


def test_broker_turns_disposed_streams_into_leads_pilots_and_regular_exchanges():
    model = model_with({"facilitation": {"business_case_months": 1, "pilot_months": 2,
                                         "conversion_scale_eur_t": 1e-6}}, months=24)
    cases = [c for b in model.pilot_actors["broker"] for c in b.cases]
    assert cases and all(b.open_cases <= b.caseload for b in model.pilot_actors["broker"])
    stages = {c["stage"] for c in cases}
    assert "regular" in stages
    assert model.relations.made.get("broker", 0) > 0  # pilots introduce their pairs
    for case in cases:
        if case["stage"] == "regular":
            assert case["traded_t"] > 0
        if case["stage"] == "failed":
            assert case["traded_t"] == 0


def test_business_cases_without_surplus_never_become_pilots():
    model = model_with({"facilitation": {"business_case_months": 1}}, months=1)
    broker = model.pilot_actors["broker"][0]
    broker.business_case = lambda *args: -1.0
    for _ in range(6):
        model.step()
    assert all(c["stage"] in ("lead", "dropped") for c in broker.cases)


def test_a_team_drafts_business_cases_no_faster_than_its_caseload_allows():
    months, draft = 24, 4
    model = model_with({"facilitation": {"business_case_months": draft, "caseload": 2}}, months=months)
    for broker in model.pilot_actors["broker"]:
        drafted = sum(c["stage"] != "lead" for c in broker.cases)
        assert drafted <= broker.caseload * (months // draft)
        assert broker.open_cases <= broker.caseload
    assert model.kpis.rows[-1]["pilot_proposals"] > 0


def test_facilitation_launches_pilot_projects_at_the_seeds_scale():
    """Seed 001 roadmap.short_term.pilots: "Launch 3–5 pilot projects with minimal investment" in the
    first two years, across the region; how many leads convert is an outcome."""
    model = WB6Model(compose_config(["phase=roadmap", "months=24"]))
    for _ in range(24):
        model.step()
    row = model.kpis.rows[-1]
    assert 3 <= row["pilots_launched"] <= 5
    assert row["pilots_launched"] <= row["pilot_proposals"] <= row["leads_found"]
    assert 0.0 <= row["lead_conversion_rate"] < 1.0
    assert len(model.pilot_actors["broker"]) == 6  # one technical expert team per WB6 economy


def test_a_dropped_facilitation_closes_its_cases():
    model = model_with({"facilitation": {"business_case_months": 1, "pilot_months": 24,
                                         "conversion_scale_eur_t": 1e-6}}, months=6)
    facilitation = next(p for p in model.active_policies if p.name == "facilitation")
    cases = [c for b in model.pilot_actors["broker"] for c in b.cases]
    running = [c for c in cases if c["stage"] == "pilot"]
    assert running
    facilitation.stop(model)
    assert all(c["stage"] in ("regular", "failed", "dropped") for c in cases)
    assert all((c["stage"] == "regular") == (c["traded_t"] > 0) for c in running)
    assert model.kpis.rows[-1]["pilots_launched"] >= len(running)


def test_mapping_task_force_maps_firms_outside_exchanges_first_at_its_cost():
    model = model_with({"opportunity_mapping": {"default_firms_per_month": 1, "firms_per_month": {}}})
    model.step()
    force = model.pilot_actors["mapping_task_force"][0]
    outside = (model.firms.economy == force.economy) & ~model.firms.participating
    first = force.next_firms(1)
    assert outside[first].all() or not outside.any()
    before = force.spent_eur
    model.step()
    assert force.mapped.sum() == 2 and force.spent_eur == before + force.cost_per_firm_eur
    assert model.relations.made.get("mapping", 0) > 0


def test_mapping_names_only_known_economies():
    with pytest.raises(ConfigError, match="firms_per_month"):
        model_with({"opportunity_mapping": {"firms_per_month": {"XX": 3}}})


def test_park_links_tenants_and_cuts_delivered_cost_between_their_sites():
    parks = {"obrenovac": ["RS_PP_TENT_A", "RS_CE_OBRENOVAC_PLANNED"]}
    model = model_with({"eco_industrial_parks": {"parks": parks, "ramp_months": 2, "saving_eur_t": 4.0}})
    model.market.refresh_costs()
    a, b = (model.network.index[s] for s in parks["obrenovac"])
    before = model.market.cost[:, model.market.origin_row[a], b].copy()
    for _ in range(3):
        model.step()
    park = model.pilot_actors["park_coordinator"][0]
    assert len(park.tenants) == 2
    assert np.allclose(model.market.cost[:, model.market.origin_row[a], b], np.maximum(before - 4.0, 0.0))
    with pytest.raises(ConfigError, match="unknown site"):
        model_with({"eco_industrial_parks": {"parks": {"x": ["RS_PP_TENT_A", "NOWHERE"]}}})


def test_municipality_signs_then_sorts_what_pays_and_buys_recycled_aggregate():
    model = model_with({"municipal_action": {"mou_months": 0, "collection_cost_eur_t": 0.0}})
    firms, cd = model.firms, model.material_index["cd_waste"]
    quality, capacity = firms.quality.copy(), firms.capacity.copy()
    model.step()
    cities = model.pilot_actors["municipality"]
    assert cities and all(c.signed for c in cities)
    for city in cities:
        for m in city.collecting:
            assert firms.quality[city.row, m] == pytest.approx(min(1.0, quality[city.row, m] + 0.3))
        assert firms.capacity[city.row, cd] == pytest.approx(capacity[city.row, cd] + 0.2 * firms.generation[city.row, cd])
    costly = model_with({"municipal_action": {"mou_months": 0, "collection_cost_eur_t": 1e6}}, months=1)
    assert all(not c.collecting for c in costly.pilot_actors["municipality"])


def test_scale_or_pivot_scales_keeps_and_drops_by_the_rule():
    rules = {"networking_events": {"kpi": "event_participants", "scale_at": 0.0, "drop_below": 0.0},
             "facilitation": {"kpi": "lead_conversion_rate", "scale_at": 2.0, "drop_below": 1.5},
             "opportunity_mapping": {"kpi": "firms_mapped", "scale_at": 1e9, "drop_below": 0.0}}
    model = model_with({"networking_events": {}, "facilitation": {}, "opportunity_mapping": {},
                        "scale_or_pivot": {"rules": rules}}, months=13)
    decisions = {d["pilot"]: d["decision"] for d in model.pilot_decisions if d["step"] == 12}
    assert decisions == {"networking_events": "scale", "facilitation": "drop", "opportunity_mapping": "keep"}
    assert all(c.events_per_year == 6.0 for c in model.pilot_actors["chamber"])
    assert "facilitation" not in {p.name for p in model.active_policies}
    with pytest.raises(ConfigError, match="not a KPI"):
        model_with({"scale_or_pivot": {"rules": {"facilitation": {"kpi": "nope", "scale_at": 1, "drop_below": 0}}}})
