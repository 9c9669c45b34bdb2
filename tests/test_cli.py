"""The command line runs a scenario and writes complete, documented results."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*overrides, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sim", *overrides], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_cli_runs_the_default_scenario_and_writes_results(tmp_path):
    done = run_cli("months=6", "run_name=smoke", f"output.root={tmp_path}")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "smoke"
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.yaml", "flows.parquet", "investments.parquet", "kpis.parquet", "kpis_by_economy.parquet",
        "manifest.json", "material_flows.parquet", "pilot_decisions.parquet", "public_funds.parquet"]
    kpis = pd.read_parquet(folder / "kpis.parquet")
    assert list(kpis["step"]) == list(range(6))
    for column in ("exchange_volume_t", "cross_border_wb6_eow_t", "export_eu_t", "landfilled_t", "co2_abated_t",
                   "customs_delay_days", "secondary_crm_recovered_t", "collection_rate_plastics"):
        assert column in kpis.columns
    flows = pd.read_parquet(folder / "flows.parquet")
    assert set(flows["shipment_class"]) <= {"waste", "by_product", "eow"}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 42 and manifest["months"] == 6
    assert {"mesa", "numba", "numpy"} <= set(manifest["packages"])
    assert manifest["git_revision"]
    assert "months: 6" in (folder / "config.yaml").read_text()
    # nothing but the finished run and Hydra's own log folder is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hydra", "smoke"]


def test_cli_rejects_a_misspelt_key(tmp_path):
    done = run_cli("monhts=6", f"output.root={tmp_path}")
    assert done.returncode != 0
    assert "monhts" in done.stderr
    assert not any(p.name == "baseline" for p in tmp_path.iterdir()) if tmp_path.exists() else True


def test_help_lists_the_run_settings_pilots_and_parameters():
    done = run_cli("--help")
    assert done.returncode == 0, done.stderr
    for listed in ("months = ", "extensions = []", "scarcity_prices:", "sectors_trading_at_start"):
        assert listed in done.stdout, listed
