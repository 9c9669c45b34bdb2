"""The joint working group of chambers and ministries with its quarterly roundtables, agreeing
bilateral aligned policy pilots (see :class:`sim.agents.working_group.WorkingGroup`)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.base import Policy, PolicyParams, add_actors, param, register


@dataclass(kw_only=True)
class WorkingGroupParams(PolicyParams):
    #: economies whose chambers and ministries sit in the group (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: months between roundtables
    roundtable_months: int = param("months")
    #: bilateral agreements (a material between two economies) taken up at a roundtable at most
    agreements_per_roundtable: int = param("agreements")
    #: obstacle (tonnes shipped as waste or refused since the last roundtable) agreed with chance 1 - 1/e
    obstacle_scale_t: float = param("tonnes")


@register("working_group")
class WorkingGroupPilot(Policy):
    Params = WorkingGroupParams
    description = (
        "A joint working group of chambers and ministries meets quarterly: it takes up the largest cross-border "
        "obstacles (material shipped as waste or refused between two economies) and agrees bilateral aligned "
        "policy pilots, by which both economies hold the same status criteria and recognise each other's status."
    )

    def apply(self, model) -> None:
        p = self.params
        group = model.actor_classes["working_group"](model, self.economies, p.roundtable_months,
                                                      p.agreements_per_roundtable, p.obstacle_scale_t)
        self.actors = add_actors(model, "working_group", [group])

    def on_step(self, model) -> None:
        for group in self.actors:
            group.step()
