"""Live dashboard for workshops: the WB6 network map and the KPIs as the simulation runs.

Run ``.venv/bin/solara run sim.app`` and open http://localhost:8765. The sidebar holds the
controls (roadmap phase, seed, horizon, each policy pilot on/off with its main parameter);
Reset re-runs with them, Step and Play advance month by month.

The pilot controls come from ``sim.policies.REGISTRY`` and the phases from the Hydra config tree
(``configs/phase/``), so new pilots and phases appear without changes here.
A dashboard run is the same config the command line would run (``phase=...`` plus the pilots
switched on), only stepped live.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
import typing
from functools import cache

import numpy as np
import solara
import solara.lab
from omegaconf import OmegaConf

from sim.config import compose_config, group_options
from sim.errors import SimInputError
from sim.model import WB6Model
from sim.policies import REGISTRY
from sim.policies.base import default_params
from sim.viz import CLASS_COLOURS, CLASS_LABELS, MapView, draw_trends, png_data_uri, sparkline_svg
from sim.world import STATUSES

NO_PHASE = "none (no pilots)"
WORDS = {"eow": "EoW", "epr": "EPR", "eur": "EUR", "crm": "CRM", "co2": "CO2"}
#: trailing words of a field name that its unit, shown beside it, already says
UNIT_WORDS = ("eur", "t", "days", "months")


def humanise(name: str) -> str:
    text = " ".join(WORDS.get(w, w) for w in name.split("_"))
    return text[0].upper() + text[1:]


# ---- what the sidebar offers -------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PilotControl:
    """A pilot's on/off switch and its main parameter: the first number in its ``Params``
    after ``start_month``, on a slider from 0 to the field's bound (shares: 1) or to three
    times its default (or, for a default of 0, to 24 for whole numbers and 1 otherwise)."""

    name: str
    field: str | None
    default: float
    low: float
    high: float
    step: float
    integer: bool
    unit: str

    @classmethod
    def of(cls, name: str) -> "PilotControl":
        params = REGISTRY[name].Params
        hints = typing.get_type_hints(params)
        defaults = default_params(name)
        for f in dataclasses.fields(params):
            kind = hints[f.name]
            if f.name == "start_month" or kind not in (int, float):
                continue
            default = defaults[f.name]
            integer = kind is int
            if f.metadata.get("max") is not None:
                high = float(f.metadata["max"])
            elif default > 0:
                high = 3.0 * default
            else:
                high = 24.0 if integer else 1.0
            step = 1.0 if integer else high / 100.0
            return cls(name, f.name, default, 0.0, high, step, integer, f.metadata.get("unit", ""))
        return cls(name, None, 0.0, 0.0, 0.0, 0.0, False, "")

    @property
    def label(self) -> str:
        if not self.unit:
            return humanise(self.field)
        words = self.field.split("_")
        while len(words) > 1 and words[-1] in UNIT_WORDS:
            words.pop()
        name = humanise("_".join(words))
        return name if name.lower() == self.unit.lower() else f"{name} ({self.unit})"


def pilot_controls() -> list[PilotControl]:
    return [PilotControl.of(name) for name in sorted(REGISTRY)]


def composed(overrides: list[str]) -> dict:
    """The command line's config for ``overrides``, as a plain mapping."""
    return OmegaConf.to_container(compose_config(overrides), resolve=True)


@cache
def presets() -> dict[str, dict]:
    """Phase name -> composed config, as ``python -m sim phase=<name>`` would run it, for each
    ``configs/phase/*.yaml``: single phases by start month, then bundles spanning several
    phases (the whole roadmap). Without a phase that switches no pilot, NO_PHASE comes first."""
    phases = {name: composed([f"phase={name}"]) for name in group_options("phase")}

    def order(name):
        starts = {p.get("start_month", 0) for p in phases[name]["policies"].values()}
        return len(starts) > 1, min(starts, default=-1), name

    found = {} if any(not c["policies"] for c in phases.values()) else {NO_PHASE: composed([])}
    found.update({name: phases[name] for name in sorted(phases, key=order)})
    return found


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the sidebar holds; Reset builds a run from it."""

    preset: str
    seed: int
    months: int
    #: (pilot name, switched on, main parameter value), one per registered pilot
    pilots: tuple[tuple[str, bool, float], ...]

    @classmethod
    def of_preset(cls, preset: str, seed: int | None = None, months: int | None = None) -> "Settings":
        composed = presets()[preset]
        chosen = composed["policies"]
        pilots = tuple(
            (c.name, c.name in chosen, chosen[c.name][c.field] if c.name in chosen and c.field else c.default)
            for c in pilot_controls()
        )
        return cls(preset, composed["seed"] if seed is None else seed,
                   composed["months"] if months is None else months, pilots)

    def with_pilot(self, name: str, on: bool | None = None, value: float | None = None) -> "Settings":
        pilots = tuple(
            (n, on if on is not None and n == name else o, value if value is not None and n == name else v)
            for n, o, v in self.pilots
        )
        return dataclasses.replace(self, pilots=pilots)

    def config(self) -> dict:
        """The run's config: the preset, this seed and horizon, the pilots switched on (the
        preset's parameters for them, or the pilot's defaults, with the main parameter set)."""
        config = copy.deepcopy(presets()[self.preset])
        config.update(seed=self.seed, months=self.months, run_name="dashboard")
        controls = {c.name: c for c in pilot_controls()}
        policies = {}
        for name, on, value in self.pilots:
            if on:
                params = dict(config["policies"].get(name) or {})
                if controls[name].field:
                    params[controls[name].field] = int(value) if controls[name].integer else float(value)
                policies[name] = params
        config["policies"] = policies
        return config


# ---- a run in the dashboard --------------------------------------------------------------
class LiveRun:
    """One model stepped by the dashboard, its map and how long steps and drawing take."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.model = WB6Model(settings.config())
        self.map = MapView(self.model)
        self.lock = threading.RLock()
        self.step_seconds: list[float] = []
        #: what was drawn -> (month drawn for, seconds)
        self.draw_seconds: dict[str, tuple[int, float]] = {}

    @property
    def month(self) -> int:
        return self.model.month

    def step(self) -> None:
        with self.lock:
            if not self.model.running:
                return
            start = time.perf_counter()
            self.model.step()
            self.step_seconds.append(time.perf_counter() - start)

    def draw(self, what: str, make):
        """``make()`` under the lock (the play loop steps the model in another thread),
        timed as ``what``: the drawing a step costs on top of the model step."""
        with self.lock:
            start = time.perf_counter()
            out = make()
            self.draw_seconds[what] = (self.month, time.perf_counter() - start)
            return out

    def timing(self) -> str:
        if not self.step_seconds:
            return "No month simulated yet"
        model_ms = 1000 * self.step_seconds[-1]
        draw_ms = 1000 * sum(s for month, s in self.draw_seconds.values() if month == self.month)
        return f"Last step: model {model_ms:.0f} ms, drawing {draw_ms:.0f} ms"


# ---- KPI panels --------------------------------------------------------------------------
def fmt_tonnes(x: float) -> str:
    for scale, unit in ((1e6, "Mt"), (1e3, "kt")):
        if abs(x) >= scale:
            return f"{x / scale:.4g} {unit}"
    return f"{x:.4g} t"


def fmt_share(x: float) -> str:
    return f"{100 * x:.1f} %"


@dataclasses.dataclass
class KpiCard:
    key: str
    title: str
    value: str
    caption: str
    #: (label, text, css key) lines under the headline
    rows: list[tuple[str, str, str]]
    series: np.ndarray
    colour: str = "#377eb8"


def kpi_cards(kpis) -> list[KpiCard]:
    """The panels from the KPI table so far (one row per simulated month)."""
    if not len(kpis):
        return []
    last = kpis.iloc[-1]
    total = kpis.sum(numeric_only=True)
    border = {(scope, s): float(last[f"{scope}_{s}_t"]) for scope in ("cross_border_wb6", "export_eu") for s in STATUSES}
    cross = kpis[[f"{scope}_t" for scope in ("cross_border_wb6", "export_eu")]].sum(axis=1)
    rates = sorted(c for c in kpis.columns if c.startswith("collection_rate_"))
    return [
        KpiCard("exchanges", "Exchanges", f"{int(last['exchanges_count'])}", "shipments this month",
                [("Volume this month", fmt_tonnes(last["exchange_volume_t"]), "exchange_volume"),
                 ("Volume since start", fmt_tonnes(total["exchange_volume_t"]), "exchange_volume_total")],
                kpis["exchange_volume_t"].to_numpy()),
        KpiCard("cross_border", "Cross-border volume", fmt_tonnes(cross.iloc[-1]), "this month, by status",
                [(f"{'Within WB6' if scope == 'cross_border_wb6' else 'To the EU'}: {CLASS_LABELS[s]}",
                  fmt_tonnes(border[scope, s]), f"{scope}_{s}") for scope in ("cross_border_wb6", "export_eu")
                 for s in STATUSES],
                cross.to_numpy(), CLASS_COLOURS["eow"]),
        KpiCard("landfilled", "Landfilled", fmt_tonnes(last["landfilled_t"]), "this month (WB6)",
                [("Since start", fmt_tonnes(total["landfilled_t"]), "landfilled_total"),
                 ("Dumped this month", fmt_tonnes(last["dumped_t"]), "dumped")],
                kpis["landfilled_t"].to_numpy(), "#8c510a"),
        KpiCard("co2", "CO2 abated", fmt_tonnes(total["co2_abated_t"]), "since start",
                [("This month", fmt_tonnes(last["co2_abated_t"]), "co2_month")],
                kpis["co2_abated_t"].cumsum().to_numpy(), "#1b9e77"),
        KpiCard("customs", "Customs delay", f"{last['customs_delay_days']:.1f} days", "tonne-weighted, this month",
                [("Backlog", fmt_tonnes(last["customs_backlog_t"]), "customs_backlog"),
                 ("Filings / refusals", f"{int(last['customs_filings'])} / {int(last['customs_refusals'])}",
                  "customs_filings")],
                kpis["customs_delay_days"].to_numpy(), "#d7301f"),
        KpiCard("collection", "EPR collection rates", fmt_share(last[rates].mean()) if rates else "-",
                "mean of the streams",
                [(humanise(c.removeprefix("collection_rate_")), fmt_share(last[c]), c) for c in rates],
                kpis[rates].mean(axis=1).to_numpy() if rates else np.zeros(len(kpis)), "#984ea3"),
        KpiCard("crm", "Secondary CRM recovered", fmt_tonnes(total["secondary_crm_recovered_t"]),
                "since start, from tailings",
                [("This month", fmt_tonnes(last["secondary_crm_recovered_t"]), "crm_month")],
                kpis["secondary_crm_recovered_t"].cumsum().to_numpy(), "#a6761d"),
        KpiCard("firms", "Firms taking part", f"{int(last['participating_firms'])}", "in exchanges",
                [("By-products registered", f"{int(last['by_products_registered'])}", "by_products_registered"),
                 ("EoW registered", f"{int(last['eow_registered'])}", "eow_registered"),
                 ("Investments", f"{int(last['investments_count'])}", "investments")],
                kpis["participating_firms"].to_numpy(), "#377eb8"),
    ]


# ---- the page ------------------------------------------------------------------------------
@solara.component
def KpiPanel(card: KpiCard, spark_uri: str):
    with solara.Card(margin=0, classes=["kpi-card"], style="height: 100%"):
        solara.Text(card.title, style="font-size: 0.9em; color: #555")
        with solara.Row(style="align-items: baseline; gap: 0.5em"):
            solara.Text(card.value, classes=["kpi-value", f"kpi-{card.key}"], style="font-size: 1.5em; font-weight: 600")
            solara.Text(card.caption, style="font-size: 0.8em; color: #777")
        solara.v.Html(tag="img", attributes={"src": spark_uri, "alt": f"{card.title} so far"},
                      style_="width: 100%; height: 34px")
        for label, text, key in card.rows:
            with solara.Row(justify="space-between", style="font-size: 0.82em"):
                solara.Text(label)
                solara.Text(text, classes=[f"kpi-{key}"])


@solara.component
def PilotSwitch(control: PilotControl, on: bool, value: float, settings: solara.Reactive[Settings]):
    solara.Checkbox(label=humanise(control.name), value=on,
                    on_value=lambda v: settings.set(settings.value.with_pilot(control.name, on=v)))
    if on and control.field:
        shown = f"{int(value)}" if control.integer else f"{value:.4g}"
        solara.Text(f"{control.label}: {shown}", style="font-size: 0.8em; color: #555; margin-left: 2.5em")
        slider = solara.SliderInt if control.integer else solara.SliderFloat
        slider("", value=int(value) if control.integer else float(value),
               min=int(control.low) if control.integer else control.low,
               max=int(control.high) if control.integer else control.high,
               step=int(control.step) if control.integer else control.step,
               on_value=lambda v: settings.set(settings.value.with_pilot(control.name, value=v)))


@solara.component
def Page():
    initial = solara.use_memo(lambda: LiveRun(Settings.of_preset(next(iter(presets())))), [])
    run = solara.use_reactive(initial)
    settings = solara.use_reactive(initial.settings)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    delay_ms = solara.use_reactive(300)
    show_trends = solara.use_reactive(False)
    error = solara.use_reactive("")
    live = run.value
    month, _ = live.month, tick.value  # reading tick re-renders the page after every step

    def play_loop():
        while playing.value:
            current = run.value
            if not current.model.running:
                playing.set(False)
                break
            current.step()
            tick.set(tick.value + 1)
            time.sleep(delay_ms.value / 1000)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def step():
        live.step()
        tick.set(tick.value + 1)

    def reset():
        playing.set(False)
        try:
            fresh = LiveRun(settings.value)
        except SimInputError as exc:
            error.set(str(exc))
            return
        error.set("")
        run.set(fresh)

    # the map's static layers once per run; what changes, once per month (timed: see LiveRun.timing)
    base_uri = solara.use_memo(lambda: png_data_uri(live.map.base_figure()), [live])
    sites_uri = solara.use_memo(lambda: png_data_uri(live.map.sites_figure(), transparent=True), [live])
    month_uri = solara.use_memo(
        lambda: live.draw("map", lambda: png_data_uri(live.map.month_figure(), transparent=True)), [live, month])
    cards = solara.use_memo(lambda: live.draw("kpis", lambda: [
        (card, sparkline_svg(card.series, live.model.config.months, card.colour))
        for card in kpi_cards(live.model.kpis.frame())]), [live, month])
    trends_uri = solara.use_memo(
        lambda: live.draw("trends", lambda: png_data_uri(draw_trends(live.model.kpis.frame(), live.model.config.months)))
        if show_trends.value else "", [live, month, show_trends.value])

    solara.Title("WB6 circular economy: live")
    solara.Style(".wb6-pilots .v-input__details { display: none; } .wb6-pilots .v-input { margin: 0; }")
    with solara.AppBar():
        solara.AppBarTitle("WB6 circular economy: live simulation")

    with solara.Sidebar():
        with solara.Card("Run", margin=0):
            solara.Text(f"Month {month} of {live.model.config.months}", classes=["month-counter"],
                        style="font-size: 1.3em; font-weight: 600")
            with solara.Row():
                solara.Button("Step", on_click=step, color="primary", disabled=playing.value or not live.model.running)
                solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                              color="primary", disabled=not live.model.running)
                solara.Button("Reset", on_click=reset, color="secondary")
            solara.Text(f"Pause between months when playing: {delay_ms.value} ms", style="font-size: 0.8em; color: #555")
            solara.SliderInt("", value=delay_ms, min=0, max=2000, step=50)
            solara.Text(live.timing(), classes=["step-time"], style="font-size: 0.8em; color: #666")
            if error.value:
                solara.Error(error.value, classes=["run-error"])
            if settings.value != live.settings:
                solara.Warning("Settings changed: press Reset to re-run with them.", dense=True, classes=["pending-note"])
        with solara.Card("Scenario", margin=0):
            solara.Select("Roadmap phase", values=list(presets()), value=settings.value.preset,
                          on_value=lambda p: settings.set(Settings.of_preset(p, settings.value.seed, settings.value.months)))
            solara.InputInt("Seed", value=settings.value.seed,
                            on_value=lambda s: settings.set(dataclasses.replace(settings.value, seed=s)))
            solara.InputInt("Months", value=settings.value.months,
                            on_value=lambda m: settings.set(dataclasses.replace(settings.value, months=m)))
        with solara.Card("Policy pilots", margin=0, classes=["wb6-pilots"]):
            controls = {c.name: c for c in pilot_controls()}
            if not controls:
                solara.Info("No policy pilots are registered.")
            for name, on, value in settings.value.pilots:
                PilotSwitch(controls[name], on, value, settings)

    with solara.Columns([3, 2]):
        with solara.Card(margin=0):
            solara.v.Html(tag="div", class_="wb6-map", style_="position: relative; width: 100%", children=[
                solara.v.Html(tag="img", attributes={"src": base_uri, "alt": "WB6 network"},
                              style_="width: 100%; display: block"),
                solara.v.Html(tag="img", attributes={"src": month_uri, "alt": "this month's flows"},
                              style_="position: absolute; left: 0; top: 0; width: 100%"),
                solara.v.Html(tag="img", attributes={"src": sites_uri, "alt": "sites"},
                              style_="position: absolute; left: 0; top: 0; width: 100%"),
            ])
        with solara.Column():
            if not cards:
                solara.Info("Press Step or Play to simulate the first month.")
            with solara.GridFixed(columns=2, align_items="stretch"):
                for card, uri in cards:
                    KpiPanel(card, uri)
    solara.Checkbox(label="Show trend charts (slower steps)", value=show_trends)
    if trends_uri:
        solara.v.Html(tag="img", attributes={"src": trends_uri, "alt": "KPI trends"}, style_="width: 100%")
