"""Mass ledger: per firm and material, every tonne is accounted for each month."""

import numpy as np
from numba import njit


@njit(cache=True)
def ledger_residuals(stock_open, generated, received, produced, used, shipped, landfilled, dumped, stock_close):
    """Mass-balance residual of each firm and material for one month.

    All inputs are float64[n_firms, n_materials] in tonnes. The balance is
    ``stock_open + generated + received + produced = used + shipped + landfilled + dumped + stock_close``
    (``produced``: a treatment plant's products put into its stock; what it takes in as input
    is ``used``, and its residues ``landfilled``);
    the residual (left minus right) is zero when mass is conserved.

    Returns
    -------
    residual : float64[n_firms, n_materials]  tonnes.
    """
    n, m = stock_open.shape
    residual = np.empty((n, m), dtype=np.float64)
    for i in range(n):
        for j in range(m):
            residual[i, j] = (
                stock_open[i, j] + generated[i, j] + received[i, j] + produced[i, j]
                - used[i, j] - shipped[i, j] - landfilled[i, j] - dumped[i, j] - stock_close[i, j]
            )
    return residual


@njit(cache=True)
def split_disposal(leftover, landfill_fee, expected_fine, dump_propensity):
    """Split what a firm could not sell between the landfill and illegal dumping.

    A firm dumps a share of its leftover that grows with the saving dumping offers over the
    landfill, scaled by its own propensity to break rules:
    ``share = propensity * clip((fee - expected_fine) / (fee + expected_fine), 0, 1)``.

    Parameters
    ----------
    leftover : float64[n_firms, n_materials]        tonnes to dispose of (>= 0).
    landfill_fee : float64[n_firms, n_materials]    EUR/t at the landfill.
    expected_fine : float64[n_firms, n_materials]   fine x detection probability, EUR/t.
    dump_propensity : float64[n_firms]              in [0, 1].

    Returns
    -------
    landfilled, dumped : float64[n_firms, n_materials]  tonnes; they add up to ``leftover``.
    """
    n, m = leftover.shape
    landfilled = np.empty((n, m), dtype=np.float64)
    dumped = np.empty((n, m), dtype=np.float64)
    for i in range(n):
        for j in range(m):
            fee = landfill_fee[i, j]
            fine = expected_fine[i, j]
            total = fee + fine
            share = 0.0
            if total > 0.0 and fee > fine:
                share = dump_propensity[i] * (fee - fine) / total
            dumped[i, j] = leftover[i, j] * share
            landfilled[i, j] = leftover[i, j] - dumped[i, j]
    return landfilled, dumped
