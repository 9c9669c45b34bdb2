"""Networking and information events run by the chambers of commerce as IS coordinating bodies
(see :class:`sim.agents.chamber.Chamber`): one chamber per economy (the regional body is
``regional_programme``)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.base import Policy, PolicyParams, add_actors, param, register


@dataclass(kw_only=True)
class NetworkingEventsParams(PolicyParams):
    #: economies whose chambers run events (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: events each chamber holds a year
    events_per_year: float = param("events per year")
    #: firms invited to an event
    participants_per_event: int = param("firms")
    #: share of the gap to full awareness an event closes for a participant
    awareness_boost: float = param("share", 1.0)
    #: contacts a participant makes at an event at most
    contacts_per_participant: int = param("firms")


@register("networking_events")
class NetworkingEvents(Policy):
    Params = NetworkingEventsParams
    description = (
        "Chambers of commerce run networking and information events: invited firms learn about exchanges "
        "and meet the participants whose waste or needs fit theirs."
    )

    def apply(self, model) -> None:
        p, make = self.params, model.actor_classes["chamber"]
        terms = (p.events_per_year, p.participants_per_event, p.awareness_boost, p.contacts_per_participant)
        chambers = [make(model, model.economy_codes[e], [e], *terms) for e in self.economies]
        self.actors = add_actors(model, "chamber", chambers)

    def on_step(self, model) -> None:
        for chamber in self.actors:
            chamber.step()
