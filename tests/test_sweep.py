"""Sweeps: one folder per run, resumable after a kill, parallel and Ray launchers, the runs table."""

from __future__ import annotations

import json
import os
import pickle
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.errors import ConfigError
from sim.results import is_complete, verify_results
from sim.sweep import SweepCallback, aggregate, job_name, run_job

ROOT = Path(__file__).resolve().parents[1]


def sweep(root: Path, *overrides: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m sim -m ...`` writing under ``root``; fails the test if the sweep fails."""
    cmd = [sys.executable, "-m", "sim", "-m", f"output.root={root}", *overrides]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def run_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def test_job_names_are_deterministic_and_safe():
    assert job_name(["seed=2", "price_multiplier=0.80", "output.root=/x", "output.sweep_name=s"]) == (
        "price_multiplier=0.8,seed=2"
    )
    assert job_name(["price_multiplier=0.8", "seed=2"]) == job_name(["seed=2", "price_multiplier=.8"])
    # a Hydra ``++`` prefix (added for parameters.*) names the same run
    assert job_name(["++parameters.trust_threshold=0.4"]) == job_name(["parameters.trust_threshold=0.4"])
    odd = job_name(["scenario=/tmp/a b"])
    assert "/" not in odd and " " not in odd and odd == job_name(["scenario=/tmp/a b"])
    assert odd != job_name(["scenario=/tmp/a_b"])
    assert len(job_name([f"parameters.p{i}={i}.5" for i in range(40)])) <= 120
    assert job_name([]) == "defaults"


def test_run_job_skips_complete_runs_and_refuses_another_configuration(tmp_path):
    cfg = {"months": 2, "output": {"root": str(tmp_path), "sweep_name": "s", "write_flows": False}}
    folder, skipped = run_job(cfg, ["months=2"])
    assert folder == tmp_path / "sweeps" / "s" / "months=2" and not skipped
    verify_results(folder)
    stamp = (folder / "manifest.json").stat().st_mtime_ns
    assert json.loads((folder / "manifest.json").read_text())["overrides"] == ["months=2"]

    assert run_job(cfg, ["months=2"]) == (folder, True)
    assert (folder / "manifest.json").stat().st_mtime_ns == stamp

    # same folder, other settings (as if the defaults had changed): an error, not a silent skip
    with pytest.raises(ConfigError, match=r"another configuration \(differs in: seed\)"):
        run_job({**cfg, "seed": 7}, ["months=2"])
    # ... unless asked to redo it
    again, skipped = run_job({**cfg, "seed": 7, "output": {**cfg["output"], "resume": False}}, ["months=2"])
    assert not skipped and (again / "manifest.json").stat().st_mtime_ns != stamp
    assert yaml.safe_load((again / "config.yaml").read_text())["seed"] == 7


def test_sweep_writes_one_folder_per_run_and_a_table_of_all_runs(tmp_path):
    done = sweep(tmp_path, "output.sweep_name=prices", "months=3", "price_multiplier=0.8,1.2",
                 "parameters.trust_threshold=0.4", "output.write_flows=false")
    folder = tmp_path / "sweeps" / "prices"
    names = [p.name for p in run_folders(folder)]
    common = "months=3,output.write_flows=False,parameters.trust_threshold=0.4"
    assert names == [f"{common},price_multiplier=0.8", f"{common},price_multiplier=1.2"]
    for run in run_folders(folder):
        verify_results(run)
    assert "sweep: 2/2 runs done" in done.stderr

    table = pd.read_parquet(folder / "runs.parquet")
    assert len(table) == 2 * 3
    assert list(table.columns[:6]) == ["run", "months", "output.write_flows", "parameters.trust_threshold",
                                       "price_multiplier", "step"]
    assert sorted(table["price_multiplier"].unique()) == [0.8, 1.2]
    assert table["parameters.trust_threshold"].eq(0.4).all()
    # each row carries that run's own KPIs
    for run in run_folders(folder):
        kpis = pd.read_parquet(run / "kpis.parquet")
        rows = table[table["run"] == run.name].drop(columns=table.columns[:5]).reset_index(drop=True)
        pd.testing.assert_frame_equal(rows[kpis.columns], kpis)


def test_parallel_launcher_runs_the_same_sweep_into_the_same_folders(tmp_path):
    sweep(tmp_path / "parallel", "hydra/launcher=parallel", "hydra.launcher.n_jobs=2",
          "output.sweep_name=p", "months=2", "seed=1,2", "output.write_flows=false")
    parallel = tmp_path / "parallel" / "sweeps" / "p"
    # the same runs, one by one in this process
    for seed in (1, 2):
        cfg = {"months": 2, "seed": seed, "output": {"root": str(tmp_path / "one"), "sweep_name": "p",
                                                      "write_flows": False}}
        run_job(cfg, ["months=2", f"seed={seed}", "output.write_flows=false"])
    one = tmp_path / "one" / "sweeps" / "p"
    assert [p.name for p in run_folders(parallel)] == [p.name for p in run_folders(one)]
    for a, b in zip(run_folders(one), run_folders(parallel)):
        pd.testing.assert_frame_equal(pd.read_parquet(a / "kpis.parquet"), pd.read_parquet(b / "kpis.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(aggregate(one)), pd.read_parquet(parallel / "runs.parquet"))


def test_runs_in_worker_processes_use_one_kernel_thread_each():
    import numba

    before = numba.get_num_threads()
    try:
        SweepCallback().on_job_start(config=None)  # in the launching process: left alone
        assert numba.get_num_threads() == before
        worker = pickle.loads(pickle.dumps(SweepCallback(launcher_pid=os.getpid() + 1)))
        worker.on_job_start(config=None)
        assert numba.get_num_threads() == 1
    finally:
        numba.set_num_threads(before)


def test_a_sweep_killed_midway_resumes_where_it_stopped(tmp_path):
    args = ["output.sweep_name=k", "months=120", "seed=1,2,3,4,5,6,7,8", "output.write_flows=false"]
    folder = tmp_path / "sweeps" / "k"
    cmd = [sys.executable, "-m", "sim", "-m", f"output.root={tmp_path}", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not (folder.is_dir() and sum(is_complete(p) for p in run_folders(folder)) >= 2):
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no run completed in time"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    # what a kill leaves: complete run folders, and hidden staging folders that nothing reads as runs
    done_before = {p.name: (p / "manifest.json").stat().st_mtime_ns for p in run_folders(folder)}
    assert 2 <= len(done_before) < 8
    for name in done_before:
        verify_results(folder / name)
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert all(".incomplete-" in name for name in leftovers)
    assert not (folder / "runs.parquet").exists()

    done = sweep(tmp_path, *args)
    assert f"({len(done_before)} complete before this start)" in done.stderr
    assert len(run_folders(folder)) == 8
    for run in run_folders(folder):
        verify_results(run)
    # completed runs were skipped, not redone
    assert {n: (folder / n / "manifest.json").stat().st_mtime_ns for n in done_before} == done_before
    assert (done.stdout + done.stderr).count("complete already, skipped") == len(done_before)
    # a killed run's staging folder is cleared when that run is redone
    assert not [p for p in folder.iterdir() if ".incomplete-" in p.name]
    assert pd.read_parquet(folder / "runs.parquet")["run"].nunique() == 8


def test_aggregate_reads_only_complete_runs_and_names_an_empty_folder(tmp_path):
    with pytest.raises(ConfigError, match="holds no complete run"):
        aggregate(tmp_path)
    cfg = {"months": 2, "output": {"root": str(tmp_path), "sweep_name": "a", "write_flows": False}}
    folder, _ = run_job(cfg, ["seed=3"])
    (folder.parent / ".seed=4.incomplete-host-1").mkdir()
    (folder.parent / "seed=5").mkdir()  # not a run: no manifest
    table = pd.read_parquet(aggregate(folder.parent))
    assert table["run"].unique().tolist() == ["seed=3"] and table["seed"].eq(42).all()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.ray
@pytest.mark.timeout(300)
def test_ray_launcher_runs_a_sweep_on_a_local_ray_head(tmp_path):
    ray = Path(sys.executable).parent / "ray"
    port = _free_port()
    # a short temp folder (Ray's socket paths must fit in 107 characters) and a token of our own
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    env = {**os.environ, "RAY_TMPDIR": ray_tmp, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
           "RAY_USAGE_STATS_ENABLED": "0"}
    head = subprocess.Popen(
        [str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
         f"--ray-client-server-port={_free_port()}", "--num-cpus=2", "--include-dashboard=false",
         "--disable-usage-stats"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while subprocess.run([str(ray), "status", f"--address=127.0.0.1:{port}"], env=env,
                             capture_output=True, timeout=60).returncode != 0:
            assert head.poll() is None, "ray start exited"
            assert time.monotonic() < deadline, "the Ray head did not come up"
            time.sleep(1)
        done = sweep(tmp_path, "hydra/launcher=ray_cluster", f"hydra.launcher.ray.init.address=127.0.0.1:{port}",
                     "output.sweep_name=r", "months=2", "seed=1,2,3", "output.write_flows=false", env=env)
        assert "Connected to Ray cluster" in done.stderr + done.stdout
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(head.pid, signal.SIGKILL)  # what is left of the head's process group
        except ProcessLookupError:
            pass
        head.wait()
        shutil.rmtree(ray_tmp, ignore_errors=True)
    folder = tmp_path / "sweeps" / "r"
    assert [p.name for p in run_folders(folder)] == ["months=2,output.write_flows=False,seed=1",
                                                     "months=2,output.write_flows=False,seed=2",
                                                     "months=2,output.write_flows=False,seed=3"]
    for run in run_folders(folder):
        verify_results(run)
    assert pd.read_parquet(folder / "runs.parquet")["run"].nunique() == 3
