"""Run a configured simulation and write its results atomically.

A run's folder ``<root>/<run_name>/`` appears only when complete: everything is written into
a hidden sibling ``.<run_name>.incomplete-<pid>/`` first and renamed into place at the end.
A run killed midway leaves only that ``.incomplete`` folder, never a folder that looks done.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from sim.errors import ConfigError
from sim.model import WB6Model, as_config

PACKAGES = ("mesa", "numpy", "numba", "pandas", "pyarrow", "networkx", "hydra-core", "omegaconf", "scipy")
COMPLETE_MARKER = "manifest.json"


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


def run_to_folder(config, folder: str | Path | None = None) -> Path:
    """Simulate ``config`` and write kpis.parquet, flows.parquet, investments.parquet,
    config.yaml and manifest.json into ``folder`` (default ``<output.root>/<run_name>``)."""
    cfg = as_config(config)
    target = Path(folder) if folder is not None else Path(cfg.output.root) / cfg.run_name
    target = target.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.incomplete-{os.getpid()}"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
    except OSError as exc:
        raise ConfigError("output.root", f"cannot write results under {target.parent}: {exc.strerror or exc}") from exc

    started = time.perf_counter()
    model = WB6Model(cfg)
    model.run()
    elapsed = time.perf_counter() - started

    model.kpis.frame().to_parquet(staging / "kpis.parquet", index=False)
    if cfg.output.write_flows:
        model.kpis.shipments_frame().to_parquet(staging / "flows.parquet", index=False)
    pd.DataFrame(model.investments, columns=[
        "step", "firm", "kind", "capex_eur", "public_eur", "grant_eur", "private_eur", "crm_output",
    ]).to_parquet(staging / "investments.parquet", index=False)
    (staging / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.structured(cfg)), encoding="utf-8")
    manifest = {
        "run_name": cfg.run_name,
        "seed": cfg.seed,
        "months": cfg.months,
        "scenario": str(model.region.folder),
        "policies": sorted(cfg.policies),
        "git_revision": git_revision(),
        "packages": package_versions(),
        "command": " ".join(sys.argv),
        "wall_time_s": round(elapsed, 3),
        "files": sorted(p.name for p in staging.iterdir()) + [COMPLETE_MARKER],
    }
    (staging / COMPLETE_MARKER).write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    if target.exists():
        retired = target.parent / f".{target.name}.replaced-{os.getpid()}"
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(target)
    return target

