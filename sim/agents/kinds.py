"""Actor kinds and the classes a config picks for them.

Every kind of actor (firm, PRO, customs post, ...) is registered here under a name with its
base class, which is also the class used by default. A config may name another class for a
kind, by its import path::

    python -m sim agents.firm=mypackage.rules.PeerGatedFirm

(or ``agents: {firm: {_target_: mypackage.rules.PeerGatedFirm}}`` in a config file). The model
resolves the config before it builds anything: an unknown kind, a class that cannot be
imported, or one that is not a subclass of the kind's base is a :class:`ConfigError` naming the
key, the value and the valid choices.

A new kind is a class decorated with ``@actor_kind("name", stage=...)`` in a module of its own.
It takes part in a run when the config names it (``agents.name=package.module.Class``): the
model then calls its ``populate(model)`` once, after the built-in actors, and at the month's
``stage`` (see :data:`STAGES`) calls ``act(model, agents)`` on the class with the agents it made.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sim.errors import ConfigError

#: points of the month where actors of added kinds act (see ``WB6Model.step``)
STAGES = ("month_start", "before_firms", "month_end")


@dataclass(frozen=True)
class ActorKind:
    name: str
    #: the class every choice for this kind must subclass (and the default)
    base: type
    #: where in the month agents of an added kind act; None for the built-in kinds, which the
    #: model and the pilots create and call themselves
    stage: str | None = None


KINDS: dict[str, ActorKind] = {}


def actor_kind(name: str, stage: str | None = None):
    """Register the decorated class as the base and default class of actor kind ``name``."""
    if stage is not None and stage not in STAGES:
        raise ValueError(f"stage {stage!r} of actor kind {name!r} is none of {STAGES}")

    def decorate(cls: type) -> type:
        KINDS[name] = ActorKind(name, cls, stage)
        return cls

    return decorate


def class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _subclasses(base: type) -> list[type]:
    found, todo = [], [base]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _choices(kind: str) -> list[str]:
    """Class paths valid for ``kind`` among the classes loaded (all kinds' if it is not known yet)."""
    bases = [KINDS[kind].base] if kind in KINDS else [k.base for k in KINDS.values()]
    return sorted(class_path(c) for base in bases for c in _subclasses(base))


def _import_class(kind: str, path: str) -> type:
    where = f"agents.{kind}"
    module_name, _, name = path.replace(":", ".").rpartition(".")
    cls, reason = None, "needs package.module.Class"
    if module_name:
        try:
            cls = getattr(importlib.import_module(module_name), name, None)
            reason = f"module {module_name!r} has no class {name!r}"
        except ImportError as exc:
            reason = f"cannot import {module_name!r}: {exc}"
    if not isinstance(cls, type):
        raise ConfigError(where, f"{reason} (value {path!r})", choices=_choices(kind), value=path)
    return cls


def _target(where: str, value) -> str:
    if isinstance(value, dict) and set(value) == {"_target_"}:
        value = value["_target_"]
    if not isinstance(value, str) or not value:
        raise ConfigError(where, f"needs a class as package.module.Class (or {{_target_: ...}}), got {value!r}")
    return value


def resolve_actor_classes(config: dict) -> dict[str, type]:
    """The class of every actor kind: the config's choice (kind -> class path) over the defaults.
    Added kinds are in the result only when the config names them."""
    chosen = {}
    for kind, value in dict(config).items():
        where = f"agents.{kind}"
        cls = _import_class(kind, _target(where, value))  # importing an added kind registers it
        if kind not in KINDS:
            raise ConfigError(where, "unknown actor kind", choices=KINDS, value=kind)
        base = KINDS[kind].base
        if not issubclass(cls, base):
            raise ConfigError(where, f"{class_path(cls)} is not a subclass of {class_path(base)}",
                              choices=_choices(kind), value=class_path(cls))
        chosen[kind] = cls
    defaults = {name: kind.base for name, kind in KINDS.items() if kind.stage is None}
    return {**defaults, **chosen}
