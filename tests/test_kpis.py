"""The KPI catalogue (docs/kpis.md) against the results: every column catalogued and in the
README table, none constant across the baseline and the phases without a recorded reason,
the mass balance closed from the results alone, and the KPI definitions on small cases."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import group_options
from sim.investment import grant_equivalent_eur
from sim.model import WB6Model
from sim.results import run_to_folder

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "docs" / "kpis.md"
README = ROOT / "README.md"
MONTHS = 120
SEED_001 = ROOT.parent / "shared" / "seeds" / "001_24f1d9e9b3670dae.txt"


def section(text: str, title: str) -> str:
    start = text.index(title)
    end = text.find("\n#", start + len(title))
    return text[start:end if end >= 0 else None]


def table_names(text: str) -> list[str]:
    """Column names in the first cell of each table row (backticked, with {a,b} and <x> forms)."""
    names = []
    for line in text.splitlines():
        if line.startswith("| `"):
            for name in re.findall(r"`([^`]+)`", line.split("|")[1]):
                parts = re.split(r"\{([^}]*)\}", name)
                choices = [p.split(",") if i % 2 else [p] for i, p in enumerate(parts)]
                names += ["".join(c) for c in itertools.product(*choices)]
    return names


def matches(column: str, names: list[str]) -> bool:
    return any(re.fullmatch(re.sub(r"<[^>]+>", "[a-z0-9_]+", re.escape(n).replace(r"\<", "<").replace(r"\>", ">")),
                            column) for n in names)


@pytest.fixture(scope="module")
def phase_runs() -> dict[str, pd.DataFrame]:
    runs = {}
    for phase in group_options("phase"):
        model = WB6Model({"phase": phase, "months": MONTHS, "seed": 42})
        model.run()
        runs[phase] = model
    return runs


def test_every_column_is_catalogued_and_in_the_readme(phase_runs):
    catalogue = table_names(section(CATALOGUE.read_text(encoding="utf-8"), "## Columns of `kpis.parquet`"))
    readme_text = README.read_text(encoding="utf-8")
    readme = table_names(section(readme_text, "KPIs (`kpis.parquet`)"))
    columns = phase_runs["roadmap"].kpis.frame().columns
    assert [c for c in columns if not matches(c, catalogue)] == []
    assert [c for c in columns if not matches(c, readme)] == []
    # and neither lists a column that no run writes
    assert sorted(set(catalogue) ^ set(readme)) == []
    assert [n for n in catalogue if not any(matches(c, [n]) for c in columns)] == []


def test_catalogue_has_every_001_kpi_mention():
    text = CATALOGUE.read_text(encoding="utf-8")
    rows = [line.split("|") for line in section(text, "## Seed 001").splitlines() if re.match(r"\| [A-Z]+\d*\.\d+ ", line)]
    assert len(rows) == 51
    status = [row[4].strip() for row in rows]
    assert set(status) <= {"computed", "partly", "not modelled"}
    counts = {s: status.count(s) for s in ("computed", "partly", "not modelled")}
    assert f"{counts['computed']} computed, {counts['partly']} partly, {counts['not modelled']} not modelled" in text
    catalogued = table_names(section(text, "## Columns of `kpis.parquet`"))
    for row in rows:
        # a computed or partly computed KPI names the columns that compute it, and they exist
        cited = re.findall(r"`([a-z0-9_]+)`", row[5])
        assert (row[4].strip() == "not modelled") or any(matches(c, catalogued) for c in cited), row[1]
        assert row[4].strip() != "not modelled" or row[6].strip(), row[1]  # who brings it
    if SEED_001.exists():
        seed = SEED_001.read_text(encoding="utf-8")
        blocks = re.findall(r"Suggested KPIs:\s*\n((?:\s*\n|- .*\n| .*\n)+)", seed)
        assert sum(len(re.findall(r"^- (?!\*\*)", b, flags=re.M)) for b in blocks) == 51


def test_no_kpi_is_constant_without_a_recorded_reason(phase_runs):
    frames = pd.concat([m.kpis.frame() for m in phase_runs.values()])
    constant = sorted(c for c in frames.columns if frames[c].nunique() <= 1)
    explained = table_names(section(CATALOGUE.read_text(encoding="utf-8"), "## Constant in the reference runs"))
    assert [c for c in constant if c not in explained] == []
    # a recorded reason goes once the column moves
    assert [c for c in explained if c not in constant] == []


def test_both_statuses_occur_and_laboratories_keep_working(phase_runs):
    base = phase_runs["baseline"].kpis.frame()
    roadmap = phase_runs["roadmap"].kpis.frame()
    assert base["by_products_registered"].iloc[-1] > 0  # Serbia's by-product framework
    assert base["eow_registered"].iloc[-1] > 0
    assert roadmap["cross_border_wb6_by_product_t"].sum() > 0 and roadmap["cross_border_wb6_eow_t"].sum() > 0
    assert base.loc[base["year"] > 5, "lab_certificates"].sum() > 0  # renewals
    assert base["status_renewals"].sum() > 0
    assert roadmap["lab_declared_customs_t"].sum() > base["lab_declared_customs_t"].sum()


def test_economies_add_up_to_the_wb6(phase_runs):
    model = phase_runs["roadmap"]
    k, e = model.kpis.frame(), model.kpis.economy_frame()
    assert set(e["economy"]) == {"AL", "BA", "XK", "ME", "MK", "RS"}
    summed = e.groupby(["step", "kpi"])["value"].sum().unstack()
    for column in ("exchange_volume_t", "cross_border_wb6_eow_t", "landfilled_t", "dumped_t", "co2_abated_net_t",
                   "by_products_registered", "circular_use_t", "dmc_t", "lab_certificates", "private_cofinance_eur"):
        np.testing.assert_allclose(summed[column].to_numpy(), k[column].to_numpy(), rtol=1e-9, atol=1e-6)
    # a ratio is recomputed from the WB6 sums, not summed
    rs = e[(e["economy"] == "RS") & (e["kpi"] == "cmur_eurostat")]["value"]
    assert ((rs > 0) & (rs < 1)).all()


def test_cross_border_kpis_count_delivered_tonnes(phase_runs):
    model = phase_runs["short_term"]
    k, flows = model.kpis.frame(), model.kpis.shipments_frame()
    assert set(flows["outcome"]) <= {"delivered", "waiting", "refused"}
    delivered = flows[flows["outcome"] == "delivered"]
    assert (delivered["month_delivered"] >= delivered["step"]).all()
    assert flows.loc[flows["outcome"] != "delivered", "month_delivered"].isna().all()
    wb6 = {"AL", "BA", "XK", "ME", "MK", "RS"}
    cross = flows[(flows["shipment_class"] == "eow") & (flows["from_economy"] != flows["to_economy"])
                  & flows["to_economy"].isin(wb6) & (flows["outcome"] != "refused")]
    # a shipment's tonnes arrive from the month it is filed to the month its last tonne is
    # delivered (what is still at the post at a month's end clears the next month): by each
    # month the tonnes counted lie between those of the shipments completed and of those filed
    counted = k.set_index("step")["cross_border_wb6_eow_t"].cumsum()
    done = cross[cross["outcome"] == "delivered"]
    completed = done.groupby("month_delivered")["tonnes"].sum().reindex(counted.index, fill_value=0.0).cumsum()
    filed = cross.groupby("step")["tonnes"].sum().reindex(counted.index, fill_value=0.0).cumsum()
    assert (counted >= completed - 1e-6).all() and (counted <= filed + 1e-6).all()
    assert counted.iloc[-1] > 0 and (completed < filed - 1e-6).any()  # some tonnes arrive the month after
    assert {"year", "seller_sector", "buyer_sector"} <= set(flows.columns)


def test_mass_balance_closes_from_the_results_alone(tmp_path):
    """The README's pandas lines, run on a written result folder."""
    folder = run_to_folder({"months": 24, "run_name": "default", "output": {"root": str(tmp_path)}},
                           tmp_path / "default")
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```python\n(import pandas as pd\nm = pd.read_parquet.*?)```", text, flags=re.S).group(1)
    code = block.replace("results/default/", f"{folder}/")
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own lines
    flows = pd.read_parquet(folder / "material_flows.parquet")
    assert flows.loc[flows["step"] == 0, "stock_open_t"].sum() > 3e8  # the opening stock is written
    assert {"step", "economy", "kpi", "value"} <= set(pd.read_parquet(folder / "kpis_by_economy.parquet").columns)


def test_grant_equivalent_against_its_definition():
    # a grant counts in full; a loan at the commercial rate is no support
    assert grant_equivalent_eur(100.0, 100.0, 0.12, 0.12, 10) == pytest.approx(100.0)
    assert grant_equivalent_eur(100.0, 0.0, 0.12, 0.12, 10) == pytest.approx(0.0)
    # an interest-free loan over n years: face value less the repayments (face / n a year) at 12 %
    annuity = (1 - 1.12 ** -10) / 0.12
    assert grant_equivalent_eur(100.0, 20.0, 0.12, 0.0, 10) == pytest.approx(20.0 + 80.0 * (1 - annuity / 10))


def test_recycled_input_share_against_its_definition():
    """Secondary material the cement, steel, paper and glass plants took in that replaces their
    input, over their total material input (output x input per t of output), by economy."""
    model = WB6Model({"months": 3, "seed": 42})
    model.run()
    table = model.region.process_inputs
    row = {f: i for i, f in enumerate(model.region.firms["firm_id"])}
    firms = table["firm_id"].map(row).to_numpy()
    total = (table["output_t_year"] * table["input_t_per_t"]).to_numpy() / 12.0
    received = model.market.flows.received
    took = np.array([sum(received[f, model.material_index[m]] for m in names.split())
                     for f, names in zip(firms, table["recycled_materials"])])
    kpis = model.kpis.frame().iloc[-1]
    assert kpis["process_input_t"] == pytest.approx(total.sum())
    assert kpis["recycled_input_t"] == pytest.approx(took.sum())
    assert 0.0 < kpis["recycled_input_share"] == pytest.approx(took.sum() / total.sum())
    # fuels burnt in kilns are not material input
    assert "tyres" not in " ".join(table["recycled_materials"])
    by_economy = model.kpis.economy_frame()
    last = by_economy[(by_economy["step"] == 2) & (by_economy["kpi"] == "recycled_input_share")].set_index("economy")
    serbia = model.firms.economy[firms] == model.economy_index["RS"]
    assert last.loc["RS", "value"] == pytest.approx(took[serbia].sum() / total[serbia].sum())
