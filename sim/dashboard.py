"""What the workshop dashboard (``sim/app.py``) offers and runs, without the page: the phases and
pilots in plain words, the sidebar's settings and their validation, a run stepped in lock-step
with its reference run, and the KPI cards with their difference to the reference.

The pilot controls come from ``sim.policies.REGISTRY`` (each pilot's ``description`` and the
``#:`` comment above each of its parameters) and the phases from the Hydra config tree
(``configs/phase/``), so new pilots and phases appear without changes here. A dashboard run is
the config the command line would run (``phase=...`` plus the pilots switched on), stepped live.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import logging
import re
import threading
import time
import typing
from functools import cache

import numpy as np
from omegaconf import OmegaConf

from sim.config import MAX_MONTHS, compose_config, group_options
from sim.errors import ConfigError, SimInputError
from sim.model import WB6Model
from sim.policies import REGISTRY
from sim.policies.base import default_params
from sim.viz import CLASS_LABELS, MapView
from sim.world import STATUSES

log = logging.getLogger("sim.dashboard")

NO_PHASE = "none"
WORDS = {"eow": "EoW", "epr": "EPR", "eur": "EUR", "crm": "CRM", "co2": "CO2", "esg": "ESG"}
#: the phases as seed 001 names them (seed_facts roadmap.phase.*: "Low hanging fruits (0–1 year)" ...)
PHASE_WORDS = {
    "baseline": "Baseline (no pilots)",
    NO_PHASE: "Baseline (no pilots)",
    "low_hanging_fruits": "Low hanging fruits (0–1 year)",
    "short_term": "Short-term (1–2 years)",
    "medium_term": "Medium-term (2–4 years)",
    "long_term": "Long-term (4+ years)",
    "roadmap": "Whole roadmap (all phases)",
}
CUSTOM = "Custom (pilots set by hand)"


def humanise(name: str) -> str:
    text = " ".join(WORDS.get(w, w) for w in name.split("_"))
    return text[0].upper() + text[1:]


def phase_words(phase: str) -> str:
    return PHASE_WORDS.get(phase, humanise(phase))


def fmt_amount(value: float, unit: str = "") -> str:
    """A parameter's value for a room: 200000000 EUR -> "200 million EUR", 0.3 -> "0.3"."""
    if abs(value) >= 1e9:
        text = f"{value / 1e9:.3g} billion"
    elif abs(value) >= 1e6:
        text = f"{value / 1e6:.3g} million"
    else:
        text = f"{value:,.4g}"
    return f"{text} {unit}".strip()


def fmt_parameter(value: float, unit: str) -> str:
    """A parameter in words: shares and rates as percentages ("15 % of capex", "3 % per year")."""
    for prefix, rest in (("share of ", "of "), ("probability ", ""), ("per year", "per year")):
        if unit.startswith(prefix) and 0 <= value <= 1:
            tail = rest + unit.removeprefix(prefix) if prefix != "per year" else unit
            return f"{100 * value:.3g} % {tail}".strip()
    return fmt_amount(value, unit)


# ---- the pilots, in words ----------------------------------------------------------------
@cache
def parameter_words(name: str) -> dict[str, str]:
    """The ``#:`` comment above each field of the pilot's ``Params`` (and its bases), by field."""
    words = {}
    for cls in reversed(REGISTRY[name].Params.__mro__):
        try:
            lines = inspect.getsource(cls).splitlines()
        except (OSError, TypeError):
            continue
        comment = []
        for line in lines:
            text = line.strip()
            if text.startswith("#:"):
                comment.append(text[2:].strip())
            elif (m := re.match(r"(\w+)\s*:", text)) and comment:
                words[m.group(1)] = " ".join(comment)
                comment = []
            else:
                comment = []
    return words


@dataclasses.dataclass(frozen=True)
class PilotControl:
    """A pilot's switch: its description, start month and main parameter (the first number in its
    ``Params`` after ``start_month``) on a slider from 0 to the field's bound (shares: 1) or to three
    times its default (or, for a default of 0, to 24 for whole numbers and 1 otherwise)."""

    name: str
    field: str | None
    default: float
    low: float
    high: float
    step: float
    integer: bool
    unit: str
    start_month: int

    @classmethod
    def of(cls, name: str) -> "PilotControl":
        params = REGISTRY[name].Params
        hints = typing.get_type_hints(params)
        defaults = default_params(name)
        start = int(defaults.get("start_month", 0))
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
            return cls(name, f.name, default, 0.0, high, step, integer, f.metadata.get("unit", ""), start)
        return cls(name, None, 0.0, 0.0, 0.0, 0.0, False, "", start)

    @property
    def title(self) -> str:
        return humanise(self.name)

    @property
    def description(self) -> str:
        pilot = REGISTRY[self.name]
        return pilot.description or (inspect.getmodule(pilot).__doc__ or "").split("\n\n")[0].replace("\n", " ")

    @property
    def label(self) -> str:
        """The main parameter in words: its comment, else its name."""
        words = parameter_words(self.name).get(self.field) or humanise(self.field)
        return words[0].upper() + words[1:]

    def value_text(self, value: float) -> str:
        return fmt_parameter(int(value) if self.integer else float(value), self.unit)

    def other_parameters(self, params: dict) -> list[tuple[str, str]]:
        """The pilot's other settings in words and units, as (words, value) for the page."""
        fields = {f.name: f for f in dataclasses.fields(REGISTRY[self.name].Params)}
        words = parameter_words(self.name)
        out = []
        for key, value in {**default_params(self.name), **params}.items():
            if key in ("start_month", self.field) or key not in fields:
                continue
            unit = fields[key].metadata.get("unit", "")
            if isinstance(value, bool):
                text = "yes" if value else "no"
            elif isinstance(value, (int, float)):
                text = fmt_parameter(value, unit)
            elif isinstance(value, (list, tuple)):
                text = ", ".join(map(str, value)) or ("all WB6 economies" if "economy" in unit else "none")
            elif isinstance(value, dict):
                text = "; ".join(f"{k}: {v}" for k, v in value.items()) or "none"
            else:
                text = str(value)
            said = words.get(key) or humanise(key)
            out.append((said[0].upper() + said[1:], text))
        return out


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


def baseline_preset() -> str:
    """The phase without pilots: the default reference."""
    return next(name for name, c in presets().items() if not c["policies"])


# ---- the sidebar's settings --------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Pilot:
    name: str
    on: bool
    #: the main parameter's value
    value: float
    start_month: int


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the sidebar holds; Reset builds a run (and its reference run) from it."""

    preset: str
    seed: int
    months: int
    pilots: tuple[Pilot, ...]
    #: the phase the run is compared with, stepped alongside
    reference: str

    @classmethod
    def of_preset(cls, preset: str, seed: int | None = None, months: int | None = None,
                  reference: str | None = None) -> "Settings":
        composed = presets()[preset]
        chosen = composed["policies"]
        pilots = []
        for c in pilot_controls():
            params = chosen.get(c.name) or {}
            value = params.get(c.field, c.default) if c.field else c.default
            pilots.append(Pilot(c.name, c.name in chosen, value, int(params.get("start_month", c.start_month))))
        return cls(preset, composed["seed"] if seed is None else seed, composed["months"] if months is None else months,
                   tuple(pilots), baseline_preset() if reference is None else reference)

    def with_pilot(self, name: str, **changes) -> "Settings":
        pilots = tuple(dataclasses.replace(p, **changes) if p.name == name else p for p in self.pilots)
        return dataclasses.replace(self, pilots=pilots)

    def pilot(self, name: str) -> Pilot:
        return next(p for p in self.pilots if p.name == name)

    @property
    def is_custom(self) -> bool:
        """Pilots switched on or off, or started in another month, than the phase does."""
        phase = Settings.of_preset(self.preset, self.seed, self.months, self.reference)
        return [(p.on, p.start_month if p.on else 0) for p in self.pilots] != [
            (p.on, p.start_month if p.on else 0) for p in phase.pilots]

    def config(self) -> dict:
        """The run's config: the preset, this seed and horizon, the pilots switched on (the
        preset's parameters for them, or the pilot's defaults, with the main parameter and the
        start month set)."""
        config = copy.deepcopy(presets()[self.preset])
        config.update(seed=self.seed, months=self.months, run_name="dashboard")
        controls = {c.name: c for c in pilot_controls()}
        policies = {}
        for p in self.pilots:
            if p.on:
                params = dict(config["policies"].get(p.name) or {})
                control = controls[p.name]
                if control.field:
                    params[control.field] = int(p.value) if control.integer else float(p.value)
                params["start_month"] = p.start_month
                policies[p.name] = params
        config["policies"] = policies
        return config

    def reference_config(self) -> dict:
        return Settings.of_preset(self.reference, self.seed, self.months).config()

    def check(self) -> None:
        """What the model would refuse, said before anything is built (the model checks it again)."""
        if not 1 <= self.months <= MAX_MONTHS:
            raise ConfigError("months", f"must be >= 1, got {self.months}" if self.months < 1
                              else f"must be <= {MAX_MONTHS} ({MAX_MONTHS // 12} years), got {self.months}")
        if self.seed < 0:
            raise ConfigError("seed", f"must be a whole number >= 0, got {self.seed}")
        for p in self.pilots:
            if p.on and not 0 <= p.start_month < self.months:
                raise ConfigError(f"policies.{p.name}.start_month",
                                  f"must be a month of the run, 0 to {self.months - 1}, got {p.start_month}")


# ---- a run and its reference, in lock-step -------------------------------------------------
class LiveRun:
    """One model stepped by the dashboard, its reference run stepped with it, its map, and how
    long steps and drawing take."""

    def __init__(self, settings: Settings):
        settings.check()
        self.settings = settings
        self.model = WB6Model(settings.config())
        self.reference = WB6Model(settings.reference_config())
        self.map = MapView(self.model)
        self.lock = threading.RLock()
        self.step_seconds: list[float] = []
        #: what was drawn -> (month drawn for, seconds)
        self.draw_seconds: dict[str, tuple[int, float]] = {}

    @property
    def month(self) -> int:
        """Months both runs have completed (the page never shows one run a month ahead)."""
        return len(self.step_seconds)

    @property
    def reference_name(self) -> str:
        return phase_words(self.settings.reference).split(" (")[0].lower()

    @property
    def run_name(self) -> str:
        if not self.settings.is_custom:
            return phase_words(self.settings.preset)
        on = [humanise(p.name) for p in self.settings.pilots if p.on]
        return f"pilots set by hand ({', '.join(on)})" if on else "no pilots"

    def pilot_starts(self) -> list[tuple[int, str]]:
        """(month, pilot names) of each month in which pilots of this run start."""
        starts: dict[int, list[str]] = {}
        for policy in self.model.policies:
            starts.setdefault(policy.start_month, []).append(humanise(policy.name))
        return [(month, ", ".join(names)) for month, names in sorted(starts.items())]

    def step(self) -> None:
        with self.lock:
            if not self.model.running:
                return
            start = time.perf_counter()
            self.model.step()
            self.reference.step()
            self.step_seconds.append(time.perf_counter() - start)

    def draw(self, what: str, make):
        """``make()`` under the lock (a step task steps the model in another thread),
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
        return f"Last step: models {model_ms:.0f} ms, drawing {draw_ms:.0f} ms"


# ---- KPI cards ------------------------------------------------------------------------------
def fmt_tonnes(x: float) -> str:
    for scale, unit in ((1e6, "Mt"), (1e3, "kt")):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g} t" if abs(x) < 100 else f"{x:.0f} t"


def fmt_share(x: float) -> str:
    return f"{100 * x:.1f} %"


def fmt_count(x: float) -> str:
    return f"{x:,.0f}"


def fmt_days(x: float) -> str:
    return f"{x:.1f} days"


def fmt_points(x: float) -> str:  # a difference of shares
    return f"{100 * x:.1f} points"


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
    #: the headline as a number, how to print a difference of it, and which way is better (+1 up, -1 down)
    number: float = 0.0
    delta_format: typing.Callable[[float], str] = fmt_tonnes
    better: int = 1


def kpi_columns(kpis) -> dict[str, np.ndarray]:
    """The KPI table so far (a DataFrame, or the recorder's rows: one per month) as numeric columns."""
    if isinstance(kpis, list):
        numeric = [key for key, value in (kpis[0].items() if kpis else ())
                   if isinstance(value, (int, float, np.number)) and not isinstance(value, bool)]
        return {key: np.array([row[key] for row in kpis], dtype=float) for key in numeric}
    return {c: kpis[c].to_numpy(dtype=float) for c in kpis.columns if kpis[c].dtype.kind in "biuf"}


def kpi_cards(kpis) -> list[KpiCard]:
    """The cards from the KPI table so far (a DataFrame or the recorder's rows, one per month;
    the rows spare building a DataFrame every month)."""
    k = kpi_columns(kpis)
    if not k or not len(k["step"]):
        return []
    border = {(scope, s): float(k[f"{scope}_{s}_t"][-1]) for scope in ("cross_border_wb6", "export_eu") for s in STATUSES}
    cross = k["cross_border_wb6_t"] + k["export_eu_t"]
    rates = sorted(c for c in k if c.startswith("collection_rate_"))
    mean_rates = np.column_stack([k[c] for c in rates]).mean(axis=1) if rates else np.zeros(len(k["step"]))
    mean_rate = float(mean_rates[-1])
    co2 = np.cumsum(k["co2_abated_t"])
    crm = np.cumsum(k["secondary_crm_recovered_t"])
    return [
        KpiCard("exchanges", "Exchanges", fmt_count(k["exchanges_count"][-1]), "shipments this month",
                [("Volume this month", fmt_tonnes(k["exchange_volume_t"][-1]), "exchange_volume"),
                 ("Volume since start", fmt_tonnes(k["exchange_volume_t"].sum()), "exchange_volume_total")],
                k["exchange_volume_t"], number=float(k["exchanges_count"][-1]), delta_format=fmt_count),
        KpiCard("cross_border", "Cross-border volume", fmt_tonnes(cross[-1]), "this month",
                [(f"{'WB6' if scope == 'cross_border_wb6' else 'To EU'}, {CLASS_LABELS[s]}",
                  fmt_tonnes(border[scope, s]), f"{scope}_{s}") for scope in ("cross_border_wb6", "export_eu")
                 for s in STATUSES],
                cross, "#1b9e77", number=float(cross[-1])),
        KpiCard("landfilled", "Landfilled", fmt_tonnes(k["landfilled_t"][-1]), "this month, WB6",
                [("Since start", fmt_tonnes(k["landfilled_t"].sum()), "landfilled_total"),
                 ("Dumped this month", fmt_tonnes(k["dumped_t"][-1]), "dumped")],
                k["landfilled_t"], "#8c510a", number=float(k["landfilled_t"][-1]), better=-1),
        KpiCard("co2", "CO2 abated", fmt_tonnes(co2[-1]), "since start, by secondary inputs",
                [("This month", fmt_tonnes(k["co2_abated_t"][-1]), "co2_month")],
                co2, "#1b9e77", number=float(co2[-1])),
        KpiCard("customs", "Customs delay", fmt_days(k["customs_delay_days"][-1]), "tonne-weighted, this month",
                [("Backlog", fmt_tonnes(k["customs_backlog_t"][-1]), "customs_backlog"),
                 ("Filings / refusals", f"{int(k['customs_filings'][-1])} / {int(k['customs_refusals'][-1])}",
                  "customs_filings")],
                k["customs_delay_days"], "#d7301f", number=float(k["customs_delay_days"][-1]),
                delta_format=fmt_days, better=-1),
        KpiCard("collection", "EPR collection", fmt_share(mean_rate) if rates else "-", "mean of the streams",
                [(humanise(c.removeprefix("collection_rate_")), fmt_share(k[c][-1]), c) for c in rates],
                mean_rates, "#984ea3",
                number=mean_rate, delta_format=fmt_points),
        KpiCard("crm", "Secondary CRM", fmt_tonnes(crm[-1]), "recovered since start",
                [("This month", fmt_tonnes(k["secondary_crm_recovered_t"][-1]), "crm_month")],
                crm, "#a6761d", number=float(crm[-1])),
        KpiCard("firms", "Firms taking part", fmt_count(k["participating_firms"][-1]), "in exchanges",
                [("By-products registered", f"{int(k['by_products_registered'][-1])}", "by_products_registered"),
                 ("EoW registered", f"{int(k['eow_registered'][-1])}", "eow_registered"),
                 ("Investments", f"{int(k['investments_count'][-1])}", "investments")],
                k["participating_firms"], "#377eb8", number=float(k["participating_firms"][-1]),
                delta_format=fmt_count),
    ]


def delta_text(card: KpiCard, reference: KpiCard, name: str) -> tuple[str, str]:
    """"+823 t vs baseline" and its tone: "better", "worse" or "same"."""
    difference = card.number - reference.number
    shown = card.delta_format(abs(difference))
    if shown.lstrip("0.,").split(" ")[0] in ("", "0"):  # rounds to nothing
        return f"same as {name}", "same"
    sign = "+" if difference > 0 else "−"
    return f"{sign}{shown} vs {name}", "better" if difference * card.better > 0 else "worse"


def run_safely(what: str, action, on_error) -> bool:
    """``action()``; a bad setting's message, or any other failure (logged with its traceback on
    the server), goes to ``on_error`` as a sentence for the page instead of replacing it."""
    try:
        action()
        return True
    except SimInputError as exc:
        on_error(str(exc))
    except Exception as exc:  # the room sees a message, the server log the details
        log.exception("dashboard: %s failed", what)
        on_error(f"{what} failed: {type(exc).__name__}: {exc}. The details are in the server log.")
    return False
