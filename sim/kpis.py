"""Key performance indicators, one row per month (see the README for units and meaning)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.market import OUTCOMES, SHIPMENT_COLUMNS, Shipments, total
from sim.world import STATUSES


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
        ash = [model.material_index[m] for m in ("fly_ash", "bottom_ash") if m in model.material_index]
        row["coal_ash_generated_t"] = float(flows.generated[in_wb6][:, ash].sum())
        row["landfilled_t"] = float(flows.landfilled[in_wb6].sum())
        row["dumped_t"] = float(flows.dumped[in_wb6].sum())
        # what users take in: a treatment plant's intake is counted once, as the products it sells
        plants = model.treatment
        used_by_users = plants.final_use(flows.received)
        secondary_used = used_by_users[in_wb6].sum(axis=0)
        row["secondary_used_t"] = float(secondary_used.sum())
        row["reprocessed_t"] = float(model.market.reprocessed[in_wb6].sum())
        row["co2_abated_t"] = float((used_by_users.sum(axis=0) * model.co2_avoided).sum())
        capacity = plants.final_use(firms.capacity)[in_wb6].sum()
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
        row["stock_t"] = float(np.where(plants.product_mask, 0.0, firms.stock)[in_wb6].sum())
        self.record_treatment(row, in_wb6)
        self.rows.append(row)

    def record_treatment(self, row: dict, in_wb6: np.ndarray) -> None:
        """Treatment plants' month: intake, products and residues (t), by process and in all;
        processing cost (EUR); unsold products in their stocks (t)."""
        plants = self.model.treatment
        totals = np.zeros(3)
        for process, figures in plants.by_process().items():
            row[f"treated_{process}_t"] = figures[0]
            totals += figures
        row["treatment_input_t"], row["treatment_products_t"], row["treatment_residue_t"] = (float(x) for x in totals)
        row["treatment_cost_eur"] = plants.cost_eur
        row["treatment_product_stock_t"] = plants.product_stock_t(in_wb6)

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
