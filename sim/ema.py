"""The model as an EMA Workbench model (ema-workbench 3), for exploratory modelling studies.

- **uncertainties**: the scenario parameters with documented prior ranges (``sim.priors.PRIORS``);
- **levers**: each pilot switched on or off, its start month, and optionally its numeric
  parameters (within half to one and a half times the documented default: an assumption);
- **outcomes**: every KPI of kpis.parquet as a time series per seed (one value a month) and its
  total over the run, averaged over the seeds (``<kpi>_total``);
- **replications**: seeds 1..N.

Each experiment x replication is a run of this project's batch runner (``sim.sweep.run_many``)
under ``<root>/sweeps/ema/``, so experiments are resumable and a repeated one is read, not run
again. Run them on any of EMA's evaluators (``SequentialEvaluator``, ``MultiprocessingEvaluator``:
each process then reads the scenario once for all its experiments) or on this project's batch
runner (:class:`LauncherEvaluator`: warm worker processes, one per core); save with
``ema_workbench.save_results``::

    from ema_workbench import perform_experiments, save_results
    from sim.ema import LauncherEvaluator, wb6_model
    model = wb6_model(months=60, replications=2)
    with LauncherEvaluator(model, jobs=-1) as evaluator:
        results = perform_experiments(model, scenarios=40, policies=phase_policies(model), evaluator=evaluator)
    save_results(results, "wb6.tar.gz")
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

with warnings.catch_warnings():  # its optional cluster evaluator needs ipyparallel, which we do not use
    warnings.simplefilter("ignore", UserWarning)
    from ema_workbench import (ArrayOutcome, BooleanParameter, Constant, IntegerParameter, RealParameter, ReplicatorModel, Sample,
                               ScalarOutcome)
    from ema_workbench.em_framework.evaluators import BaseEvaluator
    from ema_workbench.em_framework.experiment_runner import ExperimentRunner

from sim.config import compose_config, group_options
from sim.priors import PRIORS
from sim.sweep import job_name, run_many

SWEEP = "ema"
#: latest start month a lever may choose (the roadmap's long-term phase starts in month 48)
MAX_START_MONTH = 60
logging.getLogger("EMA").setLevel(logging.WARNING)


def ema_name(key: str) -> str:
    """EMA parameter name of a config key: ``parameters.border_delay_days.waste`` -> ``border_delay_days__waste``."""
    return key.removeprefix("parameters.").replace(".", "__")


UNCERTAINTY_KEYS = {ema_name(key): key for key in PRIORS}


def pilots() -> list[str]:
    from sim.policies import REGISTRY

    return sorted(REGISTRY)


def _numeric_fields(pilot: str) -> list[tuple[str, float, float | None, type]]:
    """(name, default, upper bound, type) of the pilot's numeric parameters other than its start month."""
    import typing

    from sim.policies import REGISTRY
    from sim.policies.base import default_params

    cls, defaults = REGISTRY[pilot], default_params(pilot)
    hints = typing.get_type_hints(cls.Params)
    out = []
    for field in dataclasses.fields(cls.Params):
        kind = typing.get_origin(hints[field.name]) or hints[field.name]
        value = defaults.get(field.name)
        if field.name != "start_month" and kind in (int, float) and isinstance(value, (int, float)) and value > 0:
            out.append((field.name, value, field.metadata.get("max"), kind))
    return out


def levers(pilot_parameters: bool = False) -> list:
    """A switch and a start month per pilot, and, if asked, its numeric parameters."""
    out = []
    for pilot in pilots():
        out += [BooleanParameter(pilot), IntegerParameter(f"{pilot}__start_month", 0, MAX_START_MONTH)]
        if pilot_parameters:
            for name, value, maximum, kind in _numeric_fields(pilot):
                low, high = 0.5 * value, 1.5 * value if maximum is None else min(1.5 * value, maximum)
                if kind is int and round(high) > round(low):
                    out.append(IntegerParameter(f"{pilot}__{name}", round(low), round(high)))
                elif kind is float and high > low:
                    out.append(RealParameter(f"{pilot}__{name}", low, high))
    return out


@cache
def kpi_columns(scenario: str = "") -> tuple[str, ...]:
    """The KPI columns a run of ``scenario`` writes (from a one-month run: streams and metals vary)."""
    from sim.model import WB6Model

    model = WB6Model({"months": 1, "scenario": scenario, "check_invariants": False})
    model.step()
    return tuple(c for c in model.kpis.frame().columns if c not in ("step", "year"))


def overrides_of(inputs: dict) -> list[str]:
    """The run's config overrides from an experiment's inputs (uncertainties, levers, constants, seed)."""
    on = [p for p in pilots() if bool(inputs.get(p, False))]
    out = [f"months={int(inputs['months'])}", f"seed={int(inputs['seed'])}", "output.write_flows=false"]
    if inputs.get("scenario"):
        out.append(f"scenario={inputs['scenario']}")
    out += [f"{'++' if key.startswith('parameters.') else ''}{key}={float(inputs[name])!r}"
            for name, key in UNCERTAINTY_KEYS.items() if name in inputs]
    if on:
        out.append(f"policies=[{','.join(on)}]")
    for name in sorted(inputs):
        pilot, _, parameter = name.partition("__")
        if parameter and pilot in on:
            out.append(f"policies.{pilot}.{parameter}={hydra_value(inputs[name])}")
    return out


def hydra_value(value) -> str:
    """A value as Hydra's override grammar writes it (whole numbers as integers: a lever's 12.0 is 12)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def run_experiment(root: str, months: int, scenario: str = "", seed: int = 1, **inputs) -> dict:
    """One replication of one experiment: a run (or the complete run already there), its KPIs."""
    args = {**inputs, "months": months, "seed": seed, "scenario": scenario}
    (folder,) = run_many([overrides_of(args)], root, SWEEP, label=None)
    kpis = pd.read_parquet(folder / "kpis.parquet")
    out = {}
    for column in kpi_columns(scenario):
        series = kpis[column].to_numpy(dtype=float) if column in kpis else np.zeros(len(kpis))
        out[column] = series
        out[f"{column}_total"] = float(series.sum())
    return out


def wb6_model(months: int = 120, replications: int = 1, root: str | Path = "results/ema", scenario: str = "",
              pilot_parameters: bool = False, name: str = "wb6") -> ReplicatorModel:
    """The model for EMA: uncertainties, levers, outcomes and replications as in the module docstring."""
    model = ReplicatorModel(name, function=run_experiment)
    model.uncertainties = [RealParameter(name, PRIORS[key].low, PRIORS[key].high)
                           for name, key in UNCERTAINTY_KEYS.items()]
    model.levers = levers(pilot_parameters)
    model.constants = [Constant("root", str(Path(root).resolve())), Constant("months", int(months)),
                       Constant("scenario", scenario)]
    columns = kpi_columns(scenario)
    # time series of every seed (experiments x replications x months); totals averaged over the seeds
    model.outcomes = [ArrayOutcome(c) for c in columns] + [ScalarOutcome(f"{c}_total", function=np.mean)
                                                            for c in columns]
    model.replications = [{"seed": s} for s in range(1, replications + 1)]
    return model


def phase_policies(model: ReplicatorModel, phases: list[str] | None = None) -> list[Sample]:
    """Each roadmap phase (configs/phase/) as an EMA policy: its pilots and their start months as
    levers, and the other parameters the phase sets apart from the pilots' defaults (they reach
    the model with the policy, though they are no levers)."""
    from omegaconf import OmegaConf

    from sim.policies.base import default_params

    out = []
    lever_names = {lever.name for lever in model.levers}
    for phase in phases or group_options("phase"):
        chosen = OmegaConf.to_container(compose_config([f"phase={phase}"]).policies)
        values = {}
        for pilot, params in chosen.items():
            defaults = default_params(pilot)
            values.update({f"{pilot}__{k}": v for k, v in params.items() if v != defaults.get(k)})
        for pilot in pilots():
            values[pilot] = pilot in chosen
            start = int(chosen[pilot]["start_month"]) if pilot in chosen else 0
            values[f"{pilot}__start_month"] = min(start, MAX_START_MONTH)
            for name, value, _, kind in _numeric_fields(pilot):
                if f"{pilot}__{name}" in lever_names:
                    values[f"{pilot}__{name}"] = kind(chosen[pilot][name]) if pilot in chosen else kind(value)
        out.append(Sample(phase, **{k: v for k, v in values.items() if k in lever_names or k.split("__")[0] in chosen}))
    return out


class LauncherEvaluator(BaseEvaluator):
    """EMA evaluator on this project's batch runner: every experiment x replication runs as a job
    of a resumable sweep in ``jobs`` worker processes (sim.sweep.run_many), then EMA reads them."""

    def __init__(self, msis, jobs: int = -1):
        super().__init__(msis)
        self.jobs = jobs

    def initialize(self):
        """Nothing to start: the workers live for one batch of experiments."""

    def finalize(self):
        """Nothing to stop."""

    def evaluate_experiments(self, experiments, callback, **kwargs):
        experiments = list(experiments)
        runs, seen = [], set()
        for experiment in experiments:
            model = next(m for m in self._msis if m.name == experiment.model_name)
            constants = {c.name: c.value for c in model.constants}
            for replication in model.replications:
                inputs = {**experiment.scenario, **experiment.policy, **constants, **replication}
                ov = overrides_of(inputs)
                if job_name(ov) not in seen:
                    seen.add(job_name(ov))
                    runs.append((constants["root"], ov))
        for root in sorted({r for r, _ in runs}):
            run_many([ov for r, ov in runs if r == root], root, SWEEP, self.jobs, label="experiments")
        runner = ExperimentRunner(self._msis)
        for experiment in experiments:  # each run is complete now: this only reads the KPIs
            callback(experiment, runner.run_experiment(experiment))
        runner.cleanup()
