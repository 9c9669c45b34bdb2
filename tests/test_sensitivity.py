"""The Sobol study runs end to end on a tiny design and gives indices for every KPI and every
phase effect (the full study is a command: experiments/sensitivity.py)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from experiments import sensitivity  # noqa: E402


def test_indices_rank_the_inputs_that_decide_an_outcome_and_its_phase_effect():
    """On outcomes with known structure: the baseline KPI depends on input 0 only, the phase adds
    an effect that depends on input 1 only; the paired effect isolates input 1."""
    problem, X = sensitivity.design(64, seed=3)
    baseline = pd.DataFrame({k: 10 * X[:, 0] + 0.01 * X[:, 2] for k in sensitivity.KPIS})
    phased = baseline + pd.DataFrame({k: 5 * X[:, 1] ** 2 for k in sensitivity.KPIS})
    indices = sensitivity.analyse(problem, sensitivity.outcomes_table(baseline, phased, "roadmap"), seed=3)
    for outcome, driver in (("baseline:dumped_t", 0), ("roadmap_effect:dumped_t", 1)):
        rows = indices[indices["outcome"] == outcome].set_index("parameter")
        name = list(sensitivity.FACTORS)[driver]
        assert rows["ST"].idxmax() == name and rows.loc[name, "S1"] > 0.8
        others = rows.drop(index=name)
        assert (others["ST"] < 0.05).all() and (rows["ST_conf"] >= 0).all()


def test_the_design_is_saltelli_s_layout_on_uncorrelated_base_matrices():
    problem, X = sensitivity.design(16, seed=2)
    d = problem["num_vars"]
    blocks = X.reshape(16, d + 2, d)
    a, b = blocks[:, 0], blocks[:, -1]
    for i in range(d):
        assert (blocks[:, i + 1, i] == b[:, i]).all()
        assert (np.delete(blocks[:, i + 1], i, axis=1) == np.delete(a, i, axis=1)).all()
        assert abs(np.corrcoef(a[:, i], b[:, i])[0, 1]) <= sensitivity.MAX_AB_CORRELATION + 1e-9
        low, high = problem["bounds"][i]
        assert low <= X[:, i].min() and X[:, i].max() <= high
    assert (sensitivity.design(16, seed=2)[1] == X).all()


def test_every_input_has_a_range_inside_what_the_model_accepts():
    for name, (low, high) in sensitivity.FACTORS.items():
        assert 0 <= low < high, name
        if name.endswith(("probability", "rate", "utilisation", "ceiling", ".msme")):
            assert high <= 1.0, name


@pytest.mark.slow
def test_sobol_study_on_a_tiny_design(tmp_path):
    assert sensitivity.main(["--n", "2", "--months", "3", "--jobs", "1", "--phase", "long_term",
                             "--out", str(tmp_path)]) == 0
    indices = pd.read_csv(tmp_path / "sobol_indices.csv")
    outcomes = set(indices["outcome"])
    assert {f"baseline:{k}" for k in sensitivity.KPIS} | {f"long_term_effect:{k}" for k in sensitivity.KPIS} == outcomes
    assert set(indices["parameter"]) == set(sensitivity.FACTORS)
    assert indices[["S1", "S1_conf", "ST", "ST_conf"]].notna().all().all()
    samples = pd.read_parquet(tmp_path / "samples.parquet")
    assert len(samples) == 2 * (len(sensitivity.FACTORS) + 2)
    assert (tmp_path / "sobol.png").stat().st_size > 0
    # the long-term phase starts in month 48: within 3 months it changes nothing
    assert (samples.filter(like="long_term_effect:") == 0).all().all()


def test_pilot_parameters_stay_out_of_runs_without_the_pilot():
    row = np.full(len(sensitivity.FACTORS), 0.5)
    base = sensitivity.run_overrides(row, ["months=3"], "")
    assert not any(o.startswith("policies.") for o in base)
    phased = sensitivity.run_overrides(row, ["months=3"], "long_term", frozenset({"landfill_fee"}))
    assert any(o.startswith("policies.landfill_fee.") for o in phased)
    assert not any(o.startswith("policies.harmonised_eow.") for o in phased)


def test_designs_differing_only_in_pilot_parameters_share_their_baseline_run():
    from sim.sweep import job_name

    names = list(sensitivity.FACTORS)
    a = np.full(len(names), 0.5)
    b = a.copy()
    b[names.index("policies.landfill_fee.landfill_tax_eur_t")] = 0.7
    assert job_name(sensitivity.run_overrides(a, [], "")) == job_name(sensitivity.run_overrides(b, [], ""))
    pilots = frozenset({"landfill_fee"})
    assert job_name(sensitivity.run_overrides(a, [], "roadmap", pilots)) != job_name(
        sensitivity.run_overrides(b, [], "roadmap", pilots))
