"""Firm state as arrays: the kernels read these; agents keep their row index into them."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.parameters import declare

MONTHS_PER_YEAR = 12.0
declare("min_grade_factor", default=1.0, unit="multiplier on every buyer's minimum accepted grade (capped at 1)",
        source="assumption: firm_streams.csv's grades are assumed on a 0.1 grid; 0.8-1.2 in sensitivity studies, "
               "about one grade step either way at the common minimum 0.5")


@dataclass
class FirmArrays:
    """Per-firm (F) and per-firm-and-material (F x M) state. Tonnes are t, rates t/month.

    The descriptors (economy, node, sector, installation, size) are fixed; decision rules may
    read them (``sector`` indexes ``WB6Model.sector_names``)."""

    economy: np.ndarray          # int64[F]
    node: np.ndarray             # int64[F] network node of the firm's site
    sector: np.ndarray           # int64[F] index into the model's sector_names
    installation: np.ndarray     # bool[F] a permitted installation with its own disposal site
    size_t_yr: np.ndarray        # float64[F] t/yr it generates and can take in, all materials
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
    receptiveness: np.ndarray    # float64[F] how readily it hears about exchanges (mean 1)
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
    produced: np.ndarray     # products treatment plants put into their stock
    used: np.ndarray
    shipped: np.ndarray
    landfilled: np.ndarray
    dumped: np.ndarray
    stock_close: np.ndarray

    @classmethod
    def start(cls, stock: np.ndarray) -> "MonthFlows":
        zeros = lambda: np.zeros_like(stock)  # noqa: E731
        return cls(stock.copy(), zeros(), zeros(), zeros(), zeros(), zeros(), zeros(), zeros(), stock.copy())


#: sectors of permitted installations with their own disposal sites (rarely dump)
INSTALLATION_SECTORS = ("power", "steel", "metallurgy", "mining_legacy", "cement", "chemical", "eu_buyer")


def build_firm_arrays(model, firm_class) -> FirmArrays:
    """The firms' state at month 0 from the scenario's firm and stream tables (tonnes a year in
    the data, a month here): who takes part at the start by ``firm_class.initial_participation``,
    then the behavioural draws from the model's random generator."""
    region, rng = model.region, model.rng
    firms = region.firms
    n, m = len(firms), model.n_materials
    site_economy = dict(zip(region.sites["site_id"], region.sites["economy"]))
    economy = np.array([model.economy_index[site_economy[s]] for s in firms["site_id"]], dtype=np.int64)
    node = firms["site_id"].map(model.network.index).to_numpy(dtype=np.int64)
    row_of = {f: i for i, f in enumerate(firms["firm_id"])}
    arrays = {name: np.zeros((n, m)) for name in ("generation", "capacity", "stock", "quality", "min_quality")}
    streams = region.firm_streams
    rows = streams["firm_id"].map(row_of).to_numpy()
    cols = streams["material"].map(model.material_index).to_numpy()
    tonnes, quality = streams["tonnes"].to_numpy(), streams["quality"].to_numpy()
    reclaim_share = model.params["stock_reclaim_share_per_year"]
    # a firm offers fresh output and what it reclaims from its deposit as one lot: its grade
    # is the mean of the two weighted by tonnes a month
    graded = np.zeros((n, m))
    for role, target, scale, offered in (("generates", "generation", 1 / MONTHS_PER_YEAR, 1 / MONTHS_PER_YEAR),
                                         ("absorbs", "capacity", 1 / MONTHS_PER_YEAR, 0.0),
                                         ("stock", "stock", 1.0, reclaim_share / MONTHS_PER_YEAR)):
        sel = (streams["role"] == role).to_numpy()
        np.add.at(arrays[target], (rows[sel], cols[sel]), tonnes[sel] * scale)
        if role == "absorbs":
            arrays["min_quality"][rows[sel], cols[sel]] = np.minimum(quality[sel] * model.params["min_grade_factor"], 1.0)
        else:
            weight = np.maximum(tonnes[sel] * offered, 1e-12)
            np.add.at(arrays["quality"], (rows[sel], cols[sel]), quality[sel] * weight)
            np.add.at(graded, (rows[sel], cols[sel]), weight)
    arrays["quality"] = np.divide(arrays["quality"], graded, out=np.zeros((n, m)), where=graded > 0)
    offers = (arrays["generation"] > 0) | (arrays["stock"] > 0)
    reclaim = arrays["stock"] * reclaim_share / MONTHS_PER_YEAR
    dump_max = model.params["dump_propensity_max"]
    installation = firms["sector"].isin(INSTALLATION_SECTORS).to_numpy()
    sector = firms["sector"].map({name: i for i, name in enumerate(model.sector_names)}).to_numpy(dtype=np.int64)
    size = (arrays["generation"].sum(axis=1) + arrays["capacity"].sum(axis=1)) * MONTHS_PER_YEAR
    state = FirmArrays(
        economy=economy, node=node, sector=sector, installation=installation, size_t_yr=size, offers=offers,
        offer_share=np.ones((n, m)), reclaim_t_month=reclaim, remining_t_month=np.zeros((n, m)),
        utilisation=np.zeros((n, m)), sold_share=np.zeros((n, m)), status=np.zeros((n, m), dtype=np.int64),
        status_month=np.full((n, m), -1, dtype=np.int64), applied=np.zeros((n, m), dtype=bool),
        participating=np.zeros(n, dtype=bool), awareness=np.zeros(n), trust_threshold=np.zeros(n),
        receptiveness=np.zeros(n), dump_propensity=np.zeros(n), **arrays,
    )
    state.participating[:] = firm_class.initial_participation(model, state)
    state.awareness[:] = state.participating
    state.trust_threshold[:] = np.clip(rng.normal(model.params["trust_threshold"], 0.15, n), 0.0, 1.0)
    propensity_cap = np.where(installation, dump_max["installation"], dump_max["msme"])
    state.dump_propensity[:] = rng.uniform(0.0, 1.0, n) * propensity_cap
    shape = float(model.params["awareness_receptiveness_shape"])
    state.receptiveness[:] = rng.gamma(shape, 1.0 / shape, n)
    return state
