"""Routing: least delivered cost between network nodes.

The network is an undirected graph held in CSR form (``indptr``, ``indices``, ``weights``),
with both directions of every link stored. A weight is the cost of moving one tonne along a
directed edge, EUR/t; border costs for a shipment class are folded into the edges that enter
a crossing node, so one call per shipment class gives that class's delivered-cost matrix.
"""

import numpy as np
from numba import njit, prange

UNREACHABLE = np.inf


@njit(cache=True)
def _dijkstra(indptr, indices, weights, source, dist_row, pred_row):
    """Single-source Dijkstra with a binary heap stored in flat arrays (lazy deletion)."""
    n = indptr.shape[0] - 1
    for v in range(n):
        dist_row[v] = np.inf
        pred_row[v] = -1
    m = indices.shape[0]
    heap_key = np.empty(m + 1, dtype=np.float64)
    heap_node = np.empty(m + 1, dtype=np.int64)
    size = 0
    done = np.zeros(n, dtype=np.bool_)
    dist_row[source] = 0.0
    heap_key[0] = 0.0
    heap_node[0] = source
    size = 1
    while size > 0:
        key = heap_key[0]
        u = heap_node[0]
        # pop the root: move last to the root and sift down
        size -= 1
        if size > 0:
            last_key = heap_key[size]
            last_node = heap_node[size]
            i = 0
            while True:
                child = 2 * i + 1
                if child >= size:
                    break
                if child + 1 < size and heap_key[child + 1] < heap_key[child]:
                    child += 1
                if heap_key[child] < last_key:
                    heap_key[i] = heap_key[child]
                    heap_node[i] = heap_node[child]
                    i = child
                else:
                    break
            heap_key[i] = last_key
            heap_node[i] = last_node
        if done[u] or key > dist_row[u]:
            continue
        done[u] = True
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            candidate = key + weights[e]
            if candidate < dist_row[v]:
                dist_row[v] = candidate
                pred_row[v] = u
                # push and sift up
                i = size
                size += 1
                while i > 0:
                    parent = (i - 1) // 2
                    if heap_key[parent] > candidate:
                        heap_key[i] = heap_key[parent]
                        heap_node[i] = heap_node[parent]
                        i = parent
                    else:
                        break
                heap_key[i] = candidate
                heap_node[i] = v


@njit(cache=True, parallel=True)
def all_pairs_shortest(indptr, indices, weights, sources):
    """Least-cost paths from each source node to every node.

    Parameters
    ----------
    indptr : int64[n_nodes + 1]   CSR row pointers.
    indices : int64[n_edges]      head node of each directed edge.
    weights : float64[n_edges]    cost of each edge, EUR/t (>= 0).
    sources : int64[n_sources]    origin nodes.

    Returns
    -------
    dist : float64[n_sources, n_nodes]  least cost, EUR/t (inf where unreachable).
    pred : int64[n_sources, n_nodes]    predecessor of each node on its least-cost path
                                        from the source (-1 for the source and unreachable).
    """
    n = indptr.shape[0] - 1
    k = sources.shape[0]
    dist = np.empty((k, n), dtype=np.float64)
    pred = np.empty((k, n), dtype=np.int64)
    for s in prange(k):
        _dijkstra(indptr, indices, weights, sources[s], dist[s], pred[s])
    return dist, pred


@njit(cache=True, parallel=True)
def path_crossings(pred, sources, is_crossing):
    """Border crossings on each least-cost path.

    Parameters
    ----------
    pred : int64[n_sources, n_nodes]  from ``all_pairs_shortest``.
    sources : int64[n_sources]        the origin node of each row.
    is_crossing : bool[n_nodes]       True for border-crossing nodes.

    Returns
    -------
    first_crossing : int64[n_sources, n_nodes]  the crossing nearest the origin on the path
                                                (-1 if the path crosses no border).
    n_crossings : int64[n_sources, n_nodes]     crossings on the path (0 if unreachable).
    """
    k, n = pred.shape
    first = np.full((k, n), -1, dtype=np.int64)
    count = np.zeros((k, n), dtype=np.int64)
    for s in prange(k):
        origin = sources[s]
        for target in range(n):
            v = target
            # walk back from the target; the last crossing seen is the one nearest the origin
            while v != origin and v != -1:
                if is_crossing[v] and v != target:
                    count[s, target] += 1
                    first[s, target] = v
                v = pred[s, v]
    return first, count
