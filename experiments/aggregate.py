"""Gather a sweep's runs into one table: ``<sweep folder>/runs.parquet``.

A sweep writes it when it ends; run this for a sweep that was stopped, or after adding runs:

    .venv/bin/python experiments/aggregate.py results/sweeps/<sweep_name>

One row per run and month: ``run`` (the run's folder), the swept settings, then the KPIs.
Only complete runs (with manifest.json) are read.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from sim.errors import SimInputError
from sim.sweep import aggregate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="sweep folder, e.g. results/sweeps/<sweep_name>")
    args = parser.parse_args(argv)
    try:
        table = aggregate(args.folder)
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    frame = pd.read_parquet(table)
    print(f"{table}: {frame['run'].nunique()} runs, {len(frame)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
