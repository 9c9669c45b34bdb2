"""Firm state as arrays: the kernels read these; agents keep their row index into them."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

MONTHS_PER_YEAR = 12.0


@dataclass
class FirmArrays:
    """Per-firm (F) and per-firm-and-material (F x M) state. Tonnes are t, rates t/month."""

    economy: np.ndarray          # int64[F]
    node: np.ndarray             # int64[F] network node of the firm's site
    generation: np.ndarray       # float64[F, M] t/month generated
    capacity: np.ndarray         # float64[F, M] t/month it can absorb as secondary input
    stock: np.ndarray            # float64[F, M] t held in deposits
    quality: np.ndarray          # float64[F, M] grade of what it offers
    min_quality: np.ndarray      # float64[F, M] lowest grade it accepts
    offers: np.ndarray           # bool[F, M] generates or holds the material
    offer_share: np.ndarray      # float64[F, M] share of generation collected for sale
    reclaim_t_month: np.ndarray  # float64[F, M] t/month it can dig out of its stock
    remining_t_month: np.ndarray  # float64[F, M] t/month reprocessed by a re-mining plant
    utilisation: np.ndarray      # float64[F, M] smoothed use / capacity
    sold_share: np.ndarray       # float64[F, M] smoothed share of what it offers that it sells
    status: np.ndarray           # int64[F, M] 0 waste, 1 by-product, 2 end-of-waste
    status_month: np.ndarray     # int64[F, M] month the status was last granted or renewed (-1: never)
    applied: np.ndarray          # bool[F, M] status application filed
    participating: np.ndarray    # bool[F]
    awareness: np.ndarray        # float64[F] in [0, 1]
    trust_threshold: np.ndarray  # float64[F] awareness needed to take part
    dump_propensity: np.ndarray  # float64[F] in [0, 1]

    @property
    def n_firms(self) -> int:
        return self.economy.shape[0]

    def copy(self) -> "FirmArrays":
        return FirmArrays(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


@dataclass
class MonthFlows:
    """Tonnes moved this month, float64[F, M] each; they close the mass balance."""

    stock_open: np.ndarray
    generated: np.ndarray
    received: np.ndarray
    used: np.ndarray
    shipped: np.ndarray
    landfilled: np.ndarray
    dumped: np.ndarray
    stock_close: np.ndarray

    @classmethod
    def start(cls, stock: np.ndarray) -> "MonthFlows":
        zeros = lambda: np.zeros_like(stock)  # noqa: E731
        return cls(stock.copy(), zeros(), zeros(), zeros(), zeros(), zeros(), zeros(), stock.copy())
