"""The batch runner: the same configurations give identical outcomes in one process, in two
worker processes and in a plain sequential run of the model; runs written to a folder are
reused when the batch starts again; bad configurations are refused before anything runs; Ray
tasks on a local head give the same outcomes as local worker processes."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import batch
from sim.batch import experiments, run_batch, summarise
from sim.errors import ConfigError
from sim.model import WB6Model
from sim.results import COMPLETE_MARKER

#: short runs that still differ: a roadmap phase's pilots, a price uncertainty, two seeds
BASE = {"months": 4, "phase": "roadmap"}
SCENARIOS = [{"price_multiplier": 0.8}, {"price_multiplier": 1.25, "parameters.search_cost_eur_t": 6.0}]


@pytest.fixture(scope="module")
def configs() -> list[dict]:
    return experiments(BASE, scenarios=SCENARIOS, replications=2)


@pytest.fixture(scope="module")
def in_process(configs) -> batch.BatchResult:
    return run_batch(configs, workers=1)


def plain(config: dict) -> pd.DataFrame:
    model = WB6Model(config)
    model.run()
    return model.kpis.frame()


def test_experiments_are_scenarios_by_policies_by_replications():
    made = experiments({"months": 3, "seed": 7}, scenarios=[{"price_multiplier": 0.9}, {"price_multiplier": 1.1}],
                       policies=[{"phase": "short_term"}, {"phase": "roadmap"}, {"parameters.search_cost_eur_t": 5.0}],
                       replications=2)
    assert len(made) == 2 * 3 * 2
    assert [c["seed"] for c in made[:2]] == [7, 8]
    assert made[4] == {"months": 3, "seed": 7, "price_multiplier": 0.9, "parameters": {"search_cost_eur_t": 5.0}}
    with pytest.raises(ConfigError, match="replications"):
        experiments(replications=0)


def test_outcomes_match_a_plain_sequential_run(configs, in_process):
    assert list(in_process.outcomes.columns) == batch.OUTCOME_COLUMNS
    assert in_process.outcomes["run"].nunique() == len(configs)
    for run, config in enumerate(configs):
        expected = summarise(plain(config), run)
        got = in_process.outcomes[in_process.outcomes["run"] == run].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # the experiments differ in their outcomes (the check above is not between equal runs)
    volume = in_process.outcomes[in_process.outcomes["kpi"] == "exchange_value_eur"]["total"]
    assert volume.nunique() == len(configs)
    assert list(in_process.experiments["price_multiplier"]) == [0.8, 0.8, 1.25, 1.25]


def test_same_outcomes_again_and_in_two_worker_processes(configs, in_process):
    pd.testing.assert_frame_equal(run_batch(configs, workers=1).outcomes, in_process.outcomes, check_exact=True)
    # this process has run Numba's threads (the runs above): workers come from a fork server
    assert batch.start_context().get_start_method() == "forkserver"
    two = run_batch(configs, workers=2)
    pd.testing.assert_frame_equal(two.outcomes, in_process.outcomes, check_exact=True)


def test_scenario_read_once_per_process(configs, in_process):
    assert list(batch._REGIONS) and len(batch._REGIONS) == 1
    assert list(batch._PHASES) == ["roadmap"]


def test_written_runs_are_reused_on_resume(tmp_path, configs, in_process):
    first = run_batch(configs, folder=tmp_path)
    folders = [tmp_path / name for name in first.experiments["folder"].map(lambda p: p.rsplit("/", 1)[-1])]
    assert all((f / COMPLETE_MARKER).is_file() for f in folders)
    pd.testing.assert_frame_equal(first.outcomes, in_process.outcomes, check_exact=True)
    kept = {f: (f / COMPLETE_MARKER).stat().st_mtime_ns for f in folders[1:]}
    for path in folders[0].iterdir():  # an interrupted batch: the first run never completed
        path.unlink()
    folders[0].rmdir()
    again = run_batch(list(reversed(configs)), folder=tmp_path)
    assert (folders[0] / COMPLETE_MARKER).is_file()
    assert {f: (f / COMPLETE_MARKER).stat().st_mtime_ns for f in folders[1:]} == kept
    # the same runs in another order: the same outcomes, numbered in the new order
    renumbered = again.outcomes.assign(run=len(configs) - 1 - again.outcomes["run"])
    renumbered = renumbered.sort_values("run", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(renumbered, in_process.outcomes, check_exact=True)


def test_bad_configuration_refused_before_any_run(tmp_path):
    good = {"months": 2}
    with pytest.raises(ConfigError, match=r"configs\[1\]\.phase: unknown option"):
        run_batch([good, {"months": 2, "phase": "roadmapp"}], folder=tmp_path)
    with pytest.raises(ConfigError, match=r"configs\[0\]\.price_multipler: unknown config key"):
        run_batch([{"price_multipler": 2.0}])
    with pytest.raises(ConfigError, match="start_method: unknown option 'frok'"):
        run_batch([good, {"months": 3}], workers=2, start_method="frok")
    with pytest.raises(ConfigError, match="same configuration"):
        run_batch([good, dict(good)], folder=tmp_path)
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.ray
@pytest.mark.timeout(300)
def test_a_batch_through_ray_on_a_local_head_gives_the_local_outcomes(local_ray, configs, in_process):
    """Ray tasks on a local head (127.0.0.1, 2 CPUs) in place of worker processes: the same outcomes."""
    through_ray = run_batch(configs, workers=2, ray_address="local")
    pd.testing.assert_frame_equal(through_ray.outcomes, in_process.outcomes, check_exact=True)
