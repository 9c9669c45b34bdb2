"""The joint working group of chambers and ministries (roadmap action LHF1) follows its rules:
quarterly roundtables, obstacles gathered from cross-border waste shipments and refusals, the
largest alignable ones taken up, each agreed with a chance growing with its size, and an
agreement aligns both economies' criteria and recognition for the material."""

from __future__ import annotations

import numpy as np

from sim.config import compose_config
from sim.market import DELIVERED, REFUSED, Shipments
from sim.model import WB6Model
from sim.world import BY_PRODUCT, EOW, WASTE



def model_with_group(months: int = 0, **terms) -> WB6Model:
    model = WB6Model({"months": max(months, 1), "policies": {"working_group": terms}})
    model.step()  # the pilot starts in month 0
    for _ in range(months - 1):
        model.step()
    return model


def one_sided(model) -> tuple[int, int, int]:
    """(material, a, b), a < b WB6 economies, where a holds a criterion for the material that b lacks."""
    wb6 = np.flatnonzero(model.is_wb6)
    held = model.status_possible[[BY_PRODUCT, EOW]]
    for m in range(model.n_materials):
        for i, a in enumerate(wb6):
            for b in wb6[i + 1:]:
                if (held[:, a, m] != held[:, b, m]).any():
                    return m, int(a), int(b)
    raise AssertionError("no one-sided criterion in the scenario")


def test_the_lhf_phase_schedules_it_from_month_0():
    for phase in ("low_hanging_fruits", "roadmap"):
        assert compose_config([f"phase={phase}"]).policies.working_group.start_month == 0
    assert "working_group" not in compose_config(["phase=baseline"]).get("policies", {})


def test_roundtables_are_quarterly_each_on_a_full_quarter():
    model = model_with_group(months=13)
    group = model.pilot_actors["working_group"][0]
    assert group.roundtables_held == 4
    assert [r["roundtables_held"] for r in model.kpis.rows[:7]] == [0, 0, 0, 1, 1, 1, 2]


def test_obstacles_count_cross_border_waste_and_refusals_between_members_only():
    model = model_with_group()
    group = model.pilot_actors["working_group"][0]
    a, b = (int(e) for e in np.flatnonzero(model.is_wb6)[:2])
    outside = int(np.flatnonzero(~model.is_wb6)[0])
    # (from, to, class, outcome, tonnes): a waste shipment and a refused EoW lot count; a domestic
    # one, an EoW lot delivered, and one from outside the WB6 do not
    rows = [(a, b, WASTE, DELIVERED, 10.0), (b, a, EOW, REFUSED, 5.0), (a, a, WASTE, DELIVERED, 7.0),
            (a, b, EOW, DELIVERED, 3.0), (outside, a, WASTE, DELIVERED, 2.0)]
    k = len(rows)
    model.market.shipments = Shipments.of(
        np.zeros(k, np.int64), np.zeros(k, np.int64), np.zeros(k, np.int64), np.ones(k, np.int64),
        np.array([r[0] for r in rows]), np.array([r[1] for r in rows]), np.full(k, -1), np.array([r[2] for r in rows]),
        np.array([r[4] for r in rows]), np.zeros(k), np.zeros(k), np.zeros(k), np.array([r[3] for r in rows]))
    group.gather_obstacles()
    assert group.obstacles[0, a, b] == 10.0 and group.obstacles[0, b, a] == 5.0
    assert group.obstacles.sum() == 15.0


def test_a_large_obstacle_is_agreed_and_aligns_both_economies():
    model = model_with_group(obstacle_scale_t=1e-6)
    group = model.pilot_actors["working_group"][0]
    m, a, b = one_sided(model)
    either = model.status_possible[[BY_PRODUCT, EOW], a, m] | model.status_possible[[BY_PRODUCT, EOW], b, m]
    group.obstacles[m, a, b] = 100.0
    group.hold_roundtable()
    assert group.agreements == [(model.month, m, a, b)]
    for e in (a, b):
        assert (model.status_possible[[BY_PRODUCT, EOW], e, m] == either).all()
        assert model.regulators[e].by_product_possible[m] == either[0]
        assert model.regulators[e].eow_possible[m] == either[1]
    assert model.mutual_recognition[m, a, b] and model.mutual_recognition[m, b, a]
    assert group.obstacles.sum() == 0.0  # the tally starts afresh
    assert not group.alignable()[m, a, b]  # nothing left to align there


def test_only_the_largest_alignable_obstacles_are_taken_up():
    model = model_with_group(obstacle_scale_t=1e-6)
    group = model.pilot_actors["working_group"][0]
    m, a, b = one_sided(model)
    blocked = np.flatnonzero(~group.alignable()[:, a, b])
    group.obstacles[m, a, b] = 50.0
    if len(blocked):
        group.obstacles[blocked[0], a, b] = 1e6  # larger, but no alignment can remove it
    others = [x for x in range(model.n_materials) if x != m and group.alignable()[x, a, b]]
    if others:
        group.obstacles[others[0], b, a] = 10.0  # alignable, smaller: beyond the one agreement a roundtable takes
    group.hold_roundtable()
    assert group.agreements == [(model.month, m, a, b)]


def test_scaled_it_takes_up_more_per_roundtable():
    group = model_with_group().pilot_actors["working_group"][0]
    group.scale(2.0)
    assert group.per_roundtable == 2


def test_small_obstacles_are_rarely_agreed():
    model = model_with_group(obstacle_scale_t=1e9)
    group = model.pilot_actors["working_group"][0]
    m, a, b = one_sided(model)
    for _ in range(20):
        group.obstacles[m, a, b] = 1.0
        group.hold_roundtable()
    assert group.agreements == []


def test_over_five_years_it_aligns_policies_and_more_crosses_as_goods():
    base = WB6Model({"months": 60})
    base.run()
    model = model_with_group(months=60)
    row, base_row = model.kpis.rows[-1], base.kpis.rows[-1]
    assert row["policies_aligned"] > 0 and row["roundtables_held"] == 19
    assert row["recognition_pairs"] > base_row["recognition_pairs"]
    assert row["status_criteria"] >= base_row["status_criteria"]
