"""Eco-industrial parks: a coordinator per named industrial zone (a cluster of the scenario's
sites), see :class:`sim.agents.eco_park.ParkCoordinator`."""

from __future__ import annotations

from dataclasses import dataclass

from sim.errors import ConfigError
from sim.policies.base import Policy, PolicyParams, add_actors, param, register


@dataclass(kw_only=True)
class EcoIndustrialParksParams(PolicyParams):
    #: the parks: name -> site ids of the scenario (sites.csv) making up the zone
    parks: dict = param("mapping of park name to site ids")
    #: EUR/t off delivered cost between tenant sites once the shared infrastructure is in use
    saving_eur_t: float = param("EUR per tonne")
    #: months until the shared infrastructure is in full use
    ramp_months: int = param("months")
    #: trust on the links between tenants the coordinator introduces
    tenant_trust: float = param("index in [0, 1]", 1.0)


@register("eco_industrial_parks")
class EcoIndustrialParks(Policy):
    Params = EcoIndustrialParksParams
    description = (
        "Coordinators of eco-industrial parks in named industrial zones introduce tenants whose streams fit "
        "and run shared infrastructure that makes exchanges between tenants cheaper."
    )

    def check(self, model) -> None:
        index, self.sites = model.network.index, {}
        sites = set(model.region.sites["site_id"])
        if not self.params.parks:
            raise ConfigError(f"{self.where}.parks", "names no park")
        for name, members in self.params.parks.items():
            where = f"{self.where}.parks.{name}"
            if not isinstance(members, (list, tuple)) or len(members) < 2:
                raise ConfigError(where, f"needs a list of two or more site ids, got {members!r}")
            unknown = [s for s in members if s not in sites]
            if unknown:
                raise ConfigError(where, f"unknown site {unknown[0]!r}", choices=sorted(sites), value=str(unknown[0]))
            self.sites[name] = [index[s] for s in members]

    def apply(self, model) -> None:
        p, make = self.params, model.actor_classes["park_coordinator"]
        parks = [make(model, name, sites, p.saving_eur_t, p.ramp_months, p.tenant_trust)
                 for name, sites in self.sites.items()]
        self.actors = add_actors(model, "park_coordinator", parks)

    def on_step(self, model) -> None:
        for park in self.actors:
            park.step()

    def stop(self, model) -> None:
        """Dropped: the shared infrastructure is no longer run."""
        super().stop(model)
        for park in self.actors:
            for a in park.sites:
                for b in park.sites:
                    model.market.site_savings.pop((a, b), None)
