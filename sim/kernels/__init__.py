"""Kernels: pure functions over numpy arrays (no Mesa, no config objects), compiled by Numba where
loops need it.

Each kernel has a plain reference implementation in ``tests/reference.py`` that it must match.
"""

from sim.kernels.contacts import poisson_counts
from sim.kernels.deposits import grade_factors, staged_value
from sim.kernels.ledger import dump_shares, ledger_residuals, split_disposal
from sim.kernels.market import clear_market, clear_materials
from sim.kernels.routing import all_pairs_shortest
from sim.kernels.utilities import utility_flows

__all__ = ["all_pairs_shortest", "clear_market", "clear_materials", "dump_shares", "grade_factors", "ledger_residuals",
           "poisson_counts", "split_disposal", "staged_value", "utility_flows"]
