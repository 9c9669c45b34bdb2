"""The uncertain inputs of the model, with documented prior ranges, and draws over them.

Until a calibrated parameter ensemble is committed, studies of policy effects sample these
ranges (uniform, Latin hypercube); a study can read an ensemble instead (:func:`load_ensemble`:
a CSV or parquet file, one row per draw, one column per config key). Each range states its
source or is marked an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.errors import ConfigError


@dataclass(frozen=True)
class Prior:
    low: float
    high: float
    #: where the range comes from
    source: str


PRIORS: dict[str, Prior] = {
    # the ranges parameters.yaml gives for its own values
    "parameters.transport_eur_tkm_road": Prior(0.06, 0.10, "parameters.yaml: WB6 full-truckload road haulage "
                                                           "~0.06-0.10 EUR/t-km"),
    "parameters.transport_eur_tkm_rail": Prior(0.03, 0.05, "parameters.yaml: bulk rail freight ~0.03-0.05 EUR/t-km"),
    "parameters.handling_eur_t": Prior(3.0, 8.0, "parameters.yaml: loading, unloading and weighing ~3-8 EUR/t"),
    # the ranges of the sensitivity study (experiments/sensitivity.py FACTORS), same sources
    "price_multiplier": Prior(0.7, 1.3, "assumption: secondary-material and metal prices moved by about +-30% "
                                        "over 2015-2024"),
    "parameters.consent_review_days": Prior(5.0, 30.0, "https://portal-rp.tpcluster.de/rpdlp/en/detail?pstCatId="
                                                      "247242680&pstId=231700404 (decision within 30 days of the "
                                                      "acknowledgement); an idle unit's days assumed 5-30"),
    "parameters.holding_cost_eur_t_day": Prior(0.02, 0.15, "assumption: half to three times the base 0.05"),
    "parameters.status_application_months": Prior(3.0, 12.0, "assumption: 3 months (streamlined) to a year's "
                                                             "backlog for a status decision; base 6"),
    "parameters.awareness_peer_contacts_per_month": Prior(0.05, 0.5, "assumption: word of mouth among peers, a "
                                                                     "quarter to two and a half times the base 0.2"),
    "parameters.trust_threshold": Prior(0.3, 0.7, "assumption: trust a firm needs to trade, around the base 0.5"),
    "parameters.waste_refusal_probability": Prior(0.0, 0.3, "assumption: from no refusals to three in ten waste "
                                                            "notifications refused; base 0.1"),
}


def _round(values: np.ndarray) -> np.ndarray:
    """Four significant digits: short run folder names, exact values in the configs."""
    with np.errstate(divide="ignore"):
        digits = 3 - np.floor(np.log10(np.abs(np.where(values == 0, 1.0, values))))
    return np.array([round(float(v), int(d)) for v, d in zip(values, digits)])


def latin_hypercube(n: int, seed: int = 1, priors: dict[str, Prior] = PRIORS) -> pd.DataFrame:
    """``n`` draws (rows) over the priors (columns: config keys), uniform within each range."""
    if n < 1:
        raise ConfigError("draws", f"must be >= 1, got {n}")
    unit = qmc.LatinHypercube(d=len(priors), seed=seed).random(n)
    low = np.array([p.low for p in priors.values()])
    high = np.array([p.high for p in priors.values()])
    values = low + unit * (high - low)
    return pd.DataFrame({key: _round(values[:, i]) for i, key in enumerate(priors)})


def load_ensemble(path: str | Path, n: int | None = None) -> pd.DataFrame:
    """A parameter ensemble (one row per draw, one column per config key; a ``weight`` column, if
    any, is left out), its first ``n`` rows. A YAML file is read as ``sim.calibrate`` writes
    ``sim/data/calibration.yaml``: its ``ensemble`` list of scenario-parameter values."""
    import yaml

    from sim.config import schema_keys
    from sim.parameters import KEYED, NUMBER, SCHEMA

    path = Path(path)
    try:
        if path.suffix in (".yaml", ".yml"):
            members = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("ensemble") or []
            frame = pd.DataFrame([{f"parameters.{k}": v for k, v in m.items()} for m in members])
        else:
            frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError, AttributeError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), f"cannot be read as a parameter ensemble: {exc}") from exc
    frame = frame.drop(columns=[c for c in ("weight", "draw") if c in frame.columns])
    valid = [k for k in schema_keys("") if k not in ("parameters", "policies", "output")]
    valid += [f"parameters.{p.name}" for p in SCHEMA.values() if p.kind == NUMBER]
    valid += [f"parameters.{p.name}.{k}" for p in SCHEMA.values() if p.kind == KEYED for k in p.keys]
    for column in frame.columns:
        if column not in valid:
            raise ConfigError(f"{path}: column {column!r}", "is no uncertain config key", choices=valid, value=column)
    if frame.empty or not all(np.issubdtype(t, np.number) for t in frame.dtypes):
        raise ConfigError(str(path), "needs at least one row of numbers")
    return frame.head(n).reset_index(drop=True) if n else frame


def with_ensemble(design: pd.DataFrame, ensemble: pd.DataFrame) -> pd.DataFrame:
    """The draws, each with the next ensemble member's values (cycled) for the keys the ensemble
    has: calibrated parameters from the ensemble, the others from their prior ranges."""
    out = design.drop(columns=[c for c in ensemble.columns if c in design.columns])
    members = ensemble.iloc[[i % len(ensemble) for i in range(len(design))]].reset_index(drop=True)
    return pd.concat([out, members], axis=1)


def overrides(draw: pd.Series) -> list[str]:
    """Config overrides of one draw."""
    return [f"{key}={value!r}" for key, value in draw.items()]
