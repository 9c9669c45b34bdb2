"""Local promoter and technical expert teams: brokers with a caseload in each economy, hosted by
its chamber where one runs (see :class:`sim.agents.broker.Broker`)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.base import Policy, PolicyParams, add_actors, param, register


@dataclass(kw_only=True)
class FacilitationParams(PolicyParams):
    #: economies with teams (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: brokers per economy
    brokers_per_economy: int = param("brokers")
    #: open leads and pilots a broker follows at once
    caseload: int = param("cases")
    #: months from a lead to its business case
    business_case_months: int = param("months")
    #: months a pilot exchange runs before it counts as regular or failed
    pilot_months: int = param("months")
    #: surplus at which a business case becomes a pilot with chance 1 - 1/e
    conversion_scale_eur_t: float = param("EUR per tonne")
    #: trust on the link a broker makes between the pair
    pilot_trust: float = param("index in [0, 1]", 1.0)


@register("facilitation")
class Facilitation(Policy):
    Params = FacilitationParams
    description = (
        "Brokers in each economy find firms that landfill a stream, match them with a buyer, draft the "
        "business case and run a pilot exchange; the lead conversion rate is an outcome."
    )

    def apply(self, model) -> None:
        p, make = self.params, model.actor_classes["broker"]
        hosts = {c.economies[0]: c for c in model.pilot_actors.get("chamber", []) if len(c.economies) == 1}
        brokers = [make(model, e, p.caseload, p.business_case_months, p.pilot_months, p.conversion_scale_eur_t,
                        p.pilot_trust, hosts.get(e))
                   for e in self.economies for _ in range(p.brokers_per_economy)]
        self.actors = add_actors(model, "broker", brokers)

    def on_step(self, model) -> None:
        for broker in self.actors:
            broker.step()
