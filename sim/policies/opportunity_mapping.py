"""IS technical opportunity mapping: a mapping task force per economy (see
:class:`sim.agents.mapping.MappingTaskForce`), at a speed and cost per economy."""

from __future__ import annotations

from dataclasses import dataclass

from sim.errors import ConfigError
from sim.policies.base import Policy, PolicyParams, add_actors, check_value, param, register


@dataclass(kw_only=True)
class OpportunityMappingParams(PolicyParams):
    #: economies mapped (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: firms each task force maps a month, by economy code (economies not named: ``default_firms_per_month``)
    firms_per_month: dict = param("mapping of economy code to firms per month")
    default_firms_per_month: float = param("firms per month")
    #: what mapping one firm's streams and needs costs
    cost_per_firm_eur: float = param("EUR per firm")
    #: partners per material a mapped firm learns of
    contacts: int = param("firms")
    #: share of the gap to full awareness mapping closes for a mapped firm
    awareness_boost: float = param("share", 1.0)


@register("opportunity_mapping")
class OpportunityMapping(Policy):
    Params = OpportunityMappingParams
    description = (
        "A mapping task force in each economy maps firms' waste streams and needs (GIS, material flows), "
        "biggest first, and tells each mapped firm which partners nearby could take or supply them."
    )

    def check(self, model) -> None:
        super().check(model)
        where = self.where
        unknown = [c for c in self.params.firms_per_month if c not in model.economy_index]
        if unknown:
            raise ConfigError(f"{where}.firms_per_month", f"unknown economy {unknown[0]!r}",
                              choices=model.economy_codes, value=unknown[0])
        self.speed = {model.economy_index[c]: check_value(f"{where}.firms_per_month.{c}", v, float, None)
                      for c, v in self.params.firms_per_month.items()}

    def apply(self, model) -> None:
        p, make = self.params, model.actor_classes["mapping_task_force"]
        forces = [make(model, e, self.speed.get(e, p.default_firms_per_month), p.cost_per_firm_eur, p.contacts,
                       p.awareness_boost) for e in self.economies]
        self.actors = add_actors(model, "mapping_task_force", forces)

    def on_step(self, model) -> None:
        for force in self.actors:
            force.step()
