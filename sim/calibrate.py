"""Fit the behavioural parameters to observed targets and report fitted against observed.

    python -m sim.calibrate                       # reduced setting: 150 trials x 3 seeds x 24 months, 2 workers
    python -m sim.calibrate --trials 200 --seeds 10 --months 60 --workers 8     # full setting
    python -m sim.calibrate --ray-address auto --workers 16 ...   # trials as Ray tasks on a cluster

The targets (``sim/data/calibration_targets.csv``: value, band, year, source address, the model
output compared) are read here only; the model never reads them. Targets with role ``fit``
drive the fit, ``holdout`` ones are only reported (validation).

Method: approximate Bayesian computation by rejection on an adaptive design. Optuna's
tree-structured Parzen estimator proposes parameter sets inside uniform prior ranges
(``PRIORS``); each set runs the default baseline scenario for each seed; its distance is the
root mean square of the fit targets' deviations in units of their half-bands. The accepted
ensemble is every trial whose fit outputs all lie inside their bands (at least the
``--keep`` nearest when fewer do). Trials are stored in an SQLite study, so a run started
again continues where it stopped, and workers (processes here, or hosts sharing a database
URL given with ``--storage``) take trials from the same study. With ``--ray-address`` one
process proposes ``--workers`` trials at a time and runs their seeds as Ray tasks (the batch
runner's Ray path, ``sim.batch.run_batch``); the study resumes the same way.

Written to ``--out`` (results/calibration): ``trials.csv`` (every trial: parameters, outputs,
distance, accepted), ``ensemble.csv`` (the accepted sets), ``report.md`` and ``fit.png``
(fitted against observed per target, hold-out marked). The ensemble is also written to
``sim/data/calibration.yaml``: its median is the default scenario's value of each fitted
parameter, and its members are the parameter ensemble for replications.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.errors import SimInputError
from sim.scenario import DEFAULT_SCENARIO

TARGETS_FILE = DEFAULT_SCENARIO / "calibration_targets.csv"
ENSEMBLE_FILE = DEFAULT_SCENARIO / "calibration.yaml"
OUT = Path("results/calibration")
#: months at the end of a run over which the outputs are averaged
WINDOW_MONTHS = 12
#: the fitted behavioural parameters (keyed ones as ``name.key``) with uniform prior ranges
PRIORS = {
    # spread of landfill-vs-dumping costs across firms: a sharp (1) to a very flat (40) response
    "dumping_choice_scale_eur_t": (1.0, 40.0),
    # the most of its leftover a municipal service or MSME would dump
    "dump_propensity_max.msme": (0.1, 1.0),
    # contacts a month telling a firm about exchanges without pilots: once in 20 years to twice a year
    "awareness_contacts_per_month": (0.004, 0.2),
}
ASH = ("fly_ash", "bottom_ash")
#: what the cement plants take in (``firm_streams.csv``): clinker and aggregate substitutes, and kiln fuels
CEMENT_RAW_MATERIALS = ("fly_ash", "bottom_ash", "slag")
CEMENT_FUELS = ("plastics", "sludge", "tyres", "wood_biomass")
#: seeds of a trial: the default seed first
FIT_SEEDS = [42, 1, 2]


def load_targets(path: Path = TARGETS_FILE) -> pd.DataFrame:
    try:
        targets = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SimInputError(str(path), f"cannot be read as CSV: {exc}") from exc
    units = set(targets["unit"]) if "unit" in targets else {None}
    if not units <= {"share", "t/yr"}:
        raise SimInputError(str(path), f"unknown unit {sorted(map(str, units - {'share', 't/yr'}))}",
                            choices=["share", "t/yr"])
    roles = set(targets["role"])
    if not roles <= {"fit", "holdout"}:
        raise SimInputError(str(path), f"unknown role {sorted(roles - {'fit', 'holdout'})}", choices=["fit", "holdout"])
    bad = targets.index[~((targets["low"] <= targets["value"]) & (targets["value"] <= targets["high"]))]
    if len(bad):
        raise SimInputError(f"{path}:{bad[0] + 2}", "value must lie inside its band [low, high]")
    return targets


def parameter_overrides(values: dict[str, float]) -> dict:
    """Config ``parameters`` for a set of fitted values (``name.key`` becomes a nested entry)."""
    overrides: dict = {}
    for name, value in values.items():
        if "." in name:
            base, key = name.split(".", 1)
            overrides.setdefault(base, {})[key] = float(value)
        else:
            overrides[name] = float(value)
    return overrides


def model_outputs(model) -> dict[str, dict[str, float]]:
    """Run ``model`` to its end; the outputs the targets are compared with, averaged over the
    last ``WINDOW_MONTHS`` months, by output name and economy code:

    - ``ash_sold_share``: coal fly and bottom ash shipped over ash generated (all firms);
    - ``municipal_dumped_share`` / ``_landfilled_share`` / ``_recycled_share``: of what the
      municipal waste services generate, the share dumped, landfilled and shipped to users;
    - ``aware_share``: of the firms outside the sectors trading from the start (the businesses a
      survey of firms at large reaches), the share that have heard about exchanges (awareness
      above 0), by economy and for the WB6 together (``WB6``);
    - ``cement_raw_material_t_yr`` / ``cement_fuel_t_yr``: what the cement plants take in a
      year of secondary raw materials (``CEMENT_RAW_MATERIALS``) and of waste as kiln fuel
      (``CEMENT_FUELS``), by economy."""
    firms = model.firms
    municipal = (model.region.firms["sector"] == "municipal").to_numpy()
    surveyed = ~model.region.firms["sector"].isin(model.params["sectors_trading_at_start"]).to_numpy()
    cement = (model.region.firms["sector"] == "cement").to_numpy()
    ash, raw, fuel = ([model.material_index[m] for m in group if m in model.material_index]
                      for group in (ASH, CEMENT_RAW_MATERIALS, CEMENT_FUELS))
    n_e = model.n_economies
    sums = {key: np.zeros(n_e) for key in ("ash_gen", "ash_sold", "msw_gen", "msw_dumped", "msw_landfilled",
                                           "msw_shipped", "aware", "surveyed", "cement_raw", "cement_fuel")}
    start = model.config.months - WINDOW_MONTHS
    while model.running:
        model.step()
        if model.month <= start:
            continue
        f = model.market.flows
        e = firms.economy
        for key, rows, cols, array in (("ash_gen", slice(None), ash, f.generated), ("ash_sold", slice(None), ash, f.shipped),
                                       ("msw_gen", municipal, slice(None), f.generated),
                                       ("msw_dumped", municipal, slice(None), f.dumped),
                                       ("msw_landfilled", municipal, slice(None), f.landfilled),
                                       ("msw_shipped", municipal, slice(None), f.shipped),
                                       ("cement_raw", cement, raw, f.received), ("cement_fuel", cement, fuel, f.received)):
            per_firm = np.zeros(firms.n_firms)
            per_firm[rows] = array[rows][:, cols].sum(axis=1)
            sums[key] += np.bincount(e, weights=per_firm, minlength=n_e)
        sums["aware"] += np.bincount(e, weights=surveyed & (firms.awareness > 0.0), minlength=n_e)
        sums["surveyed"] += np.bincount(e, weights=surveyed, minlength=n_e)

    def share(num, den):
        return {code: float(sums[num][i] / sums[den][i]) if sums[den][i] > 0 else float("nan")
                for i, code in enumerate(model.economy_codes)}

    wb6 = model.is_wb6

    return {
        "ash_sold_share": share("ash_sold", "ash_gen"),
        "municipal_dumped_share": share("msw_dumped", "msw_gen"),
        "municipal_landfilled_share": share("msw_landfilled", "msw_gen"),
        "municipal_recycled_share": share("msw_shipped", "msw_gen"),
        "aware_share": {**share("aware", "surveyed"), "WB6": float(sums["aware"][wb6].sum() / sums["surveyed"][wb6].sum())},
        # a year's intake: the window's months summed, scaled to twelve
        **{name: {code: float(sums[key][i] * 12 / WINDOW_MONTHS) for i, code in enumerate(model.economy_codes)}
           for name, key in (("cement_raw_material_t_yr", "cement_raw"), ("cement_fuel_t_yr", "cement_fuel"))},
    }


def target_outputs(model, run: int) -> pd.DataFrame:
    """A batch runner's measure (``sim.batch.run_batch``): :func:`model_outputs` of the run,
    one row per output and economy."""
    return pd.DataFrame([{"run": run, "output": output, "economy": code, "value": value}
                         for output, by_economy in model_outputs(model).items() for code, value in by_economy.items()])


def simulate(values: dict[str, float], targets: pd.DataFrame, seeds: list[int], months: int) -> np.ndarray:
    """Each target's model output (mean over seeds) for one parameter set, the seeds' runs on
    the batch runner in this process (the scenario read once per process)."""
    return simulate_sets([values], targets, seeds, months)[0]


def simulate_sets(sets: list[dict[str, float]], targets: pd.DataFrame, seeds: list[int], months: int,
                  ray_address: str | None = None, workers: int = 1) -> list[np.ndarray]:
    """:func:`simulate` of several parameter sets in one batch: every set's seeds' runs in this
    process, or each as a Ray task on the cluster at ``ray_address`` (``sim.batch.run_batch``;
    ``local``: a head on this machine with ``workers`` CPUs)."""
    from sim.batch import run_batch

    configs = [{"months": months, "seed": seed, "parameters": parameter_overrides(values), "check_invariants": False}
               for values in sets for seed in seeds]
    outcomes = run_batch(configs, workers=workers, measure=target_outputs, ray_address=ray_address).outcomes
    table = outcomes.set_index(["run", "output", "economy"])["value"]
    runs = np.array([[table[(run, row.output, row.economy)] for row in targets.itertuples()]
                     for run in range(len(configs))], dtype=float)
    return [np.nanmean(runs[i * len(seeds):(i + 1) * len(seeds)], axis=0) for i in range(len(sets))]


def distance(outputs: np.ndarray, targets: pd.DataFrame) -> float:
    """Root mean square deviation of the fit targets, in half-bands (1 = at the band's edge)."""
    fit = (targets["role"] == "fit").to_numpy()
    half = (targets["high"] - targets["low"]).to_numpy() / 2.0
    dev = (outputs - targets["value"].to_numpy()) / half
    return float(np.sqrt(np.mean(dev[fit] ** 2)))


def inside(outputs: np.ndarray, targets: pd.DataFrame) -> np.ndarray:
    return (targets["low"].to_numpy() <= outputs) & (outputs <= targets["high"].to_numpy())


def _sampler(seed: int):
    import optuna

    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=12)


def _suggest(trial) -> dict[str, float]:
    return {name: trial.suggest_float(name, low, high) for name, (low, high) in PRIORS.items()}


def _record(trial, outputs: np.ndarray, targets: pd.DataFrame) -> float:
    """The trial's outputs kept with it in the study; its distance."""
    for target, value in zip(targets["target_id"], outputs):
        trial.set_user_attr(target, float(value))
    return distance(outputs, targets)


def _worker(storage: str, study_name: str, n_trials: int, seeds: list[int], months: int, sampler_seed: int) -> None:
    import optuna

    from sim.sweep import single_threaded_kernels

    single_threaded_kernels()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    targets = load_targets()
    study = optuna.load_study(study_name=study_name, storage=storage, sampler=_sampler(sampler_seed))

    def objective(trial):
        return _record(trial, simulate(_suggest(trial), targets, seeds, months), targets)

    # each worker stops once the study holds ``n_trials`` finished trials, so a restart tops it up
    study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(
        n_trials, states=(optuna.trial.TrialState.COMPLETE,))])


def _local_trials(storage: str, study_name: str, n_trials: int, seeds: list[int], months: int, workers: int) -> None:
    """The study topped up to ``n_trials`` finished trials by ``workers`` processes (sampler seeds 0, 1, ...)."""
    jobs = [multiprocessing.get_context("spawn").Process(
        target=_worker, args=(storage, study_name, n_trials, seeds, months, w)) for w in range(workers)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    if any(job.exitcode for job in jobs):
        raise SimInputError("calibration", "a worker failed; run the command again to resume")


def _ray_trials(storage: str, study_name: str, n_trials: int, seeds: list[int], months: int, address: str,
                batch: int) -> None:
    """The study topped up to ``n_trials`` finished trials, ``batch`` trials at a time, each
    trial's seeds as Ray tasks on the cluster at ``address`` (``sim.batch.run_batch``'s Ray
    path). One sampler (the first local worker's seed) proposes every trial, so with ``--workers
    1`` locally the same trials come out; as there, a restart continues the stored study."""
    import optuna

    from sim.batch import connect_ray

    connect_ray(address, batch)  # before any trial is asked: a cluster that is not there leaves none unfinished
    targets = load_targets()
    study = optuna.load_study(study_name=study_name, storage=storage, sampler=_sampler(0))
    while (done := len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))) < n_trials:
        trials = [study.ask() for _ in range(min(batch, n_trials - done))]
        sets = [_suggest(trial) for trial in trials]
        for trial, outputs in zip(trials, simulate_sets(sets, targets, seeds, months, ray_address=address, workers=batch)):
            study.tell(trial, _record(trial, outputs, targets))


def trials_frame(study, targets: pd.DataFrame, keep: int) -> pd.DataFrame:
    import optuna

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    rows = [{"trial": t.number, **t.params, **{k: t.user_attrs[k] for k in targets["target_id"]}, "distance": t.value}
            for t in done]
    frame = pd.DataFrame(rows).sort_values("trial").reset_index(drop=True)
    fit = targets[targets["role"] == "fit"]
    in_band = np.all([(frame[t] >= lo) & (frame[t] <= hi) for t, lo, hi in zip(fit["target_id"], fit["low"], fit["high"])],
                     axis=0)
    nearest = frame["distance"].rank(method="first") <= keep
    frame["accepted"] = in_band if in_band.sum() >= keep else (in_band | nearest)
    frame["all_fit_targets_in_band"] = in_band
    return frame


def write_ensemble(frame: pd.DataFrame, path: Path, settings: dict, targets: pd.DataFrame,
                   point_outputs: np.ndarray) -> None:
    """``sim/data/calibration.yaml``: the accepted ensemble, its median (the default scenario's
    values) and the hold-out targets the median run has inside their bands (a test keeps them there)."""
    accepted = frame[frame["accepted"]]
    point = {name: float(accepted[name].median()) for name in PRIORS}
    held = (targets["role"] == "holdout").to_numpy() & inside(point_outputs, targets)
    document = {
        "about": "Default values of the behavioural parameters fitted by python -m sim.calibrate (median of the "
                 "accepted ensemble) and the ensemble itself; see docs/calibration.md and results/calibration/report.md",
        "settings": settings,
        "point": point,
        "ensemble": [{name: float(row[name]) for name in PRIORS} for _, row in accepted.iterrows()],
        "holdout_in_band": targets.loc[held, "target_id"].tolist(),
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _shown(value: float, unit: str) -> str:
    return f"{value:.3f}" if unit == "share" else f"{value:,.0f}"


def _error(value: float, row) -> str:
    """Percentage points for a share, per cent of the observed value for a quantity."""
    return f"{100 * (value - row.value):+.1f} pp" if row.unit == "share" else f"{100 * (value / row.value - 1):+.0f} %"


def error_summary(point_outputs: np.ndarray, targets: pd.DataFrame) -> str:
    """Mean absolute error of the fit and hold-out targets: shares in percentage points,
    quantities in per cent of the observed value; hold-out targets in band."""
    hold = (targets["role"] == "holdout").to_numpy()
    share = (targets["unit"] == "share").to_numpy()
    observed = targets["value"].to_numpy()
    err = np.abs(point_outputs - observed)
    parts = []
    for label, rows in (("fit targets", ~hold), ("hold-out targets", hold)):
        pieces = [f"{100 * err[rows & share].mean():.1f} percentage points ({int((rows & share).sum())} shares)"
                  if (rows & share).any() else "",
                  f"{100 * (err[rows & ~share] / observed[rows & ~share]).mean():.0f} % of the observed value "
                  f"({int((rows & ~share).sum())} quantities)" if (rows & ~share).any() else ""]
        parts.append(f"{label} " + " and ".join(p for p in pieces if p))
    return (f"Mean absolute error: {'; '.join(parts)} ({int(inside(point_outputs, targets)[hold].sum())} of "
            f"{int(hold.sum())} hold-out targets in band).")


def write_report(frame: pd.DataFrame, targets: pd.DataFrame, point_outputs: np.ndarray, out: Path,
                 settings: dict, point: dict[str, float], seconds: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    accepted = frame[frame["accepted"]]
    lines = ["# Calibration: fitted against observed", "",
             f"Command: `python -m sim.calibrate {settings['command']}`; {len(frame)} trials, {len(accepted)} accepted "
             f"({int(frame['all_fit_targets_in_band'].sum())} with every fit target in its band); "
             f"{seconds / 60:.1f} min for this invocation.", "",
             "Fitted parameters (median and 5-95 % range of the accepted ensemble; prior range):", "",
             "| parameter | median | 5 % | 95 % | prior |", "|---|---|---|---|---|"]
    for name, (low, high) in PRIORS.items():
        q = accepted[name].quantile([0.05, 0.95])
        lines.append(f"| `{name}` | {point[name]:.3g} | {q.iloc[0]:.3g} | {q.iloc[1]:.3g} | {low}-{high} |")
    lines += ["", "Targets: observed value and band, the default scenario at the fitted median (seeds "
              f"{settings['check_seeds']}), and the accepted ensemble's 5-95 % range.", "",
              "| target | role | unit | observed | band | fitted (median run) | ensemble 5-95 % | in band | error |",
              "|---|---|---|---|---|---|---|---|---|"]
    for row, value in zip(targets.itertuples(), point_outputs):
        q = accepted[row.target_id].quantile([0.05, 0.95])
        ok = row.low <= value <= row.high
        lines.append(f"| {row.target_id} ({row.economy}) | {row.role} | {row.unit} | {_shown(row.value, row.unit)} | "
                     f"{_shown(row.low, row.unit)}-{_shown(row.high, row.unit)} | {_shown(value, row.unit)} | "
                     f"{_shown(q.iloc[0], row.unit)}-{_shown(q.iloc[1], row.unit)} | {'yes' if ok else 'no'} | "
                     f"{_error(value, row)} |")
    lines += ["", error_summary(point_outputs, targets), ""]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")

    units = list(dict.fromkeys(targets["unit"]))
    sizes = [int((targets["unit"] == unit).sum()) for unit in units]
    fig, axes = plt.subplots(len(units), 1, figsize=(8, 0.5 * len(targets) + 1.5 * len(units)),
                             gridspec_kw={"height_ratios": sizes}, squeeze=False)
    for ax, unit in zip(axes[:, 0], units):
        rows = targets[targets["unit"] == unit]
        values = point_outputs[(targets["unit"] == unit).to_numpy()]
        y = np.arange(len(rows))
        ax.hlines(y, rows["low"], rows["high"], color="#999999", lw=6, label="observed band")
        ax.plot(rows["value"], y, "k|", ms=14, label="observed")
        lo = [accepted[t].quantile(0.05) for t in rows["target_id"]]
        hi = [accepted[t].quantile(0.95) for t in rows["target_id"]]
        ax.hlines(y + 0.2, lo, hi, color="#3182bd", lw=2, label="accepted ensemble 5-95 %")
        ax.plot(values, y + 0.2, "o", color="#08519c", label="fitted median run")
        ax.set_yticks(y, [f"{t} ({'hold-out' if r == 'holdout' else 'fit'})" for t, r in zip(rows["target_id"],
                                                                                          rows["role"])])
        ax.set_xlabel(unit)
    axes[0, 0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "fit.png", dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.calibrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=150, help="finished trials the study should hold (default 150)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per trial (default 3: 42, 1, 2)")
    parser.add_argument("--months", type=int, default=24, help="months per run (default 24; outputs over the last 12)")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes (default 2); with --ray-address, trials evaluated at once")
    parser.add_argument("--keep", type=int, default=10, help="smallest accepted ensemble (default 10)")
    parser.add_argument("--out", type=Path, default=OUT, help="results folder (default results/calibration)")
    parser.add_argument("--storage", default="", help="optuna storage URL (default: sqlite in --out)")
    parser.add_argument("--no-write-default", action="store_true", help="do not write sim/data/calibration.yaml")
    parser.add_argument("--ray-address", default=None, metavar="ADDRESS",
                        help="evaluate trials as Ray tasks (each seed's run one task; the batch runner's Ray path): "
                             "'local' (a head on this machine with --workers CPUs), 'auto' (the cluster 'ray start' "
                             "started here) or HOST:PORT; the study resumes as without it")
    args = parser.parse_args(argv)
    try:
        import optuna

        if args.trials < 1 or args.seeds < 1 or args.workers < 1 or args.months <= WINDOW_MONTHS:
            raise SimInputError("arguments", f"need trials, seeds, workers >= 1 and months > {WINDOW_MONTHS}")
        if args.ray_address is not None:
            from sim.batch import check_ray_address

            check_ray_address(args.ray_address)
        targets = load_targets()
        args.out.mkdir(parents=True, exist_ok=True)
        storage = args.storage or f"sqlite:///{(args.out / 'study.db').resolve()}"
        name = f"wb6_m{args.months}_s{args.seeds}"
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(study_name=name, storage=storage, direction="minimize", load_if_exists=True)
        started = time.perf_counter()
        seeds = FIT_SEEDS[:args.seeds] if args.seeds <= len(FIT_SEEDS) else FIT_SEEDS + list(range(3, args.seeds))
        if args.ray_address is not None:
            _ray_trials(storage, name, args.trials, seeds, args.months, args.ray_address, args.workers)
        else:
            _local_trials(storage, name, args.trials, seeds, args.months, args.workers)
        frame = trials_frame(study, targets, args.keep)
        frame.to_csv(args.out / "trials.csv", index=False)
        frame[frame["accepted"]].to_csv(args.out / "ensemble.csv", index=False)
        settings = {"command": " ".join(argv if argv is not None else sys.argv[1:]) or "(defaults)",
                    "trials": len(frame), "seeds": seeds, "months": args.months, "check_seeds": seeds}
        point = {name: float(frame.loc[frame["accepted"], name].median()) for name in PRIORS}
        # the default scenario at the point estimate (the ensemble's median), on the fit seeds
        point_outputs = simulate(point, targets, settings["check_seeds"], args.months)
        if not args.no_write_default:
            write_ensemble(frame, ENSEMBLE_FILE, settings, targets, point_outputs)
        write_report(frame, targets, point_outputs, args.out, settings, point, time.perf_counter() - started)
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print((args.out / "report.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
