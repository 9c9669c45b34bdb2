"""Customs streamlining under the Common Regional Market (CRM 2.0): shorter border delays,
lower clearance fees and, with digital procedures, electronic waste notifications and
risk-based inspections at the posts between WB6 economies (optionally also at the EU border).

Posts only ever get faster or cheaper. Lower border costs change the delivered cost of every
route through the post, so sellers and buyers find cross-border deals they did not before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.policies.base import Policy, PolicyParams, param, register
from sim.world import BY_PRODUCT, EOW, WASTE


@dataclass(kw_only=True)
class CustomsStreamliningParams(PolicyParams):
    #: days the authorities have to decide on a waste notification under the common regional
    #: procedure (the review time shrinks with it; the consent time still grows with their load)
    decision_deadline_days: float = param("days")
    #: days at the border for by-product and end-of-waste goods (green lanes)
    goods_delay_days: float = param("days")
    #: cut in clearance and broker fees
    fee_cut_share: float = param("share of the fee", 1.0)
    #: electronic notification and document exchange, risk-based inspection
    digital_procedures: bool = param("true/false")
    #: paperwork per tonne of a notified waste shipment with electronic notification
    notification_cost_eur_t: float = param("EUR per tonne")
    #: share of consignments physically inspected under risk-based selection
    inspection_rate: float = param("share of consignments", 1.0)
    #: also streamline the posts on the EU border (CRM covers WB6-WB6 posts)
    include_eu_borders: bool = param("true/false")


@register("customs_streamlining")
class CustomsStreamlining(Policy):
    Params = CustomsStreamliningParams
    description = (
        "Border posts between WB6 economies clear shipments faster and cheaper under the Common Regional "
        "Market: one procedure for waste notifications, green lanes for by-products and end-of-waste goods, "
        "lower fees, electronic documents and fewer physical inspections."
    )

    def apply(self, model) -> None:
        p = self.params
        notification = float(model.params["waste_notification_cost_eur_t"])
        for post in model.customs:
            if not (p.include_eu_borders or all(model.is_wb6[model.economy_index[e]] for e in post.economies)):
                continue
            post.decision_deadline_days = min(post.decision_deadline_days, p.decision_deadline_days)
            for status in (BY_PRODUCT, EOW):
                post.delay_days[status] = min(post.delay_days[status], p.goods_delay_days)
            paperwork = notification
            if p.digital_procedures:
                paperwork = min(notification, p.notification_cost_eur_t)
                post.inspection_rate[:] = np.minimum(post.inspection_rate, p.inspection_rate)
            clearance = post.fee_eur_t.copy()
            clearance[WASTE] -= notification
            post.fee_eur_t[:] = clearance * (1.0 - p.fee_cut_share)
            post.fee_eur_t[WASTE] += paperwork
