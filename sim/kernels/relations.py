"""The relationship graph's two month-by-month operations on its arrays: merging new links into
the sorted entries, and picking the partners a firm could trade with from its nearest firms.

A graph entry is a key ``row * n_firms + partner``; the keys are kept sorted with a trust each,
both directions of a link stored, and ``start`` holds the CSR row starts of the entries.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def _contains(keys, key):
    """Whether ``key`` is in the sorted int64 array ``keys``."""
    at = np.searchsorted(keys, key)
    return at < keys.shape[0] and keys[at] == key


@njit(cache=True)
def merge_links(keys, trust, a, b, link_trust, part, n_parts, n_firms, floor):
    """The graph after this month's links are merged in and the links below the trust floor dropped.

    Each unordered pair of the new links counts once, under the part (the way it was made) where
    it first appears, if it was not linked before; it takes the highest trust it was given.
    Entries of the graph below ``floor`` are dropped; a new pair below the floor is not linked;
    a pair already linked keeps the higher of its trust and the new one.

    Parameters
    ----------
    keys : int64[L]          sorted entries (row * n_firms + partner), both directions of each link.
    trust : float64[L]       trust of each entry, in (0, 1].
    a, b : int64[P]          firm rows of the new links (a != b), in the order they were made.
    link_trust : float64[P]  trust each new link starts with.
    part : int64[P]          way each new link was made, in [0, n_parts).
    n_parts : int            number of ways.
    n_firms : int            firms in the graph.
    floor : float            trust below which a link is dropped.

    Returns
    -------
    keys : int64[L']  trust : float64[L']  the merged entries, sorted.
    start : int64[n_firms + 1]             CSR row starts of the merged entries.
    made : int64[n_parts]                  new pairs counted under each way.
    """
    made = np.zeros(n_parts, dtype=np.int64)
    pair = np.empty(a.shape[0], dtype=np.int64)
    for i in range(a.shape[0]):
        pair[i] = min(a[i], b[i]) * n_firms + max(a[i], b[i])
    order = np.argsort(pair, kind="mergesort")  # stable: a pair's first appearance leads its run
    added = np.empty(2 * a.shape[0], dtype=np.int64)
    added_trust = np.empty(2 * a.shape[0], dtype=np.float64)
    n_added = 0
    i = 0
    while i < order.shape[0]:
        first, best = order[i], link_trust[order[i]]
        j = i + 1
        while j < order.shape[0] and pair[order[j]] == pair[first]:
            t = link_trust[order[j]]
            if t > best or np.isnan(best):
                best = t
            j += 1
        if not _contains(keys, pair[first]):
            made[part[first]] += 1
        if best >= floor:
            low, high = pair[first] // n_firms, pair[first] % n_firms
            added[n_added], added[n_added + 1] = pair[first], high * n_firms + low
            added_trust[n_added], added_trust[n_added + 1] = best, best
            n_added += 2
        i = j
    by_key = np.argsort(added[:n_added])
    out_keys = np.empty(keys.shape[0] + n_added, dtype=np.int64)
    out_trust = np.empty(keys.shape[0] + n_added, dtype=np.float64)
    n_out, e, k = 0, 0, 0
    while e < keys.shape[0] or k < n_added:
        new = added[by_key[k]] if k < n_added else -1
        if k == n_added or (e < keys.shape[0] and keys[e] < new):
            # an old entry, kept unless below the floor
            if not trust[e] < floor:
                out_keys[n_out], out_trust[n_out] = keys[e], trust[e]
                n_out += 1
            e += 1
            continue
        t = added_trust[by_key[k]]
        if e < keys.shape[0] and keys[e] == new:
            # linked already: the higher trust, unless the old entry is dropped
            if not trust[e] < floor:
                t = np.nan if (np.isnan(t) or np.isnan(trust[e])) else max(trust[e], t)
            e += 1
        out_keys[n_out], out_trust[n_out] = new, t
        n_out += 1
        k += 1
    start = np.zeros(n_firms + 1, dtype=np.int64)
    for e in range(n_out):
        start[out_keys[e] // n_firms + 1] += 1
    for r in range(n_firms):
        start[r + 1] += start[r]
    return out_keys[:n_out], out_trust[:n_out], start, made


@njit(cache=True)
def nearest_fits(owner, side, nearest, quality, min_quality, among, keys, n_firms, k, unknown_only):
    """For each asking firm, its first ``k`` nearest firms it could trade with.

    A partner fits when it is another firm, the seller's grade meets the buyer's lowest accepted
    grade of the material, the partner is marked in ``among`` and, if ``unknown_only``, the two
    are not linked yet.

    Parameters
    ----------
    owner : int64[K]               asking firm rows.
    side : int64[K]                ``2 m`` where the firm sells material m (its partners buy),
                                   ``2 m + 1`` where it buys m (its partners sell).
    nearest : int64[K, W]          firms on the other side nearest to each asking firm, nearest
                                   first (-1: none).
    quality, min_quality : float64[F, M]  grade offered and lowest grade accepted, in [0, 1].
    among : bool[F]                firms that may be partners.
    keys : int64[L]                sorted graph entries (row * n_firms + partner).
    n_firms : int                  firms in the graph.
    k : int                        partners per asking firm at most.
    unknown_only : bool            whether linked partners are left out.

    Returns
    -------
    firm, partner : int64[P] each  the pairs, asking firm by asking firm, nearest partner first.
    """
    firm = np.empty(owner.shape[0] * k, dtype=np.int64)
    partner = np.empty(owner.shape[0] * k, dtype=np.int64)
    n = 0
    for i in range(owner.shape[0]):
        o, m, sells = owner[i], side[i] // 2, side[i] % 2 == 0
        taken = 0
        for j in range(nearest.shape[1]):
            p = nearest[i, j]
            if taken == k:
                break
            if p < 0 or p == o or not among[p]:
                continue
            seller, buyer = (o, p) if sells else (p, o)
            if not quality[seller, m] >= min_quality[buyer, m]:
                continue
            if unknown_only and _contains(keys, o * n_firms + p):
                continue
            firm[n], partner[n] = o, p
            n += 1
            taken += 1
    return firm[:n], partner[:n]


@njit(cache=True)
def capped_contacts(sellers, buyers, n_firms, cap):
    """bool[K]: which of the pairs, taken in order, are made when each firm makes ``cap`` contacts
    at most: a pair is made while both its firms have contacts left.

    Parameters
    ----------
    sellers, buyers : int64[K]  firm rows of each pair, in [0, n_firms), in the order they meet.
    n_firms : int               firms.
    cap : int                   contacts a firm makes at most.
    """
    made = np.zeros(n_firms, dtype=np.int64)
    keep = np.zeros(sellers.shape[0], dtype=np.bool_)
    for k in range(sellers.shape[0]):
        if made[sellers[k]] < cap and made[buyers[k]] < cap:
            keep[k] = True
            made[sellers[k]] += 1
            made[buyers[k]] += 1
    return keep


@njit(cache=True)
def complementary_pairs(rows, offers, capacity, quality, min_quality):
    """(seller, buyer) pairs of distinct firms among ``rows`` where the seller offers some material
    the buyer has capacity for, at a grade the buyer accepts; sellers in the order of ``rows``,
    each one's buyers in that order too.

    Parameters
    ----------
    rows : int64[R]                      firm rows.
    offers : bool[F, M]                  whether a firm offers a material.
    capacity : float64[F, M]             t/month a firm can take in of a material.
    quality, min_quality : float64[F, M] grade offered and lowest grade accepted.

    Returns
    -------
    seller, buyer : int64[P] each
    """
    seller = np.empty(rows.shape[0] * rows.shape[0], dtype=np.int64)
    buyer = np.empty(rows.shape[0] * rows.shape[0], dtype=np.int64)
    n = 0
    for s in rows:
        for b in rows:
            if s == b:
                continue
            for m in range(offers.shape[1]):
                if offers[s, m] and capacity[b, m] > 0 and quality[s, m] >= min_quality[b, m]:
                    seller[n], buyer[n] = s, b
                    n += 1
                    break
    return seller[:n], buyer[:n]
