"""Consent to a notified waste shipment is an outcome: each economy's competent authority (its
regulator) decides notifications with limited capacity, so the wait grows with the load, smoothly,
and a post's waste shipments wait for the slower of the two authorities on its sides."""

import numpy as np
import pytest

from sim.model import WB6Model
from sim.world import BY_PRODUCT, WASTE


@pytest.fixture(scope="module")
def model():
    model = WB6Model({"months": 24, "seed": 42})
    model.run()
    return model


def expected_days(authority, load: float) -> float:
    p = authority.model.params
    rho = p["consent_background_utilisation"] + load / p["consent_dossiers_per_month"]
    return round(p["consent_preparation_days"] + p["consent_acknowledgement_days"] + p["consent_review_days"] / (1 - rho))


def test_consent_time_rises_smoothly_with_the_authoritys_caseload():
    authority = WB6Model({"months": 1}).regulators[0]
    days = []
    for load in range(0, 24):
        authority.notification_history.clear()
        authority.notification_history.extend([load] * 12)
        days.append(authority.consent_days())
        assert days[-1] == expected_days(authority, load)
    steps = np.diff(days)
    # more notifications never shorten the wait; until half the capacity is in use each extra one adds at
    # most two days (no jump), and the wait grows ever faster as the unit fills up
    assert (steps >= 0).all() and steps[:9].max() <= 2.0 and days[-1] > 10 * days[0]


def test_caseload_is_the_notified_shipments_of_the_last_year(model):
    shipped = model.kpis.shipments_frame()
    notified = shipped[(shipped["crossing"] != "") & (shipped["shipment_class"] == "waste")]
    assert len(notified)
    for e, authority in enumerate(model.regulators):
        code = model.economy_codes[e]
        posts = {post.crossing_id for post in model.customs if code in post.economies}
        # filed (refused ones too) in months 11-22: the history the authority took up by month 23
        filed = notified[notified["crossing"].isin(posts) & notified["step"].between(11, 22)]
        assert authority.notification_load == pytest.approx(len(filed) / 12)
    loads = [authority.notification_load for authority in model.regulators]
    days = [authority.consent_days() for authority in model.regulators]
    assert len(set(days)) > 1 and days[int(np.argmax(loads))] == max(days)


def test_a_waste_shipment_waits_for_the_slower_authority_goods_do_not(model):
    for post in model.customs:
        slower = max(authority.consent_days() for authority in post.authorities)
        paperwork = post.documentary_days()
        assert paperwork[WASTE] == model.params["border_delay_days"]["waste"] + slower
        assert paperwork[BY_PRODUCT] == model.params["border_delay_days"]["by_product"]


def test_an_authority_without_capacity_holds_notifications_at_the_cap():
    model = WB6Model({"months": 1, "parameters": {"consent_dossiers_per_month": 0}})
    assert all(authority.consent_days() > 365 for authority in model.regulators)
