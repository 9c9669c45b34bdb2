"""Batch runs: many configurations of the model in one warm process per core.

A study of thousands of runs pays, per run, only for the run itself: each worker process
imports the model once, reads each scenario folder once (shared read-only by all its runs),
and keeps its Numba kernels to one thread (one worker per core). Each configuration is a
plain config dict, as ``WB6Model`` takes it (``{"phase": "roadmap", "seed": 3,
"parameters": {...}}``); :func:`experiments` builds them in EMA terms, every scenario (a point
of the uncertainties) under every policy (a setting of the levers), each ``replications`` times
with its own seed.

:func:`run_batch` returns the experiments (one row per run, its settings) and the outcomes,
tidy and long: one row per run and KPI, with the KPI's total over the months and its mean over
the final year (the last 12 months; fewer if the run is shorter). Totals of ratio KPIs
(``cmur_eurostat``...) are sums of monthly ratios: read those by their final-year mean.

Given a ``folder``, each run is written there by the results writer (``sim.results``), in a
folder named after its configuration's digest (or a name given, as the sweeps name their job
folders: ``sim.sweep.run_many``), so a batch started again after an interruption, in any order,
reads the runs complete already and redoes only the others. Without one, a ``measure`` may
read other outcomes from each model (the calibration's target outputs). Outcomes do not
depend on the number of workers, on the order runs finish, on resuming, or on whether the
runs go to local worker processes or to Ray tasks (``ray_address``).

This is the one runner of many models: the sweeps (``sim.sweep.run_many``), the phase
comparison, the Sobol study, the EMA evaluator, scenario discovery and the calibration run
their models through it.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import logging
import multiprocessing
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from sim.config import SimConfig, as_config, compose_config, group_options
from sim.errors import ConfigError
from sim.sweep import flat_keys

#: months the final-year mean covers
FINAL_YEAR_MONTHS = 12
OUTCOME_COLUMNS = ["run", "kpi", "total", "final_year_mean"]
#: KPI table columns that index the months rather than measure them
INDEX_COLUMNS = ("step", "year")


@dataclass
class BatchResult:
    """``experiments``: one row per run (``run``, ``folder`` when written, then each setting,
    dotted: ``parameters.search_cost_eur_t``); ``outcomes``: long, ``run, kpi, total, final_year_mean``."""

    experiments: pd.DataFrame
    outcomes: pd.DataFrame


# ---- building the experiments ------------------------------------------------------------
def _nested(dotted: Mapping) -> dict:
    """``{"parameters.a": 1}`` -> ``{"parameters": {"a": 1}}``."""
    out: dict = {}
    for key, value in dotted.items():
        *path, last = str(key).split(".")
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def _merged(base: Mapping, extra: Mapping) -> dict:
    out = copy.deepcopy(dict(base))
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def experiments(base: Mapping | None = None, scenarios: Sequence[Mapping] = ({},), policies: Sequence[Mapping] = ({},),
                replications: int = 1) -> list[dict]:
    """Config dicts of every scenario x policy x replication, on top of ``base``.

    scenarios : points of the uncertainties, dotted keys (``{"price_multiplier": 0.8,
                "parameters.search_cost_eur_t": 4.0}``)
    policies  : settings of the levers, the same way (``{"phase": "short_term"}``)
    replications : runs of each experiment; replication ``r`` runs with ``seed`` = base seed + r
    """
    if replications < 1:
        raise ConfigError("replications", f"must be >= 1, got {replications}")
    base = dict(base or {})
    seed = int(base.get("seed", SimConfig.seed))
    return [_merged(base, {**_nested(scenario), **_nested(policy), "seed": seed + r})
            for scenario, policy in itertools.product(scenarios, policies) for r in range(replications)]


# ---- resolving and running one configuration ---------------------------------------------
#: phase name -> the config ``python -m sim phase=<name>`` runs (composed once per process)
_PHASES: dict[str, dict] = {}
#: scenario folder -> its loaded tables, shared read-only by the runs of this process
_REGIONS: dict[str, object] = {}


def resolve(config) -> SimConfig:
    """``as_config(config)``, composing each phase's config once per process rather than once per run."""
    if isinstance(config, Mapping) and config.get("phase") and "policies" not in config \
            and config["phase"] in group_options("phase"):
        phase = config["phase"]
        if phase not in _PHASES:
            _PHASES[phase] = OmegaConf.to_container(compose_config([f"phase={phase}"]))
        return as_config(OmegaConf.merge(_PHASES[phase], dict(config)))
    return as_config(config)


def _region(cfg: SimConfig):
    from sim.scenario import DEFAULT_SCENARIO, load_scenario

    key = str(cfg.scenario or DEFAULT_SCENARIO)
    if key not in _REGIONS:
        _REGIONS[key] = load_scenario(key)
    return _REGIONS[key]


def run_name(cfg: SimConfig) -> str:
    """Folder name of a run: a digest of its whole configuration but where it is written."""
    tree = OmegaConf.to_container(OmegaConf.structured(cfg))
    tree.pop("output")
    return "run-" + hashlib.sha1(OmegaConf.to_yaml(tree).encode("utf-8")).hexdigest()[:16]


def summarise(kpis: pd.DataFrame, run: int) -> pd.DataFrame:
    """Tidy outcomes of one run from its monthly KPI table: total and final-year mean per KPI."""
    values = kpis.drop(columns=[c for c in INDEX_COLUMNS if c in kpis]).select_dtypes("number")
    return pd.DataFrame({"run": run, "kpi": values.columns, "total": values.sum().to_numpy(dtype=float),
                         "final_year_mean": values.tail(FINAL_YEAR_MONTHS).mean().to_numpy(dtype=float)})


def kpi_outcomes(model, run: int) -> pd.DataFrame:
    """The default measure of a run: the model run to its end, its KPIs summarised."""
    model.run()
    return summarise(model.kpis.frame(), run)


def run_one(run: int, cfg: SimConfig, folder: Path | None = None, overrides: Sequence[str] = (),
            measure=kpi_outcomes) -> pd.DataFrame:
    """Outcomes of one run: ``measure(model, run)`` of the model built on the shared region;
    with a folder, the KPIs summarised from the run written there (run into it now unless
    complete already, with ``overrides`` recorded in its manifest)."""
    from sim.model import WB6Model
    from sim.results import is_complete, run_to_folder

    if folder is None:
        return measure(WB6Model(cfg, region=_region(cfg)), run)
    if not is_complete(folder):
        run_to_folder(cfg, folder, overrides=overrides, region=_region(cfg))
    # outcomes from the written table whether run now or before: resuming gives the same figures
    return summarise(pd.read_parquet(folder / "kpis.parquet"), run)


def _run_task(task: tuple) -> pd.DataFrame:
    return run_one(*task)


def _ray_task(task: tuple) -> pd.DataFrame:
    """A run in a Ray worker process: one Numba thread, as in a local worker (Ray reuses its
    worker processes, so the scenario and phase caches serve every run a worker gets)."""
    _start_worker()
    return run_one(*task)


def start_context(method: str | None = None):
    """How worker processes start. By default ``fork`` while this process has started no Numba
    threads (its OpenMP threads are not fork-safe once running): workers begin with the imports
    done; otherwise ``forkserver``, whose server imports the model once for all the workers."""
    if method is None:
        from numba.np.ufunc import parallel

        method = "fork" if not parallel._is_initialized and "fork" in multiprocessing.get_all_start_methods() \
            else "forkserver"
    if method not in multiprocessing.get_all_start_methods():
        raise ConfigError("start_method", f"unknown option {method!r}", choices=multiprocessing.get_all_start_methods(),
                          value=method)
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["sim.model", "sim.batch"])
    return context


def _start_worker() -> None:
    from sim.sweep import single_threaded_kernels

    logging.getLogger("MESA").setLevel(logging.WARNING)
    single_threaded_kernels()
    import sim.model  # noqa: F401  (imported once per worker, before its first run)


# ---- the batch -----------------------------------------------------------------------------
def _worker_count(workers: int) -> int:
    if workers == -1:
        return os.cpu_count() or 1
    if workers < 1:
        raise ConfigError("workers", f"must be >= 1 (or -1: one per core), got {workers}")
    return workers


def _progress(total: int, label: str | None):
    """A bar of runs done on stderr (lines when it is no terminal), or nothing without a label."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="run", file=sys.stderr, mininterval=1.0,
                disable=True if label is None else (None if sys.stderr.isatty() else False))


def _counted(frames, bar):
    for frame in frames:
        bar.update(1)
        yield frame


def check_ray_address(address: str) -> None:
    """A ``ConfigError`` unless ``address`` is ``local``, ``auto`` or ``host:port`` with a port
    that answers (Ray itself waits minutes for a head that is not there)."""
    if address in ("local", "auto"):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError("ray_address", f"{address!r} is neither 'local', 'auto' nor host:port", value=address)
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise ConfigError("ray_address", f"no Ray head answers at {address} ({exc})") from exc


def connect_ray(address: str, workers: int):
    """Ray, connected to the cluster at ``address`` (see :func:`_on_ray`)."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("ray_address", "Ray is not installed (pip install -e '.[sweep]')") from exc
    if not ray.is_initialized():
        check_ray_address(address)
        runtime_env = {"env_vars": {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}}
        local = ({"num_cpus": workers, "include_dashboard": False, "_node_ip_address": "127.0.0.1"}
                 if address == "local" else {})
        try:
            ray.init(address=address, log_to_driver=False, runtime_env=runtime_env, **local)
        except ConnectionError as exc:
            raise ConfigError("ray_address", f"cannot connect to a Ray cluster at {address!r}: {exc}") from exc
    return ray


def _on_ray(tasks: list[tuple], address: str, workers: int):
    """Each task as a Ray task of one CPU, on the cluster at ``address`` (``local``: a new head
    on this machine with ``workers`` CPUs; ``auto``: the one ``ray start`` started here;
    ``host:port``); results in the order of the tasks.
    The nodes import this project from the path it has here (a shared file system)."""
    ray = connect_ray(address, workers)
    remote = ray.remote(num_cpus=1)(_ray_task)
    for ref in [remote.remote(task) for task in tasks]:
        yield ray.get(ref)


def run_batch(configs: Sequence, workers: int = 1, folder: str | Path | None = None, names: Sequence[str] | None = None,
              overrides: Sequence[Sequence[str]] | None = None, measure=kpi_outcomes, label: str | None = None,
              chunksize: int = 1, start_method: str | None = None, ray_address: str | None = None) -> BatchResult:
    """Run every configuration (config dicts, DictConfigs or SimConfigs), in ``workers``
    processes (1: in this one; -1: one per core), and gather their outcomes in the order given.

    Every configuration is checked before any runs (a bad one is a ``ConfigError`` naming it).
    With ``folder``, runs are written to ``<folder>/<name>/`` (``names``: by default each run's
    :func:`run_name`; ``overrides``: each run's settings, recorded in its manifest) and complete
    ones are reused. Without it, ``measure(model, run)`` gives each run's outcomes (a frame with
    a ``run`` column; default :func:`kpi_outcomes`). ``label`` shows a bar of runs done;
    ``start_method`` (``fork``, ``forkserver``, ``spawn``) overrides :func:`start_context`'s
    choice; ``ray_address`` (``local``, ``host:port``, ``auto``) runs each run as a Ray task."""
    workers = _worker_count(workers)
    if folder is not None and measure is not kpi_outcomes:
        raise ConfigError("measure", "runs written to a folder are measured by their KPIs (kpi_outcomes)")
    resolved = []
    for i, config in enumerate(configs):
        try:
            resolved.append(resolve(config))
        except ConfigError as error:
            raise ConfigError(f"configs[{i}].{error.where}", str(error)[len(error.where) + 2:]) from error
    folders: list[Path | None] = [None] * len(resolved)
    if folder is not None:
        root = Path(folder).resolve()
        names = list(names) if names is not None else [run_name(cfg) for cfg in resolved]
        if len(set(names)) != len(names) or len(names) != len(resolved):
            raise ConfigError("configs", "two runs of the batch have the same configuration")
        folders = [root / name for name in names]
    sets = [list(o) for o in overrides] if overrides is not None else [[]] * len(resolved)
    tasks = [(i, cfg, f, o, measure) for i, (cfg, f, o) in enumerate(zip(resolved, folders, sets))]
    logging.getLogger("MESA").setLevel(logging.WARNING)
    with _progress(len(tasks), label) as bar:
        if ray_address is not None:
            frames = list(_counted(_on_ray(tasks, ray_address, workers), bar))
        elif workers == 1 or len(tasks) <= 1:
            frames = list(_counted(map(_run_task, tasks), bar))
        else:
            with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_start_worker,
                                     mp_context=start_context(start_method)) as pool:
                frames = list(_counted(pool.map(_run_task, tasks, chunksize=chunksize), bar))
    settings = [flat_keys(dict(c)) if isinstance(c, Mapping) else {} for c in configs]
    table = pd.DataFrame(settings)
    table.insert(0, "run", range(len(tasks)))
    if folder is not None:
        table.insert(1, "folder", [str(f) for f in folders])
    outcomes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OUTCOME_COLUMNS)
    return BatchResult(experiments=table, outcomes=outcomes)
