"""Which uncertain inputs decide the headline KPIs and the phase effects? Sobol indices (SALib).

    .venv/bin/python experiments/sensitivity.py                    # reduced: N=8, 24 inputs -> 208 designs x 2 runs
    .venv/bin/python experiments/sensitivity.py --n 64             # full setting: 1,664 designs x 2 runs
    .venv/bin/python experiments/sensitivity.py --phase long_term  # the effect of another phase

Saltelli's sampling (``N x (D + 2)`` designs over the ranges of ``FACTORS``, the inputs flagged as
assumptions in the data or the pilot configs; base matrices from decorrelated Latin hypercubes,
see ``design``; indices by SALib's Saltelli/Jansen estimators) is run twice
per design: the baseline and ``--phase`` (default: the whole roadmap), same seed, so the phase
effect of a design is phase minus baseline paired by seed (common random numbers). Pilot
parameters only act in the phase run. The runs are a sweep (``<out>/sweeps/sobol/<run>/``) run in
``--jobs`` worker processes; an interrupted study started again redoes only the runs it lacks.
Written to ``--out`` (default results/sensitivity):

- ``sobol_indices.csv``: per outcome (each KPI of the baseline, and its phase effect) and input:
  first-order ``S1`` and total ``ST`` indices with their 95 % confidence half-widths;
- ``sobol.png``: ST (bars) and S1 (dots) per input for each outcome, with confidence intervals;
- ``samples.parquet``: the design (one row per design) with each outcome.

The KPIs are totals over the horizon (sim/kpis.py), the customs delay its mean over the months.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from SALib.analyze import sobol as sobol_analyze  # noqa: E402
from scipy.stats import qmc  # noqa: E402

from sim.config import compose_config  # noqa: E402
from sim.errors import SimInputError  # noqa: E402
from sim.sweep import aggregate, job_name, run_many, sweep_folder  # noqa: E402

#: the uncertain inputs, as config keys, with their ranges (low, high) and where they come from
FACTORS = {
    # assumption: secondary-material and metal prices moved by about +-30% over 2015-2024
    "price_multiplier": (0.7, 1.3),
    # assumption: fuel and haulage rates, -30% to +50% around today's 0.08 EUR/t-km road, 0.04 rail
    "transport_cost_multiplier": (0.7, 1.5),
    # source: the authorities decide within 30 days of the acknowledgement (Regulation (EC) 1013/2006,
    # https://portal-rp.tpcluster.de/rpdlp/en/detail?pstCatId=247242680&pstId=231700404); an idle
    # consent unit's days assumed 5-30 (base 12)
    "parameters.consent_review_days": (5.0, 30.0),
    # assumption: the consent unit's capacity taken by notifications the model does not hold (base 0.2)
    "parameters.consent_background_utilisation": (0.05, 0.6),
    # assumption: half to three times the base 0.05 EUR/t/day yard and capital cost of waiting
    "parameters.holding_cost_eur_t_day": (0.02, 0.15),
    # assumption: 3 months (streamlined) to 12 months (a year's backlog) for a status decision; base 6
    "parameters.status_application_months": (3.0, 12.0),
    # assumption: word of mouth among peers, a quarter to two and a half times the base 0.2 contacts a month
    "parameters.awareness_peer_contacts_per_month": (0.05, 0.5),
    # assumption: a contact closes a tenth to two fifths of the gap to full awareness (base 0.2)
    "parameters.awareness_per_contact": (0.1, 0.4),
    # assumption: trust a firm needs to trade, around the base 0.5
    "parameters.trust_threshold": (0.3, 0.7),
    # assumption: from no refusals to three in ten waste notifications refused; base 0.1
    "parameters.waste_refusal_probability": (0.0, 0.3),
    # fitted (python -m sim.calibrate): the accepted ensemble spans about 12-40 EUR/t; wider here
    "parameters.dumping_choice_scale_eur_t": (2.0, 40.0),
    # fitted: most of a leftover an MSME or municipal service would dump
    "parameters.dump_propensity_max.msme": (0.3, 1.0),
    # fitted (python -m sim.calibrate): contacts a month telling a firm about exchanges without pilots
    "parameters.awareness_contacts_per_month": (0.004, 0.05),
    # derived from monitored waits (0.43); half to twice the implied queue
    "parameters.border_background_utilisation": (0.25, 0.6),
    # assumption: share of waste consignments physically inspected (base 0.5)
    "parameters.waste_inspection_rate": (0.1, 1.0),
    # assumption: reclaiming, milling and flotation of old tailings ~8-15 EUR/t (base 12); a check: every
    # deposit of the default data has its own processing cost (deposits.csv), so it acts on none (ST ~ 0)
    "parameters.remining_opex_eur_t": (8.0, 16.0),
    # deposits.csv's processing costs are route estimates of AACE class 5 accuracy, -50 % to +100 %
    # (https://soma-website.pages.dev/resources/glossary/aace-18r-97/)
    "parameters.remining_processing_cost_factor": (0.5, 2.0),
    # assumption: the metal splits of the seed's in-situ values (Bor, Gornje Polje III, Zitkovac); the CRM
    # metals' share of a mixed deposit's value, half to one and a half times the table's
    "parameters.remining_crm_share_factor": (0.5, 1.5),
    # assumption: the quality grades of firm_streams.csv (a 0.1 grid); buyers' minimum grades x 0.8-1.2,
    # about one grade step either way at the common 0.5
    "parameters.min_grade_factor": (0.8, 1.2),
    # assumption: gross margin of a recycling line (base 40 EUR/t)
    "parameters.recycling_line_margin_eur_t": (20.0, 60.0),
    # pilot (landfill_fee), assumption: detection probability under enforcement (base 0.2)
    "policies.landfill_fee.enforcement_probability": (0.05, 0.5),
    # pilot (landfill_fee), assumption: the tax on top of the gate fee (base 20 EUR/t)
    "policies.landfill_fee.landfill_tax_eur_t": (5.0, 40.0),
    # pilot (harmonised_eow), assumption: mean months to a bilateral agreement on one material (base 24)
    "policies.harmonised_eow.recognition_mean_months": (6.0, 60.0),
    # pilot (symbiosis_platform), assumption: share of firms its outreach reaches a month (base 0.1)
    "policies.symbiosis_platform.outreach_share_per_month": (0.02, 0.3),
}

#: headline KPIs: totals over the horizon of these monthly columns of kpis.parquet (the delay: mean)
KPIS = {
    "exchange_volume_t": "exchange volume (t)",
    "cross_border_wb6_eow_t": "WB6 cross-border EoW (t)",
    "landfilled_t": "landfilled (t)",
    "dumped_t": "dumped (t)",
    "customs_delay_days": "customs delay (days)",
    "co2_abated_t": "CO2 abated (t)",
    "secondary_crm_recovered_t": "CRM recovered (t)",
}
MEAN_KPIS = ("customs_delay_days",)
SWEEP_NAME = "sobol"


#: largest correlation allowed between a column of the base matrices A and B (see ``design``)
MAX_AB_CORRELATION = 0.1


def base_matrices(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Saltelli's base matrices A and B (``n`` x ``d``, on the unit cube): independent Latin
    hypercubes, each column of B reordered (the first of up to 200 random orders, else the best)
    so that it is uncorrelated with A's (|r| <= MAX_AB_CORRELATION)."""
    rng = np.random.default_rng(seed)
    a, b = (qmc.LatinHypercube(d=d, seed=rng).random(n) for _ in range(2))
    for j in range(d):
        best = b[:, j]
        for _ in range(200):
            if abs(np.corrcoef(a[:, j], best)[0, 1]) <= MAX_AB_CORRELATION:
                break
            order = rng.permutation(b[:, j])
            if abs(np.corrcoef(a[:, j], order)[0, 1]) < abs(np.corrcoef(a[:, j], best)[0, 1]):
                best = order
        b[:, j] = best
    return a, b


def design(n: int, seed: int) -> tuple[dict, np.ndarray]:
    """The ``n`` x (D + 2) designs in Saltelli's layout, as SALib's sampler orders them: per base
    point A, then A with its i-th column from B for each input i, then B.

    The base matrices are decorrelated Latin hypercubes (``base_matrices``), not the Sobol'
    sequence of SALib's sampler: at the sizes a study affords here (N <= 32, D = 24) that sequence
    pairs some columns of A and B at correlations of 0.7-0.95, which shrinks those inputs' total
    indices (on a test function the error of ST was 2-4 times that of this design)."""
    problem = {"num_vars": len(FACTORS), "names": list(FACTORS), "bounds": [list(b) for b in FACTORS.values()]}
    d = problem["num_vars"]
    a, b = base_matrices(n, d, seed)
    unit = np.repeat(a[:, None, :], d + 2, axis=1)
    unit[:, -1] = b
    for i in range(d):
        unit[:, i + 1, i] = b[:, i]
    low, high = np.array(problem["bounds"]).T
    # values rounded so that run folders have short names and the configs exact values
    return problem, np.round(low + unit.reshape(-1, d) * (high - low), 6)


def run_overrides(row: np.ndarray, base: list[str], phase: str, pilots: frozenset = frozenset()) -> list[str]:
    """Config overrides of one run; ``phase`` empty for the baseline. Parameters of pilots the
    run does not have (``pilots``: those it has) are left out: they cannot act there."""
    overrides = base + ([f"phase={phase}"] if phase else [])
    for name, value in zip(FACTORS, row.tolist()):
        if name.startswith("policies.") and name.split(".")[1] not in pilots:
            continue
        # ``++``: ``parameters`` starts empty, so its keys are added rather than changed
        overrides.append(f"{'++' if name.startswith('parameters.') else ''}{name}={value!r}")
    return overrides


def run_design(X: np.ndarray, base: list[str], phase: str, out: Path, jobs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run (or find) the baseline and phase run of every design; their outcomes, in design order."""
    pilots = frozenset(compose_config([f"phase={phase}"]).policies)
    variants = {"baseline": [run_overrides(row, base, "") for row in X],
                phase: [run_overrides(row, base, phase, pilots) for row in X]}
    runs: dict[str, list[str]] = {}
    for ov in (ov for group in variants.values() for ov in group):
        runs.setdefault(job_name(ov), ov)
    folder = sweep_folder(out, SWEEP_NAME)
    run_many(list(runs.values()), out, SWEEP_NAME, jobs, label="sensitivity")
    # a baseline run leaves the pilot parameters out, so designs differing only in those share it
    table = pd.read_parquet(aggregate(folder, list(runs)))
    grouped = table.groupby("run", sort=False)
    outcomes = grouped[[k for k in KPIS if k not in MEAN_KPIS]].sum().join(grouped[list(MEAN_KPIS)].mean())
    base_out, phase_out = (outcomes.loc[[job_name(ov) for ov in group]].reset_index(drop=True)
                           for group in variants.values())
    return base_out[list(KPIS)], phase_out[list(KPIS)]


def outcomes_table(baseline: pd.DataFrame, phased: pd.DataFrame, phase: str) -> pd.DataFrame:
    """Each KPI of the baseline and the phase effect on it (phase minus baseline, same design and seed)."""
    effect = (phased - baseline).add_prefix(f"{phase}_effect:")
    return pd.concat([baseline.add_prefix("baseline:"), effect], axis=1)


def analyse(problem: dict, outcomes: pd.DataFrame, seed: int) -> pd.DataFrame:
    rows = []
    for outcome in outcomes:
        y = outcomes[outcome].to_numpy(dtype=float)
        if np.ptp(y) == 0.0:  # an outcome no input moves has no variance to share out
            result = {k: np.zeros(len(FACTORS)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            result = sobol_analyze.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed)
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": outcome, "parameter": name, "S1": result["S1"][i], "S1_conf": result["S1_conf"][i],
                         "ST": result["ST"][i], "ST_conf": result["ST_conf"][i]})
    return pd.DataFrame(rows)


def plot(indices: pd.DataFrame, path: Path, title: str) -> None:
    outcomes = list(dict.fromkeys(indices["outcome"]))
    cols = 4
    rows_n = -(-len(outcomes) // cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(4.4 * cols, 0.28 * len(FACTORS) * rows_n + 1.5), sharey=True,
                             squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        rows = indices[indices["outcome"] == outcome]
        ypos = np.arange(len(rows))
        ax.barh(ypos, rows["ST"], xerr=rows["ST_conf"], color="tab:blue", alpha=0.7, label="total (ST)",
                error_kw={"ecolor": "black", "capsize": 2})
        ax.errorbar(rows["S1"], ypos, xerr=rows["S1_conf"], fmt="o", color="tab:red", ms=3, label="first order (S1)")
        ax.set_yticks(ypos, [p.removeprefix("parameters.") for p in rows["parameter"]], fontsize=7)
        ax.invert_yaxis()
        ax.set_title(outcome.replace("_effect:", " effect: "), fontsize=9)
        ax.axvline(0, color="grey", lw=0.5)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--n", type=int, default=8, help="Saltelli base sample N (designs: N x (D + 2))")
    parser.add_argument("--phase", default="roadmap", help="phase whose effect is analysed (default roadmap)")
    parser.add_argument("--months", type=int, default=120, help="horizon of each run")
    parser.add_argument("--jobs", type=int, default=-1, help="worker processes (-1: one per core)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the design and the bootstrap")
    parser.add_argument("--out", type=Path, default=Path("results/sensitivity"))
    parser.add_argument("overrides", nargs="*", help="further config overrides of every run, e.g. seed=3")
    args = parser.parse_args(argv)
    if args.n < 2 or args.months < 1:
        parser.error("--n must be >= 2, --months >= 1")
    clash = [o for o in args.overrides if o.lstrip("+").split("=")[0] in FACTORS or o.startswith(("output.", "phase"))]
    if clash:
        parser.error(f"overrides {clash} set what the study varies, the phase or where it writes")

    problem, X = design(args.n, args.seed)
    base = [f"months={args.months}", *args.overrides]
    try:
        baseline, phased = run_design(X, base, args.phase, args.out, args.jobs)
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outcomes = outcomes_table(baseline, phased, args.phase)
    indices = analyse(problem, outcomes, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    indices.to_csv(args.out / "sobol_indices.csv", index=False)
    pd.concat([pd.DataFrame(X, columns=list(FACTORS)), outcomes], axis=1).to_parquet(args.out / "samples.parquet")
    title = (f"Sobol indices: N={args.n}, {len(X)} designs x 2 runs ({args.phase} vs baseline, paired), "
             f"{args.months} months")
    plot(indices, args.out / "sobol.png", title)
    top = indices.sort_values("ST", ascending=False).groupby("outcome", sort=False).head(2)
    print(top[["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]].to_string(index=False))
    print(f"written: {args.out / 'sobol_indices.csv'}, {args.out / 'sobol.png'}, {args.out / 'samples.parquet'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
