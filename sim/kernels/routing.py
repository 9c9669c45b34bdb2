"""Routing: least delivered cost between network nodes, and the borders on the way.

The network is an undirected graph held in CSR form (``indptr``, ``indices``, ``weights``),
with both directions of every link stored. A weight is the cost of moving one tonne along a
directed edge, EUR/t; border costs for a shipment class are folded into the edges that enter
a crossing node, so each shipment class has its own row of weights.
"""

import numpy as np
from numba import njit, prange

UNREACHABLE = np.inf
#: classes x sources x nodes from which the sources are shared among threads (below, starting
#: the threads costs more than it saves)
PARALLEL_WORK = 100_000
#: pieces the sources are cut into when run in parallel
PARALLEL_CHUNKS = 64


@njit(cache=True)
def _dijkstra(indptr, indices, weights, source, crossing_of_node, dist_row, pred_row, first_row, count_row, heap_key,
              heap_node, position):
    """Single-source Dijkstra with an indexed 4-ary heap (decrease-key) held in the workspace
    ``heap_key`` / ``heap_node`` / ``position`` (n_nodes each). ``position`` is a node's slot in
    the heap, -1 before it is reached and -2 once settled. Four children per slot make the heap
    half as deep as a binary one; siblings sit side by side in memory.

    The crossings on a node's path are taken when it is settled: its predecessor's, plus the
    predecessor itself if that is a crossing other than the source (the predecessor is settled
    earlier, so its figures are final)."""
    n = indptr.shape[0] - 1
    for v in range(n):
        dist_row[v] = np.inf
        pred_row[v] = -1
        first_row[v] = -1
        count_row[v] = 0
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
        if u != source:
            p = pred_row[u]
            crossing = crossing_of_node[p] if p != source else -1
            count_row[u] = count_row[p] + (crossing >= 0)
            first_row[u] = first_row[p] if first_row[p] >= 0 else crossing
        size -= 1
        if size > 0:
            # the last entry goes to the root and sifts down past its smallest child
            key = heap_key[size]
            node = heap_node[size]
            i = 0
            while True:
                first = 4 * i + 1
                if first >= size:
                    break
                best, best_key = first, heap_key[first]
                for child in range(first + 1, min(first + 4, size)):
                    if heap_key[child] < best_key:
                        best, best_key = child, heap_key[child]
                if best_key < key:
                    heap_key[i] = best_key
                    heap_node[i] = heap_node[best]
                    position[heap_node[i]] = i
                    i = best
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
                    parent = (i - 1) >> 2
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
def _sources(lo, hi, indptr, indices, weights, sources, crossing_of_node, dist, first, count):
    """Rows lo..hi of the outputs, row r = class r // n_sources, source r % n_sources."""
    n = indptr.shape[0] - 1
    k = sources.shape[0]
    heap_key = np.empty(n, dtype=np.float64)
    heap_node = np.empty(n, dtype=np.int64)
    position = np.empty(n, dtype=np.int64)
    pred = np.empty(n, dtype=np.int64)
    for r in range(lo, hi):
        c, s = r // k, r % k
        _dijkstra(indptr, indices, weights[c], sources[s], crossing_of_node, dist[c, s], pred, first[c, s], count[c, s],
                  heap_key, heap_node, position)


@njit(cache=True, parallel=True)
def _sources_parallel(indptr, indices, weights, sources, crossing_of_node, dist, first, count):
    rows = weights.shape[0] * sources.shape[0]
    for i in prange(PARALLEL_CHUNKS):
        _sources(i * rows // PARALLEL_CHUNKS, (i + 1) * rows // PARALLEL_CHUNKS, indptr, indices, weights, sources,
                 crossing_of_node, dist, first, count)


@njit(cache=True)
def all_pairs_shortest(indptr, indices, weights, sources, crossing_of_node):
    """Least-cost paths from each source node to every node, per weighting (shipment class),
    with the border crossings on each path.

    Parameters
    ----------
    indptr : int64[n_nodes + 1]          CSR row pointers.
    indices : int64[n_edges]             head node of each directed edge.
    weights : float64[n_classes, n_edges]  cost of each edge per class, EUR/t (>= 0).
    sources : int64[n_sources]           origin nodes.
    crossing_of_node : int64[n_nodes]    index of the border crossing at each node (-1 elsewhere).

    Returns
    -------
    dist : float64[n_classes, n_sources, n_nodes]  least cost, EUR/t (inf where unreachable).
    first_crossing : int32[n_classes, n_sources, n_nodes]  the crossing nearest the origin on the
                     path, strictly between origin and target (-1 if the path crosses no border).
    n_crossings : int32[n_classes, n_sources, n_nodes]     crossings strictly between origin and
                     target (0 if unreachable).
    """
    n = indptr.shape[0] - 1
    n_classes, k = weights.shape[0], sources.shape[0]
    dist = np.empty((n_classes, k, n), dtype=np.float64)
    first = np.empty((n_classes, k, n), dtype=np.int32)
    count = np.empty((n_classes, k, n), dtype=np.int32)
    if n_classes * k * n < PARALLEL_WORK:
        _sources(0, n_classes * k, indptr, indices, weights, sources, crossing_of_node, dist, first, count)
    else:
        _sources_parallel(indptr, indices, weights, sources, crossing_of_node, dist, first, count)
    return dist, first, count
