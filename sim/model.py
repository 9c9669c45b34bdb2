"""The WB6 circular-economy model: wires the scenario, the agents, the market and the pilots."""

from __future__ import annotations

import logging

import mesa
import numpy as np

from sim.agents.cbam import CarbonBorder
from sim.agents.kinds import KINDS, resolve_actor_classes
from sim.agents.offtake import CrmOfftake
from sim.agents.regulator import PRODUCTION_SECTORS
from sim.agents.treatment import TreatmentPlants
from sim.agents.utilities import UtilityExchanges
from sim.config import MAX_MONTHS, SimConfig, as_config, import_extensions
from sim.deposits import Deposits
from sim.errors import ConfigError
from sim.investment import InvestmentPipeline, Project
from sim.kpis import KpiRecorder
from sim.ledger import check_month
from sim.market import Market
from sim.policies import build_policies
from sim.parameters import KEYED, SCHEMA
from sim.relations import Relations
from sim.scenario import DEFAULT_SCENARIO, Scenario, check_parameters, load_schedule, load_scenario, with_defaults
from sim.schedules import Schedules
from sim.state import build_firm_arrays
from sim.world import BY_PRODUCT, EOW, STATUSES, WASTE, Network

log = logging.getLogger("sim")
#: key of the contact draws' random stream (beside the seed)
CONTACT_STREAM = 1


class WB6Model(mesa.Model):
    """Monthly agent-based model of waste, by-product and secondary-raw-material flows."""

    def __init__(self, config=None, region: Scenario | None = None):
        self.config: SimConfig = as_config(config)
        cfg = self.config
        import_extensions(cfg.extensions)
        #: the class each actor kind is made from (config ``agents``), checked before anything is built
        self.actor_classes = resolve_actor_classes(cfg.agents)
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
        #: shipment classes of every material, and what they were made from (``shipment_class_matrix``)
        self._class_key, self._classes = None, None
        self.search_cost_eur_t = float(self.params["search_cost_eur_t"])
        #: contacts per month that outreach campaigns of running pilots give a firm (the platform's)
        self.outreach_contacts_per_month = 0.0
        #: the uniforms of the firms' monthly contacts (``Firm.grow_awareness``), a stream of their own
        #: so that runs differing in anything else draw the same contacts
        self.contact_draws = np.random.default_rng([cfg.seed, CONTACT_STREAM])
        #: financial instruments running, in the order they started (pilots append them)
        self.instruments: list = []

        self.network = Network(self.region)
        kind = self.actor_classes
        #: the firm class, whose rules the month's plan applies to all firms at once
        self.firm_class = kind["firm"]
        self.sector_names = sorted(set(self.region.firms["sector"]))
        self.firms = build_firm_arrays(self, self.firm_class)
        #: float[F] share of each firm's peers taking part, as the month began
        self.peer_share = self._peer_share()
        #: what the run should be read with (written to the manifest)
        self.warnings: list[str] = []
        firm_sites = np.unique(self.firms.node)
        unconnected = self.network.unconnected_sites(firm_sites)
        if unconnected:
            # a legitimate what-if (no transport links), but in real data usually a missing link
            self._warn(f"{self.region.folder / 'links.csv'}: {len(unconnected)} of {len(firm_sites)} firm sites are "
                       f"cut off from the rest of the network; their firms trade only on site: {unconnected[:10]}")
        self.regulators = [kind["regulator"](self, e, row) for e, row in enumerate(self.region.economies.itertuples())]
        for e, regulator in enumerate(self.regulators):
            regulator.set_status_matrix(self.status_possible[BY_PRODUCT, e], self.status_possible[EOW, e])
        self.customs = [kind["customs"](self, c, row) for c, row in enumerate(self.region.borders.itertuples())]
        self.pros = [
            kind["pro"](self, self.economy_index[row.economy], self.material_index[row.material], row.epr_status,
                        float(row.collection_rate))
            for row in self.region.epr.itertuples()
        ]
        #: bool[F]: firms whose residues arise in a production process (may be by-products)
        self.production_residue = self.region.firms["sector"].isin(PRODUCTION_SECTORS).to_numpy()
        self.status_validity_months = int(self.params["status_validity_months"])
        self.status_refiling_months = int(self.params["status_refiling_months"])
        for i, row in enumerate(self.region.firms.itertuples()):
            self.firm_class(self, i, row.firm_id, row.sector)
        self.firm_agents = self.agents_by_type[self.firm_class]
        #: firm row -> materials it files for registration this month (set by ``Firm.plan_month``)
        self.firm_tasks: dict[int, list[int]] = {}
        #: firm row -> projects it weighs this month, at the year's end (set by ``Firm.plan_month``)
        self.firm_projects: dict[int, list[Project]] = {}
        self._remining_setup()
        self.offtake = CrmOfftake(self)
        self.treatment = TreatmentPlants(self)  # before the market: plants offer their products
        #: heat and water piped between firms (MWh, m3), outside the tonnes of the ledger
        self.utilities = UtilityExchanges(self)
        #: what CBAM certificates saved make low-carbon inputs worth to WB6 exporters (the cbam pilot prices it)
        self.cbam = CarbonBorder(self)
        #: EUR/t a buyer bids at its gate where its own price is set (EU buyers as agents), NaN elsewhere
        self.buyer_price = np.full(self.firms.capacity.shape, np.nan)
        self.schedules = Schedules(self, load_schedule(self.region, cfg.schedule) if cfg.schedule
                                   else self.region.schedules)
        self.pipeline = InvestmentPipeline(self)
        #: the investments firms went ahead with, one record each
        self.investments = self.pipeline.records
        #: who knows whom: firms trade only with partners they know of
        self.relations = Relations(self)
        self.relations.seed(self.region.firms["sector"].isin(self.params["sectors_trading_at_start"]).to_numpy())
        self.market = Market(self)
        self.kpis = KpiRecorder(self)
        self.backlog_by_material_open = np.zeros(self.n_materials)
        #: agents the roadmap's pilots made, by actor kind (chambers, brokers, ...)
        self.pilot_actors: dict[str, list] = {}
        #: what the scale-or-pivot reviews decided, one record per pilot and review
        self.pilot_decisions: list[dict] = []
        self.policies = build_policies(dict(cfg.policies), self)
        self.active_policies: list = []
        #: agents of the added actor kinds the config names, by stage of the month
        self.added_actors: dict[str, list[tuple[type, list]]] = {}
        for name, cls in self.actor_classes.items():
            stage = KINDS[name].stage
            if stage is not None:
                self.added_actors.setdefault(stage, []).append((cls, list(cls.populate(self))))

    # ---- construction helpers -------------------------------------------------------
    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self.warnings.append(message)

    def _parameters(self, overrides) -> dict:
        # parameters declared by extensions imported after the region was read take their defaults
        params = with_defaults(self.region.parameters)
        for name, value in dict(overrides).items():
            if name not in params and name not in SCHEMA:
                raise ConfigError(f"parameters.{name}", "unknown parameter", choices=params, value=name)
            keys = SCHEMA[name].keys if name in SCHEMA and SCHEMA[name].kind == KEYED else None
            if keys:
                if not isinstance(value, dict):
                    raise ConfigError(f"parameters.{name}", f"needs a mapping of {list(keys)} to numbers, "
                                      f"got {value!r}", choices=keys)
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

    def _remining_setup(self) -> None:
        """Value per tonne of each deposit's recoverable metals, and metal yields for the KPIs, at
        the deposit's true grade (``Deposits``: what investors believe before exploring differs)."""
        n = self.firms.n_firms
        #: costs, grade uncertainty and exploration of the legacy deposits
        self.deposits = Deposits(self)
        self.remining_revenue_eur_t = np.zeros(n)
        self.remining_yield: dict[str, np.ndarray] = {}
        self.crm_metals: set[str] = set()
        row_of = {f: i for i, f in enumerate(self.region.firms["firm_id"])}
        for row, grade in zip(self.region.remining.itertuples(), self.deposits.metal_grade_kg_t):
            f = row_of[row.firm_id]
            kg_recovered = grade * self.deposits.grade_factor[f] * row.recovery
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
        (``Firm.disposal_choice``): the outside option a sale must beat."""
        return self.actor_classes["firm"].disposal_choice(self)[1]

    def willingness_to_pay(self, buyers: np.ndarray, material: int) -> np.ndarray:
        """EUR/t a buyer pays at its gate: the secondary material's value, plus any premium
        recycled-content rules add, capped by the virgin substitute's price; a treatment plant
        pays what the input is worth to it (``TreatmentPlants.input_bids``); an exporter under
        CBAM adds the certificates the input saves it (``CarbonBorder.premium``); a buyer with its
        own price (``buyer_price``, set by the ``eu_buyers`` agents) bids that instead."""
        premium = self.recycled_content_premium[material] * max(self.virgin_price[material] - self.unit_value[material], 0.0)
        wtp = min(self.unit_value[material] + premium, self.virgin_price[material])
        own = self.buyer_price[buyers, material]
        wtp = np.where(np.isnan(own), wtp, own)
        return self.treatment.input_bids(buyers, material, wtp) + self.cbam.premium[buyers, material]

    def shipment_class_matrix(self, material: int) -> np.ndarray:
        """Class of a shipment by (status of the stream, origin economy, destination economy).

        At home a registered status holds. Abroad it holds only if the destination can grant
        the same status and recognises the origin's decision: by mutual recognition, or
        because both apply EU-wide end-of-waste criteria. Otherwise it travels as waste.
        (All materials' matrices are made at once, and again only when what decides them changed.)
        """
        key = (self.status_possible.tobytes(), self.mutual_recognition.tobytes(), self.eu_criteria.tobytes())
        if key != self._class_key:
            self._class_key, self._classes = key, self._shipment_classes()
        return self._classes[material]

    def _shipment_classes(self) -> np.ndarray:
        """int64[M, S, E, E]: ``shipment_class_matrix`` of every material."""
        e = self.n_economies
        cls = np.zeros((self.n_materials, len(STATUSES), e, e), dtype=np.int64)
        same = np.eye(e, dtype=bool)[None, :, :]
        for status in (BY_PRODUCT, EOW):
            dest_possible = self.status_possible[status].T[:, None, :]  # [material, 1, destination]
            recognised = same | (dest_possible & self.mutual_recognition)
            if status == EOW:
                recognised |= dest_possible & self.eu_criteria[:, None, None]
            cls[:, status][recognised] = status
        return cls

    # ---- the month --------------------------------------------------------------------
    def step(self) -> None:
        """One month: scheduled changes of the region (closures, growth) happen, pilots act,
        regulators test, PROs collect, firms decide, the market clears, customs clear the borders,
        leftovers are disposed of, treatment plants treat what they took in, heat and water flow over
        the links that run, the ledger is checked.
        Actors of added kinds act at their stage (see sim/agents/kinds.py)."""
        self.schedules.apply(self.month)
        if self.month == 0:
            # the trade under way links its partners (priced with the first month's costs)
            self.relations.seed_trade(self.market)
        self.start_due_policies()
        self.pipeline.commission_plants()
        self.actors_act("month_start")
        self.market.open_month()
        for post in self.customs:
            post.reset_month()
        self.peer_share = self._peer_share()
        for regulator in self.regulators:
            regulator.step()
        for pro in self.pros:
            pro.step()
        self.actors_act("before_firms")
        self.firm_class.plan_month(self)
        self.firm_agents.shuffle_do("step")
        self.market.clear()
        for post in self.customs:
            post.step()
        self.market.settle()
        self.treatment.treat()
        self.utilities.step()
        shipments = self.market.shipments
        self.relations.learn(shipments, self.relations.complaints(shipments))
        self.firm_class.search_partners(self)
        self.actors_act("month_end")
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

    def actors_act(self, stage: str) -> None:
        """Actors of added kinds whose turn is at ``stage`` of the month act, kind by kind."""
        for cls, agents in self.added_actors.get(stage, ()):
            cls.act(self, agents)

    def customs_backlog_by_material(self) -> np.ndarray:
        backlog = np.zeros(self.n_materials)
        for post in self.customs:
            for entry in post.queue:
                backlog[entry[2]] += entry[3]
        return backlog

    def _peer_share(self) -> np.ndarray:
        """float[F]: the share of each firm's peers taking part in exchanges: the other firms of
        its economy and sector, or of its economy where it is the only one of its sector."""
        firms = self.firms
        taking_part = firms.participating.astype(np.float64)

        def others(cell: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
            count = np.bincount(cell, minlength=n_cells)[cell] - 1
            active = np.bincount(cell, weights=taking_part, minlength=n_cells)[cell] - taking_part
            return count, active

        sector_count, sector_active = others(firms.economy * len(self.sector_names) + firms.sector,
                                             self.n_economies * len(self.sector_names))
        economy_count, economy_active = others(firms.economy, self.n_economies)
        count = np.where(sector_count > 0, sector_count, economy_count)
        active = np.where(sector_count > 0, sector_active, economy_active)
        return np.divide(active, count, out=np.zeros(firms.n_firms), where=count > 0)

    def run(self) -> None:
        while self.running:
            self.step()

