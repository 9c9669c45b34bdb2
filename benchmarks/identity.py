"""Do two checkouts of the model give the same results? Runs the default scenario, every phase
(``configs/phase/*.yaml``) and a synthetic region (2,000 firms, the whole roadmap but the parks,
whose pilot names real sites) in this
checkout and in another one, each checkout in a process of its own, and compares every results
table (``*.parquet`` of each run's folder) byte for byte.

    .venv/bin/python -m benchmarks.identity --against /path/to/other/checkout
    .venv/bin/python -m benchmarks.identity --against ../ref --months 24 --firms 500   # quicker

Byte for byte, not table equality within a tolerance: both checkouts write with the same
pandas and pyarrow, so equal tables give equal files, and equal files leave no doubt about a
last bit, a dtype, a column order or a row order. Where two files differ, the first column
whose values differ is named (compared with ``DataFrame.equals``: exact, NaN equal to NaN).
``config.yaml`` and ``manifest.json`` are not compared: they record paths, the revision and the
wall time. The synthetic region is drawn once, by this checkout, and written to a folder that
both checkouts read, so that both run the same input. Exit status 1 if anything differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks.kernels import ROOT

#: runs each checkout makes: the default scenario, then every phase (listed when run)
DEFAULT_CASE = "default"
SYNTHETIC_CASE = "synthetic_{firms}"
#: one process per checkout: compose each case's config as ``python -m sim`` does and write its folder
CHILD = """
import json, logging, sys
logging.getLogger("MESA").setLevel(logging.WARNING)
logging.getLogger("sim").setLevel(logging.ERROR)
from sim.config import compose_config
from sim.results import run_to_folder
for name, overrides, folder in json.loads(sys.argv[1]):
    run_to_folder(compose_config(overrides), folder)
    print(name, flush=True)
"""


def phases(checkout: Path) -> list[str]:
    return sorted(p.stem for p in (checkout / "configs" / "phase").glob("*.yaml"))


def cases(months: int, firms: int, region: Path, checkout: Path) -> list[tuple[str, list[str]]]:
    """(name, overrides) of each run, the same for both checkouts."""
    common = [f"months={months}"]
    listed = [(DEFAULT_CASE, common)] + [(p, common + [f"phase={p}"]) for p in phases(checkout)]
    # the parks pilot names real sites, which a synthetic region has not
    synthetic = ["phase=roadmap", "~policies.eco_industrial_parks", f"scenario={region}"]
    return listed + [(SYNTHETIC_CASE.format(firms=firms), common + synthetic)]


def run_checkout(checkout: Path, runs: list[tuple[str, list[str]]], out: Path) -> None:
    """All runs in one fresh process of ``checkout``'s code, into ``out/<case>/``."""
    jobs = [(name, overrides, str(out / name)) for name, overrides in runs]
    env = {"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(jobs)], cwd=checkout, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: the runs failed:\n{done.stderr[-4000:]}")


def first_difference(a: Path, b: Path) -> str:
    """What differs between two results tables, in words."""
    x, y = pd.read_parquet(a), pd.read_parquet(b)
    if list(x.columns) != list(y.columns):
        return f"columns differ: {sorted(set(x.columns) ^ set(y.columns)) or 'order'}"
    if len(x) != len(y):
        return f"{len(x)} rows against {len(y)}"
    for column in x.columns:
        if x[column].dtype != y[column].dtype:
            return f"column {column}: dtype {x[column].dtype} against {y[column].dtype}"
        if not x[column].equals(y[column]):
            rows = (x[column] != y[column]) & ~(x[column].isna() & y[column].isna())
            return f"column {column}: {int(rows.sum())} rows differ, first at row {int(rows.to_numpy().argmax())}"
    return "same values, different bytes (file metadata)"


def compare(mine: Path, theirs: Path, names: list[str]) -> list[str]:
    """One line per results table: ``identical`` or what differs."""
    lines = []
    for name in names:
        files = sorted({p.name for p in (mine / name).glob("*.parquet")} | {p.name for p in (theirs / name).glob("*.parquet")})
        for file in files:
            a, b = mine / name / file, theirs / name / file
            if not (a.is_file() and b.is_file()):
                lines.append(f"DIFFERS    {name}/{file}: only in {'this checkout' if a.is_file() else 'the other'}")
            elif a.read_bytes() == b.read_bytes():
                lines.append(f"identical  {name}/{file}")
            else:
                lines.append(f"DIFFERS    {name}/{file}: {first_difference(a, b)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, type=Path, help="the other checkout (a git worktree)")
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--firms", type=int, default=2000, help="firms of the synthetic region")
    parser.add_argument("--keep", type=Path, help="write the runs here and keep them (default: a temporary folder)")
    args = parser.parse_args(argv)
    other = args.against.resolve()
    if not (other / "sim" / "model.py").is_file():
        parser.error(f"--against {other}: not a checkout of this model (no sim/model.py)")
    from sim.synthetic import synthetic_scenario, write_scenario

    with tempfile.TemporaryDirectory(prefix="identity-") as scratch:
        root = args.keep.resolve() if args.keep else Path(scratch)
        region = write_scenario(synthetic_scenario(args.firms, seed=0), root / "region")
        runs = cases(args.months, args.firms, region, ROOT)
        if [name for name, _ in runs] != [name for name, _ in cases(args.months, args.firms, region, other)]:
            print(f"note: the phases differ: {phases(ROOT)} here, {phases(other)} there", file=sys.stderr)
        for label, checkout in (("this", ROOT), ("other", other)):
            print(f"running {len(runs)} cases in {checkout} ...", flush=True)
            run_checkout(checkout, runs, root / label)
        lines = compare(root / "this", root / "other", [name for name, _ in runs])
    print("\n".join(lines))
    differing = sum(line.startswith("DIFFERS") for line in lines)
    print(f"{len(lines) - differing} of {len(lines)} tables byte-identical ({ROOT} against {other}, "
          f"{args.months} months, synthetic region of {args.firms} firms)")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
