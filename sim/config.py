"""Typed configuration schema (Hydra structured configs).

Hydra checks the composed config against these dataclasses, so a misspelt key or a value of
the wrong type fails before the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class OutputConfig:
    #: folder under which each run writes ``<run_name>/``
    root: str = "results"
    #: write the per-step shipment table (flows.parquet)
    write_flows: bool = True


@dataclass
class SimConfig:
    #: scenario folder; empty means the packaged real-WB6 scenario (sim/data)
    scenario: str = ""
    #: months to simulate (10 years by default)
    months: int = 120
    #: random seed: same config and seed give identical results
    seed: int = 42
    #: name of the results folder under ``output.root``
    run_name: str = "baseline"
    #: multiplies virgin and secondary material prices (sensitivity studies)
    price_multiplier: float = 1.0
    #: multiplies transport cost per tonne-km
    transport_cost_multiplier: float = 1.0
    #: overrides of scenario parameters (parameters.yaml), by name
    parameters: dict[str, Any] = field(default_factory=dict)
    #: policy pilots switched on, by registered name, each with its parameters
    policies: dict[str, Any] = field(default_factory=dict)
    #: check mass balance and other invariants every step (fail loudly if one breaks)
    check_invariants: bool = True
    output: OutputConfig = field(default_factory=OutputConfig)


def register_configs() -> None:
    ConfigStore.instance().store(name="sim_schema", node=SimConfig)
