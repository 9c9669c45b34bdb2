"""The workshop dashboard (sim/app.py, sim/dashboard.py): its controls, its map and cards, and end
to end in chromium.

The browser test starts the dashboard server on a free port of 127.0.0.1, drives it with
Debian's chromium through Playwright, checks that what the page shows is what the model
computes (the run and the baseline beside it), that the map holds the country outlines, that
no card overflows at 1920x1080 or 1366x768, and that a bad seed gives a message; it saves a
screenshot of each layout and the measured step times under results/dashboard/, and stops the
server it started.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import logging
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import typing
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from sim import dashboard_assets
from sim.charts import draw_trends, png_data_uri, sparkline_svg, timeline_svg
from sim.config import CONFIG_DIR
from sim.dashboard import (
    LiveRun,
    PilotControl,
    Settings,
    baseline_preset,
    composed,
    delta_text,
    fmt_parameter,
    kpi_cards,
    phase_words,
    pilot_controls,
    presets,
    run_safely,
)
from sim.errors import ConfigError
from sim.model import WB6Model
from sim.policies import REGISTRY
from sim.viz import FlowRouter, MapView, basemap

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "dashboard"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: the pilot the browser test switches on: a landfill tax changes landfilled tonnes within months
PILOT = "landfill_fee"
LAYOUTS = {"projector_1920x1080": (1920, 1080), "laptop_1366x768": (1366, 768)}


# ---- controls, without a browser ------------------------------------------------------------
def test_every_registered_pilot_is_explained_with_its_first_numeric_parameter_in_words():
    controls = {c.name: c for c in pilot_controls()}
    assert set(controls) == set(REGISTRY)
    for name, control in controls.items():
        hints = typing.get_type_hints(REGISTRY[name].Params)
        numeric = [f.name for f in dataclasses.fields(REGISTRY[name].Params)
                   if f.name != "start_month" and hints[f.name] in (int, float)]
        assert control.field == (numeric[0] if numeric else None), name
        assert len(control.description.split()) >= 8, name
        if control.field:
            assert control.low <= control.default <= control.high, name
            assert "_" not in control.label, (name, control.label)  # words, not the field's name
        for words, text in control.other_parameters({}):
            assert words and text, name
    assert fmt_parameter(2e8, "EUR") == "200 million EUR"
    assert fmt_parameter(0.15, "share of capex") == "15 % of capex"
    assert fmt_parameter(0.03, "per year") == "3 % per year"


def test_phase_selector_lists_every_phase_in_the_seed_words_and_runs_what_the_command_line_runs():
    phases = {p.stem for p in (CONFIG_DIR / "phase").glob("*.yaml")}
    assert phases, "no roadmap phases in configs/phase/"
    assert phases <= set(presets())
    assert phase_words("short_term") == "Short-term (1–2 years)"
    for phase in phases:
        settings = Settings.of_preset(phase)
        cli = composed([f"phase={phase}"])
        assert settings.config()["policies"] == cli["policies"], phase
        assert {p.name for p in settings.pilots if p.on} == set(cli["policies"]), phase
        assert not settings.is_custom, phase
        assert "_" not in phase_words(phase), phase


def test_a_pilot_switched_on_with_its_parameter_and_start_month_reaches_the_model():
    control = PilotControl.of(PILOT)
    settings = Settings.of_preset(baseline_preset()).with_pilot(PILOT, on=True, value=control.high, start_month=7)
    assert settings.is_custom
    model = WB6Model(settings.config())
    (policy,) = [p for p in model.policies if p.name == PILOT]
    assert getattr(policy.params, control.field) == control.high
    assert policy.start_month == 7


@pytest.mark.parametrize("change, message", [
    ({"seed": -1}, "seed: must be a whole number >= 0, got -1"),
    ({"months": 0}, "months: must be >= 1, got 0"),
    ({"months": 10**12}, "months: must be <= 600 (50 years), got 1000000000000"),
])
def test_bad_settings_get_the_command_line_message(change, message):
    settings = dataclasses.replace(Settings.of_preset(baseline_preset()), **change)
    with pytest.raises(ConfigError, match=re.escape(message)):
        LiveRun(settings)
    overrides = [f"{key}={value}" for key, value in change.items()]
    with pytest.raises(ConfigError, match=re.escape(message)):
        WB6Model(composed(overrides))


def test_a_start_month_outside_the_run_is_refused():
    settings = Settings.of_preset(baseline_preset()).with_pilot(PILOT, on=True, start_month=500)
    with pytest.raises(ConfigError, match=r"policies.landfill_fee.start_month: must be a month of the run, 0 to 119"):
        settings.check()


def test_a_failing_action_becomes_a_message_and_a_server_log_entry(caplog):
    shown = []

    def broken():
        raise ZeroDivisionError("division by zero")

    with caplog.at_level(logging.ERROR, logger="sim.dashboard"):
        assert not run_safely("Step", broken, shown.append)
    assert shown == ["Step failed: ZeroDivisionError: division by zero. The details are in the server log."]
    assert "Traceback" in caplog.text and "ZeroDivisionError" in caplog.text
    assert run_safely("Step", lambda: None, shown.append) and len(shown) == 1


# ---- the run and its reference ----------------------------------------------------------------
def test_the_reference_run_steps_in_lock_step_and_is_the_baseline_run():
    settings = Settings.of_preset(baseline_preset()).with_pilot(PILOT, on=True)
    live = LiveRun(dataclasses.replace(settings, months=12))
    for _ in range(4):
        live.step()
    assert live.model.month == live.reference.month == 4
    baseline = WB6Model({**Settings.of_preset(baseline_preset()).config(), "months": 12})
    for _ in range(4):
        baseline.step()
    assert live.reference.kpis.frame().equals(baseline.kpis.frame())
    cards = {c.key: c for c in kpi_cards(live.model.kpis.frame())}
    reference = {c.key: c for c in kpi_cards(live.reference.kpis.frame())}
    text, tone = delta_text(cards["landfilled"], reference["landfilled"], live.reference_name)
    # the tax and its enforcement move dumped waste to the landfill: more landfilled, which reads as worse
    lower = cards["landfilled"].number < reference["landfilled"].number
    assert cards["landfilled"].number != reference["landfilled"].number
    assert text.startswith("−" if lower else "+") and text.endswith(" vs baseline")
    assert tone == ("better" if lower else "worse")
    assert delta_text(reference["landfilled"], reference["landfilled"], "baseline") == ("same as baseline", "same")
    assert live.pilot_starts() == [(0, "Landfill fee")]


def test_kpi_cards_show_the_model_kpis_and_sparklines_cope_with_flat_series():
    model = WB6Model({"months": 12})
    assert kpi_cards(model.kpis.frame()) == []
    for _ in range(3):
        model.step()
    cards = {c.key: c for c in kpi_cards(model.kpis.frame())}
    from_rows = {c.key: c for c in kpi_cards(model.kpis.rows)}  # what the page uses: no DataFrame a month
    assert [(c.value, c.rows, c.number) for c in cards.values()] == [(c.value, c.rows, c.number) for c in from_rows.values()]
    assert all(np.array_equal(cards[k].series, from_rows[k].series) for k in cards)
    assert {"exchanges", "cross_border", "landfilled", "co2", "customs", "collection", "crm", "firms"} <= set(cards)
    assert cards["exchanges"].value == str(int(model.kpis.rows[-1]["exchanges_count"]))
    assert len(cards["landfilled"].series) == 3
    for values in ([], [0.0, 0.0], [5.0]):
        assert sparkline_svg(values).startswith("data:image/svg+xml;base64,")
    ghost = base64.b64decode(sparkline_svg([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [1]).split(",")[1]).decode()
    assert 'class="ghost"' in ghost and ghost.count("<line") == 1  # the reference and the pilot start
    assert "Landfill fee from month 24" in timeline_svg(3, 120, [(24, "Landfill fee")])
    assert np.isfinite(cards["co2"].series).all()
    frame = model.kpis.frame()
    assert png_data_uri(draw_trends(frame, frame, 3, [(1, "Landfill fee")], "baseline")).startswith("data:image/png")


# ---- the map ----------------------------------------------------------------------------------
def test_basemap_decoding_and_clipping_against_a_hand_made_topology():
    # a square of 2 x 2 degrees as two quantised, delta-encoded arcs: south-east, and north-west reversed
    topology = {"transform": {"scale": [0.5, 0.5], "translate": [10.0, 40.0]},
                "arcs": [[[0, 0], [4, 0], [0, 4]], [[0, 0], [0, 4], [4, 0]]],
                "objects": {"countries": {"geometries": []}}}
    (ring,) = dashboard_assets.topojson_rings(topology, {"type": "Polygon", "arcs": [[0, ~1]]})
    assert ring.tolist() == [[10, 40], [12, 40], [12, 42], [10, 42], [10, 40]]
    clipped = dashboard_assets.clip_ring(np.array([[10, 40], [12, 40], [12, 42], [10, 42]], float), (11, 39, 13, 41))
    assert sorted(map(tuple, clipped.tolist())) == [(11, 40), (11, 41), (12, 40), (12, 41)]


def test_the_shipped_basemap_holds_the_wb6_and_their_neighbours_kosovo_included():
    countries = {c["code"]: c for c in basemap()["countries"]}
    assert {"AL", "BA", "XK", "ME", "MK", "RS", "HR", "HU", "RO", "BG", "GR", "IT"} <= set(countries)
    assert "Natural Earth" in basemap()["source"]
    assert all(sum(len(r) for r in c["rings"]) > 100 for c in countries.values() if c["code"] in ("XK", "RS", "BA"))


def test_map_draws_countries_named_sites_and_crossings_with_their_queue_state():
    model = WB6Model({"months": 12})
    view = MapView(model)
    base = view.base_svg()
    assert base.count('class="country"') == len(basemap()["countries"])
    assert 'data-code="XK"' in base
    labels = view.labels_svg()
    assert "SERBIA" in labels and "KOSOVO" in labels and "Belgrade" in labels
    for _ in range(3):
        model.step()
    month, figures = view.month_svg()
    sites = view.sites_layer_svg()
    assert sites.count('class="site hot"') == len(model.region.sites)
    shown = html.unescape(sites)
    for name in model.region.sites["name"]:
        assert f"<title>{name} (" in shown
    assert month.count('class="crossing hot"') == len(model.customs)
    queued = sum(post.backlog_t > 0 for post in model.customs)
    assert month.count("queue of") == queued and month.count(": no queue<") == len(model.customs) - queued
    assert figures["links"] > 0 and figures["moving_t"] > 0
    assert "longitude" not in base + month + sites  # a map, not a plot


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
        yield url, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)  # a loaded 2-core machine can take seconds to render
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_tab(browser, url, size):
    tab = browser.new_page(viewport={"width": size[0], "height": size[1]})
    tab.set_default_timeout(60_000)
    tab.goto(url)
    return tab


def expected_panels(settings: Settings, months: int) -> dict[str, str]:
    """What the KPI cards must show after ``months`` months of the run ``settings`` describe."""
    model = WB6Model(settings.config())
    for _ in range(months):
        model.step()
    shown = {}
    for card in kpi_cards(model.kpis.frame()):
        shown[f"kpi-{card.key}"] = card.value
        shown.update({f"kpi-{key}": text for _, text, key in card.rows})
    return shown


def step(tab, month: int, of: int) -> dict[str, float]:
    """Press Step; wait for the counter; the click-to-page time on the browser's clock, the
    Python-side round trip and the server's own timings, ms."""
    start = time.perf_counter()
    tab.evaluate("""() => { window.__stepStart = performance.now(); }""")
    tab.locator(".step-button").click()
    tab.wait_for_function("text => document.querySelector('.month-counter')?.innerText === text",
                          arg=f"Month {month} of {of}")  # polled every animation frame
    browser_ms = tab.evaluate("() => performance.now() - window.__stepStart")
    round_trip = 1000 * (time.perf_counter() - start)
    text = tab.locator(".step-time").inner_text()  # "Last step: models 6 ms, drawing 120 ms"
    model_ms, draw_ms = (float(part.split()[-2]) for part in text.split(":")[1].split(","))
    return {"month": month, "browser_ms": browser_ms, "round_trip_ms": round_trip, "models_ms": model_ms,
            "drawing_ms": draw_ms}


def assert_panels(tab, expected: dict[str, str]) -> None:
    from playwright.sync_api import expect

    for css, text in expected.items():
        expect(tab.locator(f".{css}")).to_have_text(text)


def overflowing(tab) -> list[str]:
    """Cards whose content is wider than the card, or whose headline, delta or row wraps."""
    return tab.evaluate("""() => {
        const bad = [];
        for (const card of document.querySelectorAll('.kpi-card')) {
            const title = card.querySelector('.t').innerText;
            if (card.scrollWidth > card.clientWidth + 1) bad.push(title + ': wider than its card');
            const box = card.getBoundingClientRect();
            for (const el of card.querySelectorAll('.kpi-value, .kpi-delta, .r > span:last-child')) {
                const r = el.getBoundingClientRect();
                const lines = Math.round(r.height / parseFloat(getComputedStyle(el).lineHeight || r.height));
                if (r.right > box.right + 1 || lines > 1) bad.push(title + ': ' + el.innerText);
            }
        }
        return bad;
    }""")


def country_shapes(tab) -> dict[str, int]:
    """Country code -> length of its outline's path data, as drawn in the page's map."""
    return tab.evaluate("""() => Object.fromEntries([...document.querySelectorAll('svg.wb6-base path.country')]
        .map(p => [p.dataset.code, (p.getAttribute('d') || '').length]))""")


@pytest.mark.browser
def test_dashboard_compares_with_the_baseline_draws_the_map_and_never_shows_a_traceback(server, browser):
    from playwright.sync_api import expect

    url, log = server
    tab = open_tab(browser, url, LAYOUTS["projector_1920x1080"])
    baseline = Settings.of_preset(baseline_preset())
    horizon = baseline.months
    expect(tab.locator(".month-counter")).to_have_text(f"Month 0 of {horizon}")

    # the map: every country of the basemap drawn as an outline, Kosovo among them; no axes
    expect(tab.locator("svg.wb6-base path.country").first).to_be_attached()
    shapes = country_shapes(tab)
    assert set(shapes) == {c["code"] for c in basemap()["countries"]}
    assert all(shapes[code] > 500 for code in ("RS", "BA", "XK", "ME", "MK", "AL"))
    assert "longitude" not in tab.locator(".wb6-mapcard").inner_text()
    # a site, clicked through the layers above it, shows its name (and keeps it shown)
    index, x, y = tab.evaluate("""() => [...document.querySelectorAll('svg.wb6-sites .site')].map((g, i) => {
        const r = g.querySelector('path').getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
        return [i, x, y, g.contains(document.elementFromPoint(x, y))];
    }).find(found => found[3]).slice(0, 3)""")
    tab.mouse.click(x, y)
    expect(tab.locator("svg.wb6-sites .site").nth(index).locator(".tip")).to_be_visible()

    # baseline beside the baseline: the same numbers, every delta says so
    timings = [step(tab, 1, horizon)]
    assert_panels(tab, expected_panels(baseline, 1))
    timings += [step(tab, month, horizon) for month in range(2, 5)]
    after_four = expected_panels(baseline, 4)
    assert_panels(tab, after_four)
    for delta in tab.locator(".kpi-delta").all_inner_texts():
        assert delta == "same as baseline"

    # Play runs on by itself until paused
    tab.get_by_role("button", name="Play").click()
    try:  # at least month 6: a month may show for less than the locator's polling interval
        tab.wait_for_function("() => parseInt((document.querySelector('.month-counter')?.innerText || '')"
                              ".split(' ')[1]) >= 6")  # polled every animation frame
    except Exception as exc:  # the server's log says why the months stopped
        pytest.fail(f"Play did not reach month 6 ({exc}); page shows {tab.locator('.month-counter').inner_text()!r}; "
                    f"server log:\n{log.read_text()[-3000:]}")
    tab.get_by_role("button", name="Pause").click()
    expect(tab.locator(".step-button")).to_be_enabled()
    paused_at = tab.locator(".month-counter").inner_text()
    time.sleep(1.0)
    assert tab.locator(".month-counter").inner_text() == paused_at

    # a second tab has a run of its own
    other = open_tab(browser, url, LAYOUTS["laptop_1366x768"])
    expect(other.locator(".month-counter")).to_have_text(f"Month 0 of {horizon}")
    step(other, 1, horizon)
    assert tab.locator(".month-counter").inner_text() == paused_at
    other.close()

    # switch a pilot on, reset: the run differs from the baseline stepped beside it
    tab.get_by_label("Landfill fee", exact=True).check()
    expect(tab.locator(".pending-note")).to_be_visible()
    tab.get_by_role("button", name="Reset").click()
    expect(tab.locator(".month-counter")).to_have_text(f"Month 0 of {horizon}")
    expect(tab.locator(".pending-note")).to_have_count(0)
    for month in range(1, 5):
        timings.append(step(tab, month, horizon))
    with_pilot = expected_panels(baseline.with_pilot(PILOT, on=True), 4)
    # some card shows it (at the cards' rounding a single figure may not: 10.2 Mt either way)
    assert [key for key, text in with_pilot.items() if text != after_four.get(key)]
    assert_panels(tab, with_pilot)
    delta = tab.locator(".delta-landfilled").inner_text()
    assert delta[0] in "+−" and delta.endswith("vs baseline"), delta
    ghost = tab.evaluate("() => atob(document.querySelector('.kpi-card img').src.split(',')[1])")
    assert 'class="ghost"' in ghost
    expect(tab.locator(".wb6-timeline")).to_contain_text("Landfill fee from month 0")

    # bad settings get the command line's message; the run shown stays, the page stays a page
    for field, bad, message in (("Seed", "-1", "seed: must be a whole number >= 0, got -1"),
                                ("Months", "0", "months: must be >= 1, got 0"),
                                ("Months", "1000000", "months: must be <= 600 (50 years), got 1000000")):
        box = tab.get_by_label(field, exact=True)
        good = box.input_value()
        box.fill(bad)
        box.press("Enter")
        expect(tab.locator(".pending-note")).to_be_visible()  # the server has the new value
        tab.get_by_role("button", name="Reset").click()
        expect(tab.locator(".run-error")).to_contain_text(message)
        expect(tab.locator(".month-counter")).to_have_text(f"Month 4 of {horizon}")
        assert "Traceback" not in tab.locator("body").inner_text()
        box.fill(good)
        box.press("Enter")
        expect(tab.locator(".pending-note")).to_have_count(0)
    assert "Traceback" not in log.read_text()

    # a roadmap phase, named as the seed names it, switches on its bundle of pilots
    phase = next(p for p in presets() if presets()[p]["policies"])
    tab.locator(".v-field").filter(has=tab.get_by_label("Roadmap phase (seed 001)")).click()
    tab.get_by_role("option", name=phase_words(phase), exact=True).click()
    for name in REGISTRY:
        box = tab.get_by_label(PilotControl.of(name).title, exact=True)
        if name in presets()[phase]["policies"]:
            expect(box).to_be_checked()
        else:
            expect(box).not_to_be_checked()
    tab.get_by_role("button", name="Reset").click()
    expect(tab.locator(".run-error")).to_have_count(0)
    expect(tab.locator(".month-counter")).to_have_text(f"Month 0 of {horizon}")

    # warm steps with the reference run and the map: click to page updated, browser clock
    warm = [step(tab, month, horizon) for month in range(1, 11)]
    OUT.mkdir(parents=True, exist_ok=True)
    browser_ms = [t["browser_ms"] for t in warm]
    (OUT / "step_times.json").write_text(json.dumps({
        "phase": phase, "warm_steps": warm, "warm_median_ms": statistics.median(browser_ms),
        "warm_max_ms": max(browser_ms), "first_steps": timings}, indent=1))

    # both layouts: no card overflows, a screenshot of each
    for name, size in LAYOUTS.items():
        tab.set_viewport_size({"width": size[0], "height": size[1]})
        time.sleep(0.5)
        assert overflowing(tab) == [], name
        assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), name
        tab.screenshot(path=str(OUT / f"{name}.png"))
    # the controls fold away, and the map and cards take the room
    map_width = tab.locator(".wb6-mapcard").bounding_box()["width"]
    tab.locator(".side-toggle").click()
    expect(tab.locator(".wb6-side")).to_be_hidden()
    assert overflowing(tab) == []
    assert tab.locator(".wb6-cards").bounding_box()["width"] > map_width
    tab.screenshot(path=str(OUT / "laptop_1366x768_controls_hidden.png"))
    tab.close()
