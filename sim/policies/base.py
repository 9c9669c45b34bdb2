"""Policy pilots: small objects, registered by name, that act on the model through its agents.

A pilot subclasses :class:`Policy`, declares its parameters as a dataclass ``Params`` and
overrides ``apply`` (once, in its start month, before the agents act) and/or ``on_step``
(every month from then on); ``description`` says in plain words what it does, and a ``#:``
comment above each parameter what the parameter is (the dashboard shows both). Register it with ``@register("name")``; a config entry
``policies.<name>: {start_month: ..., <params>}`` switches it on.

Default values live in one place, the pilot's Hydra config ``configs/policies/<name>.yaml``
(each with its source or assumption); a config that names a pilot but leaves parameters out
gets those defaults, whether it comes from Hydra or from Python.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import yaml

from sim.config import CONFIG_DIR
from sim.errors import ConfigError

REGISTRY: dict[str, type["Policy"]] = {}


def register(name: str):
    def decorate(cls: type["Policy"]) -> type["Policy"]:
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return decorate


def param(unit: str, maximum: float | None = None):
    """A pilot parameter: its unit (shown in errors and docs) and, for shares, an upper bound."""
    return dataclasses.field(metadata={"unit": unit, "max": maximum})


@dataclasses.dataclass(kw_only=True)
class PolicyParams:
    #: month (0-based) from which the pilot acts
    start_month: int = param("month")


class Policy:
    name: ClassVar[str] = ""
    Params: ClassVar[type] = PolicyParams
    #: what the pilot does, in a sentence or two for a non-specialist (the dashboard shows it)
    description: ClassVar[str] = ""
    #: the file of its defaults, for a pilot kept outside ``sim/`` (None: configs/policies/<name>.yaml)
    defaults_file: ClassVar[Path | None] = None

    def __init__(self, params):
        self.params = params

    @property
    def start_month(self) -> int:
        return self.params.start_month

    def check(self, model) -> None:
        """Fail at build time on names the scenario does not have (economies, materials...).

        Parameters named ``economies`` are checked here and kept as ``self.economies`` (every WB6
        economy when the list is empty); a pilot with more names to check calls ``super().check`` first.
        """
        if hasattr(self.params, "economies"):
            self.economies = wb6_economies(model, self.params.economies, f"{self.where}.economies")

    def apply(self, model) -> None:
        """Act once, when the start month comes."""

    def on_step(self, model) -> None:
        """Act every month from the start month on (after ``apply``)."""

    @property
    def where(self) -> str:
        return f"policies.{self.name}"

    #: the agents a pilot of the roadmap acts through (scaled up by the scale-or-pivot rule)
    actors: ClassVar[tuple] = ()

    def scale(self, model, factor: float) -> None:
        """Give the pilot more means: each of its agents scales by ``factor``."""
        for agent in self.actors:
            agent.scale(factor)

    def stop(self, model) -> None:
        """Drop the pilot: from next month it no longer acts (what it did stays)."""
        model.active_policies.remove(self)


def add_actors(model, kind: str, agents: list) -> list:
    """Record agents a pilot made under their kind (the KPIs read them), and return them."""
    model.pilot_actors.setdefault(kind, []).extend(agents)
    return agents


# ---- helpers pilots share ---------------------------------------------------------------
def economies(model, codes: list[str], where: str) -> list[int]:
    """Indices of the named economies."""
    unknown = [c for c in codes if c not in model.economy_index]
    if unknown:
        raise ConfigError(where, f"unknown economy {unknown[0]!r}", choices=model.economy_codes,
                          value=unknown[0])
    return [model.economy_index[c] for c in codes]


def wb6_economies(model, codes: list[str], where: str) -> list[int]:
    """Indices of the named economies; an empty list means every WB6 economy of the scenario."""
    wb6 = [int(e) for e in range(model.n_economies) if model.is_wb6[e]]
    if not codes:
        return wb6
    chosen = economies(model, codes, where)
    outside = [model.economy_codes[e] for e in chosen if not model.is_wb6[e]]
    if outside:
        raise ConfigError(where, f"{outside[0]!r} is not a WB6 economy (group in economies.csv); the pilot acts "
                          "in WB6 economies only", choices=[model.economy_codes[e] for e in wb6])
    return chosen


def materials(model, names: list[str], where: str) -> list[int]:
    """Indices of the named materials."""
    unknown = [m for m in names if m not in model.material_index]
    if unknown:
        raise ConfigError(where, f"unknown material {unknown[0]!r}", choices=model.material_ids,
                          value=unknown[0])
    return [model.material_index[m] for m in names]


def ramp(model, start_month: int, months: int) -> float:
    """Share of a phased-in change reached this month: 1/months after the first month, 1 at the end."""
    if months <= 0:
        return 1.0
    return min(1.0, (model.month - start_month + 1) / months)


# ---- building pilots from configuration ---------------------------------------------------
@cache
def default_params(name: str) -> dict[str, Any]:
    """The pilot's defaults from ``configs/policies/<name>.yaml`` (or its own ``defaults_file``)."""
    own = REGISTRY[name].defaults_file if name in REGISTRY else None
    path = own or CONFIG_DIR / "policies" / f"{name}.yaml"
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read the defaults of pilot {name!r}: {exc.strerror or exc}") from exc
    if not isinstance(loaded.get(name), dict):
        raise ConfigError(str(path), f"must hold a mapping under the key {name!r}")
    return loaded[name]


def check_value(where: str, value, kind, maximum):
    origin = typing.get_origin(kind) or kind
    if origin is bool:
        if not isinstance(value, bool):
            raise ConfigError(where, f"must be true or false, got {value!r}")
        return value
    if origin in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(where, f"must be a number, got {value!r}")
        if origin is int and not float(value).is_integer():
            raise ConfigError(where, f"must be a whole number, got {value!r}")
        if not 0 <= value < math.inf:  # NaN fails too
            raise ConfigError(where, f"must be a finite number >= 0, got {value!r}")
        if maximum is not None and value > maximum:
            raise ConfigError(where, f"must be <= {maximum}, got {value!r}")
        return origin(value)
    if origin is list:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(where, f"must be a list of names, got {value!r}")
        repeated = sorted({v for v in value if list(value).count(v) > 1})
        if repeated:
            raise ConfigError(where, f"lists {repeated[0]!r} more than once")
        return list(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(where, f"must be a mapping, got {value!r}")
        return dict(value)
    return value


def make_params(cls: type[Policy], raw: dict[str, Any], where: str):
    """Typed parameters from a config mapping over the pilot's defaults; unknown keys,
    missing keys and values of the wrong type or range are errors."""
    fields = {f.name: f for f in dataclasses.fields(cls.Params)}
    unknown = set(raw) - set(fields)
    if unknown:
        raise ConfigError(f"{where}.{sorted(unknown)[0]}", "unknown parameter", choices=fields, value=sorted(unknown)[0])
    merged = {**default_params(cls.name), **raw}
    missing = set(fields) - set(merged)
    if missing:
        raise ConfigError(f"{where}.{sorted(missing)[0]}", f"missing (add it to configs/policies/{cls.name}.yaml)")
    hints = typing.get_type_hints(cls.Params)
    values = {
        key: check_value(f"{where}.{key}", merged[key], hints[key], field.metadata.get("max"))
        for key, field in fields.items()
    }
    return cls.Params(**values)


def build_policies(config: dict[str, Any], model) -> list[Policy]:
    """Instantiate the pilots named in ``config`` (name -> parameters), in name order, and check
    the names they refer to (economies, materials...) against the model's scenario."""
    policies = []
    for name in sorted(config):
        if name not in REGISTRY:
            raise ConfigError(f"policies.{name}", "unknown policy", choices=REGISTRY, value=name)
        raw = config[name] or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"policies.{name}", f"needs a mapping of parameters, got {raw!r}")
        cls = REGISTRY[name]
        policy = cls(make_params(cls, dict(raw), f"policies.{name}"))
        policy.check(model)
        policies.append(policy)
    return policies
