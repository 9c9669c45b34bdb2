"""Shared laboratory network: accredited laboratories whose test results every WB6 regulator
accepts. Its certificate capacity is pooled and goes each month where applications wait
(economies without labs of their own gain most), and recognised results shorten decisions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.policies.base import Policy, PolicyParams, param, register


@dataclass(kw_only=True)
class LabNetworkParams(PolicyParams):
    #: economies joining the network (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: certificates the network adds to the members' own laboratories
    certificates_per_month: float = param("certificates per month")
    #: months from application to decision with recognised test results (never lengthened)
    decision_months: float = param("months")


@register("lab_network")
class LabNetwork(Policy):
    Params = LabNetworkParams
    description = (
        "Accredited laboratories whose test results every WB6 regulator accepts: extra certificates each "
        "month, sent where applications wait, and quicker decisions on them."
    )

    def apply(self, model) -> None:
        self.own_capacity = {e: model.regulators[e].lab_capacity_per_month for e in self.economies}
        for e in self.economies:
            regulator = model.regulators[e]
            regulator.decision_months = min(regulator.decision_months, self.params.decision_months)

    def on_step(self, model) -> None:
        waiting = np.array([len(model.regulators[e].queue) for e in self.economies], dtype=float)
        share = waiting / waiting.sum() if waiting.sum() > 0 else np.full(len(self.economies), 1.0 / len(self.economies))
        for e, s in zip(self.economies, share):
            model.regulators[e].lab_capacity_per_month = self.own_capacity[e] + s * self.params.certificates_per_month
