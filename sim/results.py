"""Run a configured simulation and write its results atomically.

A run's folder ``<root>/<run_name>/`` appears only when complete: everything is written into
a hidden sibling ``.<run_name>.incomplete-<host>-<pid>/`` first and renamed into place at the end.
A run killed midway leaves only that ``.incomplete`` folder, never a folder that looks done.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from sim.config import as_config
from sim.errors import ConfigError
from sim.model import WB6Model

PACKAGES = ("mesa", "numpy", "numba", "pandas", "pyarrow", "networkx", "hydra-core", "omegaconf", "scipy")
COMPLETE_MARKER = "manifest.json"
INVESTMENT_COLUMNS = ("step", "firm", "kind", "capex_eur", "public_eur", "grant_eur", "private_eur", "crm_output",
                      "private_cofinance_eur", "grant_equivalent_eur")
#: set when the process is asked to terminate (SIGTERM, see sim.__main__): a run then stops at
#: the end of its month and removes its unfinished folder. Raising from the signal handler
#: instead could land inside a Numba kernel and surface as an unrelated SystemError.
STOP = threading.Event()
TERMINATED_EXIT_CODE = 128 + signal.SIGTERM


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if out.returncode != 0:
        return "unknown"
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def is_complete(folder: Path) -> bool:
    return (Path(folder) / COMPLETE_MARKER).is_file()


def verify_results(folder: str | Path) -> dict:
    """The manifest of a complete result folder, after checking that every file it lists is
    there with the recorded checksum; raises ValueError naming what is wrong otherwise."""
    folder = Path(folder)
    if not is_complete(folder):
        raise ValueError(f"{folder}: no {COMPLETE_MARKER}: not a complete result folder")
    manifest = json.loads((folder / COMPLETE_MARKER).read_text(encoding="utf-8"))
    for name, digest in manifest["sha256"].items():
        path = folder / name
        if not path.is_file():
            raise ValueError(f"{path}: listed in {COMPLETE_MARKER} but missing")
        if _sha256(path) != digest:
            raise ValueError(f"{path}: checksum differs from {COMPLETE_MARKER}")
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_writable(folder: str | Path, key: str = "output.root") -> None:
    """Fail early, naming the config key, if results cannot be written under ``folder``."""
    path = existing = Path(folder).resolve()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(key, f"cannot write results under {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(key, f"cannot write results under {path}: {existing} is not writable")


def _staging_prefix(target: Path) -> str:
    return f".{target.name}.incomplete-{socket.gethostname()}-"


def _remove_stale_staging(target: Path) -> None:
    """Remove the staging folders of ``target`` left by killed runs on this host (on a shared
    file system, another host's are left alone: their process may still be running)."""
    prefix = _staging_prefix(target)
    for path in target.parent.glob(f"{glob.escape(prefix)}*"):
        pid = path.name[len(prefix):]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:
            pass  # alive, owned by someone else


def _staging_folder(target: Path) -> Path:
    """A fresh hidden ``.<name>.incomplete-<host>-<pid>`` folder next to ``target``."""
    check_writable(target.parent)
    if target.exists() and not target.is_dir():
        raise ConfigError("run_name", f"cannot write results to {target}: a file of that name is in the way")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(target)
        staging = target.parent / f"{_staging_prefix(target)}{os.getpid()}"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
    except OSError as exc:
        raise ConfigError("output.root", f"cannot write results under {target.parent}: {exc.strerror or exc}") from exc
    return staging


def _sync(path: Path) -> None:
    """Flush a file or folder to disk, so that a rename never publishes unwritten data."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(staging: Path, target: Path) -> None:
    """Move the finished staging folder to ``target`` (replacing an earlier run of that name)."""
    for path in staging.iterdir():
        _sync(path)
    _sync(staging)
    if target.exists():
        # killed between these two renames, the earlier complete run is left as .<name>.replaced-<pid>
        retired = target.parent / f".{target.name}.replaced-{os.getpid()}"
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(target)
    _sync(target.parent)


def run_to_folder(config, folder: str | Path | None = None, overrides: Sequence[str] = (),
                  on_month: Callable[[int], None] | None = None, region=None) -> Path:
    """Simulate ``config`` and write kpis.parquet, kpis_by_economy.parquet, material_flows.parquet,
    flows.parquet, investments.parquet, public_funds.parquet, pilot_decisions.parquet, config.yaml
    and manifest.json into ``folder`` (default ``<output.root>/<run_name>``). ``overrides``, the
    run's settings within a sweep, are recorded in the manifest; ``on_month(month)`` is called
    after each month (a progress bar); ``region``, a loaded scenario (``sim.scenario.load_scenario``)
    of the config's scenario folder, spares reading it again.

    On any error (bad input, a broken invariant, an interrupt) nothing is left behind; a run
    killed outright leaves only its hidden ``.incomplete`` folder. An earlier complete run of
    the same name is replaced only by a complete one."""
    cfg = as_config(config)
    target = Path(folder) if folder is not None else Path(cfg.output.root) / cfg.run_name
    target = target.resolve()
    staging = _staging_folder(target)
    try:
        started = time.perf_counter()
        model = WB6Model(cfg, region=region)
        while model.running:
            if STOP.is_set():
                raise SystemExit(TERMINATED_EXIT_CODE)
            model.step()
            if on_month is not None:
                on_month(model.month)
        elapsed = time.perf_counter() - started

        model.kpis.frame().to_parquet(staging / "kpis.parquet", index=False)
        model.kpis.economy_frame().to_parquet(staging / "kpis_by_economy.parquet", index=False)
        model.kpis.material_frame().to_parquet(staging / "material_flows.parquet", index=False)
        if cfg.output.write_flows:
            model.kpis.shipments_frame().to_parquet(staging / "flows.parquet", index=False)
        pd.DataFrame(model.investments, columns=INVESTMENT_COLUMNS).to_parquet(staging / "investments.parquet", index=False)
        model.pipeline.public_funds_frame().to_parquet(staging / "public_funds.parquet", index=False)
        pd.DataFrame(model.pilot_decisions, columns=[
            "step", "pilot", "kpi", "value", "scale_at", "drop_below", "decision",
        ]).to_parquet(staging / "pilot_decisions.parquet", index=False)
        (staging / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.structured(cfg)), encoding="utf-8")
        written = sorted(p.name for p in staging.iterdir())
        manifest = {
            "run_name": cfg.run_name,
            "seed": cfg.seed,
            "months": cfg.months,
            "scenario": str(model.region.folder),
            "policies": sorted(cfg.policies),
            "git_revision": git_revision(),
            "packages": package_versions(),
            "command": " ".join(sys.argv),
            "overrides": list(overrides),
            "wall_time_s": round(elapsed, 3),
            "warnings": model.warnings,
            "files": written + [COMPLETE_MARKER],
            "sha256": {name: _sha256(staging / name) for name in written},
        }
        # the manifest is written last: its presence marks the folder complete
        (staging / COMPLETE_MARKER).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target

