"""Numba kernels compile on their first use and are cached on disk (``cache=True``), so the first
run after set-up or after a kernel changes spends about 20 s compiling. ``python -m sim.warmup``
(run by setup.sh) compiles them with a short run of the default scenario; :func:`cold_kernels`
tells the command line when a run is about to compile, so it can say so.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import tempfile
import time

from numba.core.registry import CPUDispatcher

import sim.kernels


def kernels() -> dict[str, CPUDispatcher]:
    """Every cached Numba kernel of sim.kernels, by qualified name."""
    found = {}
    for info in pkgutil.iter_modules(sim.kernels.__path__, "sim.kernels."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value._cache is not None and value.__module__ == info.name:
                found[f"{info.name}.{name}"] = value
    return found


def cold_kernels() -> list[str]:
    """Kernels with no compiled code cached for their current source (Numba's own cache index)."""
    cold = []
    for name, kernel in kernels().items():
        try:
            if not kernel._cache._cache_file._load_index():
                cold.append(name)
        except (AttributeError, OSError, EOFError):  # another Numba's cache layout: assume it must compile
            cold.append(name)
    return cold


def main() -> None:
    from sim.results import run_to_folder

    cold = cold_kernels()
    if not cold:
        print("kernels compiled already")
        return
    print(f"compiling {len(cold)} kernels (once; cached afterwards) ...", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        # 13 months reach the first year-end investment round, which uses the remaining kernels
        run_to_folder({"months": 13, "run_name": "warmup", "output": {"root": tmp, "write_flows": True}})
    left = cold_kernels()
    print(f"compiled in {time.perf_counter() - started:.0f} s" + (f"; not used by the default run: {left}" if left else ""))
    sys.exit(0)


if __name__ == "__main__":
    main()
