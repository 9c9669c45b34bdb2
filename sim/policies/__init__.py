"""Policy pilots, one per module, registered by name (see ``base.py``)."""

from sim.policies import (  # noqa: F401  (importing a pilot registers it)
    customs_streamlining,
    de_risking,
    epr,
    eu_offtake,
    green_procurement,
    harmonised_eow,
    lab_network,
    landfill_fee,
    symbiosis_platform,
    treatment_capacity,
)
from sim.policies.base import REGISTRY, Policy, PolicyParams, build_policies, register

__all__ = ["REGISTRY", "Policy", "PolicyParams", "build_policies", "register"]

