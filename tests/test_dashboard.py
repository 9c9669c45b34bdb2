"""The workshop dashboard (sim/app.py): its controls, its drawing, and end to end in chromium.

The browser test starts the dashboard server on a free port of 127.0.0.1, drives it with
Debian's chromium through Playwright, checks that what the page shows is what the model
computes, saves a screenshot and the measured step times under results/dashboard/, and stops
the server it started.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
import typing
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from sim import dashboard_assets
from sim.app import PilotControl, Settings, composed, humanise, kpi_cards, pilot_controls, presets
from sim.config import CONFIG_DIR
from sim.model import WB6Model
from sim.policies import REGISTRY
from sim.viz import FlowRouter, MapView, draw_trends, png_data_uri, sparkline_svg

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "dashboard"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: the pilot the browser test switches on: a landfill tax changes landfilled tonnes within months
PILOT = "landfill_fee"


# ---- controls and drawing, without a browser ------------------------------------------------
def test_every_registered_pilot_has_a_switch_with_its_first_numeric_parameter():
    controls = {c.name: c for c in pilot_controls()}
    assert set(controls) == set(REGISTRY)
    for name, control in controls.items():
        hints = typing.get_type_hints(REGISTRY[name].Params)
        numeric = [f.name for f in dataclasses.fields(REGISTRY[name].Params)
                   if f.name != "start_month" and hints[f.name] in (int, float)]
        assert control.field == (numeric[0] if numeric else None), name
        if control.field:
            assert control.low <= control.default <= control.high, name


def test_phase_selector_lists_every_phase_and_runs_what_the_command_line_runs():
    phases = {p.stem for p in (CONFIG_DIR / "phase").glob("*.yaml")}
    assert phases, "no roadmap phases in configs/phase/"
    assert phases <= set(presets())
    for phase in phases:
        settings = Settings.of_preset(phase)
        cli = composed([f"phase={phase}"])
        assert settings.config()["policies"] == cli["policies"], phase
        on = {name for name, switched_on, _ in settings.pilots if switched_on}
        assert on == set(cli["policies"]), phase


def test_a_pilot_switched_on_with_its_parameter_reaches_the_model():
    control = PilotControl.of(PILOT)
    settings = Settings.of_preset(next(iter(presets()))).with_pilot(PILOT, on=True, value=control.high)
    model = WB6Model(settings.config())
    (policy,) = [p for p in model.policies if p.name == PILOT]
    assert getattr(policy.params, control.field) == control.high


def test_flows_on_the_map_carry_each_shipment_along_a_connected_path():
    model = WB6Model({"months": 12})
    for _ in range(6):
        model.step()
    shipments = [s for s in model.market.shipments if s[12] != "refused"]
    assert shipments
    router = FlowRouter(model.network)
    edges = router.edge_tonnes(shipments, model.firms.node)
    # tonne-hops: each shipment's tonnes on every link of its drawn path
    expected = 0.0
    for s in shipments:
        origin, dest = model.firms.node[s[2]], model.firms.node[s[3]]
        stops = [origin, dest] if s[6] < 0 else [origin, model.network.n_sites + s[6], dest]
        hops = sum(len(router.path(a, b)) - 1 for a, b in zip(stops, stops[1:]))
        expected += s[8] * hops
    assert sum(t.sum() for t in edges.values()) == pytest.approx(expected)
    assert all(model.network.graph.has_edge(*key) for key in edges)
    view = MapView(model)
    for figure in (view.base_figure(), view.month_figure(), view.sites_figure()):
        assert png_data_uri(figure).startswith("data:image/png;base64,")


def test_kpi_panels_show_the_model_kpis_and_sparklines_cope_with_flat_series():
    model = WB6Model({"months": 12})
    assert kpi_cards(model.kpis.frame()) == []
    for _ in range(3):
        model.step()
    cards = {c.key: c for c in kpi_cards(model.kpis.frame())}
    assert {"exchanges", "cross_border", "landfilled", "co2", "customs", "collection", "crm"} <= set(cards)
    assert cards["exchanges"].value == str(int(model.kpis.rows[-1]["exchanges_count"]))
    assert len(cards["landfilled"].series) == 3
    for values in ([], [0.0, 0.0], [5.0]):
        assert sparkline_svg(values, 120).startswith("data:image/svg+xml;base64,")
    assert np.isfinite(cards["co2"].series).all()
    assert png_data_uri(draw_trends(model.kpis.frame(), 12)).startswith("data:image/png;base64,")


# ---- end to end in chromium ----------------------------------------------------------------
def _need(condition: bool, reason: str) -> None:
    """Skip on a developer machine without the browser bits; fail in CI, which installs them."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need(CHROMIUM.exists(), f"{CHROMIUM} missing: install Debian's chromium (apt-get install -y chromium)")
    missing = dashboard_assets.missing()
    _need(not missing, f"Solara web assets missing ({', '.join(missing)}): run .venv/bin/python -m sim.dashboard_assets")
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "solara", "run", "sim.app", "--host", "127.0.0.1", "--port", str(port),
             "--production", "--no-open"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"dashboard server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dashboard server did not answer on {url}:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)  # a loaded 2-core machine can take seconds to render

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1600, "height": 1000})
            tab.set_default_timeout(60_000)
            tab.goto(server)
            yield tab
        finally:
            browser.close()


def expected_panels(settings: Settings, months: int) -> dict[str, str]:
    """What the KPI panels must show after ``months`` months of the run ``settings`` describe."""
    model = WB6Model(settings.config())
    for _ in range(months):
        model.step()
    shown = {}
    for card in kpi_cards(model.kpis.frame()):
        shown[f"kpi-{card.key}"] = card.value
        shown.update({f"kpi-{key}": text for _, text, key in card.rows})
    return shown


def step(tab, month: int, of: int) -> dict[str, float]:
    """Press Step; wait for the counter; the round trip and the server's own timings, ms."""
    start = time.perf_counter()
    tab.get_by_role("button", name="Step").click()
    tab.wait_for_function("text => document.querySelector('.month-counter')?.innerText === text",
                          arg=f"Month {month} of {of}")  # polled every animation frame
    round_trip = 1000 * (time.perf_counter() - start)
    text = tab.locator(".step-time").inner_text()  # "Last step: model 6 ms, drawing 120 ms"
    model_ms, draw_ms = (float(part.split()[-2]) for part in text.split(":")[1].split(","))
    return {"month": month, "round_trip_ms": round_trip, "model_ms": model_ms, "drawing_ms": draw_ms}


def assert_panels(tab, expected: dict[str, str]) -> None:
    from playwright.sync_api import expect

    for css, text in expected.items():
        expect(tab.locator(f".{css}")).to_have_text(text)


@pytest.mark.browser
def test_dashboard_steps_plays_and_reruns_with_a_pilot_in_chromium(page):
    from playwright.sync_api import expect

    tab = page
    baseline = Settings.of_preset(next(iter(presets())))
    horizon = baseline.months
    expect(tab.locator(".month-counter")).to_have_text(f"Month 0 of {horizon}")
    expect(tab.locator("img[alt='WB6 network']")).to_be_visible()

    timings = [step(tab, 1, horizon)]
    after_one = expected_panels(baseline, 1)
    assert_panels(tab, after_one)
    first_total = tab.locator(".kpi-landfilled_total").inner_text()
    timings += [step(tab, month, horizon) for month in range(2, 5)]
    after_four = expected_panels(baseline, 4)
    assert after_four["kpi-landfilled_total"] != after_one["kpi-landfilled_total"]
    assert_panels(tab, after_four)
    assert tab.locator(".kpi-landfilled_total").inner_text() != first_total

    # Play runs on by itself until paused
    tab.get_by_role("button", name="Play").click()
    tab.locator(".month-counter").filter(has_text=f"Month 6 of {horizon}").wait_for()
    tab.get_by_role("button", name="Pause").click()
    expect(tab.get_by_role("button", name="Step")).to_be_enabled()
    paused_at = tab.locator(".month-counter").inner_text()
    time.sleep(1.0)
    assert tab.locator(".month-counter").inner_text() == paused_at

    # switch a pilot on, reset, and the same months give another outcome: the model's
    tab.get_by_label(humanise(PILOT), exact=True).check()
    expect(tab.locator(".pending-note")).to_be_visible()
    tab.get_by_role("button", name="Reset").click()
    expect(tab.locator(".month-counter")).to_have_text(f"Month 0 of {horizon}")
    expect(tab.locator(".pending-note")).to_have_count(0)
    for month in range(1, 5):
        step(tab, month, horizon)
    with_pilot = expected_panels(baseline.with_pilot(PILOT, on=True), 4)
    changed = {k for k in with_pilot if with_pilot[k] != after_four[k]}
    assert "kpi-landfilled_total" in changed
    assert_panels(tab, with_pilot)

    # a bad setting is refused with the config error; the run shown stays as it was
    months = tab.get_by_label("Months", exact=True)
    months.fill("0")
    months.press("Enter")
    tab.get_by_role("button", name="Reset").click()
    expect(tab.locator(".run-error")).to_contain_text("months: must be >= 1")
    expect(tab.locator(".month-counter")).to_have_text(f"Month 4 of {horizon}")
    months.fill(str(horizon))
    months.press("Enter")

    # a roadmap phase switches on its bundle of pilots
    phase = next(p for p in presets() if presets()[p]["policies"])
    tab.locator(".v-field").filter(has=tab.get_by_label("Roadmap phase")).click()
    tab.get_by_role("option", name=phase, exact=True).click()
    for name in REGISTRY:
        box = tab.get_by_label(humanise(name), exact=True)
        if name in presets()[phase]["policies"]:
            expect(box).to_be_checked()
        else:
            expect(box).not_to_be_checked()

    OUT.mkdir(parents=True, exist_ok=True)
    tab.get_by_role("button", name="Reset").click()
    expect(tab.locator(".run-error")).to_have_count(0)
    for month in range(1, 9):
        timings.append(step(tab, month, horizon))
    tab.screenshot(path=str(OUT / "screenshot.png"), full_page=True)
    (OUT / "step_times.json").write_text(json.dumps({"phase": phase, "steps": timings}, indent=1))
