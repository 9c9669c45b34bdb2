"""Contacts through which firms hear about exchanges: Poisson counts drawn by inversion."""

from __future__ import annotations

import numpy as np


def poisson_counts(uniform: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """int64[n]: the Poisson(``rate``) count whose distribution function first reaches ``uniform``
    (inversion: the smallest k with P(N <= k) >= u), element by element.

    Drawn this way, one uniform per firm and month whatever the rates, a higher rate never gives
    fewer contacts for the same draw, and runs that differ only in their rates (a pilot's outreach,
    say) see the same draws: their difference is the rates' doing, not the random stream's.

    Parameters
    ----------
    uniform : float64[n]  in [0, 1).
    rate : float64[n]     >= 0, expected count.
    """
    term = np.exp(-rate)
    cdf = term.copy()
    count = np.zeros(len(rate), dtype=np.int64)
    more = uniform > cdf
    k = 0
    while more.any() and k < 10_000:
        k += 1
        term = term * rate / k
        cdf = cdf + term
        count += more
        more &= uniform > cdf
        more &= term > 0.0  # the distribution function can stop short of 1 in floating point
    return count
