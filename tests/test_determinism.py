"""Same config and seed give byte-identical results, in one process, in parallel processes and
in a parallel sweep; different seeds differ. Results are written atomically with a manifest:
a run killed midway leaves the earlier complete results intact and only a hidden incomplete
folder of its own.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.results import COMPLETE_MARKER, run_to_folder, verify_results

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("kpis.parquet", "kpis_by_economy.parquet", "material_flows.parquet", "flows.parquet", "investments.parquet")
#: two pilots that draw on the random streams (awareness, refusals), and a first investment round
CONFIG = {"months": 14, "policies": {"symbiosis_platform": {"start_month": 1}, "de_risking": {"start_month": 1}}}
CLI_CONFIG = ["months=14", "policies=[symbiosis_platform,de_risking]", "policies.symbiosis_platform.start_month=1",
              "policies.de_risking.start_month=1"]


def tables(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in TABLES}


def run(tmp_path: Path, name: str, **overrides) -> Path:
    return run_to_folder({**CONFIG, "run_name": name, "output": {"root": str(tmp_path)}, **overrides})


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """The tables of seed 7, run in this process."""
    folder = run(tmp_path_factory.mktemp("reference"), "seed7", seed=7)
    return tables(folder)


def test_same_seed_gives_byte_identical_tables(tmp_path, reference):
    again = run(tmp_path, "again", seed=7)
    assert tables(again) == reference
    assert verify_results(again)["sha256"]["kpis.parquet"] == hashlib.sha256(reference["kpis.parquet"]).hexdigest()


def test_the_run_is_not_trivially_deterministic(reference):
    # shipments, investments and random choices happen, so identical bytes mean something
    flows = pd.read_parquet(io.BytesIO(reference["flows.parquet"]))
    investments = pd.read_parquet(io.BytesIO(reference["investments.parquet"]))
    assert len(flows) > 100 and (flows["outcome"] == "refused").any()
    assert len(investments) > 0


def test_different_seeds_differ(tmp_path, reference):
    other = tables(run(tmp_path, "seed8", seed=8))
    assert other["kpis.parquet"] != reference["kpis.parquet"]
    assert other["flows.parquet"] != reference["flows.parquet"]


def test_order_of_pilots_in_the_config_does_not_matter(tmp_path, reference):
    flipped = {"months": 14, "policies": dict(reversed(list(CONFIG["policies"].items())))}
    folder = run_to_folder({**flipped, "seed": 7, "run_name": "flipped", "output": {"root": str(tmp_path)}})
    assert tables(folder) == reference


def test_parallel_processes_with_different_thread_counts_agree(tmp_path, reference):
    """Two command-line runs at the same time (Numba with 1 thread and with 2) match the
    in-process run byte for byte."""
    processes = []
    for threads in (1, 2):
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
        args = [sys.executable, "-m", "sim", *CLI_CONFIG, "seed=7", f"run_name=threads{threads}",
                f"output.root={tmp_path}"]
        processes.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    assert tables(tmp_path / "threads1") == reference
    assert tables(tmp_path / "threads2") == reference


def test_parallel_sweep_matches_single_runs(tmp_path, reference):
    """A sweep on the parallel launcher (configs/hydra/launcher/parallel.yaml, joblib worker
    processes) gives, for seed 7, the same bytes as the single run; seed 8 differs."""
    args = [sys.executable, "-m", "sim", "-m", "hydra/launcher=parallel", "hydra.launcher.n_jobs=2", *CLI_CONFIG,
            "seed=7,8", f"output.root={tmp_path}", "output.sweep_name=determinism"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    by_seed = {}
    for manifest in (tmp_path / "sweeps" / "determinism").rglob(COMPLETE_MARKER):
        by_seed[json.loads(manifest.read_text())["seed"]] = tables(manifest.parent)
    assert sorted(by_seed) == [7, 8]
    assert by_seed[7] == reference
    assert by_seed[8]["kpis.parquet"] != reference["kpis.parquet"]


# ---- results are safe ----------------------------------------------------------------------
def test_manifest_lists_every_file_with_its_checksum(tmp_path):
    folder = run(tmp_path, "checked", months=2)
    manifest = verify_results(folder)
    assert sorted(manifest["files"]) == sorted(p.name for p in folder.iterdir())
    assert set(manifest["sha256"]) == set(manifest["files"]) - {COMPLETE_MARKER}
    (folder / "kpis.parquet").write_bytes(b"truncated")
    with pytest.raises(ValueError, match="kpis.parquet: checksum differs"):
        verify_results(folder)
    (folder / "flows.parquet").unlink()
    with pytest.raises(ValueError, match="flows.parquet: listed in manifest.json but missing"):
        verify_results(folder)
    (folder / COMPLETE_MARKER).unlink()
    with pytest.raises(ValueError, match="not a complete result folder"):
        verify_results(folder)


def test_interrupted_run_leaves_nothing(tmp_path, monkeypatch):
    from sim.model import WB6Model

    step = WB6Model.step

    def interrupted_step(self):
        if self.month == 3:
            raise KeyboardInterrupt
        step(self)

    monkeypatch.setattr(WB6Model, "step", interrupted_step)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, "interrupted", months=6)
    assert list(tmp_path.iterdir()) == []


def start_long_run(root: Path, name: str) -> subprocess.Popen:
    """A command-line run far too long to finish, once it is under way (its staging folder exists)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "months=600", f"run_name={name}", f"output.root={root}",
         "output.write_flows=false"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(root.glob(f".{name}.incomplete-*-{process.pid}")):
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the run did not start"
        time.sleep(0.1)
    time.sleep(1.0)
    return process


def test_killed_run_leaves_earlier_results_intact_and_marks_its_own_incomplete(tmp_path):
    name = "long"
    earlier = run(tmp_path, name, months=2)
    manifest = verify_results(earlier)
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}

    # SIGKILL: no chance to clean up; the earlier results stay, the new run's folder is marked
    process = start_long_run(tmp_path, name)
    process.kill()
    process.communicate(timeout=60)
    assert verify_results(tmp_path / name) == manifest
    assert {p.name: p.read_bytes() for p in (tmp_path / name).iterdir()} == before
    (staging,) = tmp_path.glob(f".{name}.incomplete-*")
    assert not (staging / COMPLETE_MARKER).exists()

    # SIGTERM: the run removes its own unfinished folder (and the killed run's stale one)
    process = start_long_run(tmp_path, name)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert {p.name: p.read_bytes() for p in (tmp_path / name).iterdir()} == before
    assert not list(tmp_path.glob(f".{name}.*"))
