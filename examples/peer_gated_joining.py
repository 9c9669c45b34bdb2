"""Firms in chosen economies join exchanges only after a peer of the same sector in the same
economy takes part (worked example (a) of docs/extending.md).

Trust between firms is one of the barriers seed 001 names (is.trust_areas); here it is read as
firms waiting for a peer of their own kind nearby to go first. Only the joining rule changes:
who trades from the start, awareness, applications and investments follow the base rules.

    python -m sim agents.firm=examples.peer_gated_joining.PeerGatedFirm \\
        'parameters.peer_gated_economies=[AL,XK]'
"""

from __future__ import annotations

import numpy as np

from sim.agents import Firm
from sim.parameters import NAMES, declare
from sim.policies.base import economies

declare("peer_gated_economies", NAMES, default=[], unit="economy codes",
        source="assumption: none gated unless a study names them (seed 001 is.trust_areas)")


class PeerGatedFirm(Firm):
    __slots__ = ()

    @classmethod
    def decide_joining(cls, model, rows: np.ndarray) -> np.ndarray:
        """The base rule, and in the gated economies only where a firm of the same sector in the
        same economy already takes part."""
        willing = super().decide_joining(model, rows)
        gated = economies(model, model.params["peer_gated_economies"], "parameters.peer_gated_economies")
        if not gated:
            return willing
        firms, sectors = model.firms, len(model.sector_names)
        cell = firms.economy * sectors + firms.sector
        has_peer = np.bincount(cell, weights=firms.participating, minlength=model.n_economies * sectors) > 0
        return willing & (~np.isin(firms.economy[rows], gated) | has_peer[cell[rows]])
