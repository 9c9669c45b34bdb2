"""Energy and water exchanges between sites: what each link supplies, delivers and loses in a month."""

import numpy as np
from numba import njit


@njit(cache=True)
def utility_flows(source, available, capacity, demand, loss_share):
    """Surplus heat or water each link carries this month, split among the links of a source.

    A link asks for what its sink needs at the far end, grossed up for what the pipe loses on
    the way, up to the pipe's capacity: ``request = min(capacity, demand / (1 - loss_share))``.
    A source that cannot meet all its links' requests gives each the same share of its request
    (``available / sum of requests``). What a link takes from its source is ``supplied``; of
    that, ``lost`` is lost in transit and ``used`` reaches the sink, so
    ``supplied = used + lost`` on every link and the supplied of a source's links adds up to at
    most what it has available.

    One call handles links of one kind, in one unit (MWh of heat, or m3 of water).

    Parameters
    ----------
    source : int64[n_links]        index of each link's source, in [0, n_sources).
    available : float64[n_sources] surplus each source can give off this month (>= 0).
    capacity : float64[n_links]    most a link's pipe carries this month (>= 0).
    demand : float64[n_links]      what the sink would take this month (>= 0).
    loss_share : float64[n_links]  share of what enters the pipe lost on the way, in [0, 1).

    Returns
    -------
    supplied, used, lost : float64[n_links] each, in the unit of the inputs.
    """
    n = source.shape[0]
    request = np.empty(n, dtype=np.float64)
    asked = np.zeros(available.shape[0], dtype=np.float64)
    for k in range(n):
        request[k] = min(capacity[k], demand[k] / (1.0 - loss_share[k]))
        asked[source[k]] += request[k]
    supplied = np.empty(n, dtype=np.float64)
    used = np.empty(n, dtype=np.float64)
    lost = np.empty(n, dtype=np.float64)
    for k in range(n):
        s = source[k]
        share = 1.0 if asked[s] <= available[s] else available[s] / asked[s]
        supplied[k] = request[k] * share
        lost[k] = supplied[k] * loss_share[k]
        used[k] = supplied[k] - lost[k]
    return supplied, used, lost
