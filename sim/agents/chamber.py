"""Chamber of commerce as the industrial-symbiosis coordinating body of an economy (or, once
the roadmap sets one up, of the region): it runs networking and information events.

Seed 001 names the chambers as the aggregators ("Key Actors: chambers of commerce
(aggregation)", ``kpi.short_term.1_pilot_cases``) and asks them to "Launch networking and
information campaigns and events" (``roadmap.phase.low_hanging_fruits``); the coordinator is a
facilitator, "not to produce business deals directly" (``is.coordinator_role``). At an event the
invited firms learn about exchanges (their awareness closes part of its gap to full) and meet
one another: participants whose streams fit (one offers what another takes in) come to know of
each other. Firms not reached before are invited first, so reach grows before repeat visits.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.kernels.relations import capped_contacts


@actor_kind("chamber")
class Chamber(mesa.Agent):
    def __init__(self, model, name: str, economies: list[int], events_per_year: float, participants_per_event: int,
                 awareness_boost: float, contacts_per_participant: int):
        super().__init__(model)
        self.name = name
        self.economies = economies
        self.events_per_year = events_per_year
        self.participants_per_event = participants_per_event
        self.awareness_boost = awareness_boost
        self.contacts_per_participant = contacts_per_participant
        self.months_running = 0
        self.events_held = 0
        self.participants_this_month = 0
        #: bool[F] firms that took part in any of its events
        self.reached = np.zeros(model.firms.n_firms, dtype=bool)

    def events_due(self) -> int:
        """Events this month: ``events_per_year`` spread evenly over the months."""
        before = int(self.months_running * self.events_per_year / 12)
        return int((self.months_running + 1) * self.events_per_year / 12) - before

    def step(self) -> None:
        self.participants_this_month = 0
        for _ in range(self.events_due()):
            self.hold_event(self.invite())
        self.months_running += 1

    def invite(self) -> np.ndarray:
        """Firm rows invited: firms of its economies, those it has not reached first, in random order."""
        model = self.model
        among = np.zeros(model.n_economies, dtype=bool)
        among[self.economies] = True
        members = np.flatnonzero(among[model.firms.economy])
        order = self.model.rng.permutation(len(members))
        members = members[order]
        members = members[np.argsort(self.reached[members], kind="stable")]
        return members[: self.participants_per_event]

    def hold_event(self, rows: np.ndarray) -> None:
        """Participants learn about exchanges and meet the participants whose streams fit theirs."""
        model, firms = self.model, self.model.firms
        firms.awareness[rows] += self.awareness_boost * (1.0 - firms.awareness[rows])
        sellers, buyers = model.relations.complementary(rows)
        # each participant makes at most ``contacts_per_participant`` contacts, in random order
        order = model.rng.permutation(len(sellers))
        sellers, buyers = sellers[order], buyers[order]
        keep = capped_contacts(sellers, buyers, firms.n_firms, self.contacts_per_participant)
        model.relations.link(sellers[keep], buyers[keep], model.relations.trust_initial, "event")
        model.relations.commit()
        self.reached[rows] = True
        self.events_held += 1
        self.participants_this_month += len(rows)

    def scale(self, factor: float) -> None:
        """More events (a pilot scaled up)."""
        self.events_per_year *= factor
