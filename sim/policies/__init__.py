"""Policy pilots, one per module, registered by name (see ``base.py``)."""

from sim.policies import (  # noqa: F401  (importing a pilot registers it)
    automatic_mapping,
    cbam,
    customs_streamlining,
    de_risking,
    eco_industrial_parks,
    energy_water_symbiosis,
    epr,
    eu_offtake,
    facilitation,
    green_procurement,
    harmonised_eow,
    lab_network,
    landfill_fee,
    municipal_action,
    networking_events,
    opportunity_mapping,
    regional_programme,
    scale_or_pivot,
    scarcity_prices,
    symbiosis_platform,
    treatment_capacity,
    working_group,
)
from sim.policies.base import REGISTRY, Policy, PolicyParams, build_policies, register

__all__ = ["REGISTRY", "Policy", "PolicyParams", "build_policies", "register"]

