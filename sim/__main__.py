"""Command line: ``python -m sim [hydra overrides]`` runs a scenario and writes results/<run_name>/.

Input a user can get wrong is checked before Hydra acts (sim.cli) and reported as ``error:
<where>: <what> (valid choices ...)`` with exit code 2 and nothing written; Ctrl-C or SIGTERM stops
a run at the end of its month with one line, its unfinished folder removed.
"""

from __future__ import annotations

import logging
import shutil
import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.cli import CommandLine, check_command_line, help_text
from sim.config import register_configs
from sim.errors import InvariantError, SimInputError
from sim.results import STOP, run_to_folder
from sim.sweep import run_job

log = logging.getLogger("sim")
register_configs()
# Mesa logs every step at INFO; a 120-month run needs only our own messages.
logging.getLogger("MESA").setLevel(logging.WARNING)
#: exit code of a run stopped by a signal (the shell's convention: 128 + the signal's number)
_stopped_by: list[int] = []
#: whether this process is running a model (then a signal stops it at the end of the month)
_in_run: list[bool] = [False]
#: the command line as checked (its output root, and whether that existed before)
_line: list[CommandLine] = []


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    _in_run[0] = True
    if hydra_cfg.mode == RunMode.MULTIRUN:
        # a failed run is reported by Hydra at the end of its batch; the others go on
        folder, skipped = run_job(cfg, list(hydra_cfg.overrides.task))
        log.info("%s %s", "complete already, skipped:" if skipped else "results written to", folder)
        return
    try:
        folder = _run_with_progress(cfg)
    except (SimInputError, InvariantError) as exc:
        _remove_hydra_folder(Path(hydra_cfg.runtime.output_dir))
        _fail(exc)
    except SystemExit:
        _remove_hydra_folder(Path(hydra_cfg.runtime.output_dir))
        raise
    log.info("results written to %s", folder)
    print(folder)


def _run_with_progress(cfg: DictConfig) -> Path:
    from tqdm import tqdm

    from sim.warmup import cold_kernels

    if cold_kernels():
        print("compiling kernels (first run after set-up or a kernel change; about 20 s, cached afterwards) ...",
              file=sys.stderr, flush=True)
    # disable=None: a bar on a terminal, nothing in a log file
    with tqdm(total=int(cfg.months), desc=str(cfg.run_name), unit="month", file=sys.stderr, disable=None,
              leave=False) as bar:
        return run_to_folder(cfg, on_month=lambda month: bar.update(1))


def _remove_hydra_folder(folder: Path) -> None:
    """Hydra's log folder of a run that wrote nothing, and the parents it left empty (the output
    root too, if the command created it)."""
    shutil.rmtree(folder, ignore_errors=True)
    line = _line[0] if _line else CommandLine([], [])
    keep = line.root if line.root_existed else line.root.parent
    for parent in folder.resolve().parents:
        if parent == keep or keep not in parent.parents or not parent.is_dir() or any(parent.iterdir()):
            break
        parent.rmdir()


def _fail(exc: Exception) -> None:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)


def _stop(signum, frame) -> None:
    """SIGINT/SIGTERM: a run stops at the end of its month and removes its unfinished folder (raising
    here could land inside a Numba kernel); a launcher waiting for its workers stops at once."""
    _stopped_by.append(signum)
    if _in_run[0] and not STOP.is_set():
        STOP.set()
        return
    raise KeyboardInterrupt


def main() -> None:
    args = sys.argv[1:]
    if "--help" in args or "-h" in args:
        print(help_text())
        return
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        _line.append(check_command_line(args))
        sys.argv[1:] = _line[0].argv()
        _hydra_main()
    except SimInputError as exc:
        _fail(exc)
    except (KeyboardInterrupt, SystemExit) as exc:
        if isinstance(exc, SystemExit) and not _stopped_by:
            raise
        signum = _stopped_by[0] if _stopped_by else signal.SIGINT
        print(f"stopped by {signal.Signals(signum).name}: complete runs kept, unfinished ones removed; "
              "the same command resumes a sweep", file=sys.stderr)
        sys.exit(128 + signum)


if __name__ == "__main__":
    main()
