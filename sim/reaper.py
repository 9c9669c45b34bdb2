"""Ends a local launcher's worker processes when the launcher dies, whatever ended it.

Joblib's worker processes (and its resource trackers) outlive a launcher killed outright
(SIGKILL, an out-of-memory kill): they are re-parented to init and hold memory until the pool's
idle timeout. ``python -m sim.reaper <launcher pid>``, started by the launcher at the start of a
sweep, notes the launcher's children while it lives and sends them SIGTERM, then SIGKILL, once
it is gone. It ignores SIGINT: a Ctrl-C reaches the launcher, which stops its own workers.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path


def children(pid: int) -> dict[int, str]:
    """Child processes of ``pid``, each with its start time (so a re-used pid is not mistaken for it)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found[int(stat.parent.name)] = fields[19]
    return found


def _started(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def watch(launcher: int, every_s: float = 0.5, grace_s: float = 5.0) -> list[int]:
    """Wait for ``launcher`` to end, then end the children it left; returns their pids."""
    me = os.getpid()
    known: dict[int, str] = {}
    while os.getppid() == launcher:
        known.update({pid: start for pid, start in children(launcher).items() if pid != me})
        time.sleep(every_s)
    left = [pid for pid, start in known.items() if _started(pid) == start]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in left:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(_started(p) == known[p] for p in left):
            time.sleep(0.1)
    return left


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(int(sys.argv[1]))


if __name__ == "__main__":
    main()
