"""AI/ICT functions of the platform for automatic mapping: a matching service that maps many
firms a month at a low cost per firm (a :class:`sim.agents.mapping.MappingTaskForce` per
economy run by software), telling each firm its nearest potential partners.

Seed 001 roadmap, medium term: "Include potential AI/ICT functions of the platform for
automatic mapping of benefits, intended and potential use of waste, by-products, and SRC to
future potential clients" (``roadmap.phase.medium_term``); CRM 2.0: "Integrate AI and ICT tools
to match materials, identify synergies" (``kpi.medium_term.collaboration_platform``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.base import Policy, PolicyParams, add_actors, param, register


@dataclass(kw_only=True)
class AutomaticMappingParams(PolicyParams):
    #: economies served (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: firms the service maps a month per economy
    firms_per_month: float = param("firms per month")
    #: what mapping one firm costs (software, data entry)
    cost_per_firm_eur: float = param("EUR per firm")
    #: partners per material a mapped firm is shown
    contacts: int = param("firms")
    #: share of the gap to full awareness a mapped firm closes
    awareness_boost: float = param("share", 1.0)


@register("automatic_mapping")
class AutomaticMapping(Policy):
    Params = AutomaticMappingParams
    description = (
        "The platform's automatic matching maps many firms a month at little cost and shows each one its "
        "nearest potential partners."
    )

    def apply(self, model) -> None:
        p, make = self.params, model.actor_classes["mapping_task_force"]
        self.actors = add_actors(model, "mapping_task_force", [
            make(model, e, p.firms_per_month, p.cost_per_firm_eur, p.contacts, p.awareness_boost)
            for e in self.economies])

    def on_step(self, model) -> None:
        for service in self.actors:
            service.step()
