"""Kernels of the legacy deposits: true grades drawn around the expected ones, and what a staged
re-mining project (explore first, build only if the grade found makes the plant pay) is worth."""

import math

import numpy as np
from numba import njit


@njit(cache=True)
def grade_factors(normal_draws, uncertainty):
    """True grade / expected grade of each deposit: lognormal with mean 1, so that the expected
    grades (the data's) hold on average, and log standard deviation ``uncertainty``.

    Parameters
    ----------
    normal_draws : float64[n]  standard normal draws, one per deposit.
    uncertainty : float64[n]   log standard deviation of the grade, >= 0 (0: known exactly).

    Returns
    -------
    factor : float64[n]  ``exp(uncertainty * z - uncertainty**2 / 2)``.
    """
    n = normal_draws.shape[0]
    factor = np.empty(n, dtype=np.float64)
    for i in range(n):
        s = uncertainty[i]
        factor[i] = math.exp(s * normal_draws[i] - 0.5 * s * s)
    return factor


@njit(cache=True)
def staged_value(slope, intercept, uncertainty):
    """Expected value of a plant that is built only once its grade is known to make it pay:
    ``E[max(slope * g - intercept, 0)]`` for ``g`` lognormal with mean 1 and log standard
    deviation ``uncertainty`` (the grade factor of ``grade_factors``), in closed form
    ``slope N(d1) - intercept N(d2)``, ``d1 = (ln(slope / intercept) + s^2 / 2) / s``, ``d2 = d1 - s``.

    Parameters
    ----------
    slope : float64[n]        present value of the plant's revenue at the expected grade, EUR (>= 0).
    intercept : float64[n]    present value of its capex and operating costs, EUR.
    uncertainty : float64[n]  log standard deviation of the grade (>= 0).

    Returns
    -------
    value : float64[n]  EUR, >= max(slope - intercept, 0).
    """
    n = slope.shape[0]
    value = np.empty(n, dtype=np.float64)
    for i in range(n):
        a, b, s = slope[i], intercept[i], uncertainty[i]
        if b <= 0.0:
            value[i] = a - b  # pays at any grade
        elif a <= 0.0:
            value[i] = 0.0
        elif s <= 0.0:
            value[i] = max(a - b, 0.0)
        else:
            d1 = (math.log(a / b) + 0.5 * s * s) / s
            d2 = d1 - s
            value[i] = a * 0.5 * math.erfc(-d1 / math.sqrt(2.0)) - b * 0.5 * math.erfc(-d2 / math.sqrt(2.0))
    return value
