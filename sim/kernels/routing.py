"""Routing: least delivered cost between network nodes.

The network is an undirected graph held in CSR form (``indptr``, ``indices``, ``weights``),
with both directions of every link stored. A weight is the cost of moving one tonne along a
directed edge, EUR/t; border costs for a shipment class are folded into the edges that enter
a crossing node, so one call per shipment class gives that class's delivered-cost matrix.
"""

import numpy as np
from numba import njit, prange

UNREACHABLE = np.inf
#: sources x nodes from which the sources are shared among threads (below, starting threads costs more)
PARALLEL_WORK = 100_000
#: pieces the sources are cut into when run in parallel
PARALLEL_CHUNKS = 64


@njit(cache=True)
def _dijkstra(indptr, indices, weights, source, dist_row, pred_row, heap_key, heap_node, position):
    """Single-source Dijkstra with an indexed binary heap (decrease-key) held in the workspace
    ``heap_key`` / ``heap_node`` / ``position`` (n_nodes each). ``position`` is a node's slot in
    the heap, -1 before it is reached and -2 once settled."""
    n = indptr.shape[0] - 1
    for v in range(n):
        dist_row[v] = np.inf
        pred_row[v] = -1
        position[v] = -1
    dist_row[source] = 0.0
    heap_key[0] = 0.0
    heap_node[0] = source
    position[source] = 0
    size = 1
    while size > 0:
        u = heap_node[0]
        du = heap_key[0]
        position[u] = -2
        size -= 1
        if size > 0:
            # the last entry goes to the root and sifts down
            key = heap_key[size]
            node = heap_node[size]
            i = 0
            while True:
                child = 2 * i + 1
                if child >= size:
                    break
                if child + 1 < size and heap_key[child + 1] < heap_key[child]:
                    child += 1
                if heap_key[child] < key:
                    heap_key[i] = heap_key[child]
                    heap_node[i] = heap_node[child]
                    position[heap_node[i]] = i
                    i = child
                else:
                    break
            heap_key[i] = key
            heap_node[i] = node
            position[node] = i
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            candidate = du + weights[e]
            if candidate < dist_row[v]:
                dist_row[v] = candidate
                pred_row[v] = u
                i = position[v]
                if i == -1:
                    i = size
                    size += 1
                # sift up from the node's slot
                while i > 0:
                    parent = (i - 1) >> 1
                    if heap_key[parent] > candidate:
                        heap_key[i] = heap_key[parent]
                        heap_node[i] = heap_node[parent]
                        position[heap_node[i]] = i
                        i = parent
                    else:
                        break
                heap_key[i] = candidate
                heap_node[i] = v
                position[v] = i


@njit(cache=True)
def _sources(lo, hi, indptr, indices, weights, sources, dist, pred):
    n = indptr.shape[0] - 1
    heap_key = np.empty(n, dtype=np.float64)
    heap_node = np.empty(n, dtype=np.int64)
    position = np.empty(n, dtype=np.int64)
    for s in range(lo, hi):
        _dijkstra(indptr, indices, weights, sources[s], dist[s], pred[s], heap_key, heap_node, position)


@njit(cache=True, parallel=True)
def _sources_parallel(indptr, indices, weights, sources, dist, pred):
    k = sources.shape[0]
    for i in prange(PARALLEL_CHUNKS):
        _sources(i * k // PARALLEL_CHUNKS, (i + 1) * k // PARALLEL_CHUNKS, indptr, indices, weights, sources, dist, pred)


@njit(cache=True)
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
    if k * n < PARALLEL_WORK:
        _sources(0, k, indptr, indices, weights, sources, dist, pred)
    else:
        _sources_parallel(indptr, indices, weights, sources, dist, pred)
    return dist, pred


@njit(cache=True)
def _crossings_from(s, origin, pred, is_crossing, first, count, stack):
    """Crossings on the paths from one origin, each node's found from its predecessor's."""
    n = pred.shape[1]
    done = np.zeros(n, dtype=np.bool_)
    done[origin] = True
    for target in range(n):
        # climb to a node already done (the origin at worst), then come back down
        depth = 0
        v = target
        while not done[v] and pred[s, v] != -1:
            stack[depth] = v
            depth += 1
            v = pred[s, v]
        if not done[v]:  # unreachable: no crossings
            done[v] = True
        for d in range(depth - 1, -1, -1):
            v = stack[d]
            u = pred[s, v]
            passed = is_crossing[u] and u != origin
            count[s, v] = count[s, u] + passed
            first[s, v] = first[s, u] if first[s, u] >= 0 else (u if passed else -1)
            done[v] = True


@njit(cache=True)
def _crossings(lo, hi, pred, sources, is_crossing, first, count):
    stack = np.empty(pred.shape[1], dtype=np.int64)
    for s in range(lo, hi):
        _crossings_from(s, sources[s], pred, is_crossing, first, count, stack)


@njit(cache=True, parallel=True)
def _crossings_parallel(pred, sources, is_crossing, first, count):
    k = pred.shape[0]
    for i in prange(PARALLEL_CHUNKS):
        _crossings(i * k // PARALLEL_CHUNKS, (i + 1) * k // PARALLEL_CHUNKS, pred, sources, is_crossing, first, count)


@njit(cache=True)
def path_crossings(pred, sources, is_crossing):
    """Border crossings on each least-cost path (between origin and target, both excluded).

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
    if k * n < PARALLEL_WORK:
        _crossings(0, k, pred, sources, is_crossing, first, count)
    else:
        _crossings_parallel(pred, sources, is_crossing, first, count)
    return first, count
