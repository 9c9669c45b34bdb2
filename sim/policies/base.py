"""Policy pilots: small objects, registered by name, that act on the model through its agents.

A pilot subclasses :class:`Policy`, declares its parameters as a dataclass ``Params`` and
overrides ``apply`` (once, in its start month, before the agents act) and/or ``on_step``
(every month from then on). Register it with ``@register("name")``; a config entry
``policies.<name>: {start_month: ..., <params>}`` switches it on.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from sim.errors import ConfigError

REGISTRY: dict[str, type["Policy"]] = {}


def register(name: str):
    def decorate(cls: type["Policy"]) -> type["Policy"]:
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return decorate


@dataclasses.dataclass
class PolicyParams:
    #: month (0-based) from which the pilot acts
    start_month: int = 0


class Policy:
    name: ClassVar[str] = ""
    Params: ClassVar[type] = PolicyParams

    def __init__(self, params):
        self.params = params

    @property
    def start_month(self) -> int:
        return self.params.start_month

    def apply(self, model) -> None:
        """Act once, when the start month comes."""

    def on_step(self, model) -> None:
        """Act every month from the start month on (after ``apply``)."""


def make_params(cls: type[Policy], raw: dict[str, Any], where: str):
    """Typed parameters from a config mapping; unknown keys and wrong types are errors."""
    valid = {f.name: f for f in dataclasses.fields(cls.Params)}
    unknown = set(raw) - set(valid)
    if unknown:
        raise ConfigError(f"{where}.{sorted(unknown)[0]}", "unknown parameter", choices=valid)
    values = {}
    for key, value in raw.items():
        default = getattr(cls.Params(), key)
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(f"{where}.{key}", f"must be true or false, got {value!r}")
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{where}.{key}", f"must be a number, got {value!r}")
            if isinstance(default, int) and not isinstance(value, int):
                raise ConfigError(f"{where}.{key}", f"must be a whole number, got {value!r}")
            if value < 0:
                raise ConfigError(f"{where}.{key}", f"must be >= 0, got {value!r}")
        values[key] = list(value) if isinstance(value, (list, tuple)) else value
    return cls.Params(**values)


def build_policies(config: dict[str, Any]) -> list[Policy]:
    """Instantiate the pilots named in ``config`` (name -> parameters), in name order."""
    policies = []
    for name in sorted(config):
        if name not in REGISTRY:
            raise ConfigError(f"policies.{name}", "unknown policy", choices=REGISTRY)
        raw = config[name] or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"policies.{name}", f"needs a mapping of parameters, got {raw!r}")
        cls = REGISTRY[name]
        policies.append(cls(make_params(cls, dict(raw), f"policies.{name}")))
    return policies
