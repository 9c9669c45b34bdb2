"""Integrated regional IS programme on the FISS model: a regional coordinating body (a chamber
spanning several economies, see :class:`sim.agents.chamber.Chamber`) whose events bring firms
of different economies together, piloted in the fast movers and rolled out to every WB6
economy at ``rollout_month`` with ``rollout_factor`` times the events.

Seed 001 roadmap: "Define and pilot an integrated IS/ Programme (FISS model)" (medium term) and
"Roll out the cross-border IS/(FISS) programme" (long term) (``roadmap.phase.medium_term``,
``roadmap.phase.long_term``); the operating structure could be "a rotating chambers governance
system" (``is.operator_candidates``); FISS's lesson: "Trust and continuity matter more than
software features" (``fiss.facilitators``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.base import Policy, PolicyParams, add_actors, param, register, wb6_economies


@dataclass(kw_only=True)
class RegionalProgrammeParams(PolicyParams):
    #: economies of the pilot (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: month from which the programme covers every WB6 economy
    rollout_month: int = param("month")
    #: events a year of the regional body, before the roll-out
    events_per_year: float = param("events per year")
    #: times as many events after the roll-out
    rollout_factor: float = param("times")
    #: firms invited to an event
    participants_per_event: int = param("firms")
    #: share of the gap to full awareness an event closes for a participant
    awareness_boost: float = param("share", 1.0)
    #: contacts a participant makes at an event at most
    contacts_per_participant: int = param("firms")


@register("regional_programme")
class RegionalProgramme(Policy):
    Params = RegionalProgrammeParams
    description = (
        "A regional programme on the Finnish FISS model: a regional body runs events that bring firms of "
        "several economies together, first in the fast movers, then across the region."
    )

    def check(self, model) -> None:
        self.pilot_economies = wb6_economies(model, self.params.economies, f"{self.where}.economies")
        self.region = wb6_economies(model, [], self.where)

    def apply(self, model) -> None:
        p = self.params
        economies = self.region if model.month >= p.rollout_month else self.pilot_economies
        self.body = model.actor_classes["chamber"](model, "regional", list(economies), p.events_per_year,
                                                   p.participants_per_event, p.awareness_boost,
                                                   p.contacts_per_participant)
        self.actors = add_actors(model, "chamber", [self.body])
        self.rolled_out = model.month >= p.rollout_month
        if self.rolled_out:
            self.body.scale(p.rollout_factor)

    def on_step(self, model) -> None:
        if not self.rolled_out and model.month >= self.params.rollout_month:
            self.body.economies = list(self.region)
            self.body.scale(self.params.rollout_factor)
            self.rolled_out = True
        self.body.step()
