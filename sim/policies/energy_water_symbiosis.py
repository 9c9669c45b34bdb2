"""Energy and water symbiosis pilots (seed 001, low hanging fruits: "Launch 3-5 pilot projects
with minimal investment, focusing on different types of synergy (material and energy)"; the
regional strategy "should focus on: Reuse of resources, water, and energy"). In its start month
the pilot builds the best candidate heat and water links of ``utility_links.csv`` in the chosen
economies, those delivering most value a year per EUR of capex, which run ``build_months`` later
(not before their earliest start year) (``sim.agents.utilities``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.base import Policy, PolicyParams, param, register


@dataclass(kw_only=True)
class EnergyWaterSymbiosisParams(PolicyParams):
    #: economies whose candidate links may be built (empty: every WB6 economy)
    economies: list[str] = param("economy codes")
    #: surplus-heat links built (the best by value per EUR of capex)
    heat_projects: int = param("links")
    #: water-reuse links built
    water_projects: int = param("links")
    #: months from the decision until a link delivers
    build_months: int = param("months")


@register("energy_water_symbiosis")
class EnergyWaterSymbiosis(Policy):
    Params = EnergyWaterSymbiosisParams
    description = (
        "Pilot projects that pipe surplus heat from power plants and steelworks to city heat networks and "
        "treated water to industry, chosen as the candidates that deliver most value per euro invested."
    )

    def apply(self, model) -> None:
        links = model.utilities
        for kind, projects in (("heat", self.params.heat_projects), ("water", self.params.water_projects)):
            links.build(links.candidates(kind, self.economies)[:projects], model.month, self.params.build_months)
