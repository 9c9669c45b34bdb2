"""EU offtake of secondary CRM (seed 002, RESourceEU): through the Raw Materials Mechanism's
joint purchasing and offtake agreements (and a price floor the Commission is studying), EU
buyers contract a share of the critical raw materials recovered from WB6 deposits at no less
than a floor price. Contracted revenue no longer carries the metal price risk premium, and a
floor above the market price pays the difference (``sim.agents.offtake``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.base import Policy, PolicyParams, param, register


@dataclass(kw_only=True)
class EuOfftakeParams(PolicyParams):
    #: economies whose deposits' CRM output EU buyers contract (empty: every WB6 economy)
    economies: list[str] = param("economy codes")
    #: share of a deposit's CRM output contracted
    coverage: float = param("share of CRM output", 1.0)
    #: floor price, as a share of the reference (data) metal price
    floor_share: float = param("share of the reference price")


@register("eu_offtake")
class EuOfftake(Policy):
    Params = EuOfftakeParams
    description = (
        "EU buyers jointly purchase the critical raw materials recovered from WB6 tailings under "
        "offtake agreements at a floor price, taking the metal price risk off re-mining projects."
    )

    def apply(self, model) -> None:
        model.offtake.contract(self.economies, self.params.coverage, self.params.floor_share)
