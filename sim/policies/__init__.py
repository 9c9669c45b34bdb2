"""Policy pilots, one per module, registered by name (see ``base.py``)."""

from sim.policies.base import REGISTRY, Policy, PolicyParams, build_policies, register

__all__ = ["REGISTRY", "Policy", "PolicyParams", "build_policies", "register"]
