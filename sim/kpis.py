"""Key performance indicators, month by month: the WB6 totals (``kpis.parquet``, one row per
month), the same figures by economy (``kpis_by_economy.parquet``, long: month x economy x KPI)
and the ledger by economy and material (``material_flows.parquet``). Every column, its unit,
formula and source is in ``docs/kpis.md``.

Figures are first computed per economy (``economy_figures``, one array over economies each);
the WB6 row sums them over the six economies, or recomputes a ratio from the summed parts. A
mechanism that brings new KPIs adds them to ``economy_figures`` (and, if they are not sums,
to ``RATIOS``) and to the catalogue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.agents.broker import STAGES as CASE_STAGES
from sim.market import OUTCOMES, SHIPMENT_COLUMNS, Shipments, total
from sim.relations import LINK_SOURCES
from sim.world import STATUSES, WASTE

#: sourced DMC and GDP per economy (docs/kpis.md "Reference data")
ACCOUNTS_FILE = Path(__file__).parent / "data" / "economy_accounts.csv"
#: streams recovered as fuel (R1): Eurostat's circular use counts recovery operations R2-R11 only
#: (https://ec.europa.eu/eurostat/cache/metadata/en/env_ac_cur_esms.htm)
ENERGY_RECOVERY = ("wood_biomass", "sludge", "tyres")
#: KPIs that are ratios of other figures, recomputed for the WB6 from its summed parts
RATIOS = {
    "cmur_eurostat": ("circular_use_t", "material_use_t"),
    "resource_productivity_pps_kg": ("gdp_pps_eur", "dmc_kg"),
    "recovery_share_of_arisings": ("recovered_arisings_t", "arisings_t"),
    "exchange_value_per_t_arising_eur_t": ("exchange_and_metal_value_eur", "arisings_t"),
    "secondary_share_of_intake_capacity": ("secondary_used_t", "intake_capacity_t"),
    "recycled_input_share": ("recycled_input_t", "process_input_t"),
    "leverage_private_per_public_ge": ("private_cofinance_eur", "public_grant_equivalent_eur"),
}
#: parts of ratios kept in the results (the others are dropped after the division)
KEPT_PARTS = {"circular_use_t", "secondary_used_t", "private_cofinance_eur", "public_grant_equivalent_eur",
              "recycled_input_t", "process_input_t"}
FINAL_OUTCOMES = ("delivered", "waiting", "refused")
#: seed 001 (exchange platform): "platform active members (six months activity threshold)"
ACTIVE_MONTHS = 6


def _ratio(num, den):
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


#: KPIs of the roadmap's process (seed 001's suggested KPIs), written by ``roadmap_kpis``
PROCESS_KPIS = (
    "relationship_links", "relationship_trust_mean", *(f"links_made_{how}" for how in LINK_SOURCES),
    "event_participants", "events_held", "firms_reached", "leads_found", "pilot_proposals", "pilots_launched",
    "pilots_in_implementation", "regular_exchanges", "lead_conversion_rate", "firms_mapped", "mapping_cost_eur",
    "park_operators_engaged", "park_tenants", "lsg_mou_signatories", "separate_collection_streams",
    "public_procurement_t", "platform_members", "platform_active_members", "roundtables_held", "policies_aligned",
)
#: KPIs a scale-or-pivot rule may judge a pilot by
REVIEW_KPIS = PROCESS_KPIS + ("exchange_volume_t", "exchange_value_eur", "co2_abated_t", "participating_firms")


def roadmap_kpis(model, row: dict) -> None:
    """The process KPIs of ``PROCESS_KPIS`` into ``row``: the relationship graph, and what the
    roadmap's actors did (zero where a pilot does not run). Counts are cumulative unless they
    say "this month"."""
    actors = model.pilot_actors
    relations = model.relations
    row["relationship_links"] = relations.n_links
    row["relationship_trust_mean"] = float(relations.trust.mean()) if len(relations.trust) else 0.0
    for how in LINK_SOURCES:
        row[f"links_made_{how}"] = relations.made.get(how, 0)
    chambers = actors.get("chamber", [])
    row["event_participants"] = sum(c.participants_this_month for c in chambers)  # this month
    row["events_held"] = sum(c.events_held for c in chambers)
    reached = np.zeros(model.firms.n_firms, dtype=bool)
    for c in chambers:
        reached |= c.reached
    row["firms_reached"] = int(reached.sum())
    brokers = actors.get("broker", [])
    stages = {stage: sum(b.count(stage) for b in brokers) for stage in CASE_STAGES}
    row["leads_found"] = sum(len(b.cases) for b in brokers)
    row["pilot_proposals"] = row["leads_found"] - stages["lead"]  # business cases drafted
    row["pilots_launched"] = stages["pilot"] + stages["regular"] + stages["failed"]
    row["pilots_in_implementation"] = stages["pilot"]  # this month
    row["regular_exchanges"] = stages["regular"]
    closed = stages["regular"] + stages["failed"] + stages["dropped"]
    row["lead_conversion_rate"] = stages["regular"] / closed if closed else 0.0
    forces = actors.get("mapping_task_force", [])
    mapped = np.zeros(model.firms.n_firms, dtype=bool)
    for force in forces:
        mapped |= force.mapped
    row["firms_mapped"] = int(mapped.sum())
    row["mapping_cost_eur"] = float(sum(f.spent_eur for f in forces))
    parks = actors.get("park_coordinator", [])
    row["park_operators_engaged"] = len(parks)
    row["park_tenants"] = int(sum(len(p.tenants) for p in parks))
    cities = actors.get("municipality", [])
    row["lsg_mou_signatories"] = sum(c.signed for c in cities)
    row["separate_collection_streams"] = sum(len(c.collecting) for c in cities)
    buying = [c.row for c in cities if c.signed and c.procure]
    row["public_procurement_t"] = float(model.market.flows.received[buying].sum()) if buying else 0.0  # this month
    platforms = actors.get("platform", [])
    row["platform_members"] = int(sum(p.listed.sum() for p in platforms))
    row["platform_active_members"] = int(sum(p.active_members() for p in platforms))
    groups = actors.get("working_group", [])
    row["roundtables_held"] = sum(g.roundtables_held for g in groups)
    row["policies_aligned"] = sum(len(g.agreements) for g in groups)


class KpiRecorder:
    def __init__(self, model):
        self.model = model
        self.rows: list[dict] = []
        self.economy_rows: list[dict[str, np.ndarray]] = []
        self.material_rows: list[dict[str, np.ndarray]] = []
        self.shipment_log: list[Shipments] = []  # each month's Shipments
        self.log_offsets: list[int] = []         # id of each month's first shipment
        self.delivered_t: list[np.ndarray] = []  # tonnes delivered so far, by shipment
        self.month_delivered: list[np.ndarray] = []  # month the last tonne arrived (-1: none yet)
        self.wb6 = np.flatnonzero(model.is_wb6)
        codes = model.economy_codes
        accounts = pd.read_csv(ACCOUNTS_FILE).set_index("economy")
        population = model.region.economies.set_index("economy")["population"]
        has = np.array([c in accounts.index for c in codes])
        self.dmc_t_month = np.array([accounts.loc[c, "dmc_t_year"] / 12.0 if h else np.nan for c, h in zip(codes, has)])
        self.gdp_pps_eur_month = np.array([accounts.loc[c, "gdp_per_capita_pps_eur"] * population[c] / 12.0
                                           if h else np.nan for c, h in zip(codes, has)])
        self.circular = ~np.isin(np.array(model.material_ids), ENERGY_RECOVERY)
        self.substitution_open: np.ndarray | None = None  # secondary use of the first month, by economy
        self.ratios = dict(RATIOS)  # and the EPR streams' collection rates
        self.firm_row = {f: i for i, f in enumerate(model.region.firms["firm_id"])}
        #: int64[F * M]: flat (economy, material) cell of each firm's stream, to sum streams by both
        self.economy_material = (model.firms.economy[:, None] * model.n_materials + np.arange(model.n_materials)).ravel()
        #: month each firm last sent or took a shipment (-inf: never)
        self.last_exchange = np.full(model.firms.n_firms, -np.inf)
        self._process_inputs(model)

    def _process_inputs(self, model) -> None:
        """The absorbing processes of ``process_inputs.csv``: each firm's total material input
        (t/month: output x input per t of output) and the secondary materials that count as its
        recycled input (bool[F, M])."""
        table = model.region.process_inputs
        self.process_input_t_month = np.zeros(model.firms.n_firms)
        self.recycled_input_mask = np.zeros((model.firms.n_firms, model.n_materials), dtype=bool)
        for row in table.itertuples():
            firm = self.firm_row[row.firm_id]
            self.process_input_t_month[firm] = row.output_t_year * row.input_t_per_t / 12.0
            for material in str(row.recycled_materials).split():
                self.recycled_input_mask[firm, model.material_index[material]] = True

    # ---- shipments ---------------------------------------------------------------------
    def _lookup(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(month index, row within that month) of shipment ids."""
        month = np.searchsorted(np.asarray(self.log_offsets), ids, side="right") - 1
        return month, ids - np.asarray(self.log_offsets)[month]

    def _arrivals(self) -> dict[str, np.ndarray]:
        """This month's arrivals at buyers' gates with their shipments' attributes; books the
        delivered tonnes and delivery month of each shipment."""
        parts = self.model.market.arrivals
        ids = np.concatenate([p[0] for p in parts]).astype(np.int64) if parts else np.zeros(0, np.int64)
        tonnes = np.concatenate([p[1] for p in parts]).astype(float) if parts else np.zeros(0)
        month, row = self._lookup(ids) if len(ids) else (ids, ids)
        names = ("material", "seller", "buyer", "from_economy", "to_economy", "shipment_class", "tonnes", "value_eur")
        out = {name: np.zeros(len(ids), dtype=float if name in ("tonnes", "value_eur") else np.int64) for name in names}
        complete = np.zeros(len(ids), dtype=bool)
        for m in np.unique(month).tolist():
            at = np.flatnonzero(month == m)
            log, here = self.shipment_log[m], row[at]
            for name in names:
                out[name][at] = getattr(log, name)[here]
            np.add.at(self.delivered_t[m], here, tonnes[at])
            self.month_delivered[m][here] = self.model.month
            complete[at] = self.delivered_t[m][here] >= log.tonnes[here] * (1 - 1e-9)
        out["value_eur"] = np.divide(out["value_eur"] * tonnes, out["tonnes"], out=np.zeros(len(ids)),
                                     where=out["tonnes"] > 0)
        # count a shipment once, in the month its last tonne arrives
        first = np.zeros(len(ids), dtype=bool)
        first[np.unique(ids, return_index=True)[1]] = True
        out["completed"] = complete & first
        out["tonnes"] = tonnes
        return out

    # ---- the month ---------------------------------------------------------------------
    def record(self) -> None:
        model = self.model
        shipments = model.market.shipments
        self.log_offsets.append(model.market.first_shipment_id)
        self.shipment_log.append(shipments)
        self.delivered_t.append(np.zeros(len(shipments)))
        self.month_delivered.append(np.full(len(shipments), -1, dtype=np.int64))
        arrived = self._arrivals()
        figures = self.economy_figures(arrived)
        self.economy_rows.append(figures)
        self.material_rows.append(self.material_figures(arrived))

        row: dict = {"step": model.month, "year": model.month // 12 + 1}
        # the WB6 economies' totals of every figure, one sum per figure as np.sum(values[wb6]) gives
        totals = np.stack(list(figures.values()))[:, self.wb6].sum(axis=1)
        row.update(zip(figures, totals.tolist()))
        for name, (num, den) in self.ratios.items():
            row[name] = float(_ratio(row[num], row[den]))
        for name in self._dropped():
            row.pop(name, None)
        for name in ("exchanges_count", "by_products_registered", "eow_registered", "lab_certificates",
                     "status_renewals", "lab_batch_declarations", "status_applications_pending",
                     "participating_firms", "investments_count", "active_exchange_firms_6m", "partner_pairs",
                     "status_criteria", "recognition_pairs"):
            row[name] = int(row[name])
        self._region_figures(row)
        roadmap_kpis(model, row)
        self.rows.append(row)

    def economy_figures(self, arrived: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """This month's figures by economy (float64[E] each; economies without data get 0 or NaN)."""
        model, firms, flows = self.model, self.model.firms, self.model.market.flows
        n_e, wb6 = model.n_economies, model.is_wb6

        def by(economy, weights=None) -> np.ndarray:
            summed = np.bincount(economy, weights=weights, minlength=n_e)
            return summed if weights is not None else summed.astype(float)  # weighted sums are float64

        f: dict[str, np.ndarray] = {}
        plants = model.treatment
        # a treatment plant's intake is counted once, as the products it sells: not as a use
        to_user = ~plants.input_mask[arrived["buyer"], arrived["material"]]
        seller_e, buyer_e = arrived["from_economy"], arrived["to_economy"]
        tonnes, value, cls = arrived["tonnes"], arrived["value_eur"], arrived["shipment_class"]
        # exchanges completed: arrived at the buyer, by the seller's economy
        f["exchanges_count"] = by(seller_e[arrived["completed"]])
        f["exchange_volume_t"] = by(seller_e, tonnes)
        f["exchange_value_eur"] = by(seller_e, value)
        abroad = seller_e != buyer_e
        for scope, picked in (("cross_border_wb6", abroad & wb6[buyer_e]), ("export_eu", abroad & ~wb6[buyer_e])):
            # by shipment class and seller's economy at once (each bin sums in the same order)
            cell, n_cells = cls[picked] * n_e + seller_e[picked], len(STATUSES) * n_e
            t = np.bincount(cell, weights=tonnes[picked], minlength=n_cells).reshape(len(STATUSES), n_e)
            eur = np.bincount(cell, weights=value[picked], minlength=n_cells).reshape(len(STATUSES), n_e)
            for c, status in enumerate(STATUSES):
                f[f"{scope}_{status}_t"], f[f"{scope}_{status}_value_eur"] = t[c], eur[c]
            f[f"{scope}_t"] = sum(f[f"{scope}_{s}_t"] for s in STATUSES)
            f[f"{scope}_value_eur"] = sum(f[f"{scope}_{s}_value_eur"] for s in STATUSES)
        imported = abroad & wb6[seller_e]
        f["imports_wb6_t"] = by(buyer_e[imported], tonnes[imported])
        # laboratories' batch declarations accepted by customs: by-product / EoW shipments crossing
        declared = abroad & (cls != WASTE)
        f["lab_declared_customs_t"] = by(seller_e[declared], tonnes[declared])
        f["lab_declared_customs_value_eur"] = by(seller_e[declared], value[declared])
        sent = model.market.shipments
        batches = sent.sent & (sent.crossing >= 0) & (sent.shipment_class != WASTE)
        f["lab_batch_declarations"] = by(sent.from_economy[batches])

        # CO2: avoided where the secondary material replaces its virgin substitute, less transport
        f["co2_abated_t"] = by(seller_e, tonnes * model.co2_avoided[arrived["material"]] * to_user)
        market = model.market
        moved = sent.sent
        co2_per_t = market.transport_co2_t_per_t[market.origin_row[firms.node[sent.seller[moved]]],
                                                 firms.node[sent.buyer[moved]]]
        f["co2_transport_t"] = by(sent.from_economy[moved], sent.tonnes[moved] * co2_per_t)
        f["co2_abated_net_t"] = f["co2_abated_t"] - f["co2_transport_t"]
        f.update(model.cbam.figures(arrived, to_user, by))

        e = firms.economy
        f["generated_t"] = by(e, flows.generated.sum(axis=1))
        ash = [model.material_index[m] for m in ("fly_ash", "bottom_ash") if m in model.material_index]
        f["coal_ash_generated_t"] = by(e, flows.generated[:, ash].sum(axis=1))
        f["landfilled_t"] = by(e, flows.landfilled.sum(axis=1))
        f["dumped_t"] = by(e, flows.dumped.sum(axis=1))
        f["secondary_used_t"] = by(e, plants.final_use(flows.received).sum(axis=1))
        reprocessed = market.reprocessed.sum(axis=1)
        f["reprocessed_t"] = by(e, reprocessed)
        f["stock_t"] = by(e, np.where(plants.product_mask, 0.0, firms.stock).sum(axis=1))
        self._treatment_figures(f, by)
        f.update(model.utilities.figures(by))

        # Eurostat circular material use rate U / (DMC + U): U = recovered in the economy's
        # plants - imported for recovery + exported for recovery = what its firms' streams
        # delivered to any buyer (R2-R11 only) + legacy deposits reprocessed
        circular = self.circular[arrived["material"]] & to_user
        f["circular_use_t"] = by(seller_e[circular], tonnes[circular]) + f["reprocessed_t"]
        # the sourced DMC is the first month's; secondary materials used beyond that month's
        # replace their virgin substitutes one for one
        substitution = f["secondary_used_t"]
        if self.substitution_open is None:
            self.substitution_open = substitution.copy()
        dmc_t = self.dmc_t_month - (substitution - self.substitution_open)
        f["dmc_t"] = dmc_t
        f["material_use_t"] = dmc_t + f["circular_use_t"]
        f["cmur_eurostat"] = _ratio(f["circular_use_t"], f["material_use_t"])
        f["gdp_pps_eur"] = self.gdp_pps_eur_month
        f["dmc_kg"] = dmc_t * 1000.0
        f["resource_productivity_pps_kg"] = _ratio(self.gdp_pps_eur_month, f["dmc_kg"])
        # the model's own shares over the streams it represents
        f["arisings_t"] = f["generated_t"] + f["reprocessed_t"]
        f["recovered_arisings_t"] = f["circular_use_t"]
        f["recovery_share_of_arisings"] = _ratio(f["recovered_arisings_t"], f["arisings_t"])
        metal_value = by(e, reprocessed * model.remining_revenue_eur_t)
        f["remining_revenue_eur"] = metal_value
        f["remining_energy_mwh"] = by(e, reprocessed * model.deposits.energy_kwh_t / 1000.0)
        f["exchange_and_metal_value_eur"] = f["exchange_value_eur"] + metal_value
        f["exchange_value_per_t_arising_eur_t"] = _ratio(f["exchange_and_metal_value_eur"], f["arisings_t"])
        f["intake_capacity_t"] = by(e, plants.final_use(firms.capacity).sum(axis=1))
        f["secondary_share_of_intake_capacity"] = _ratio(f["secondary_used_t"], f["intake_capacity_t"])
        # recycled content (UNEP IRP, Recycling Rates of Metals, 2011: secondary material in the
        # total input to production) of the absorbing processes with a known total input
        f["recycled_input_t"] = by(e, np.where(self.recycled_input_mask, flows.received, 0.0).sum(axis=1))
        f["process_input_t"] = by(e, self.process_input_t_month)
        f["recycled_input_share"] = _ratio(f["recycled_input_t"], f["process_input_t"])
        crm = np.zeros(n_e)
        for metal, yield_t_t in sorted(model.remining_yield.items()):
            f[f"recovered_{metal}_t"] = by(e, reprocessed * yield_t_t)
            if metal in model.crm_metals:
                crm += f[f"recovered_{metal}_t"]
        f["secondary_crm_recovered_t"] = crm
        f["crm_offtake_eu_t"] = by(e, model.offtake.bought_t(reprocessed))

        # registrations and laboratories
        f["by_products_registered"] = by(e, (firms.status == 1).sum(axis=1))
        f["eow_registered"] = by(e, (firms.status == 2).sum(axis=1))
        regulators = model.regulators
        at = np.array([r.economy for r in regulators], dtype=np.int64)
        f["lab_certificates"] = by(at, [r.certificates_this_month for r in regulators])
        f["status_renewals"] = by(at, [r.renewals_this_month for r in regulators])
        f["status_applications_pending"] = by(at, [len(r.queue) for r in regulators])

        for material in sorted({model.material_ids[p.material] for p in model.pros}):
            pros = [p for p in model.pros if model.material_ids[p.material] == material]
            pro_e = np.array([p.economy for p in pros], dtype=np.int64)
            weights = np.array([p.put_on_market_t for p in pros])
            collected = by(pro_e, weights * np.array([p.collection_rate for p in pros]))
            f[f"collected_{material}_t"] = collected
            f[f"put_on_market_{material}_t"] = by(pro_e, weights)
            self.ratios[f"collection_rate_{material}"] = (f"collected_{material}_t", f"put_on_market_{material}_t")
            f[f"collection_rate_{material}"] = _ratio(collected, f[f"put_on_market_{material}_t"])
        f["epr_fees_eur"] = by(np.array([p.economy for p in model.pros], dtype=np.int64),
                               [p.fees_collected_eur for p in model.pros])

        # investments (cumulative), by the investing firm's economy
        inv = model.investments
        inv_e = np.array([e[self.firm_row[i["firm"]]] for i in inv], dtype=np.int64)
        f["investments_count"] = by(inv_e)
        f["permits_refused"] = by(np.array([e[self.firm_row[r["firm"]]] for r in model.pipeline.refused], dtype=np.int64))
        for name in ("capex_eur", "public_eur", "private_cofinance_eur", "grant_equivalent_eur"):
            f[{"capex_eur": "investment_capex_eur", "public_eur": "public_funds_eur",
               "grant_equivalent_eur": "public_grant_equivalent_eur"}.get(name, name)] = by(
                inv_e, [i[name] for i in inv])
        f["leverage_private_per_public_ge"] = _ratio(f["private_cofinance_eur"], f["public_grant_equivalent_eur"])
        f["participating_firms"] = by(e, firms.participating)

        # process and governance records
        traded = sent.sent
        self.last_exchange[sent.seller[traded]] = model.month
        self.last_exchange[sent.buyer[traded]] = model.month
        active = firms.participating & (model.month - self.last_exchange < ACTIVE_MONTHS)
        f["active_exchange_firms_6m"] = by(e, active)
        pairs = np.unique(sent.seller[traded].astype(np.int64) * firms.n_firms + sent.buyer[traded])
        f["partner_pairs"] = by(e[pairs // firms.n_firms])
        f["status_criteria"] = by(at, [int(r.by_product_possible.sum() + r.eow_possible.sum()) for r in regulators])
        recognised = model.mutual_recognition & ~np.eye(n_e, dtype=bool)[None, :, :]
        f["recognition_pairs"] = recognised.sum(axis=(0, 2)).astype(float)
        return f

    def _treatment_figures(self, f: dict, by) -> None:
        """Treatment plants' month by the plant's economy: intake, products and residues (t, in
        all and intake by process), processing cost (EUR) and unsold products held (t)."""
        plants, firms = self.model.treatment, self.model.firms
        pair_e, row_e = firms.economy[plants.pair_firm], firms.economy[plants.firm]
        f["treatment_input_t"] = by(pair_e, plants.intake_t)
        f["treatment_products_t"] = by(row_e, plants.output_t)
        f["treatment_residue_t"] = by(pair_e, plants.residue_t)
        f["treatment_cost_eur"] = by(pair_e, plants.intake_t * plants.cost_eur_t)
        held = np.where(plants.product_mask, firms.stock, 0.0).sum(axis=1)
        f["treatment_product_stock_t"] = by(firms.economy, held)
        for process in plants.processes:
            f[f"treated_{process}_t"] = by(pair_e, plants.intake_t * (plants.pair_process == process))

    def _region_figures(self, row: dict) -> None:
        """Figures kept for the WB6 as a whole only: customs posts stand between two economies."""
        model = self.model
        row["customs_delay_days"] = model.market.shipment_delay_days()
        row["customs_backlog_t"] = float(sum(p.backlog_t for p in model.customs))
        row["customs_waste_filings"] = int(sum(p.filings[0] for p in model.customs))
        row["customs_filings"] = int(sum(p.filings.sum() for p in model.customs))
        row["customs_refusals"] = int(sum(p.refusals for p in model.customs))
        row["policy_pilots_active"] = len(model.active_policies)
        row["circular_input_criteria"] = int((model.recycled_content_premium > 0).sum())
        row.update(model.cbam.region_figures())
        # CRMA benchmarks are shares of EU annual use: this month's WB6 recovery, a year's worth
        demand = model.params.get("eu_crm_demand_t_yr", {})
        for metal in sorted(model.crm_metals & set(demand)):
            row[f"crm_share_of_eu_demand_{metal}"] = row[f"recovered_{metal}_t"] * 12.0 / float(demand[metal])

    def material_figures(self, arrived: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """This month's ledger summed by economy and material, and the trade that arrived at buyers
        by the seller's economy and material (all of it, across a border, into the EU; the buyer's
        economy for imports into the WB6), float64[E, M] each."""
        model, flows = self.model, self.model.market.flows
        shape = (model.n_economies, model.n_materials)
        figures = {f"{name}_t": np.bincount(self.economy_material, weights=getattr(flows, name).ravel(),
                                            minlength=shape[0] * shape[1]).reshape(shape)
                   for name in ("stock_open", "generated", "received", "produced", "used", "shipped", "landfilled",
                                "dumped", "stock_close")}
        seller_e, buyer_e, material = arrived["from_economy"], arrived["to_economy"], arrived["material"]
        abroad = seller_e != buyer_e
        wb6 = model.is_wb6

        def by(economy, picked) -> np.ndarray:
            cell = economy[picked] * shape[1] + material[picked]
            return np.bincount(cell, weights=arrived["tonnes"][picked], minlength=shape[0] * shape[1]).reshape(shape)

        everything = np.ones(len(seller_e), dtype=bool)
        figures["traded_t"] = by(seller_e, everything)
        figures["cross_border_t"] = by(seller_e, abroad)
        figures["to_eu_t"] = by(seller_e, abroad & ~wb6[buyer_e])
        figures["imported_t"] = by(buyer_e, abroad & wb6[buyer_e])
        return figures

    def _dropped(self) -> set[str]:
        """Parts of ratios left out of the results."""
        return {n for parts in self.ratios.values() for n in parts if n not in KEPT_PARTS}

    # ---- frames ------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def economy_frame(self) -> pd.DataFrame:
        """month x WB6 economy x KPI, long: ``step, year, economy, kpi, value``."""
        model, wb6 = self.model, self.wb6
        drop = self._dropped()
        names = [n for n in (self.economy_rows[0] if self.economy_rows else {}) if n not in drop]
        steps = np.arange(len(self.economy_rows))
        values = np.array([[row[n][wb6] for n in names] for row in self.economy_rows]).reshape(-1)
        k, e = len(names), len(wb6)
        return pd.DataFrame({
            "step": np.repeat(steps, k * e),
            "year": np.repeat(steps // 12 + 1, k * e),
            "economy": np.tile(np.repeat(np.array(model.economy_codes)[wb6], 1), len(steps) * k),
            "kpi": np.tile(np.repeat(np.array(names, dtype=object), e), len(steps)),
            "value": values,
        }) if names else pd.DataFrame(columns=["step", "year", "economy", "kpi", "value"])

    def material_frame(self) -> pd.DataFrame:
        """month x economy x material, one column per ledger flow (t); rows with no tonnes left out."""
        model = self.model
        n_e, n_m = model.n_economies, model.n_materials
        steps = len(self.material_rows)
        frame = pd.DataFrame({
            "step": np.repeat(np.arange(steps), n_e * n_m),
            "year": np.repeat(np.arange(steps) // 12 + 1, n_e * n_m),
            "economy": np.tile(np.repeat(np.array(model.economy_codes, dtype=object), n_m), steps),
            "material": np.tile(np.array(model.material_ids, dtype=object), n_e * steps),
        })
        flows = list(self.material_rows[0]) if steps else []
        for name in flows:
            frame[name] = np.concatenate([row[name].reshape(-1) for row in self.material_rows])
        if flows:
            frame = frame[frame[flows].to_numpy().any(axis=1)].reset_index(drop=True)
        return frame

    def shipments_frame(self) -> pd.DataFrame:
        model = self.model
        log = Shipments.concat(self.shipment_log)
        frame = pd.DataFrame({name: getattr(log, name).astype(np.float64 if getattr(log, name).dtype.kind == "f"
                                                               else np.int64) for name in SHIPMENT_COLUMNS[:-1]})
        frame.insert(1, "year", frame["step"] // 12 + 1)
        delivered = np.concatenate(self.delivered_t) if self.delivered_t else np.zeros(0)
        refused = log.outcome == OUTCOMES.index("refused")
        done = ~refused & (delivered >= log.tonnes * (1 - 1e-9))
        final = np.where(refused, 2, np.where(done, 0, 1))
        frame["outcome"] = np.array(FINAL_OUTCOMES, dtype=object)[final]
        month = np.concatenate(self.month_delivered) if self.month_delivered else np.zeros(0, np.int64)
        frame["month_delivered"] = pd.array(np.where(done, month, 0), dtype="Int64")
        frame.loc[~done, "month_delivered"] = pd.NA
        if not len(frame):
            frame = frame.astype(object)
        firms = model.region.firms
        ids, sectors = firms["firm_id"].to_numpy(), firms["sector"].to_numpy()
        crossings = np.append(model.region.borders["crossing_id"].to_numpy(), "")
        seller, buyer = frame["seller"].astype(int), frame["buyer"].astype(int)
        frame["material"] = np.array(model.material_ids, dtype=object)[frame["material"].astype(int)]
        frame["seller"], frame["buyer"] = ids[seller], ids[buyer]
        frame.insert(frame.columns.get_loc("buyer") + 1, "seller_sector", sectors[seller])
        frame.insert(frame.columns.get_loc("seller_sector") + 1, "buyer_sector", sectors[buyer])
        codes = np.array(model.economy_codes)
        frame["from_economy"] = codes[frame["from_economy"].astype(int)]
        frame["to_economy"] = codes[frame["to_economy"].astype(int)]
        frame["crossing"] = crossings[frame["crossing"].astype(int)]
        frame["shipment_class"] = np.array(STATUSES)[frame["shipment_class"].astype(int)]
        return frame
