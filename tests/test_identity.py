"""The identity check of two checkouts (benchmarks/identity.py): equal tables are reported
identical, a changed value, a changed dtype or a missing table is reported with what differs."""

import pandas as pd
import pytest

from benchmarks.identity import compare, main


def write(folder, name, frame):
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / name, index=False)


@pytest.fixture
def runs(tmp_path):
    frame = pd.DataFrame({"step": [0, 1, 2], "landfilled_t": [1.0, 2.5, float("nan")]})
    for side in ("this", "other"):
        write(tmp_path / side / "baseline", "kpis.parquet", frame)
        write(tmp_path / side / "baseline", "flows.parquet", frame.head(2))
    return tmp_path, frame


def test_equal_tables_are_identical(runs):
    root, _ = runs
    assert compare(root / "this", root / "other", ["baseline"]) == [
        "identical  baseline/flows.parquet", "identical  baseline/kpis.parquet"]


def test_a_changed_value_names_its_column(runs):
    root, frame = runs
    changed = frame.copy()
    changed.loc[1, "landfilled_t"] = 2.5 + 1e-12  # the last bits count
    write(root / "other" / "baseline", "kpis.parquet", changed)
    assert compare(root / "this", root / "other", ["baseline"])[1] == (
        "DIFFERS    baseline/kpis.parquet: column landfilled_t: 1 rows differ, first at row 1")


def test_a_changed_dtype_or_a_missing_table_differs(runs):
    root, frame = runs
    write(root / "other" / "baseline", "kpis.parquet", frame.astype({"step": "int32"}))
    (root / "this" / "baseline" / "flows.parquet").unlink()
    assert compare(root / "this", root / "other", ["baseline"]) == [
        "DIFFERS    baseline/flows.parquet: only in the other",
        "DIFFERS    baseline/kpis.parquet: column step: dtype int64 against int32"]


def test_the_other_checkout_must_hold_the_model(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--against", str(tmp_path)])
    assert "not a checkout of this model" in capsys.readouterr().err
