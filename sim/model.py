"""The WB6 circular-economy model: wires the scenario, the agents, the market and the pilots."""

from __future__ import annotations

import logging

import mesa
import numpy as np
from omegaconf import DictConfig, OmegaConf

from sim.agents import PRO, Customs, Firm, Regulator
from sim.agents.firm import plan_month, search_partners
from sim.config import MAX_MONTHS, SimConfig, compose_config, group_options, schema_keys, unknown_key
from sim.errors import ConfigError
from sim.investment import FinancingTerms, Project
from sim.kpis import KpiRecorder
from sim.ledger import check_month
from sim.market import Market
from sim.policies import build_policies
from sim.relations import Relations
from sim.scenario import DEFAULT_SCENARIO, KEYED, PARAMETERS, Scenario, check_parameters, load_scenario
from sim.state import MONTHS_PER_YEAR, FirmArrays
from sim.world import BY_PRODUCT, EOW, STATUSES, WASTE, Network

log = logging.getLogger("sim")

STOCK_MATERIALS = ("tailings", "slag", "red_mud", "fly_ash", "bottom_ash")
RECYCLING_LINE_YEARS = 10
#: sectors of permitted installations with their own disposal sites (rarely dump)
INSTALLATION_SECTORS = ("power", "steel", "metallurgy", "mining_legacy", "cement", "chemical", "eu_buyer")


def pays(figures: tuple[np.ndarray, np.ndarray], years: int, rate: np.ndarray) -> np.ndarray:
    """Whether projects of ``years`` with the given (capex, annual margin) have a positive net
    present value at ``rate`` as ``Project.npv`` reckons it, judged with a margin for rounding."""
    capex, margin, rate = np.broadcast_arrays(*figures, rate)
    positive = np.zeros(capex.shape, dtype=bool)
    for r in np.unique(rate):
        at = rate == r
        npv = Project("", -1, (), 0.0, capex[at], margin[at], years, False).npv(FinancingTerms(rate=float(r)))
        positive[at] = npv > -1e-9 * (np.abs(capex[at]) + np.abs(margin[at]) * years + 1.0)
    return positive


def as_config(config) -> SimConfig:
    """A SimConfig from a dataclass, a DictConfig or a plain dict (unknown keys are errors).

    A plain dict that names a ``phase`` but no ``policies`` runs what ``python -m sim
    phase=<name>`` runs (the phase's pilots and run name) with the dict's other keys on top.
    Where ``policies`` are given, or in a dataclass or DictConfig (composed by Hydra already),
    ``phase`` only labels the run."""
    if config is None:
        return SimConfig()
    if isinstance(config, SimConfig):
        return config
    schema = OmegaConf.structured(SimConfig)
    # merging would keep a key added with Hydra's ``+key=`` and to_object would drop it silently
    raw = OmegaConf.to_container(config, resolve=False) if isinstance(config, DictConfig) else config
    if not isinstance(raw, dict):
        raise ConfigError("config", f"needs a mapping of config keys, got {raw!r}", choices=schema_keys(""))
    bad = unknown_key(raw)
    if bad is not None:
        raise ConfigError(bad, "unknown config key", choices=schema_keys(bad), value=bad.rsplit(".", 1)[-1])
    if isinstance(config, dict) and config.get("phase") and "policies" not in config:
        phase = config["phase"]
        if phase not in group_options("phase"):
            raise ConfigError("phase", f"unknown option {phase!r} of configs/phase", choices=group_options("phase"),
                              value=str(phase))
        config = OmegaConf.merge(OmegaConf.to_container(compose_config([f"phase={phase}"])), config)
    try:
        merged = OmegaConf.merge(schema, config if isinstance(config, DictConfig) else OmegaConf.create(config))
        return OmegaConf.to_object(merged)
    except Exception as exc:  # omegaconf raises several error types for bad keys/values
        key = getattr(exc, "full_key", None) or "config"
        raise ConfigError(key, str(exc).splitlines()[0]) from exc


class WB6Model(mesa.Model):
    """Monthly agent-based model of waste, by-product and secondary-raw-material flows."""

    def __init__(self, config=None, region: Scenario | None = None):
        self.config = as_config(config)
        cfg = self.config
        if cfg.months < 1:
            raise ConfigError("months", f"must be >= 1, got {cfg.months}")
        if cfg.months > MAX_MONTHS:
            raise ConfigError("months", f"must be <= {MAX_MONTHS} ({MAX_MONTHS // 12} years), got {cfg.months}")
        if cfg.seed < 0:
            raise ConfigError("seed", f"must be a whole number >= 0, got {cfg.seed}")
        for key in ("price_multiplier", "transport_cost_multiplier"):
            if not getattr(cfg, key) > 0:
                raise ConfigError(key, f"must be > 0, got {getattr(cfg, key)}")
        super().__init__(rng=cfg.seed)
        self.region = region if region is not None else load_scenario(cfg.scenario or DEFAULT_SCENARIO)
        self.params = self._parameters(cfg.parameters)
        self.month = 0
        self.economy_codes = self.region.economy_codes
        self.material_ids = self.region.material_ids
        self.n_economies = len(self.economy_codes)
        self.n_materials = len(self.material_ids)
        self.economy_index = {code: i for i, code in enumerate(self.economy_codes)}
        self.material_index = {m: i for i, m in enumerate(self.material_ids)}
        self.is_wb6 = (self.region.economies["group"] == "WB6").to_numpy()

        materials = self.region.materials
        self.price_multiplier = cfg.price_multiplier
        self.transport_cost_multiplier = cfg.transport_cost_multiplier
        self.virgin_price = materials["virgin_price_eur_t"].to_numpy() * cfg.price_multiplier
        self.unit_value = materials["unit_value_eur_t"].to_numpy() * cfg.price_multiplier
        self.co2_avoided = materials["co2_avoided_t_per_t"].to_numpy()
        self.hazardous = materials["hazardous"].to_numpy()
        self.eu_criteria = (materials["eu_eow_criteria"] != "").to_numpy()
        #: extra willingness to pay from recycled-content rules, share of (virgin - secondary) price
        self.recycled_content_premium = np.zeros(self.n_materials)
        #: cross-border recognition of by-product / EoW status agreed between economies
        self.mutual_recognition = np.zeros((self.n_materials, self.n_economies, self.n_economies), dtype=bool)
        self.status_possible = self._status_possible()
        self.search_cost_eur_t = float(self.params["search_cost_eur_t"])
        self.awareness_growth_per_month = float(self.params["awareness_growth_per_month"])
        #: level awareness tends to by outreach alone; platforms and facilitators raise it
        self.awareness_ceiling = float(self.params["awareness_ceiling"])
        self.peer_participation = np.zeros(self.n_economies)
        self.financier = None

        self.network = Network(self.region)
        self.firms = self._firm_arrays()
        #: what the run should be read with (written to the manifest)
        self.warnings: list[str] = []
        firm_sites = np.unique(self.firms.node)
        unconnected = self.network.unconnected_sites(firm_sites)
        if unconnected:
            # a legitimate what-if (no transport links), but in real data usually a missing link
            self._warn(f"{self.region.folder / 'links.csv'}: {len(unconnected)} of {len(firm_sites)} firm sites are "
                       f"cut off from the rest of the network; their firms trade only on site: {unconnected[:10]}")
        self.regulators = [Regulator(self, e, row) for e, row in enumerate(self.region.economies.itertuples())]
        for e, regulator in enumerate(self.regulators):
            regulator.set_status_matrix(self.status_possible[BY_PRODUCT, e], self.status_possible[EOW, e])
        self.customs = [Customs(self, c, row) for c, row in enumerate(self.region.borders.itertuples())]
        self.pros = [
            PRO(self, self.economy_index[row.economy], self.material_index[row.material], row.epr_status,
                float(row.collection_rate))
            for row in self.region.epr.itertuples()
        ]
        for i, row in enumerate(self.region.firms.itertuples()):
            Firm(self, i, row.firm_id, row.sector)
        self.firm_agents = self.agents_by_type[Firm]
        #: firm row -> materials it files for registration this month (set by ``plan_month``)
        self.firm_tasks: dict[int, list[int]] = {}
        #: firm row -> projects it weighs this month, at the year's end (set by ``plan_month``)
        self.firm_projects: dict[int, list[Project]] = {}
        self._remining_setup()
        #: who knows whom: firms trade only with partners they know of
        self.relations = Relations(self)
        self.relations.seed(self.region.firms["sector"].isin(self.params["sectors_trading_at_start"]).to_numpy())
        self.market = Market(self)
        self.kpis = KpiRecorder(self)
        self.investments: list[dict] = []
        self.plants_under_way: list[tuple[int, Project]] = []
        #: (kind, materials) of the plants each firm has under way, by firm row
        self.building: dict[int, set[tuple]] = {}
        self.backlog_by_material_open = np.zeros(self.n_materials)
        self.policies = build_policies(dict(cfg.policies), self)
        self.active_policies: list = []

    # ---- construction helpers -------------------------------------------------------
    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self.warnings.append(message)

    def _parameters(self, overrides) -> dict:
        params = dict(self.region.parameters)
        for name, value in dict(overrides).items():
            if name not in params and name not in PARAMETERS:
                raise ConfigError(f"parameters.{name}", "unknown parameter", choices=params, value=name)
            if name in KEYED:
                if not isinstance(value, dict):
                    raise ConfigError(f"parameters.{name}", f"needs a mapping of {list(KEYED[name])} to numbers, "
                                      f"got {value!r}", choices=KEYED[name])
                value = {**params[name], **dict(value)}
            params[name] = value
        return check_parameters(params, "parameters", locate=lambda name: f"parameters.{name}", error=ConfigError)

    def _status_possible(self) -> np.ndarray:
        possible = np.zeros((len(STATUSES), self.n_economies, self.n_materials), dtype=bool)
        possible[WASTE] = True
        for row in self.region.legal_status.itertuples():
            e, m = self.economy_index[row.economy], self.material_index[row.material]
            possible[BY_PRODUCT, e, m] = row.by_product_possible
            possible[EOW, e, m] = row.eow_possible
        return possible

    def _firm_arrays(self) -> FirmArrays:
        region, rng = self.region, self.rng
        firms = region.firms
        n, m = len(firms), self.n_materials
        site_economy = dict(zip(region.sites["site_id"], region.sites["economy"]))
        economy = np.array([self.economy_index[site_economy[s]] for s in firms["site_id"]], dtype=np.int64)
        node = firms["site_id"].map(self.network.index).to_numpy(dtype=np.int64)
        row_of = {f: i for i, f in enumerate(firms["firm_id"])}
        arrays = {name: np.zeros((n, m)) for name in ("generation", "capacity", "stock", "quality", "min_quality")}
        streams = region.firm_streams
        rows = streams["firm_id"].map(row_of).to_numpy()
        cols = streams["material"].map(self.material_index).to_numpy()
        tonnes, quality = streams["tonnes"].to_numpy(), streams["quality"].to_numpy()
        reclaim_share = self.params["stock_reclaim_share_per_year"]
        # a firm offers fresh output and what it reclaims from its deposit as one lot: its grade
        # is the mean of the two weighted by tonnes a month
        graded = np.zeros((n, m))
        for role, target, scale, offered in (("generates", "generation", 1 / MONTHS_PER_YEAR, 1 / MONTHS_PER_YEAR),
                                             ("absorbs", "capacity", 1 / MONTHS_PER_YEAR, 0.0),
                                             ("stock", "stock", 1.0, reclaim_share / MONTHS_PER_YEAR)):
            sel = (streams["role"] == role).to_numpy()
            np.add.at(arrays[target], (rows[sel], cols[sel]), tonnes[sel] * scale)
            if role == "absorbs":
                arrays["min_quality"][rows[sel], cols[sel]] = quality[sel]
            else:
                weight = np.maximum(tonnes[sel] * offered, 1e-12)
                np.add.at(arrays["quality"], (rows[sel], cols[sel]), quality[sel] * weight)
                np.add.at(graded, (rows[sel], cols[sel]), weight)
        arrays["quality"] = np.divide(arrays["quality"], graded, out=np.zeros((n, m)), where=graded > 0)
        offers = (arrays["generation"] > 0) | (arrays["stock"] > 0)
        reclaim = arrays["stock"] * reclaim_share / MONTHS_PER_YEAR
        dump_max = self.params["dump_propensity_max"]
        installation = firms["sector"].isin(INSTALLATION_SECTORS).to_numpy()
        propensity_cap = np.where(installation, dump_max["installation"], dump_max["msme"])
        # sectors with established exchanges trade from the start; elsewhere a random share of firms
        established = firms["sector"].isin(self.params["sectors_trading_at_start"]).to_numpy()
        aware = (rng.random(n) < self.params["awareness_initial"]) | established
        threshold = np.clip(rng.normal(self.params["trust_threshold"], 0.15, n), 0.0, 1.0)
        return FirmArrays(
            economy=economy, node=node, offers=offers, offer_share=np.ones((n, m)),
            reclaim_t_month=reclaim, remining_t_month=np.zeros((n, m)), utilisation=np.zeros((n, m)),
            status=np.zeros((n, m), dtype=np.int64), applied=np.zeros((n, m), dtype=bool),
            participating=aware, awareness=aware.astype(float),
            trust_threshold=threshold, dump_propensity=rng.uniform(0.0, 1.0, n) * propensity_cap, **arrays,
        )

    def _remining_setup(self) -> None:
        """Value per tonne of each deposit's recoverable metals, and metal yields for the KPIs."""
        n = self.firms.n_firms
        self.remining_revenue_eur_t = np.zeros(n)
        self.remining_yield: dict[str, np.ndarray] = {}
        self.crm_metals: set[str] = set()
        row_of = {f: i for i, f in enumerate(self.region.firms["firm_id"])}
        for row in self.region.remining.itertuples():
            f = row_of[row.firm_id]
            kg_recovered = row.grade_kg_t * row.recovery
            self.remining_revenue_eur_t[f] += kg_recovered / 1000.0 * row.metal_price_eur_t * self.price_multiplier
            self.remining_yield.setdefault(row.metal, np.zeros(n))[f] += kg_recovered / 1000.0
            if row.crm:
                self.crm_metals.add(row.metal)

    # ---- what agents ask of the model -----------------------------------------------
    @property
    def is_investment_month(self) -> bool:
        return self.month % 12 == 11

    def disposal_prices(self) -> tuple[np.ndarray, np.ndarray]:
        """Landfill fee and expected dumping fine (fine x detection probability) per firm, EUR/t."""
        fee = np.array([r.landfill_fee_eur_t for r in self.regulators])[self.firms.economy]
        fine = np.array([r.expected_fine_eur_t for r in self.regulators])[self.firms.economy]
        return fee, fine

    def disposal_cost_eur_t(self) -> np.ndarray:
        """What disposing of one tonne costs each firm, given the share it would dump
        (the rule of ``split_disposal``): the outside option a sale must beat."""
        fee, fine = self.disposal_prices()
        total = fee + fine
        dump_share = self.firms.dump_propensity * np.clip(
            np.divide(fee - fine, total, out=np.zeros_like(total), where=total > 0), 0.0, 1.0
        )
        return fee * (1.0 - dump_share) + fine * dump_share

    def willingness_to_pay(self, buyers: np.ndarray, material: int) -> np.ndarray:
        """EUR/t a buyer pays at its gate: the secondary material's value, plus any premium
        recycled-content rules add, capped by the virgin substitute's price."""
        premium = self.recycled_content_premium[material] * max(self.virgin_price[material] - self.unit_value[material], 0.0)
        wtp = min(self.unit_value[material] + premium, self.virgin_price[material])
        return np.full(len(buyers), wtp)

    def shipment_class_matrix(self, material: int) -> np.ndarray:
        """Class of a shipment by (status of the stream, origin economy, destination economy).

        At home a registered status holds. Abroad it holds only if the destination can grant
        the same status and recognises the origin's decision: by mutual recognition, or
        because both apply EU-wide end-of-waste criteria. Otherwise it travels as waste.
        """
        e = self.n_economies
        cls = np.zeros((len(STATUSES), e, e), dtype=np.int64)
        same = np.eye(e, dtype=bool)
        for status in (BY_PRODUCT, EOW):
            dest_possible = self.status_possible[status, :, material][None, :]
            recognised = same | (dest_possible & self.mutual_recognition[material])
            if status == EOW and self.eu_criteria[material]:
                recognised |= dest_possible
            cls[status][recognised] = status
        return cls

    def _stock_columns(self) -> list[int]:
        return [self.material_index[m] for m in STOCK_MATERIALS if m in self.material_index]

    def investment_prospects(self) -> np.ndarray:
        """bool[F]: firms worth asking to weigh investments. Some project passes the tests of
        ``investment_options_of`` (plants under way aside) and, unless a financier may offer better
        terms, pays at the firm's hurdle rate (judged with a margin for rounding, so that every
        firm that would invest is asked)."""
        firms, p = self.firms, self.params
        remining, line_firms, line_materials = self._investment_candidates()
        if self.financier is None:
            hurdle_rate = np.array([r.hurdle_rate for r in self.regulators])
            remining = remining[pays(self._remining_figures(remining)[1:], int(p["remining_lifetime_years"]),
                                     hurdle_rate[firms.economy[remining]])]
            line_firms = line_firms[pays(self._line_figures(firms.capacity[line_firms, line_materials])[1:],
                                         RECYCLING_LINE_YEARS, hurdle_rate[firms.economy[line_firms]])]
        prospects = np.zeros(firms.n_firms, dtype=bool)
        prospects[remining] = True
        prospects[line_firms] = True
        return prospects

    def _investment_candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of the firms that could build a re-mining plant (their deposits hold recoverable
        metals and they run none), and the (firm row, material) of each stream taken in at 90 %
        of capacity or more, which a recycling line would expand; firm by firm, materials in
        order. Plants under way are not looked at. (Few firms pass: the tests on all firms are
        the cheap and selective ones.)"""
        firms = self.firms
        remining = np.flatnonzero(self.remining_revenue_eur_t > 0)
        remining = remining[(firms.stock[remining][:, self._stock_columns()].sum(axis=1) > 0)
                            & (firms.remining_t_month[remining].sum(axis=1) == 0)]
        near_capacity = np.flatnonzero(firms.utilisation >= 0.9)
        line_firms, line_materials = np.divmod(near_capacity[firms.capacity.take(near_capacity) > 0], self.n_materials)
        return remining, line_firms, line_materials

    def _remining_figures(self, f):
        """Throughput (t/yr), capex and annual margin (EUR) of the re-mining plant of firm row(s) ``f``."""
        p = self.params
        throughput = self.firms.stock[f][..., self._stock_columns()].sum(axis=-1) * p["remining_throughput_share_per_year"]
        margin = (self.remining_revenue_eur_t[f] - p["remining_opex_eur_t"]) * throughput
        return throughput, p["remining_capex_eur_per_t_yr"] * throughput, margin

    def _line_figures(self, capacity_t_month):
        """Added capacity (t/yr), capex and annual margin (EUR) of recycling lines expanding ``capacity_t_month``."""
        p = self.params
        added = 0.5 * capacity_t_month * MONTHS_PER_YEAR
        return (added, p["recycling_line_capex_eur_per_t_yr"] * added,
                p["recycling_line_margin_eur_t"] * self.price_multiplier * added)

    def investment_options_of(self, rows: np.ndarray) -> dict[int, list[Project]]:
        """The projects each firm of ``rows`` could start, figured for all of them at once (see
        ``_investment_candidates``), none of a kind (and stream) it has under way: its re-mining
        plant first, then its recycling lines by material."""
        firms, p = self.firms, self.params
        options: dict[int, list[Project]] = {f: [] for f in rows.tolist()}
        asked = np.zeros(firms.n_firms, dtype=bool)
        asked[rows] = True
        remining, line_firms, line_materials = self._investment_candidates()
        remining = remining[asked[remining]]
        stock_cols = self._stock_columns()
        throughput, capex, margin = self._remining_figures(remining)
        holds = (firms.stock[remining][:, stock_cols] > 0).tolist()
        crm_output = np.zeros(len(remining), dtype=bool)
        for metal in self.crm_metals:
            crm_output |= self.remining_yield[metal][remining] > 0
        for i, f in enumerate(remining.tolist()):
            if not any(kind == "remining" for kind, _ in self.building.get(f, ())):
                options[f].append(Project(
                    "remining", f, tuple(c for c, held in zip(stock_cols, holds[i]) if held), throughput[i],
                    capex[i], margin[i], int(p["remining_lifetime_years"]), crm_output=bool(crm_output[i]),
                ))
        line_asked = asked[line_firms]
        line_firms, line_materials = line_firms[line_asked], line_materials[line_asked]
        added, capex, margin = self._line_figures(firms.capacity[line_firms, line_materials])
        for i, (f, m) in enumerate(zip(line_firms.tolist(), line_materials.tolist())):
            if ("recycling_line", (m,)) not in self.building.get(f, ()):
                options[f].append(Project("recycling_line", f, (m,), added[i], capex[i], margin[i],
                                          RECYCLING_LINE_YEARS, crm_output=False))
        return options

    def financing_terms(self, firm: Firm, project: Project) -> FinancingTerms:
        """What the firm can borrow at: its economy's hurdle rate, unless a financier de-risks."""
        base = FinancingTerms(rate=firm.regulator.hurdle_rate)
        return self.financier.terms(firm, project, base) if self.financier is not None else base

    def invest(self, firm: Firm, project: Project, terms: FinancingTerms) -> None:
        if self.financier is not None:
            self.financier.commit(project, terms)
        # the plant operates once permitted and built
        permit = "permitting_extraction_months" if project.kind == "remining" else "permitting_recycling_months"
        self.plants_under_way.append((self.month + int(self.params[permit]), project))
        self._mark_building(project)
        capex = project.capex_eur + terms.safeguards_eur
        self.investments.append({
            "step": self.month, "firm": firm.firm_id, "kind": project.kind, "capex_eur": capex,
            "public_eur": terms.public_eur, "grant_eur": terms.grant_eur,
            "private_eur": capex - terms.grant_eur - terms.concessional_eur, "crm_output": project.crm_output,
        })

    def commission_plants(self) -> None:
        """Plants whose permits and construction are done start operating this month."""
        firms, waiting = self.firms, []
        for ready, project in self.plants_under_way:
            if ready > self.month:
                waiting.append((ready, project))
            elif project.kind == "remining":
                cols = list(project.materials)
                share = firms.stock[project.firm, cols] / max(firms.stock[project.firm, cols].sum(), 1e-12)
                firms.remining_t_month[project.firm, cols] = project.capacity_t_yr / MONTHS_PER_YEAR * share
            else:
                firms.capacity[project.firm, project.materials[0]] += project.capacity_t_yr / MONTHS_PER_YEAR
        self.plants_under_way = waiting
        self.building = {}
        for _, project in waiting:
            self._mark_building(project)

    def _mark_building(self, project: Project) -> None:
        self.building.setdefault(project.firm, set()).add((project.kind, project.materials))

    # ---- the month --------------------------------------------------------------------
    def step(self) -> None:
        """One month: pilots act, regulators test, PROs collect, firms decide, the market
        clears, customs clear the borders, leftovers are disposed of, the ledger is checked."""
        self.start_due_policies()
        self.commission_plants()
        self.market.open_month()
        for post in self.customs:
            post.reset_month()
        self.peer_participation = self._peer_participation()
        for regulator in self.regulators:
            regulator.step()
        for pro in self.pros:
            pro.step()
        plan_month(self)
        self.firm_agents.shuffle_do("step")
        self.market.clear()
        for post in self.customs:
            post.step()
        self.market.settle()
        shipments = self.market.shipments
        self.relations.learn(shipments, self.relations.complaints(shipments))
        search_partners(self)
        if self.config.check_invariants:
            check_month(self)
        self.kpis.record()
        self.month += 1
        if self.month >= self.config.months:
            self.running = False

    def start_due_policies(self) -> None:
        for policy in self.policies:
            if policy.start_month == self.month:
                policy.apply(self)
                self.active_policies.append(policy)
        for policy in self.active_policies:
            policy.on_step(self)

    def customs_backlog_by_material(self) -> np.ndarray:
        backlog = np.zeros(self.n_materials)
        for post in self.customs:
            for _, _, material, tonnes in post.queue:
                backlog[material] += tonnes
        return backlog

    def _peer_participation(self) -> np.ndarray:
        counts = np.bincount(self.firms.economy, minlength=self.n_economies)
        active = np.bincount(self.firms.economy, weights=self.firms.participating, minlength=self.n_economies)
        return np.divide(active, counts, out=np.zeros(self.n_economies), where=counts > 0)

    def run(self) -> None:
        while self.running:
            self.step()

