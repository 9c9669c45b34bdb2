"""Live dashboard for workshops: the WB6 map and the KPIs as the simulation runs, beside a
reference run (the baseline, or any phase) stepped in lock-step.

Run ``.venv/bin/solara run sim.app`` and open http://localhost:8765. The sidebar (collapsible,
for a laptop) holds the controls: roadmap phase, the reference to compare with, seed, horizon,
and each policy pilot with what it does, its start month and its main parameter; Reset re-runs
with them, Step and Play advance month by month. Each browser tab keeps its own runs.

Settings are checked as the command line checks them and a failing Step, Play or Reset shows
a message in the page (the details go to the server log); the page never becomes a traceback.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import threading
import time

import solara
import solara.lab
import solara.server.settings

from sim.charts import draw_trends, png_data_uri, sparkline_svg, timeline_svg
from sim.dashboard import (
    CUSTOM,
    KpiCard,
    LiveRun,
    PilotControl,
    Settings,
    baseline_preset,
    delta_text,
    fmt_tonnes,
    kpi_cards,
    phase_words,
    pilot_controls,
    presets,
    run_safely,
)
from sim.model import WB6Model
from sim.viz import MAP_STYLE, legend_items

log = logging.getLogger("sim.dashboard")


def _compile_kernels() -> None:
    """Load (or, without a cache, compile) the Numba kernels while the first page loads, so the
    first Step does not wait for them; setup.sh fills the cache already."""
    try:
        WB6Model({"months": 1}).run()
    except Exception:  # the first Step will say what is wrong
        log.exception("dashboard: warming up the model failed")


threading.Thread(target=_compile_kernels, name="kernel-warm-up", daemon=True).start()
# the "runs on Solara" badge sits on top of the cards in a laptop window
solara.server.settings.theme.show_banner = False

PAGE_STYLE = """
.wb6-page { display: flex; flex-direction: column; height: 100vh; background: #f3f5f8; color: #1f2a36;
  font-family: 'Roboto', 'DejaVu Sans', sans-serif; }
.wb6-header { display: flex; align-items: center; gap: 14px; height: 52px; padding: 0 16px; flex: none;
  background: #17324d; color: #fff; }
.wb6-header .title { font-size: 1.2em; font-weight: 500; white-space: nowrap; }
.wb6-header .sub { font-size: 0.9em; opacity: 0.75; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wb6-body { display: flex; flex: 1; min-height: 0; }
.wb6-side { width: 340px; flex: none; overflow-y: auto; padding: 10px; background: #fff; border-right: 1px solid #dde2e8; }
.wb6-side.closed { display: none; }
.wb6-main { flex: 1; min-width: 0; overflow-y: auto; padding: 12px 14px; }
.wb6-top { display: flex; gap: 14px; align-items: flex-start; }
.wb6-mapcard { flex: none; background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 8px 10px; }
.wb6-mapbox { position: relative; height: calc(100vh - 236px); min-height: 380px; aspect-ratio: var(--map-aspect); }
.wb6-mapbox > div { position: absolute; inset: 0; }
.wb6-mapbox svg { width: 100%; height: 100%; display: block; }
.wb6-mapbox > .wb6-month, .wb6-month svg { pointer-events: none; }  /* only sites, crossings and flows take them */
.wb6-maptitle { font-size: 0.95em; font-weight: 500; margin: 0 0 4px 2px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.wb6-mapcard > .wb6-legend, .wb6-mapcard > .wb6-timeline-box { width: 0; min-width: 100%; }
.wb6-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 12px; color: #333; margin-top: 4px; }
.wb6-legend span { display: inline-flex; align-items: center; gap: 4px; white-space: nowrap; }
.wb6-timeline { width: 100%; height: 56px; display: block; margin-top: 2px; }
.wb6-timeline .tl-year { font-size: 11px; fill: #667; text-anchor: middle; }
.wb6-timeline .tl-pilot { font-size: 12.5px; fill: #c0392b; font-weight: 600; }
.wb6-cards { flex: 1; min-width: 0; display: grid; gap: 10px; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); }
.kpi-card { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 9px 12px;
  overflow: hidden; min-width: 0; }
.kpi-card .t { font-size: 0.9em; color: #4a5663; font-weight: 500; white-space: nowrap; }
.kpi-card .kpi-value { font-size: 1.9em; font-weight: 700; line-height: 1.2; white-space: nowrap; display: block; }
.kpi-card .cap { font-size: 0.78em; color: #76818d; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; display: block; }
.kpi-card .kpi-delta { font-size: 0.85em; font-weight: 600; white-space: nowrap; display: block; margin-top: 1px; }
.kpi-delta.better { color: #1a7f4b; } .kpi-delta.worse { color: #b03a2e; } .kpi-delta.same { color: #76818d; }
.kpi-card img { width: 100%; height: 34px; display: block; margin: 4px 0 3px; }
.kpi-card .r { display: flex; justify-content: space-between; gap: 8px; font-size: 0.8em; line-height: 1.45; }
.kpi-card .r > span:first-child { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: #3c4650; }
.kpi-card .r > span:last-child { white-space: nowrap; font-variant-numeric: tabular-nums; }
.wb6-side .v-input__details { display: none; }
.wb6-pilot { border-top: 1px solid #eef0f3; padding: 4px 0 6px; }
.wb6-pilot .what { font-size: 0.8em; color: #4a5663; line-height: 1.35; margin: -4px 0 4px 34px; }
.wb6-pilot .param { font-size: 0.8em; color: #1f2a36; margin-left: 34px; }
.wb6-pilot details { font-size: 0.76em; color: #4a5663; margin: 2px 0 0 34px; }
.wb6-pilot details div { display: flex; justify-content: space-between; gap: 6px; }
.wb6-side h3 { font-size: 1em; font-weight: 600; margin: 6px 0 4px; color: #17324d; }
.wb6-side .note { font-size: 0.78em; color: #5d6975; }
.month-counter { font-size: 1.3em; font-weight: 700; white-space: nowrap; }
@media (max-width: 1500px) {
  .wb6-side { width: 300px; }
  .kpi-card .kpi-value { font-size: 1.55em; }
  .wb6-cards { grid-template-columns: repeat(auto-fill, minmax(225px, 1fr)); gap: 8px; }
  .wb6-mapbox { height: calc(100vh - 226px); min-height: 340px; }
}
"""


# ---- cards and switches ------------------------------------------------------------------
@solara.component
def KpiPanel(card: KpiCard, delta: tuple[str, str], spark_uri: str):
    with solara.Div(classes=["kpi-card"]):
        solara.HTML(tag="span", unsafe_innerHTML=card.title, classes=["t"])
        solara.Text(card.value, classes=["kpi-value", f"kpi-{card.key}"])
        solara.Text(delta[0], classes=["kpi-delta", delta[1], f"delta-{card.key}"])
        solara.Text(card.caption, classes=["cap"])
        solara.v.Html(tag="img", attributes={"src": spark_uri, "alt": f"{card.title} so far"})
        for label, text, key in card.rows:
            with solara.Div(classes=["r"]):
                solara.Text(label, style="")
                solara.Text(text, classes=[f"kpi-{key}"])


@solara.component
def PilotSwitch(control: PilotControl, settings: solara.Reactive[Settings]):
    pilot = settings.value.pilot(control.name)

    def change(**what):
        settings.set(settings.value.with_pilot(control.name, **what))

    with solara.Div(classes=["wb6-pilot"]):
        solara.Checkbox(label=control.title, value=pilot.on, on_value=lambda v: change(on=v))
        solara.HTML(unsafe_innerHTML=html.escape(control.description), classes=["what"])
        if not pilot.on:
            return
        solara.InputInt("Starts in month", value=pilot.start_month, on_value=lambda m: change(start_month=m),
                        classes=["start-month"], style="margin-left: 34px; max-width: 150px")
        if control.field:
            solara.Text(f"{control.label}: {control.value_text(pilot.value)}", classes=["param"])
            slider = solara.SliderInt if control.integer else solara.SliderFloat
            with solara.Div(style="margin-left: 26px"):
                slider("", value=int(pilot.value) if control.integer else float(pilot.value),
                       min=int(control.low) if control.integer else control.low,
                       max=int(control.high) if control.integer else control.high,
                       step=int(control.step) if control.integer else control.step,
                       on_value=lambda v: change(value=v))
        params = presets()[settings.value.preset]["policies"].get(control.name) or {}
        others = control.other_parameters(params)
        if others:
            rows = "".join(f"<div><span>{words}</span><b>{text}</b></div>" for words, text in others)
            solara.HTML(tag="details", unsafe_innerHTML=f"<summary>Other settings</summary>{rows}")


def phase_choices(settings: Settings) -> tuple[list[str], str]:
    """The phase selector's entries in the seed's words (a "Custom" entry when the pilots set by
    hand differ from the phase), and the one shown."""
    labels = [phase_words(p) for p in presets()]
    if settings.is_custom:
        return labels + [CUSTOM], CUSTOM
    return labels, phase_words(settings.preset)


def preset_of(label: str) -> str | None:
    return next((p for p in presets() if phase_words(p) == label), None)


# ---- the page ------------------------------------------------------------------------------
@solara.component
def Page():
    initial = solara.use_memo(lambda: LiveRun(Settings.of_preset(baseline_preset())), [])
    run = solara.use_reactive(initial)
    settings = solara.use_reactive(initial.settings)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    delay_ms = solara.use_reactive(300)
    show_trends = solara.use_reactive(False)
    side_open = solara.use_reactive(True)
    error = solara.use_reactive("")
    live = run.value
    month, _ = live.month, tick.value  # reading tick re-renders the page after every step

    # Step and Play share one task that simulates one month per request; Play asks for the next
    # month each time the page shows a new one, so no loop lives in a worker thread
    request = solara.use_reactive((0, 0.0))  # (how many months asked for, pause before this one in s)
    # the worker reads this plain event, set from ``playing`` at render, to see a Pause in time
    paused = solara.use_memo(threading.Event, [])
    if playing.value:
        paused.clear()
    else:
        paused.set()

    def step_once():
        asked, pause_s = request.value
        if not asked:
            return
        if pause_s:
            time.sleep(pause_s)
            if paused.is_set():
                return
        if run_safely("Step", run.value.step, error.set):
            error.set("")
            tick.set(tick.value + 1)
        else:
            playing.set(False)

    stepping = solara.lab.use_task(step_once, dependencies=[request.value], prefer_threaded=True)

    def ask_for_month(pause_s: float = 0.0):
        request.set((request.value[0] + 1, pause_s))

    def play_on():
        if not playing.value:
            return
        if live.model.running:
            ask_for_month(delay_ms.value / 1000)
        else:
            playing.set(False)

    solara.use_effect(play_on, [playing.value, month, live])

    def reset():
        playing.set(False)

        def rebuild():
            run.set(LiveRun(settings.value))
            error.set("")

        run_safely("Reset", rebuild, error.set)

    # the map's base once per run; the month's layer, the cards and the charts once per month
    base_svg = solara.use_memo(lambda: live.map.base_svg(), [live])
    labels_svg = solara.use_memo(lambda: live.map.labels_svg(), [live])
    sites_svg = solara.use_memo(lambda: live.map.sites_layer_svg(), [live])
    month_svg, figures = solara.use_memo(lambda: live.draw("map", live.map.month_svg), [live, month])
    starts = live.pilot_starts()
    markers = [m for m, _ in starts]

    def make_cards():
        reference = {c.key: c for c in kpi_cards(live.reference.kpis.rows)}
        return [(card, delta_text(card, reference[card.key], live.reference_name),
                 sparkline_svg(card.series, reference[card.key].series, markers, card.colour))
                for card in kpi_cards(live.model.kpis.rows)]

    cards = solara.use_memo(lambda: live.draw("kpis", make_cards), [live, month])
    timeline = solara.use_memo(lambda: timeline_svg(month, live.model.config.months, starts), [live, month])
    trends_uri = solara.use_memo(
        lambda: live.draw("trends", lambda: png_data_uri(draw_trends(
            live.model.kpis.frame(), live.reference.kpis.frame(), month, starts, live.reference_name)))
        if show_trends.value and month else "", [live, month, show_trends.value])

    solara.Title("WB6 circular economy: live")
    solara.Style(PAGE_STYLE + MAP_STYLE)
    with solara.Div(classes=["wb6-page"]):
        with solara.Div(classes=["wb6-header"]):
            solara.Button("☰ Hide controls" if side_open.value else "☰ Show controls", text=True,
                          on_click=lambda: side_open.set(not side_open.value), classes=["side-toggle"],
                          style="color: #fff; text-transform: none; letter-spacing: 0")
            solara.Text("WB6 circular economy: live simulation", classes=["title"])
            solara.Text(f"this run: {live.run_name} · compared with: {phase_words(live.settings.reference)} · "
                        f"seed {live.settings.seed}", classes=["sub"])
        with solara.Div(classes=["wb6-body"]):
            with solara.Div(classes=["wb6-side"] + ([] if side_open.value else ["closed"])):
                RunControls(live, month, stepping, ask_for_month, playing, delay_ms, reset, settings.value != live.settings)
                ScenarioControls(settings)
            with solara.Div(classes=["wb6-main"]):
                if error.value:
                    solara.Error(error.value, classes=["run-error"])
                with solara.Div(classes=["wb6-top"]):
                    with solara.Div(classes=["wb6-mapcard"]):
                        reference_t = float(live.reference.kpis.rows[-1]["exchange_volume_t"]) if month else 0.0
                        title = (f"Month {month}: {figures['links']} network links carrying "
                                 f"{fmt_tonnes(figures['moving_t'])} · {live.reference_name}: {fmt_tonnes(reference_t)}"
                                 if month else "Before the first month: press Step or Play")
                        solara.Text(title, classes=["wb6-maptitle"])
                        aspect = live.map.projection.width / live.map.projection.height
                        with solara.Div(classes=["wb6-mapbox"], style=f"--map-aspect: {aspect:.4f}"):
                            solara.HTML(unsafe_innerHTML=base_svg, classes=["wb6-base-layer"])
                            solara.HTML(unsafe_innerHTML=month_svg, classes=["wb6-month"])
                            solara.HTML(unsafe_innerHTML=sites_svg, classes=["wb6-month"])
                            solara.HTML(unsafe_innerHTML=labels_svg, classes=["wb6-month"])
                        legend = "".join(f"<span>{icon}{words}</span>" for icon, words in legend_items())
                        solara.HTML(unsafe_innerHTML=legend, classes=["wb6-legend"])
                        solara.HTML(unsafe_innerHTML=timeline, classes=["wb6-timeline-box"])
                    with solara.Div(classes=["wb6-cards"]):
                        if not cards:
                            solara.Info("Press Step or Play to simulate the first month.")
                        for card, delta, uri in cards:
                            KpiPanel(card, delta, uri)
                solara.Checkbox(label=f"Charts: this run against the {live.reference_name} (slower steps)",
                                value=show_trends)
                if trends_uri:
                    solara.v.Html(tag="img", attributes={"src": trends_uri, "alt": "KPI trends"},
                                  style_="width: 100%; background: #fff; border-radius: 6px")


@solara.component
def RunControls(live: LiveRun, month: int, stepping, ask_for_month, playing, delay_ms, reset, changed: bool):
    """Step, Play and Reset, the run's month and timing. A step runs as a task, so the page shows
    it busy (Step disabled) meanwhile."""
    pending = bool(stepping.pending)
    solara.HTML(tag="h3", unsafe_innerHTML="Run")
    solara.Text(f"Month {month} of {live.model.config.months}", classes=["month-counter"])
    with solara.Row(style="gap: 6px; margin: 4px 0"):
        solara.Button("Step", on_click=lambda: ask_for_month(), color="primary",
                      disabled=pending or playing.value or not live.model.running, classes=["step-button"])
        solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                      color="primary", disabled=(pending and not playing.value) or not live.model.running)
        solara.Button("Reset", on_click=reset, outlined=True, disabled=pending)
    # always there, shown or not: children that come and go make the page's elements jump
    solara.ProgressLinear(pending, style=f"visibility: {'visible' if pending else 'hidden'}")
    solara.Text("Simulating the month…" if pending else live.timing(), classes=["note", "busy-note" if pending else "step-time"])
    solara.Text(f"Pause between months when playing: {delay_ms.value} ms", classes=["note"])
    solara.SliderInt("", value=delay_ms, min=0, max=2000, step=50)
    if changed:
        solara.Warning("Settings changed: press Reset to re-run with them.", dense=True, classes=["pending-note"])


@solara.component
def ScenarioControls(settings):
    """The phase, the reference, seed and horizon, and the pilots."""
    value = settings.value
    solara.HTML(tag="h3", unsafe_innerHTML="Scenario")
    labels, shown = phase_choices(value)

    def choose_phase(label):
        preset = preset_of(label)
        if preset is not None:
            settings.set(Settings.of_preset(preset, value.seed, value.months, value.reference))

    solara.Select("Roadmap phase (seed 001)", values=labels, value=shown, on_value=choose_phase)
    solara.Select("Compare with", values=[phase_words(p) for p in presets()], value=phase_words(value.reference),
                  on_value=lambda label: settings.set(dataclasses.replace(settings.value, reference=preset_of(label))))
    with solara.Row(style="gap: 8px"):
        solara.InputInt("Seed", value=value.seed, on_value=lambda s: settings.set(dataclasses.replace(settings.value, seed=s)))
        solara.InputInt("Months", value=value.months,
                        on_value=lambda m: settings.set(dataclasses.replace(settings.value, months=m)))
    solara.HTML(tag="h3", unsafe_innerHTML="Policy pilots")
    controls = pilot_controls()
    if not controls:
        solara.Info("No policy pilots are registered.")
    for control in controls:
        PilotSwitch(control, settings)
