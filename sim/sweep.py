"""Sweeps: many runs of one study, each in its own folder, resumable, gathered into one table.

A Hydra multirun (``python -m sim -m ...``) writes each run to
``<output.root>/sweeps/<output.sweep_name>/<job>/``, where ``<job>`` is named after the run's own
overrides (``price_multiplier=0.8,seed=1``), so that the same run of the same sweep always lands
in the same folder whatever the launcher (basic, joblib, Ray) or the order of the jobs. A run's
folder appears only once complete (``sim.results.run_to_folder`` writes it atomically), so a sweep
started again after an interruption skips the runs whose folder is there and redoes the others.

When the sweep ends, ``runs.parquet`` in the sweep folder holds one row per run and month: the
run's folder name, the swept settings, then the KPIs. While it goes, :class:`SweepCallback`
reports runs done out of the total and the time left.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from sim.errors import ConfigError
from sim.results import COMPLETE_MARKER, is_complete, run_to_folder

#: settings that place a sweep rather than define its runs: left out of the job folder names
PLACEMENT_KEYS = ("output.root", "output.sweep_name", "output.resume")
TABLE = "runs.parquet"
SAFE_NAME = re.compile(r"[^A-Za-z0-9._=,+\-]")
MAX_NAME = 120


def _parsed(overrides: Iterable[str]) -> list[tuple[str, str]]:
    """(key, value as text) of each override, in Hydra's normal form (``0.80`` -> ``0.8``)."""
    parser = OverridesParser.create()
    pairs = []
    for text in overrides:
        override = parser.parse_override(text)
        pairs.append((override.key_or_group, override.get_value_element_as_str()))
    return pairs


def job_name(overrides: Sequence[str]) -> str:
    """Folder name of the run with these overrides: ``key=value`` pairs sorted by key, joined
    by commas; unsafe characters or an over-long name give a shortened name plus a hash."""
    pairs = sorted((k, v) for k, v in _parsed(overrides) if k not in PLACEMENT_KEYS)
    if not pairs:
        return "defaults"
    text = ",".join(f"{k}={v}" for k, v in pairs)
    safe = SAFE_NAME.sub("_", text)
    if safe != text or len(safe) > MAX_NAME or safe.startswith("."):
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
        safe = f"{safe.lstrip('.')[:MAX_NAME - 11]}-{digest}"
    return safe


def sweep_folder(root: str | Path, sweep_name: str) -> Path:
    if not sweep_name or "/" in sweep_name or sweep_name.startswith("."):
        raise ConfigError("output.sweep_name", f"must be a plain folder name, got {sweep_name!r}")
    return Path(root).resolve() / "sweeps" / sweep_name


def flat_keys(tree: Mapping, prefix: str = "") -> dict:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; an empty mapping inside stays as itself."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, Mapping) and value:
            out.update(flat_keys(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _stored_config(folder: Path) -> dict:
    return yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))


def _comparable(config: dict) -> dict:
    return {k: v for k, v in flat_keys(config).items() if k not in PLACEMENT_KEYS}


def run_job(cfg, overrides: Sequence[str]) -> tuple[Path, bool]:
    """Run one job of a sweep into its folder, or skip it if its complete results are there.

    Returns the folder and whether the run was skipped. A complete folder from a run of another
    configuration is an error (a different study under the same sweep name), not a skip."""
    from sim.config import as_config

    # Mesa logs every step at INFO; in a launcher's worker nothing has quietened it yet
    logging.getLogger("MESA").setLevel(logging.WARNING)
    sim_cfg = as_config(cfg)
    folder = sweep_folder(sim_cfg.output.root, sim_cfg.output.sweep_name) / job_name(overrides)
    if sim_cfg.output.resume and is_complete(folder):
        stored = _comparable(_stored_config(folder))
        wanted = _comparable(OmegaConf.to_container(OmegaConf.structured(sim_cfg)))
        differ = sorted(k for k in stored.keys() | wanted.keys() if stored.get(k) != wanted.get(k))
        if differ:
            raise ConfigError(
                "output.sweep_name",
                f"{folder} holds a complete run of another configuration (differs in: {', '.join(differ)}); "
                "use another output.sweep_name, or output.resume=false to redo it",
            )
        return folder, True
    return run_to_folder(sim_cfg, folder, overrides=list(overrides)), False


def single_threaded_kernels() -> None:
    """For a run in a worker process next to others, one per core: Numba's parallel kernels
    with a thread per core in every worker would fight over the cores (measured: a 16-run
    parallel sweep took 1.7 times as long)."""
    import numba

    numba.set_num_threads(1)


# ---- the table of all runs ------------------------------------------------------------
def _swept_settings(overrides: Sequence[str], config: dict) -> dict:
    """Value of each swept setting: typed from the run's config when it is a single value
    there (``price_multiplier`` -> 0.8, ``phase`` -> "short_term"), else the override's text
    (a group choice such as ``policies=[epr,landfill_fee]``)."""
    flat = flat_keys(config)
    return {key: flat.get(key, text) if not isinstance(flat.get(key), (dict, list)) else text
            for key, text in _parsed(overrides) if key not in PLACEMENT_KEYS}


def aggregate(folder: str | Path, jobs: Sequence[str] | None = None) -> Path:
    """Write ``<folder>/runs.parquet``: one row per run and month, with columns ``run`` (the
    job folder), the swept settings, then the KPIs; from the given jobs' folders, or every
    complete run folder in ``folder``. Written atomically (temporary file renamed into place)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError("sweep folder", f"{folder} does not exist")
    if jobs is None:
        runs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and is_complete(p))
    else:
        runs = [folder / name for name in jobs if is_complete(folder / name)]
    if not runs:
        raise ConfigError("sweep folder", f"{folder} holds no complete run (no */{COMPLETE_MARKER})")
    frames, settings = [], []
    for run in runs:
        manifest = json.loads((run / COMPLETE_MARKER).read_text(encoding="utf-8"))
        swept = _swept_settings(manifest.get("overrides", []), _stored_config(run))
        settings.append(swept)
        frames.append(pd.read_parquet(run / "kpis.parquet").assign(run=run.name))
    keys = sorted({k for s in settings for k in s})
    for frame, swept in zip(frames, settings):
        for key in keys:
            frame[key] = swept.get(key)
    table = pd.concat(frames, ignore_index=True)
    for key in keys:
        if table[key].map(type).nunique() > 1:  # e.g. ``x=1,abc``: one text column, not a mixed one
            table[key] = table[key].astype(str)
    table = table[["run", *keys, *[c for c in table.columns if c not in {"run", *keys}]]]
    target = folder / TABLE
    partial = folder / f".{TABLE}.incomplete-{os.getpid()}"
    table.to_parquet(partial, index=False)
    os.replace(partial, target)
    return target


# ---- progress ----------------------------------------------------------------------------
def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """``runs done / total`` with the time left, estimated from the runs done since the start
    (runs complete before it, skipped on resume, do not count towards the pace)."""

    def __init__(self, total: int, done_at_start: int = 0, label: str = "sweep") -> None:
        self.total, self.done_at_start, self.label = total, done_at_start, label
        self.started = time.monotonic()

    def line(self, done: int, final: bool = False) -> str:
        elapsed = time.monotonic() - self.started
        new = done - self.done_at_start
        text = f"{self.label}: {done}/{self.total} runs done"
        if self.done_at_start:
            text += f" ({self.done_at_start} complete before this start)"
        text += f", {_clock(elapsed)} elapsed"
        if final:
            text += ", finished"
        elif new > 0:
            text += f", about {_clock(elapsed / new * (self.total - done))} left"
        return text

    def report(self, done: int, final: bool = False) -> None:
        print(self.line(done, final), file=sys.stderr, flush=True)


class SweepCallback(Callback):
    """Hydra callback: reports ``runs done / total`` and the time left while a sweep runs,
    writes the sweep's ``runs.parquet`` at its end, and keeps runs in worker processes to one
    Numba thread each.

    It watches the job folders from the launching process, so it works alike for runs in this
    process, in joblib workers or on a Ray cluster (whose nodes write to a shared ``output.root``).
    """

    def __init__(self, interval_s: float = 5.0, quiet_s: float = 60.0, launcher_pid: int | None = None) -> None:
        self.interval_s = interval_s
        self.quiet_s = quiet_s
        self.launcher_pid = launcher_pid if launcher_pid is not None else os.getpid()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __getstate__(self) -> dict:
        # launchers ship the callbacks to their workers, which only need the settings
        return {"interval_s": self.interval_s, "quiet_s": self.quiet_s, "launcher_pid": self.launcher_pid}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def on_job_start(self, config: DictConfig, **kwargs) -> None:
        if os.getpid() != self.launcher_pid:
            single_threaded_kernels()

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

        arguments = [f"{k}={v}" for k, v in (config.hydra.sweeper.get("params") or {}).items()]
        arguments += list(config.hydra.overrides.task)
        batches = BasicSweeper.split_arguments(OverridesParser.create().parse_overrides(arguments), None)
        self.folders = [self._folder(config, job) for batch in batches for job in batch]
        if config.hydra.launcher.get("n_jobs") is not None:  # joblib: worker processes on this machine
            self._reaper = subprocess.Popen([sys.executable, "-m", "sim.reaper", str(os.getpid())])
        self.progress = Progress(len(self.folders), self._done())
        self.bar = None
        if sys.stderr.isatty():  # a bar on a terminal; lines (below) in a log file
            from tqdm import tqdm

            self.bar = tqdm(total=self.progress.total, initial=self.progress.done_at_start, desc="sweep", unit="run",
                            file=sys.stderr)
            self.interval_s = min(self.interval_s, 1.0)
        self.last = (-1, 0.0)
        self._report()
        self._thread = threading.Thread(target=self._watch, name="sweep-progress", daemon=True)
        self._thread.start()

    @staticmethod
    def _folder(config: DictConfig, job: list[str]) -> Path:
        chosen = dict(_parsed(job))
        root = chosen.get("output.root", config.output.root)
        return sweep_folder(root, chosen.get("output.sweep_name", config.output.sweep_name)) / job_name(job)

    def _done(self) -> int:
        return sum(is_complete(f) for f in self.folders)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._report()

    def _report(self, final: bool = False) -> None:
        done, now = self._done(), time.monotonic()
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            if final:
                self.bar.close()
        elif final or done != self.last[0] or now - self.last[1] >= self.quiet_s:
            self.last = (done, now)
            self.progress.report(done, final)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        if getattr(self, "_reaper", None) is not None:
            self._reaper.terminate()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._report(final=True)
        by_sweep: dict[Path, list[str]] = {}
        for folder in self.folders:
            by_sweep.setdefault(folder.parent, []).append(folder.name)
        for sweep, jobs in by_sweep.items():
            print(f"sweep table: {aggregate(sweep, jobs)}", file=sys.stderr, flush=True)


# ---- sweeps from Python -------------------------------------------------------------------
def _hydra_ready(overrides: Sequence[str]) -> list[str]:
    """``parameters.<name>=v`` as ``++parameters.<name>=v``: ``parameters`` starts empty."""
    return [f"++{o}" if o.startswith(("parameters.", "agents.")) else o for o in overrides]


def run_many(runs: Sequence[Sequence[str]], root: str | Path, sweep_name: str, jobs: int = 1,
             label: str | None = "runs", configs: Sequence | None = None) -> list[Path]:
    """Run (or find, when complete already) each run's overrides as a job of the sweep
    ``<root>/sweeps/<sweep_name>/``, on the batch runner (``sim.batch.run_batch``) in ``jobs``
    worker processes (1: in this process; -1: one per core); returns the run folders in the
    order given. A config in ``configs`` (not None) replaces the composed config of its run
    (e.g. one built from a custom roadmap file); its overrides then only name its folder.

    A progress bar (``label``; None: none) shows the runs done; an interrupted call started
    again redoes only the runs it lacks; results do not depend on ``jobs`` or on the order the
    runs finish."""
    from sim.batch import run_batch
    from sim.config import compose_config

    placement = [f"output.root={Path(root).resolve()}", f"output.sweep_name={sweep_name}"]
    folder = sweep_folder(root, sweep_name)
    names = [job_name(list(ov)) for ov in runs]
    if len(set(names)) != len(names):
        raise ConfigError("runs", "two runs of the study have the same settings")
    given = configs if configs is not None else [None] * len(runs)
    todo = [i for i, name in enumerate(names) if not is_complete(folder / name)]
    run_batch([compose_config(placement + _hydra_ready(runs[i])) if given[i] is None else
               OmegaConf.merge(given[i], {"output": {"root": str(Path(root).resolve()), "sweep_name": sweep_name}})
               for i in todo], workers=jobs, folder=folder, names=[names[i] for i in todo],
              overrides=[list(runs[i]) for i in todo], label=label)
    return [folder / name for name in names]
