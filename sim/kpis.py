"""Key performance indicators, one row per month (see the README for units and meaning)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.market import OUTCOMES, SHIPMENT_COLUMNS, Shipments, total
from sim.relations import LINK_SOURCES
from sim.world import STATUSES


#: KPIs of the roadmap's process (seed 001's suggested KPIs), written by ``roadmap_kpis``
PROCESS_KPIS = (
    "relationship_links", "relationship_trust_mean", *(f"links_made_{how}" for how in LINK_SOURCES),
    "event_participants", "events_held", "firms_reached", "leads_found", "pilot_proposals",
    "pilots_in_implementation", "regular_exchanges", "lead_conversion_rate", "firms_mapped", "mapping_cost_eur",
    "park_operators_engaged", "park_tenants", "lsg_mou_signatories", "separate_collection_streams",
    "public_procurement_t", "platform_members", "platform_active_members",
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
    cases = [case for b in actors.get("broker", []) for case in b.cases]
    stages = [case["stage"] for case in cases]
    row["leads_found"] = len(cases)
    row["pilot_proposals"] = sum(s != "lead" for s in stages)  # business cases drafted
    row["pilots_in_implementation"] = stages.count("pilot")  # this month
    row["regular_exchanges"] = stages.count("regular")
    closed = stages.count("regular") + stages.count("failed") + stages.count("dropped")
    row["lead_conversion_rate"] = stages.count("regular") / closed if closed else 0.0
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


class KpiRecorder:
    def __init__(self, model):
        self.model = model
        self.rows: list[dict] = []
        self.shipment_log: list = []  # this month's Shipments, month by month
        self.crm_cumulative_t = 0.0

    def record(self) -> None:
        model, flows, firms = self.model, self.model.market.flows, self.model.firms
        shipments = model.market.shipments
        self.shipment_log.append(shipments)
        wb6 = model.is_wb6
        row: dict = {"step": model.month, "year": model.month // 12 + 1}

        sent = shipments.sent
        row["exchanges_count"] = int(sent.sum())
        row["exchange_volume_t"] = total(shipments.tonnes[sent])
        row["exchange_value_eur"] = total(shipments.value_eur[sent])
        from_wb6 = sent & (shipments.from_economy != shipments.to_economy) & wb6[shipments.from_economy]
        for scope in ("wb6", "eu"):
            picked = from_wb6 & (wb6[shipments.to_economy] if scope == "wb6" else ~wb6[shipments.to_economy])
            name = "cross_border_wb6" if scope == "wb6" else "export_eu"
            for c, status in enumerate(STATUSES):
                row[f"{name}_{status}_t"] = total(shipments.tonnes[picked & (shipments.shipment_class == c)])
            row[f"{name}_t"] = sum(row[f"{name}_{status}_t"] for status in STATUSES)
            row[f"{name}_value_eur"] = total(shipments.value_eur[picked])

        in_wb6 = wb6[firms.economy]
        row["generated_t"] = float(flows.generated[in_wb6].sum())
        row["landfilled_t"] = float(flows.landfilled[in_wb6].sum())
        row["dumped_t"] = float(flows.dumped[in_wb6].sum())
        secondary_used = flows.received[in_wb6].sum(axis=0)
        row["secondary_used_t"] = float(secondary_used.sum())
        row["reprocessed_t"] = float(model.market.reprocessed[in_wb6].sum())
        row["co2_abated_t"] = float((flows.received.sum(axis=0) * model.co2_avoided).sum())
        capacity = firms.capacity[in_wb6].sum()
        row["recycled_input_share"] = float(secondary_used.sum() / capacity) if capacity > 0 else 0.0
        generated = row["generated_t"]
        circular = secondary_used.sum() + row["export_eu_t"]
        row["circular_material_use_rate"] = float(circular / (generated + row["reprocessed_t"])) if generated > 0 else 0.0

        crm_t, crm_value = 0.0, 0.0
        for metal, yield_t_t in model.remining_yield.items():
            recovered = float((model.market.reprocessed.sum(axis=1) * yield_t_t).sum())
            row[f"recovered_{metal}_t"] = recovered
            if metal in model.crm_metals:
                crm_t += recovered
        row["secondary_crm_recovered_t"] = crm_t
        crm_value = float((model.market.reprocessed.sum(axis=1) * model.remining_revenue_eur_t).sum())
        row["remining_revenue_eur"] = crm_value
        row["resource_productivity_eur_t"] = (
            (row["exchange_value_eur"] + crm_value) / (generated + row["reprocessed_t"]) if generated > 0 else 0.0
        )

        row["by_products_registered"] = int((firms.status == 1).sum())
        row["eow_registered"] = int((firms.status == 2).sum())
        row["lab_certificates"] = int(sum(r.certificates_this_month for r in model.regulators))
        row["status_applications_pending"] = int(sum(len(r.queue) for r in model.regulators))
        row["customs_delay_days"] = model.market.shipment_delay_days()
        row["customs_backlog_t"] = float(sum(p.backlog_t for p in model.customs))
        row["customs_waste_filings"] = int(sum(p.filings[0] for p in model.customs))
        row["customs_filings"] = int(sum(p.filings.sum() for p in model.customs))
        row["customs_refusals"] = int(sum(p.refusals for p in model.customs))

        for material in sorted({model.material_ids[p.material] for p in model.pros}):
            pros = [p for p in model.pros if model.material_ids[p.material] == material]
            weights = np.array([p.put_on_market_t for p in pros])
            rates = np.array([p.collection_rate for p in pros])
            row[f"collection_rate_{material}"] = float((weights * rates).sum() / weights.sum()) if weights.sum() > 0 else 0.0
        row["epr_fees_eur"] = float(sum(p.fees_collected_eur for p in model.pros))

        inv = model.investments
        row["investments_count"] = len(inv)
        row["investment_capex_eur"] = float(sum(i["capex_eur"] for i in inv))
        row["public_funds_eur"] = float(sum(i["public_eur"] for i in inv))
        row["private_mobilised_eur"] = float(sum(i["private_eur"] for i in inv))
        row["leverage_ratio"] = row["private_mobilised_eur"] / row["public_funds_eur"] if row["public_funds_eur"] > 0 else 0.0
        row["participating_firms"] = int(firms.participating.sum())
        row["stock_t"] = float(firms.stock[in_wb6].sum())
        roadmap_kpis(model, row)
        self.rows.append(row)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def shipments_frame(self) -> pd.DataFrame:
        model = self.model
        log = Shipments.concat(self.shipment_log)
        frame = pd.DataFrame({name: getattr(log, name).astype(np.float64 if getattr(log, name).dtype.kind == "f"
                                                               else np.int64) for name in SHIPMENT_COLUMNS[:-1]})
        frame["outcome"] = np.array(OUTCOMES, dtype=object)[log.outcome]
        if not len(frame):
            frame = frame.astype(object)
        ids = model.region.firms["firm_id"].to_numpy()
        crossings = np.append(model.region.borders["crossing_id"].to_numpy(), "")
        frame["material"] = pd.Categorical.from_codes(frame["material"].astype(int), model.material_ids) if len(frame) else frame["material"]
        frame["seller"] = ids[frame["seller"].astype(int)]
        frame["buyer"] = ids[frame["buyer"].astype(int)]
        codes = np.array(model.economy_codes)
        frame["from_economy"] = codes[frame["from_economy"].astype(int)]
        frame["to_economy"] = codes[frame["to_economy"].astype(int)]
        frame["crossing"] = crossings[frame["crossing"].astype(int)]
        frame["shipment_class"] = np.array(STATUSES)[frame["shipment_class"].astype(int)]
        frame["material"] = frame["material"].astype(str)
        return frame
