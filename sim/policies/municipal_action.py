"""Municipalities as deciding actors: MoUs with the coordinating body, separate collection and
green public procurement (see :class:`sim.agents.municipality.Municipality`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.policies.base import Policy, PolicyParams, add_actors, materials, param, register, wb6_economies

#: the sector whose firms stand for cities' waste systems (sim/data/firms.csv)
MUNICIPAL = "municipal"


@dataclass(kw_only=True)
class MunicipalActionParams(PolicyParams):
    #: economies whose municipalities take part (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: mean months until a municipality signs its MoU (drawn between none and twice this)
    mou_months: float = param("months")
    #: streams a municipality may collect separately
    separate_collection: list[str] = param("material names")
    #: what collecting and sorting a tonne separately costs
    collection_cost_eur_t: float = param("EUR per tonne")
    #: grade a stream gains when sorted at source
    quality_gain: float = param("grade points", 1.0)
    #: recycled materials bought for public works
    procurement_materials: list[str] = param("material names")
    #: share of what it generates of such a material a municipality buys back as recycled
    procurement_share: float = param("share", 1.0)
    #: lowest grade public works accept
    procurement_min_quality: float = param("grade", 1.0)


@register("municipal_action")
class MunicipalAction(Policy):
    Params = MunicipalActionParams
    description = (
        "Cities sign memoranda with the coordinating body, collect building rubble and other streams "
        "separately where it pays, and buy recycled material for public works."
    )

    def check(self, model) -> None:
        p, where = self.params, self.where
        self.economies = wb6_economies(model, p.economies, f"{where}.economies")
        self.separate = materials(model, p.separate_collection, f"{where}.separate_collection")
        self.procure = materials(model, p.procurement_materials, f"{where}.procurement_materials")

    def apply(self, model) -> None:
        p, make = self.params, model.actor_classes["municipality"]
        cities = np.flatnonzero((model.region.firms["sector"] == MUNICIPAL).to_numpy()
                                & np.isin(model.firms.economy, self.economies))
        delays = model.rng.uniform(0.0, 2.0 * p.mou_months, len(cities))
        self.actors = add_actors(model, "municipality", [
            make(model, int(f), model.month + int(round(d)), self.separate, p.collection_cost_eur_t, p.quality_gain,
                 self.procure, p.procurement_share, p.procurement_min_quality)
            for f, d in zip(cities.tolist(), delays.tolist())])

    def on_step(self, model) -> None:
        for city in self.actors:
            city.step()

    def scale(self, model, factor: float) -> None:
        """Scaled up: the municipalities that have not signed yet sign sooner."""
        for city in self.actors:
            if not city.signed:
                city.mou_month = model.month + int(round((city.mou_month - model.month) / factor))
