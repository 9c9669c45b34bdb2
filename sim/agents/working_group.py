"""The joint working group of chambers and ministries (roadmap action LHF1), with quarterly
roundtables at which governments agree aligned policy pilots, pair of economies by pair.

Seed 001: "Establish a joint working group (chambers and ministries) with quarterly roundtables"
(``roadmap.phase.low_hanging_fruits``, action 1); "governments and chambers should initiate aligned
policy pilots. These can begin as bilateral agreements and gradually expand to the CRM framework",
among them "Harmonise regulations and standards for selected end-of-waste materials, by-products,
or waste" (``kpi.short_term.aligned_policy_pilots``, whose KPIs include "Number of policies aligned
through the region"); pilot cases meet obstacles in "administrative processes"
(``kpi.short_term.1_pilot_cases``), and the regulation gaps are that several economies have not
defined end-of-waste or by-product status (``legal.*``).

Decision rules. Between roundtables the group gathers the obstacles its chambers see: the tonnes
each pair of WB6 economies ships to one another as waste (under prior notification and consent)
or has refused at the border, by material. At a roundtable, every ``roundtable_months``
months, it takes up the largest obstacles, at most ``agreements_per_roundtable`` of
them, among those where an alignment is possible: one of the two economies holds criteria for a
status of that material that the other lacks, or both hold them without recognising each other's.
Each such item is agreed with chance ``1 - exp(-tonnes / obstacle_scale_t)`` (the
more a barrier costs the region's firms, the likelier governments settle it): both economies then
hold the criteria either held (their regulators can grant the status) and recognise each other's
status for that material, so its shipments between them cross as goods. The obstacle tally starts
afresh after each roundtable.

The ``working_group`` pilot makes it (``configs/policies/working_group.yaml``); the low-hanging-fruits
phase schedules it from month 0.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.world import BY_PRODUCT, EOW, WASTE


@actor_kind("working_group")
class WorkingGroup(mesa.Agent):
    def __init__(self, model, economies: list[int], roundtable_months: int, agreements_per_roundtable: int,
                 obstacle_scale_t: float):
        super().__init__(model)
        self.economies = np.asarray(economies, dtype=np.int64)
        self.roundtable_months = roundtable_months
        self.per_roundtable = agreements_per_roundtable
        self.obstacle_scale_t = obstacle_scale_t
        #: float[M, E, E] tonnes shipped as waste or refused from one member economy to another since
        #: the last roundtable
        self.obstacles = np.zeros((model.n_materials, model.n_economies, model.n_economies))
        self.months_running = 0
        self.roundtables_held = 0
        #: the bilateral agreements made: (month, material, economy a, economy b), a < b
        self.agreements: list[tuple[int, int, int, int]] = []

    def step(self) -> None:
        """At the month's start: last month's obstacles (from its second month on), then the
        roundtable when one is due (a quarter's obstacles gathered)."""
        if self.months_running > 0:
            self.gather_obstacles()
            if self.months_running % self.roundtable_months == 0:
                self.hold_roundtable()
        self.months_running += 1

    def gather_obstacles(self) -> None:
        """Add last month's cross-border waste shipments and refusals between member economies."""
        s = self.model.market.shipments
        among = np.zeros(self.model.n_economies, dtype=bool)
        among[self.economies] = True
        member = among[s.from_economy] & among[s.to_economy]
        hit = member & (s.from_economy != s.to_economy) & ((s.shipment_class == WASTE) | ~s.sent)
        np.add.at(self.obstacles, (s.material[hit].astype(np.int64), s.from_economy[hit].astype(np.int64),
                                   s.to_economy[hit].astype(np.int64)), s.tonnes[hit])

    def alignable(self) -> np.ndarray:
        """bool[M, E, E]: material and pair where one economy holds criteria for a status the other
        lacks, or both hold them without mutual recognition."""
        model = self.model
        held = model.status_possible[[BY_PRODUCT, EOW]]  # [status, E, M]
        some = held.any(axis=0).T  # [M, E]
        differ = (held[:, :, None, :] != held[:, None, :, :]).any(axis=0).transpose(2, 0, 1)  # [M, E, E]
        unrecognised = some[:, :, None] & some[:, None, :] & ~model.mutual_recognition
        return differ | unrecognised

    def hold_roundtable(self) -> None:
        """Take up the largest obstacles that an alignment can remove and agree each with a chance
        that grows with its size; then start the tally afresh."""
        model = self.model
        pair = self.obstacles + self.obstacles.transpose(0, 2, 1)
        m, a, b = np.nonzero(np.triu(pair * self.alignable(), k=1))
        order = np.lexsort((b, a, m, -pair[m, a, b]))[: self.per_roundtable]
        for k in order.tolist():
            tonnes = pair[m[k], a[k], b[k]]
            if model.rng.random() < -np.expm1(-tonnes / self.obstacle_scale_t):
                self.agree(int(m[k]), int(a[k]), int(b[k]))
        self.obstacles[:] = 0.0
        self.roundtables_held += 1

    def agree(self, material: int, a: int, b: int) -> None:
        """Both economies hold the criteria either held for ``material`` and recognise each other's."""
        model = self.model
        for status in (BY_PRODUCT, EOW):
            either = model.status_possible[status, a, material] | model.status_possible[status, b, material]
            model.status_possible[status, [a, b], material] = either
        for e in (a, b):
            model.regulators[e].set_status_matrix(model.status_possible[BY_PRODUCT, e], model.status_possible[EOW, e])
        model.mutual_recognition[material, a, b] = model.mutual_recognition[material, b, a] = True
        self.agreements.append((model.month, material, a, b))

    def scale(self, factor: float) -> None:
        """More agreements taken up at each roundtable (a pilot scaled up)."""
        self.per_roundtable = int(round(self.per_roundtable * factor))
