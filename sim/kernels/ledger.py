"""Mass ledger: per firm and material, every tonne is accounted for each month."""

import numpy as np
from numba import njit


@njit(cache=True)
def ledger_residuals(stock_open, generated, received, used, shipped, landfilled, dumped, stock_close):
    """Mass-balance residual of each firm and material for one month.

    All inputs are float64[n_firms, n_materials] in tonnes. The balance is
    ``stock_open + generated + received = used + shipped + landfilled + dumped + stock_close``;
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
                stock_open[i, j] + generated[i, j] + received[i, j]
                - used[i, j] - shipped[i, j] - landfilled[i, j] - dumped[i, j] - stock_close[i, j]
            )
    return residual


@njit(cache=True)
def dump_shares(landfill_fee, expected_fine, detection, dump_propensity, choice_scale):
    """Share of each firm's leftover of each material that it dumps: a logit choice between the
    landfill and dumping.

    A firm can dump at most the share ``dump_propensity`` of its leftover (what it handles
    outside permitted, supervised installations). Of that, it dumps the share a binary logit gives
    for the saving dumping offers over the landfill, with a scale standing for the spread of
    hauling distances, rule-breaking costs and risk attitudes the model does not draw:
    ``share = propensity / (1 + exp((expected_fine - fee) / scale))``. The share falls smoothly as
    the expected fine rises past the fee and is zero only when detection is certain.

    Parameters
    ----------
    landfill_fee : float64[n_firms]     EUR/t at the landfill (gate fee plus tax).
    expected_fine : float64[n_firms]    fine x detection probability, EUR/t.
    detection : float64[n_firms]        probability a dumping firm is caught in a month, [0, 1].
    dump_propensity : float64[n_firms]  in [0, 1].
    choice_scale : float                EUR/t (> 0): smaller is a sharper, more uniform response.

    Returns
    -------
    share : float64[n_firms]  share of the leftover dumped, in [0, propensity].
    """
    n = landfill_fee.shape[0]
    share = np.zeros(n, dtype=np.float64)
    for i in range(n):
        if detection[i] >= 1.0:
            continue
        z = (expected_fine[i] - landfill_fee[i]) / choice_scale
        if z < 700.0:  # exp overflows beyond; the share is 0 to double precision there
            share[i] = dump_propensity[i] / (1.0 + np.exp(z))
    return share


@njit(cache=True)
def split_disposal(leftover, share):
    """Split what firms could not sell between the landfill and illegal dumping.

    Parameters
    ----------
    leftover : float64[n_firms, n_materials]  tonnes to dispose of (>= 0).
    share : float64[n_firms]                  share each firm dumps (``dump_shares``).

    Returns
    -------
    landfilled, dumped : float64[n_firms, n_materials]  tonnes; they add up to ``leftover``.
    """
    n, m = leftover.shape
    landfilled = np.empty((n, m), dtype=np.float64)
    dumped = np.empty((n, m), dtype=np.float64)
    for i in range(n):
        for j in range(m):
            dumped[i, j] = leftover[i, j] * share[i]
            landfilled[i, j] = leftover[i, j] - dumped[i, j]
    return landfilled, dumped
