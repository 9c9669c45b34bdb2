"""Stopping: Ctrl-C ends a run with one line and removes its unfinished folder; the workers of a
parallel sweep end when the launcher is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.reaper import _started, children

ROOT = Path(__file__).resolve().parents[1]


def wait_for(condition, timeout_s: float = 240.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_ctrl_c_stops_a_run_with_one_line_and_leaves_nothing(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "sim", "months=600", "run_name=long", f"output.root={tmp_path}",
                                "output.write_flows=false"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: list(tmp_path.glob(".long.incomplete-*")) or process.poll() is not None)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("stopped by SIGINT")
    assert not (tmp_path / "long").exists()
    assert not list(tmp_path.glob(".long.incomplete-*"))
    assert not (tmp_path / ".hydra").exists()


@pytest.mark.slow
def test_workers_of_a_parallel_sweep_end_when_the_launcher_is_killed(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "sim", "-m", "hydra/launcher=parallel", "hydra.launcher.n_jobs=2",
                                "months=600", "seed=1,2,3", f"output.root={tmp_path}", "output.write_flows=false"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sweep = tmp_path / "sweeps" / "sweep"
    wait_for(lambda: len(list(sweep.glob(".*.incomplete-*"))) >= 2)
    left = {pid: _started(pid) for pid in children(process.pid)}
    assert len(left) >= 3  # two workers, a resource tracker and the reaper at least
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    wait_for(lambda: all(_started(pid) != start for pid, start in left.items()), timeout_s=30)
