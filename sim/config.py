"""Typed configuration schema (Hydra structured configs).

Hydra checks the composed config against these dataclasses, so a misspelt key or a value of
the wrong type fails before the model is built.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints

from omegaconf import DictConfig, OmegaConf

from sim.errors import ConfigError

#: the Hydra config tree (configs/ at the repository root)
CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
# Hydra's compose API keeps global state: one composition at a time (the dashboard has threads)
_compose_lock = threading.Lock()


@dataclass
class OutputConfig:
    #: folder under which each run writes ``<run_name>/``
    root: str = "results"
    #: write the per-step shipment table (flows.parquet)
    write_flows: bool = True
    #: multirun (``-m``): runs go to ``<root>/sweeps/<sweep_name>/<the run's overrides>/``
    sweep_name: str = "sweep"
    #: multirun: skip runs whose complete results are already there (same config), redo the rest
    resume: bool = True


#: longest horizon a run may ask for: 50 years, five times the seed's 5-10 year regional programme
#: (seed_facts is.regional_programme_length); assumption: beyond that the scenario's prices,
#: plants and firms mean nothing, and a typo (10^12 months) should be refused, not run for days
MAX_MONTHS = 600


@dataclass
class SimConfig:
    #: scenario folder; empty means the packaged real-WB6 scenario (sim/data)
    scenario: str = ""
    #: months to simulate (10 years by default; 1 to MAX_MONTHS)
    months: int = 120
    #: random seed, a whole number >= 0: same config and seed give identical results
    seed: int = 42
    #: name of the results folder under ``output.root``
    run_name: str = "baseline"
    #: multiplies virgin and secondary material prices (sensitivity studies)
    price_multiplier: float = 1.0
    #: multiplies transport cost per tonne-km
    transport_cost_multiplier: float = 1.0
    #: dated changes of generation and capacity: empty means the scenario's schedules.csv; a name
    #: picks schedules/<name>.csv of the scenario folder (schedule=coal_phase_out, configs/schedule/)
    schedule: str = ""
    #: overrides of scenario parameters (parameters.yaml), by name
    parameters: dict[str, Any] = field(default_factory=dict)
    #: policy pilots switched on, by registered name, each with its parameters
    policies: dict[str, Any] = field(default_factory=dict)
    #: modules imported before the model is built (``package.module``): pilots, actor kinds and
    #: scenario parameters kept outside ``sim/`` register themselves on import
    extensions: list[str] = field(default_factory=list)
    #: the class of an actor kind, by kind (``firm: package.module.Class``); unnamed kinds keep
    #: their default class, added kinds take part only when named (see sim/agents/kinds.py)
    agents: dict[str, Any] = field(default_factory=dict)
    #: roadmap phase whose pilot bundle this run uses, or ``roadmap`` for all (set by ``phase=``; empty: none)
    phase: str = ""
    #: check mass balance and other invariants every step (fail loudly if one breaks)
    check_invariants: bool = True
    output: OutputConfig = field(default_factory=OutputConfig)


def register_configs() -> None:
    from hydra.core.config_store import ConfigStore  # Hydra only where a config is composed: not for a run

    ConfigStore.instance().store(name="sim_schema", node=SimConfig)


def compose_config(overrides: Sequence[str] = ()) -> DictConfig:
    """The config ``python -m sim <overrides>`` runs (e.g. ``["phase=short_term", "seed=3"]``),
    composed from ``configs/`` with Hydra's compose API; not for use inside a Hydra app."""
    from hydra import compose, initialize_config_dir

    register_configs()
    with _compose_lock, initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def group_options(group: str) -> list[str]:
    """The options of a config group: ``configs/<group>/*.yaml`` (``phase`` -> baseline, ...)."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def _nested(cls) -> dict[str, type | None]:
    """Each field of a config dataclass, with its dataclass type if it is a nested config."""
    hints = get_type_hints(cls)
    return {f.name: hints[f.name] if is_dataclass(hints[f.name]) else None for f in fields(cls)}


def schema_keys(key: str, schema=SimConfig) -> list[str] | None:
    """The keys valid next to a dotted config key (``output.rot`` -> the fields of
    OutputConfig), or None where keys are free (under ``parameters``, ``policies``, ``agents``)."""
    cls = schema
    for part in key.split(".")[:-1]:
        cls = _nested(cls).get(part)
        if cls is None:
            return None
    return list(_nested(cls))


def unknown_key(config: dict, schema=SimConfig, prefix: str = "") -> str | None:
    """The dotted path of the first key of ``config`` (a plain mapping) not in the schema."""
    known = _nested(schema)
    for key, value in config.items():
        if key not in known:
            return prefix + str(key)
        if known[key] is not None and isinstance(value, dict):
            found = unknown_key(value, known[key], f"{prefix}{key}.")
            if found:
                return found
    return None


def import_extensions(modules: Sequence[str]) -> None:
    """Import the config's ``extensions``; one that cannot be imported is a config error."""
    for i, name in enumerate(modules):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(f"extensions[{i}]", f"cannot import {name!r}: {exc}") from exc


def as_config(config) -> SimConfig:
    """A SimConfig from a dataclass, a DictConfig or a plain dict (unknown keys are errors).

    A plain dict that names a ``phase`` but no ``policies`` runs what ``python -m sim
    phase=<name>`` runs (the phase's pilots and run name) with the dict's other keys on top.
    Where ``policies`` are given, or in a dataclass or DictConfig (composed by Hydra already),
    ``phase`` only labels the run."""
    if config is None:
        return SimConfig()
    if isinstance(config, SimConfig):
        return config
    schema = OmegaConf.structured(SimConfig)
    # merging would keep a key added with Hydra's ``+key=`` and to_object would drop it silently
    raw = OmegaConf.to_container(config, resolve=False) if isinstance(config, DictConfig) else config
    if not isinstance(raw, dict):
        raise ConfigError("config", f"needs a mapping of config keys, got {raw!r}", choices=schema_keys(""))
    bad = unknown_key(raw)
    if bad is not None:
        raise ConfigError(bad, "unknown config key", choices=schema_keys(bad), value=bad.rsplit(".", 1)[-1])
    if isinstance(config, dict) and config.get("phase") and "policies" not in config:
        phase = config["phase"]
        if phase not in group_options("phase"):
            raise ConfigError("phase", f"unknown option {phase!r} of configs/phase", choices=group_options("phase"),
                              value=str(phase))
        config = OmegaConf.merge(OmegaConf.to_container(compose_config([f"phase={phase}"])), config)
    try:
        merged = OmegaConf.merge(schema, config if isinstance(config, DictConfig) else OmegaConf.create(config))
        return OmegaConf.to_object(merged)
    except Exception as exc:  # omegaconf raises several error types for bad keys/values
        key = getattr(exc, "full_key", None) or "config"
        raise ConfigError(key, str(exc).splitlines()[0]) from exc
