"""Extreme but legitimate inputs: runs finish, the invariants hold (checked every month), and
the KPIs move the way the shock says they should, against the baseline of the real scenario.

Shocks that the configuration does not offer (a border closed for six months, a plant shut
down) are small test-only objects added to the model's pilots: they act at the start of each
month like a pilot does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import WB6Model
from sim.results import run_to_folder, verify_results
from sim.scenario import DEFAULT_SCENARIO, load_scenario
from sim.synthetic import synthetic_scenario

MONTHS = 18
SHOCK, SHOCK_MONTHS = 6, 6  # months 6-11 shocked, 12-17 after
DURING = slice(SHOCK, SHOCK + SHOCK_MONTHS)
AFTER = slice(SHOCK + SHOCK_MONTHS, MONTHS)


def run(config=None, region=None, shocks=()) -> WB6Model:
    model = WB6Model({"months": MONTHS, **(config or {})}, region=region)
    assert model.config.check_invariants
    model.policies.extend(shocks)
    model.run()
    assert model.month == MONTHS
    return model


def cross_border_t(kpis: pd.DataFrame) -> pd.Series:
    return kpis["cross_border_wb6_t"] + kpis["export_eu_t"]


def disposed_t(kpis: pd.DataFrame) -> pd.Series:
    return kpis["landfilled_t"] + kpis["dumped_t"]


@pytest.fixture(scope="module")
def baseline():
    model = run()
    return model, model.kpis.frame(), model.kpis.shipments_frame()


# ---- test-only shocks ---------------------------------------------------------------------------
class BorderClosure:
    """Customs posts (all, or the named ones) clear nothing for ``months`` months from
    ``start_month``; traders know and route around them, or do not trade."""

    def __init__(self, start_month: int, months: int, crossings: tuple[str, ...] = ()):
        self.start_month, self.months, self.crossings = start_month, months, crossings
        self.capacity: dict = {}

    def apply(self, model) -> None:
        posts = [p for p in model.customs if not self.crossings or p.crossing_id in self.crossings]
        self.capacity = {post: post.capacity_t_month for post in posts}

    def on_step(self, model) -> None:
        closed = model.month < self.start_month + self.months
        for post, capacity in self.capacity.items():
            post.capacity_t_month = 0.0 if closed else capacity


class PlantShutdown:
    """A firm stops producing and taking in material for good."""

    def __init__(self, start_month: int, firm_id: str):
        self.start_month, self.firm_id = start_month, firm_id

    def apply(self, model) -> None:
        f = list(model.region.firms["firm_id"]).index(self.firm_id)
        model.firms.generation[f] = 0.0
        model.firms.capacity[f] = 0.0

    def on_step(self, model) -> None:
        pass


# ---- prices ------------------------------------------------------------------------------------
def test_prices_times_ten_and_divided_by_ten(baseline):
    _, base, _ = baseline
    low = run({"price_multiplier": 0.1}).kpis.frame()
    high = run({"price_multiplier": 10.0}).kpis.frame()
    # dearer secondary materials pay for longer hauls: more is exchanged, less landfilled
    volume = [k["exchange_volume_t"].sum() for k in (low, base, high)]
    landfilled = [k["landfilled_t"].sum() for k in (low, base, high)]
    assert volume[0] < volume[1] < volume[2]
    assert landfilled[0] > landfilled[1] > landfilled[2]
    assert cross_border_t(high).sum() > cross_border_t(base).sum()


# ---- borders -----------------------------------------------------------------------------------
def test_all_borders_closed_for_six_months(baseline):
    _, base, _ = baseline
    model = run(shocks=[BorderClosure(SHOCK, SHOCK_MONTHS)])
    kpis, flows = model.kpis.frame(), model.kpis.shipments_frame()
    # nothing is lodged at a closed post, nothing crosses
    assert (kpis["customs_filings"][DURING] == 0).all()
    assert (cross_border_t(kpis)[DURING] == 0).all()
    assert flows.loc[flows["step"].between(SHOCK, SHOCK + SHOCK_MONTHS - 1), "crossing"].eq("").all()
    assert cross_border_t(base)[DURING].sum() > 0
    # what cannot cross is landfilled or dumped instead
    assert disposed_t(kpis)[DURING].sum() > disposed_t(base)[DURING].sum()
    assert kpis["exchange_volume_t"][DURING].sum() < base["exchange_volume_t"][DURING].sum()
    # trade resumes when the borders open again
    assert (cross_border_t(kpis)[AFTER] > 0).all()
    assert cross_border_t(kpis).sum() < cross_border_t(base).sum()


def test_border_closed_without_notice_holds_freight_until_it_opens(baseline):
    """The posts close right after a month's shipments were lodged: that freight waits at the
    border for six months (the ledger checks every month that none of it is lost), then clears."""
    _, base, _ = baseline
    closure = BorderClosure(SHOCK, SHOCK_MONTHS)
    model = WB6Model({"months": MONTHS})
    closure.apply(model)
    clear = model.market.clear

    def clear_then_close():
        clear()
        if model.month >= SHOCK:
            closure.on_step(model)

    model.market.clear = clear_then_close
    model.run()
    kpis = model.kpis.frame()
    held = kpis["customs_backlog_t"]
    # open posts hold only the freight still being cleared at the month's end (notified waste waits
    # for its consent, about a month)
    assert (base["customs_backlog_t"] > 0).all() and (base["customs_backlog_t"][DURING] < 0.75 * held[DURING]).all()
    assert (held[DURING] == held[SHOCK]).all()  # nothing cleared, nothing lost
    assert held.iloc[-1] < 2 * base["customs_backlog_t"].max()
    assert cross_border_t(kpis).sum() < cross_border_t(base).sum()


def test_busiest_crossing_closed_for_six_months(baseline):
    _, base, base_flows = baseline
    busiest = base_flows[base_flows["crossing"] != ""].groupby("crossing")["tonnes"].sum().idxmax()
    model = run(shocks=[BorderClosure(SHOCK, SHOCK_MONTHS, crossings=(busiest,))])
    flows = model.kpis.shipments_frame()
    during = flows["step"].between(SHOCK, SHOCK + SHOCK_MONTHS - 1)
    assert not (flows.loc[during, "crossing"] == busiest).any()
    assert (flows.loc[~during & (flows["step"] >= SHOCK), "crossing"] == busiest).any()
    # the freight goes round by another crossing, if one is near enough, and pays for the detour
    shocked = flows[during & (flows["crossing"] != "")]
    before = base_flows[base_flows["step"].between(SHOCK, SHOCK + SHOCK_MONTHS - 1) & (base_flows["crossing"] != "")]
    assert shocked["tonnes"].sum() <= before["tonnes"].sum()
    assert np.average(shocked["unit_cost_eur_t"], weights=shocked["tonnes"]) > np.average(
        before["unit_cost_eur_t"], weights=before["tonnes"])


def test_customs_capacity_zero_in_the_data():
    """borders.csv with every post at capacity 0: a region of closed borders."""
    region = load_scenario()
    region = region.with_tables(borders=region.borders.assign(capacity_t_month=0.0))
    kpis = run(region=region).kpis.frame()
    assert (kpis["customs_filings"] == 0).all() and (cross_border_t(kpis) == 0).all()
    assert (kpis["exchange_volume_t"] > 0).all()


# ---- plants --------------------------------------------------------------------------------------
def test_biggest_buyer_shut_down(baseline):
    _, base, base_flows = baseline
    buyer = base_flows.groupby("buyer")["tonnes"].sum().idxmax()
    model = run(shocks=[PlantShutdown(SHOCK, buyer)])
    kpis, flows = model.kpis.frame(), model.kpis.shipments_frame()
    assert not ((flows["buyer"] == buyer) & (flows["step"] >= SHOCK)).any()
    after = slice(SHOCK, MONTHS)
    assert kpis["secondary_used_t"][after].sum() < base["secondary_used_t"][after].sum()
    assert kpis["landfilled_t"][after].sum() > base["landfilled_t"][after].sum()
    pd.testing.assert_frame_equal(kpis[:SHOCK], base[:SHOCK])  # nothing changes before the shutdown


def test_biggest_seller_shut_down(baseline):
    model0, base, base_flows = baseline
    seller = base_flows.groupby("seller")["tonnes"].sum().idxmax()
    model = run(shocks=[PlantShutdown(SHOCK, seller)])
    kpis, flows = model.kpis.frame(), model.kpis.shipments_frame()
    assert not ((flows["seller"] == seller) & (flows["step"] >= SHOCK)).any()
    f = list(model0.region.firms["firm_id"]).index(seller)
    after = slice(SHOCK, MONTHS)
    lost = model0.firms.generation[f].sum() * (MONTHS - SHOCK)
    assert base["generated_t"][after].sum() - kpis["generated_t"][after].sum() == pytest.approx(lost)
    assert disposed_t(kpis)[after].sum() < disposed_t(base)[after].sum()
    assert kpis["exchange_volume_t"][after].sum() < base["exchange_volume_t"][after].sum()


# ---- regions -------------------------------------------------------------------------------------
def test_region_of_one_economy():
    region = synthetic_scenario(200, n_economies=1, with_eu=False, seed=5)
    (code,) = set(region.sites["economy"])
    only = {name: getattr(region, name)[lambda t: t["economy"] == code] for name in ("economies", "legal_status", "epr")}
    region = region.with_tables(**only)
    model = run(region=region)
    kpis = model.kpis.frame()
    assert model.economy_codes == [code] and len(model.customs) == 0
    assert (kpis["customs_filings"] == 0).all() and (cross_border_t(kpis) == 0).all()
    assert kpis["exchange_volume_t"].sum() > 0


def test_region_without_links(tmp_path, baseline):
    """links.csv with no rows: firms at different sites cannot reach each other, so the run
    goes on with no trade between sites, and says so in its manifest."""
    _, base, _ = baseline
    scenario = tmp_path / "no_links"
    scenario.mkdir()
    for path in DEFAULT_SCENARIO.iterdir():
        if path.is_file():
            (scenario / path.name).write_bytes(path.read_bytes())
    header = (DEFAULT_SCENARIO / "links.csv").read_text(encoding="utf-8").splitlines()[0]
    (scenario / "links.csv").write_text(header + "\n", encoding="utf-8")
    folder = run_to_folder({"months": MONTHS, "scenario": str(scenario), "run_name": "no_links",
                            "output": {"root": str(tmp_path / "out")}})
    manifest = verify_results(folder)
    assert any("links.csv" in w and "cut off from the rest of the network" in w for w in manifest["warnings"])
    kpis, flows = pd.read_parquet(folder / "kpis.parquet"), pd.read_parquet(folder / "flows.parquet")
    region = load_scenario(scenario)
    site = dict(zip(region.firms["firm_id"], region.firms["site_id"]))
    assert (flows["seller"].map(site) == flows["buyer"].map(site)).all()
    assert (cross_border_t(kpis) == 0).all() and (kpis["customs_filings"] == 0).all()
    assert kpis["exchange_volume_t"].sum() < base["exchange_volume_t"].sum()
    assert disposed_t(kpis).sum() > disposed_t(base).sum()
    assert np.isclose(kpis["generated_t"].sum(), base["generated_t"].sum())
