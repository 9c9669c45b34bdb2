"""Plain-Python reference implementations the Numba kernels must match."""

from __future__ import annotations

import heapq
import math


def shortest_paths(n_nodes, edges, sources):
    """Dijkstra over an adjacency list built from (u, v, weight) directed edges: the distances
    and each node's predecessor on its path (-1 for the source and unreachable nodes)."""
    adjacency = [[] for _ in range(n_nodes)]
    for u, v, w in edges:
        adjacency[u].append((v, w))
    dist, pred = [], []
    for s in sources:
        d, p = [math.inf] * n_nodes, [-1] * n_nodes
        d[s] = 0.0
        heap = [(0.0, s)]
        while heap:
            key, u = heapq.heappop(heap)
            if key > d[u]:
                continue
            for v, w in adjacency[u]:
                if key + w < d[v]:
                    d[v], p[v] = key + w, u
                    heapq.heappush(heap, (key + w, v))
        dist.append(d)
        pred.append(p)
    return dist, pred


def path_crossings(pred, sources, crossing_of_node):
    """Walk each path back from its target; the last crossing met is the one nearest the origin."""
    first = [[-1] * len(pred[0]) for _ in sources]
    count = [[0] * len(pred[0]) for _ in sources]
    for s, origin in enumerate(sources):
        for target in range(len(pred[0])):
            v = target
            while v != origin and v != -1:
                if crossing_of_node[v] >= 0 and v != target:
                    count[s][target] += 1
                    first[s][target] = crossing_of_node[v]
                v = pred[s][v]
    return first, count


def clear_market(supply, seller_origin, seller_outside, seller_status, seller_economy, seller_quality,
                 capacity, buyer_node, buyer_wtp, buyer_economy, buyer_min_quality,
                 shipment_class_of, delivered_cost, known=None):
    """Greedy by surplus per tonne, ties in seller-major order, as nested Python loops; with
    ``known``, only pairs at one site or linked in the graph trade."""
    pairs = []
    for s in range(len(supply)):
        if supply[s] <= 0:
            continue
        for b in range(len(capacity)):
            if capacity[b] <= 0 or seller_quality[s] < buyer_min_quality[b]:
                continue
            if known is not None:
                seller_firm, buyer_firm, seller_site, buyer_site, start, partner = known
                f, g = int(seller_firm[s]), int(buyer_firm[b])
                linked = g in [int(x) for x in partner[start[f]:start[f + 1]]]
                if not (seller_site[s] == buyer_site[b] or linked):
                    continue
            cls = int(shipment_class_of[seller_status[s]][seller_economy[s]][buyer_economy[b]])
            cost = float(delivered_cost[cls][seller_origin[s]][buyer_node[b]])
            gain = float(buyer_wtp[b]) + float(seller_outside[s]) - cost
            if gain > 0:
                pairs.append((-gain, len(pairs), s, b, cls, cost))
    pairs.sort()
    supply_left = [float(x) for x in supply]
    capacity_left = [float(x) for x in capacity]
    trades = []
    for neg_gain, _, s, b, cls, cost in pairs:
        t = min(supply_left[s], capacity_left[b])
        if t <= 0:
            continue
        supply_left[s] -= t
        capacity_left[b] -= t
        trades.append((s, b, t, cls, cost, -neg_gain))
    return trades


def ledger_residuals(stock_open, generated, received, produced, used, shipped, landfilled, dumped, stock_close):
    return [
        [stock_open[i][j] + generated[i][j] + received[i][j] + produced[i][j] - used[i][j] - shipped[i][j]
         - landfilled[i][j] - dumped[i][j] - stock_close[i][j] for j in range(len(stock_open[0]))]
        for i in range(len(stock_open))
    ]


def dump_shares(landfill_fee, expected_fine, detection, dump_propensity, choice_scale):
    shares = []
    for fee, fine, caught, propensity in zip(landfill_fee, expected_fine, detection, dump_propensity):
        if caught >= 1.0:
            shares.append(0.0)
            continue
        # logit of dumping against the landfill: P = 1 / (1 + exp(-(saving) / scale))
        saving = fee - fine
        shares.append(propensity * math.exp(saving / choice_scale) / (1.0 + math.exp(saving / choice_scale))
                      if saving < 0 else propensity / (1.0 + math.exp(-saving / choice_scale)))
    return shares


def split_disposal(leftover, share):
    landfilled = [[tonnes - tonnes * share[i] for tonnes in row] for i, row in enumerate(leftover)]
    dumped = [[tonnes * share[i] for tonnes in row] for i, row in enumerate(leftover)]
    return landfilled, dumped


def utility_flows(source, available, capacity, demand, loss_share):
    request = [min(c, d / (1.0 - loss)) for c, d, loss in zip(capacity, demand, loss_share)]
    asked = [sum(r for r, s in zip(request, source) if s == i) for i in range(len(available))]
    supplied = [r if asked[s] <= available[s] else r * available[s] / asked[s] for r, s in zip(request, source)]
    lost = [x * loss for x, loss in zip(supplied, loss_share)]
    return supplied, [x - y for x, y in zip(supplied, lost)], lost


def poisson_counts(uniform, rate):
    """Inversion of the Poisson distribution function, one value at a time: the smallest k with
    P(N <= k) >= u, the terms summed as in a textbook."""
    counts = []
    for u, lam in zip(uniform, rate):
        k, term = 0, math.exp(-lam)
        cdf = term
        while u > cdf and term > 0.0:
            k += 1
            term *= lam / k
            cdf += term
        counts.append(k)
    return counts


def staged_value(slope, intercept, uncertainty, points=20000):
    """E[max(slope g - intercept, 0)] for g = exp(s z - s^2 / 2), z standard normal, by the
    midpoint rule over z in [-8, 8]."""
    out = []
    for a, b, s in zip(slope, intercept, uncertainty):
        if s <= 0.0:
            out.append(max(a - b, 0.0))
            continue
        width, total = 16.0 / points, 0.0
        for k in range(points):
            z = -8.0 + (k + 0.5) * width
            g = math.exp(s * z - 0.5 * s * s)
            total += max(a * g - b, 0.0) * math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) * width
        out.append(total)
    return out


def grade_factors(normal_draws, uncertainty):
    return [math.exp(s * z - 0.5 * s * s) for z, s in zip(normal_draws, uncertainty)]


def merge_links(keys, trust, a, b, link_trust, part, n_parts, n_firms, floor):
    """The graph as a dict of entry -> trust: new pairs counted where they first appear and
    given their highest trust, entries below the floor dropped, then the new pairs written in."""
    graph = dict(zip(keys.tolist(), trust.tolist()))
    made = [0] * n_parts
    new: dict[tuple[int, int], list] = {}
    for x, y, t, way in zip(a.tolist(), b.tolist(), link_trust.tolist(), part.tolist()):
        pair = (min(x, y), max(x, y))
        if pair in new:
            new[pair][1] = max(new[pair][1], t)
        else:
            new[pair] = [way, t]
    for (low, high), (way, _) in new.items():
        if low * n_firms + high not in graph:
            made[way] += 1
    graph = {key: t for key, t in graph.items() if t >= floor}
    for (low, high), (_, t) in new.items():
        if t >= floor:
            for key in (low * n_firms + high, high * n_firms + low):
                graph[key] = max(graph[key], t) if key in graph else t
    merged = sorted(graph)
    start = [sum(1 for key in merged if key // n_firms < row) for row in range(n_firms + 1)]
    return merged, [graph[key] for key in merged], start, made


def nearest_fits(owner, side, nearest, quality, min_quality, among, keys, n_firms, k, unknown_only):
    linked = set(keys.tolist())
    firms, partners = [], []
    for o, s, row in zip(owner.tolist(), side.tolist(), nearest.tolist()):
        m, fits = s // 2, []
        for p in row:
            if p < 0 or p == o or not among[p]:
                continue
            seller, buyer = (o, p) if s % 2 == 0 else (p, o)
            if quality[seller][m] >= min_quality[buyer][m] and not (unknown_only and o * n_firms + p in linked):
                fits.append(p)
        firms += [o] * len(fits[:k])
        partners += fits[:k]
    return firms, partners


def capped_contacts(sellers, buyers, n_firms, cap):
    made, keep = [0] * n_firms, []
    for s, b in zip(sellers.tolist(), buyers.tolist()):
        keep.append(made[s] < cap and made[b] < cap)
        if keep[-1]:
            made[s] += 1
            made[b] += 1
    return keep


def complementary_pairs(rows, offers, capacity, quality, min_quality):
    pairs = [(s, b) for s in rows.tolist() for b in rows.tolist() if s != b
             and any(offers[s][m] and capacity[b][m] > 0 and quality[s][m] >= min_quality[b][m]
                     for m in range(len(offers[s])))]
    return [s for s, _ in pairs], [b for _, b in pairs]
