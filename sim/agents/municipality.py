"""Municipality (local self-government) of a city: signs a memorandum of understanding with the
IS coordinating body, then collects chosen streams separately and buys recycled material for
its public works under green public procurement.

Seed 001: "Assess local self-government needs and capacities" (``roadmap.phase.low_hanging_fruits``)
and the KPI "Number of local self-government Memorandum of Understanding signatories"
(``kpi.short_term.programmatic_financing_planning``); "Establish collection and treatment
systems" and "Include recyclability and reuse criteria in green public procurement rules"
(the per-economy policy directions, ``policy_direction.*``); municipal systems are "often too
weak to support regional business cases (e.g. glass, textiles)" (``capacity.municipal_systems``).

Each municipality stands for the city's waste system (a firm row of sector ``municipal``). It
signs its MoU after a delay drawn between none and twice ``mou_months``. From then on it
collects a stream separately where what a sorted tonne fetches plus the landfill fee it saves
covers ``collection_cost_eur_t``: sorting at source raises the stream's grade by
``quality_gain``. And it takes in recycled material of ``procurement_materials`` for public
works, up to ``procurement_share`` of what it generates of each, at a grade of at least
``procurement_min_quality``.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents.kinds import actor_kind


@actor_kind("municipality")
class Municipality(mesa.Agent):
    def __init__(self, model, row: int, mou_month: int, separate: list[int], collection_cost_eur_t: float,
                 quality_gain: float, procure: list[int], procurement_share: float, procurement_min_quality: float):
        super().__init__(model)
        self.row = row
        self.mou_month = mou_month
        self.separate = separate
        self.collection_cost_eur_t = collection_cost_eur_t
        self.quality_gain = quality_gain
        self.procure = procure
        self.procurement_share = procurement_share
        self.procurement_min_quality = procurement_min_quality
        self.signed = False
        #: materials it collects separately
        self.collecting: list[int] = []

    def step(self) -> None:
        if not self.signed and self.model.month >= self.mou_month:
            self.sign_mou()

    def sign_mou(self) -> None:
        """Sign the MoU; start separate collection where it pays; buy recycled material."""
        model, firms, f = self.model, self.model.firms, self.row
        self.signed = True
        fee = model.regulators[firms.economy[f]].landfill_fee_eur_t
        for m in self.separate:
            pays = model.unit_value[m] + fee >= self.collection_cost_eur_t
            if firms.generation[f, m] > 0 and pays:
                firms.quality[f, m] = min(1.0, firms.quality[f, m] + self.quality_gain)
                self.collecting.append(m)
        for m in self.procure:
            if firms.generation[f, m] > 0:
                if firms.capacity[f, m] == 0:
                    firms.min_quality[f, m] = self.procurement_min_quality
                firms.capacity[f, m] += self.procurement_share * firms.generation[f, m]
        firms.participating[f] = True
