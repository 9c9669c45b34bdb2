"""Market clearing for one material: offers meet bids, greedy by surplus per tonne.

The rule is simple (serve the pair with the largest surplus per tonne first, ties in
seller-major order); the work is in not listing all seller x buyer pairs. Sellers that share
an origin node, legal status and economy (a *group*) face the same delivered cost to every
buyer at the same node and economy (a *column*), so the cost and an upper bound on the surplus
are taken once per (group, column) block and blocks that cannot trade are skipped whole. Each
firm on the scarce side (the *owner* side) lists its best few partners; a heap merges these
lists in the global order, and an owner whose list runs out while it still has tonnes
re-scans the partners that are left. The trades are exactly the greedy's.

Where firms trade only with partners they know of (the relationship graph, see
``clear_market``), an owner's list is drawn from its few known partners (at its site or
linked to it) instead of from the blocks of its row; block costs and bounds are the same.
"""

import numpy as np
from numba import njit, prange

#: partners each owner lists between re-scans (speed only: any value >= 1 gives the same trades)
LIST_LENGTH = 16
#: blocks (groups x columns) from which the first lists are built in parallel: below, starting
#: the threads costs more than it saves (and a lot more on a busy machine)
PARALLEL_BLOCKS = 200_000
#: pieces the parallel work is cut into (many, so that threads finish together)
PARALLEL_CHUNKS = 64


@njit(cache=True)
def _group(keys, active):
    """Active indices ordered by key (stable), the start of each run of equal keys, and each
    index's run and position (-1 if inactive)."""
    members = np.flatnonzero(active)
    members = members[np.argsort(keys[members], kind="mergesort")]
    n = members.shape[0]
    starts = np.empty(n + 1, dtype=np.int64)
    run_of = np.full(keys.shape[0], -1, dtype=np.int64)
    position = np.full(keys.shape[0], -1, dtype=np.int64)
    n_runs = 0
    for i in range(n):
        if i == 0 or keys[members[i]] != keys[members[i - 1]]:
            starts[n_runs] = i
            n_runs += 1
        run_of[members[i]] = n_runs - 1
        position[members[i]] = i
    starts[n_runs] = n
    return members, starts[: n_runs + 1].copy(), run_of, position


@njit(cache=True)
def _before(neg_a, partner_a, neg_b, partner_b):
    """True if list key a = (negative gain, partner) is served before key b."""
    return neg_a < neg_b or (neg_a == neg_b and partner_a < partner_b)


@njit(cache=True)
def _insert(owner, neg, partner, lists, k):
    """Put a candidate in the owner's list (sorted, at most k long) if it ranks."""
    _, _, list_neg, list_partner, list_len = lists
    n = list_len[owner]
    if n == k:
        if not _before(neg, partner, list_neg[owner, k - 1], list_partner[owner, k - 1]):
            return
        n -= 1
    i = n
    while i > 0 and _before(neg, partner, list_neg[owner, i - 1], list_partner[owner, i - 1]):
        list_neg[owner, i] = list_neg[owner, i - 1]
        list_partner[owner, i] = list_partner[owner, i - 1]
        i -= 1
    list_neg[owner, i] = neg
    list_partner[owner, i] = partner
    list_len[owner] = n + 1


@njit(cache=True)
def _fill_block_costs(cost, g_lo, g_hi, by_seller, groups, cols, shipment_class_of, delivered_cost):
    """Delivered cost of the blocks of groups g_lo..g_hi, laid out [owner block, partner block]
    so that an owner reads its row in order; inf where the block's bounds show that no pair in
    it can trade (no seller good enough for the strictest buyer's grade, or no positive gain)."""
    _, _, group_origin, group_status, group_economy, group_outside, group_quality = groups
    _, _, col_node, col_economy, col_wtp, col_min_quality = cols
    n_cols = col_node.shape[0]
    tile = 256  # transposed writes stay in cache tile by tile
    for c_lo in range(0, n_cols, tile):
        for g in range(g_lo, g_hi):
            origin, quality, outside = group_origin[g], group_quality[g], group_outside[g]
            class_to = shipment_class_of[group_status[g], group_economy[g]]
            for c in range(c_lo, min(c_lo + tile, n_cols)):
                block = delivered_cost[class_to[col_economy[c]], origin, col_node[c]]
                if quality < col_min_quality[c] or not col_wtp[c] + outside - block > 0.0:
                    block = np.inf
                if by_seller:
                    cost[g, c] = block
                else:
                    cost[c, g] = block


@njit(cache=True, parallel=True)
def _fill_block_costs_parallel(cost, n_chunks, by_seller, groups, cols, shipment_class_of, delivered_cost):
    n_groups = groups[2].shape[0]
    for i in prange(n_chunks):
        _fill_block_costs(cost, i * n_groups // n_chunks, (i + 1) * n_groups // n_chunks, by_seller, groups, cols,
                          shipment_class_of, delivered_cost)


@njit(cache=True)
def _ranks(owner_ids, best_neg, lists, k):
    """False if every owner among ``owner_ids`` has a full list of pairs better than
    ``best_neg`` (the best a block can offer)."""
    _, _, list_neg, _, list_len = lists
    for o in owner_ids:
        if list_len[o] < k or list_neg[o, k - 1] >= best_neg:
            return True
    return False


@njit(cache=True)
def _scan_block(seller_ids, buyer_ids, cost, by_seller, sellers, buyers, lists, k):
    """Offer the tradeable pairs of a block to their owners' lists: the buyer accepts the
    quality, the gain is positive, both have tonnes left, and the pair comes after the
    owner's floor (the last pair it served from an earlier list)."""
    seller_outside, seller_quality, supply_left = sellers
    buyer_wtp, buyer_min_quality, capacity_left = buyers
    floor_neg, floor_partner, _, _, _ = lists
    for s in seller_ids:
        if supply_left[s] <= 0.0:
            continue
        for b in buyer_ids:
            if capacity_left[b] <= 0.0 or seller_quality[s] < buyer_min_quality[b]:
                continue
            gain = buyer_wtp[b] + seller_outside[s] - cost
            if not gain > 0.0:
                continue
            owner, partner = (s, b) if by_seller else (b, s)
            if _before(floor_neg[owner], floor_partner[owner], -gain, partner):
                _insert(owner, -gain, partner, lists, k)


@njit(cache=True)
def _scan_row(owner_block, owner_ids, by_seller, block_cost, partner_live, groups, cols, sellers, buyers,
              lists, k):
    """Offer the owners ``owner_ids`` (of one owner block) the pairs of every open block in their row."""
    group_start, seller_members, group_outside = groups[0], groups[1], groups[5]
    col_start, buyer_members, col_wtp = cols[0], cols[1], cols[4]
    row = block_cost[owner_block]
    for partner_block in range(row.shape[0]):
        cost = row[partner_block]
        if cost == np.inf or partner_live[partner_block] == 0:
            continue
        g, c = (owner_block, partner_block) if by_seller else (partner_block, owner_block)
        if not _ranks(owner_ids, -(col_wtp[c] + group_outside[g] - cost), lists, k):
            continue
        if by_seller:
            _scan_block(owner_ids, buyer_members[col_start[c]:col_start[c + 1]], cost, by_seller,
                        sellers, buyers, lists, k)
        else:
            _scan_block(seller_members[group_start[g]:group_start[g + 1]], owner_ids, cost, by_seller,
                        sellers, buyers, lists, k)


@njit(cache=True)
def _first_lists(lo, hi, owner_start, owner_members, by_seller, block_cost, partner_live, groups, cols, sellers,
                 buyers, lists, k):
    """The first lists of the owners in owner blocks lo..hi."""
    for owner_block in range(lo, hi):
        _scan_row(owner_block, owner_members[owner_start[owner_block]:owner_start[owner_block + 1]], by_seller,
                  block_cost, partner_live, groups, cols, sellers, buyers, lists, k)


@njit(cache=True, parallel=True)
def _first_lists_parallel(n_chunks, owner_start, owner_members, by_seller, block_cost, partner_live, groups, cols,
                          sellers, buyers, lists, k):
    """Each thread fills the lists of its own owners."""
    n_blocks = owner_start.shape[0] - 1
    for i in prange(n_chunks):
        _first_lists(i * n_blocks // n_chunks, (i + 1) * n_blocks // n_chunks, owner_start, owner_members, by_seller,
                     block_cost, partner_live, groups, cols, sellers, buyers, lists, k)


@njit(cache=True)
def _offer_known(o, p, by_seller, block_cost, owner_block, partner_block, sellers, buyers, lists, k):
    """Offer owner o the pair with partner p if it can trade and comes after the owner's floor."""
    seller_outside, seller_quality, supply_left = sellers
    buyer_wtp, buyer_min_quality, capacity_left = buyers
    floor_neg, floor_partner, _, _, _ = lists
    s, b = (o, p) if by_seller else (p, o)
    if supply_left[s] <= 0.0 or capacity_left[b] <= 0.0 or seller_quality[s] < buyer_min_quality[b]:
        return
    cost = block_cost[owner_block[o], partner_block[p]]
    gain = buyer_wtp[b] + seller_outside[s] - cost
    if gain > 0.0 and _before(floor_neg[o], floor_partner[o], -gain, p):
        _insert(o, -gain, p, lists, k)


@njit(cache=True)
def _scan_known(o, by_seller, graph, block_cost, owner_block, partner_block, sellers, buyers, lists, k):
    """Offer owner o the pairs with the partners it knows of: those at its site, then those
    its firm is linked to (at other sites)."""
    owner_firm, owner_site, partner_site, start, linked, by_firm_start, by_firm, by_site_start, by_site = graph
    site = owner_site[o]
    if site < by_site_start.shape[0] - 1:
        for j in range(by_site_start[site], by_site_start[site + 1]):
            _offer_known(o, by_site[j], by_seller, block_cost, owner_block, partner_block, sellers, buyers, lists, k)
    f = owner_firm[o]
    for e in range(start[f], start[f + 1]):
        g = linked[e]
        for j in range(by_firm_start[g], by_firm_start[g + 1]):
            p = by_firm[j]
            if partner_site[p] != site:
                _offer_known(o, p, by_seller, block_cost, owner_block, partner_block, sellers, buyers, lists, k)


@njit(cache=True)
def _index_by(keys, active, n_keys):
    """Active indices ordered by key (stable) and the start of each key's run, int64[n_keys + 1]."""
    members = np.flatnonzero(active)
    members = members[np.argsort(keys[members], kind="mergesort")]
    starts = np.zeros(n_keys + 1, dtype=np.int64)
    for i in members:
        starts[keys[i] + 1] += 1
    return members, np.cumsum(starts)


@njit(cache=True)
def _heap_before(a, b, head, list_neg, list_partner, by_seller):
    """Global order of two owners' current pairs: gain, then seller, then buyer."""
    neg_a, neg_b = list_neg[a, head[a]], list_neg[b, head[b]]
    if neg_a != neg_b:
        return neg_a < neg_b
    pa, pb = list_partner[a, head[a]], list_partner[b, head[b]]
    if by_seller:
        return a < b  # owners are distinct, so their pairs differ in the seller
    return pa < pb or (pa == pb and a < b)


@njit(cache=True)
def _sift_down(heap, size, i, head, list_neg, list_partner, by_seller):
    item = heap[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _heap_before(heap[child + 1], heap[child], head, list_neg, list_partner, by_seller):
            child += 1
        if _heap_before(heap[child], item, head, list_neg, list_partner, by_seller):
            heap[i] = heap[child]
            i = child
        else:
            break
    heap[i] = item


def clear_market(supply, seller_origin, seller_outside, seller_status, seller_economy, seller_quality, capacity,
                 buyer_node, buyer_wtp, buyer_economy, buyer_min_quality, shipment_class_of, delivered_cost,
                 list_length=LIST_LENGTH, known=None):
    """Match offers of one material to bids, best surplus per tonne first, among the pairs
    that know of each other (the rule, the other arguments and what it returns: see
    ``_clear_market``).

    ``known`` is None (every seller knows of every buyer: an open market) or the tuple
    ``(seller_firm int64[S], buyer_firm int64[B], seller_site int64[S], buyer_site int64[B],
    start int64[F+1], linked int64[E])``: the firm row and network node (site) of each seller
    and buyer, and the relationship graph as CSR (row f lists the firm rows linked to firm f).
    A pair can trade only if both are at one site or their firms are linked.
    """
    if known is None:
        none = np.zeros(1, dtype=np.int64)
        known = (none[:0], none[:0], none[:0], none[:0], none, none[:0])
        restricted = False
    else:
        known = tuple(np.ascontiguousarray(a, dtype=np.int64) for a in known)
        restricted = True
    return _clear_market(supply, seller_origin, seller_outside, seller_status, seller_economy, seller_quality,
                         capacity, buyer_node, buyer_wtp, buyer_economy, buyer_min_quality, shipment_class_of,
                         delivered_cost, list_length, restricted, *known)


@njit(cache=True)
def _clear_market(
    supply,
    seller_origin,
    seller_outside,
    seller_status,
    seller_economy,
    seller_quality,
    capacity,
    buyer_node,
    buyer_wtp,
    buyer_economy,
    buyer_min_quality,
    shipment_class_of,
    delivered_cost,
    list_length,
    restricted,
    seller_firm,
    buyer_firm,
    seller_site,
    buyer_site,
    start,
    linked,
):
    """Match offers of one material to bids, best surplus per tonne first.

    A pair (seller s, buyer b) can trade when the buyer accepts the seller's quality and the
    surplus per tonne ``wtp[b] + outside[s] - cost`` is positive, where ``cost`` is the
    delivered cost for the pair's shipment class (``shipment_class_of[status[s],
    economy[s], economy[b]]``). Pairs are served in decreasing surplus (ties in seller-major
    order), each taking the smaller of the seller's remaining supply and the buyer's remaining
    capacity.

    Parameters
    ----------
    supply : float64[S]            tonnes offered this month (>= 0).
    seller_origin : int64[S]       row of ``delivered_cost`` for the seller's node.
    seller_outside : float64[S]    EUR/t the seller saves by not disposing (landfill fee or
                                   expected fine avoided, >= 0).
    seller_status : int64[S]       legal status of the seller's stream (0 waste, 1 by-product,
                                   2 end-of-waste).
    seller_economy : int64[S]      economy index.
    seller_quality : float64[S]    grade in [0, 1].
    capacity : float64[B]          tonnes each buyer can absorb this month (>= 0).
    buyer_node : int64[B]          column of ``delivered_cost`` for the buyer's node.
    buyer_wtp : float64[B]         EUR/t the buyer will pay at its gate.
    buyer_economy : int64[B]       economy index.
    buyer_min_quality : float64[B] lowest grade accepted.
    shipment_class_of : int64[n_status, n_economies, n_economies]
                                   shipment class of a (status, origin, destination) triple.
    delivered_cost : float64[n_classes, n_origins, n_nodes]
                                   EUR/t to move one tonne, border costs included.
    list_length : int              partners listed per owner between re-scans (speed only).
    restricted : bool              trade only between pairs at one site or linked (below).
    seller_firm, buyer_firm : int64[S], int64[B]
                                   firm rows (into ``start``) of the sellers and buyers.
    seller_site, buyer_site : int64[S], int64[B]
                                   network node of each seller's and buyer's site.
    start, linked : int64[F+1], int64[E]
                                   relationship graph as CSR: ``linked[start[f]:start[f+1]]``
                                   are the firm rows linked to firm row f.

    Returns
    -------
    seller, buyer : int64[K]       indices of the matched pairs, in the order served.
    tonnes : float64[K]            tonnes shipped (> 0).
    shipment_class : int64[K]      class of each shipment.
    unit_cost : float64[K]         delivered cost, EUR/t.
    unit_surplus : float64[K]      surplus, EUR/t.
    """
    n_sellers, n_buyers = supply.shape[0], capacity.shape[0]
    n_status, n_econ = shipment_class_of.shape[0], shipment_class_of.shape[1]
    k = max(list_length, 1)
    supply_left = supply.copy()
    capacity_left = capacity.copy()

    # sellers by (origin, status, economy), buyers by (node, economy): a block shares one cost
    seller_members, group_start, seller_group, seller_pos = _group(
        (seller_origin * n_status + seller_status) * n_econ + seller_economy, supply > 0.0)
    buyer_members, col_start, buyer_col, buyer_pos = _group(buyer_node * n_econ + buyer_economy, capacity > 0.0)
    n_groups, n_cols = group_start.shape[0] - 1, col_start.shape[0] - 1
    first = seller_members[group_start[:-1]]
    group_outside = np.full(n_groups, -np.inf)
    group_quality = np.full(n_groups, -np.inf)
    for s in seller_members:
        g = seller_group[s]
        group_outside[g] = max(group_outside[g], seller_outside[s])
        group_quality[g] = max(group_quality[g], seller_quality[s])
    groups = (group_start, seller_members, seller_origin[first], seller_status[first], seller_economy[first],
              group_outside, group_quality)
    first = buyer_members[col_start[:-1]]
    col_wtp = np.full(n_cols, -np.inf)
    col_min_quality = np.full(n_cols, np.inf)
    for b in buyer_members:
        c = buyer_col[b]
        col_wtp[c] = max(col_wtp[c], buyer_wtp[b])
        col_min_quality[c] = min(col_min_quality[c], buyer_min_quality[b])
    cols = (col_start, buyer_members, buyer_node[first], buyer_economy[first], col_wtp, col_min_quality)
    sellers = (seller_outside, seller_quality, supply_left)
    buyers = (buyer_wtp, buyer_min_quality, capacity_left)

    # the scarce side owns the lists: the partners under them rarely run out
    by_seller = supply_left.sum() <= capacity_left.sum()
    if by_seller:
        n_owners, owner_left, partner_left = n_sellers, supply_left, capacity_left
        owner_start, owner_members, owner_block, owner_pos = group_start, seller_members, seller_group, seller_pos
        partner_start, partner_block = col_start, buyer_col
    else:
        n_owners, owner_left, partner_left = n_buyers, capacity_left, supply_left
        owner_start, owner_members, owner_block, owner_pos = col_start, buyer_members, buyer_col, buyer_pos
        partner_start, partner_block = group_start, seller_group
    partner_live = np.diff(partner_start)
    list_neg = np.empty((n_owners, k), dtype=np.float64)
    list_partner = np.empty((n_owners, k), dtype=np.int64)
    list_len = np.zeros(n_owners, dtype=np.int64)
    floor_neg = np.full(n_owners, -np.inf)
    floor_partner = np.full(n_owners, -1, dtype=np.int64)
    lists = (floor_neg, floor_partner, list_neg, list_partner, list_len)
    block_cost = np.empty((n_groups, n_cols) if by_seller else (n_cols, n_groups), dtype=np.float64)
    n_owner_blocks = owner_start.shape[0] - 1
    # partners by firm and by site, so that an owner finds the ones it knows of directly
    # (all empty in an open market)
    owner_firm, partner_firm = (seller_firm, buyer_firm) if by_seller else (buyer_firm, seller_firm)
    owner_site, partner_site = (seller_site, buyer_site) if by_seller else (buyer_site, seller_site)
    partner_active = (partner_block >= 0) & restricted
    by_firm, by_firm_start = _index_by(partner_firm, partner_active, start.shape[0] - 1)
    n_sites = max(partner_site.max(), owner_site.max()) + 1 if partner_site.shape[0] and owner_site.shape[0] else 0
    by_site, by_site_start = _index_by(partner_site, partner_active, n_sites)
    graph = (owner_firm, owner_site, partner_site, start, linked, by_firm_start, by_firm, by_site_start, by_site)
    if restricted:
        _fill_block_costs(block_cost, 0, n_groups, by_seller, groups, cols, shipment_class_of, delivered_cost)
        for o in owner_members:
            _scan_known(o, by_seller, graph, block_cost, owner_block, partner_block, sellers, buyers, lists, k)
    elif n_groups * n_cols < PARALLEL_BLOCKS:
        _fill_block_costs(block_cost, 0, n_groups, by_seller, groups, cols, shipment_class_of, delivered_cost)
        _first_lists(0, n_owner_blocks, owner_start, owner_members, by_seller, block_cost, partner_live, groups, cols,
                     sellers, buyers, lists, k)
    else:
        _fill_block_costs_parallel(block_cost, PARALLEL_CHUNKS, by_seller, groups, cols, shipment_class_of,
                                   delivered_cost)
        _first_lists_parallel(PARALLEL_CHUNKS, owner_start, owner_members, by_seller, block_cost, partner_live, groups,
                              cols, sellers, buyers, lists, k)

    head = np.zeros(n_owners, dtype=np.int64)
    heap = np.flatnonzero(list_len > 0)
    size = heap.shape[0]
    for i in range(size // 2 - 1, -1, -1):
        _sift_down(heap, size, i, head, list_neg, list_partner, by_seller)
    partners_left = int((partner_left > 0.0).sum())

    n_max = n_sellers + n_buyers  # each trade empties a seller or a buyer
    out_seller = np.empty(n_max, dtype=np.int64)
    out_buyer = np.empty(n_max, dtype=np.int64)
    out_tonnes = np.empty(n_max, dtype=np.float64)
    out_class = np.empty(n_max, dtype=np.int64)
    out_cost = np.empty(n_max, dtype=np.float64)
    out_surplus = np.empty(n_max, dtype=np.float64)
    n_out = 0
    while size > 0 and partners_left > 0:
        o = heap[0]
        neg, partner = list_neg[o, head[o]], list_partner[o, head[o]]
        s, b = (o, partner) if by_seller else (partner, o)
        t = min(supply_left[s], capacity_left[b])
        if t > 0.0:
            supply_left[s] -= t
            capacity_left[b] -= t
            cls = shipment_class_of[seller_status[s], seller_economy[s], buyer_economy[b]]
            out_seller[n_out] = s
            out_buyer[n_out] = b
            out_tonnes[n_out] = t
            out_class[n_out] = cls
            out_cost[n_out] = delivered_cost[cls, seller_origin[s], buyer_node[b]]
            out_surplus[n_out] = -neg
            n_out += 1
            if partner_left[partner] <= 0.0:
                partners_left -= 1
                partner_live[partner_block[partner]] -= 1
        spent = owner_left[o] <= 0.0
        if not spent:
            # the partner is spent: next in the owner's list, or a new list when it runs out
            head[o] += 1
            if head[o] == list_len[o]:
                if list_len[o] < k:
                    spent = True  # the list held every partner left
                else:
                    floor_neg[o], floor_partner[o] = neg, partner
                    list_len[o] = 0
                    head[o] = 0
                    if restricted:
                        _scan_known(o, by_seller, graph, block_cost, owner_block, partner_block, sellers, buyers,
                                    lists, k)
                    else:
                        i = owner_pos[o]
                        _scan_row(owner_block[o], owner_members[i:i + 1], by_seller, block_cost, partner_live,
                                  groups, cols, sellers, buyers, lists, k)
                    spent = list_len[o] == 0
        if spent:
            size -= 1
            heap[0] = heap[size]
        if size > 0:
            _sift_down(heap, size, 0, head, list_neg, list_partner, by_seller)
    return (
        out_seller[:n_out].copy(),
        out_buyer[:n_out].copy(),
        out_tonnes[:n_out].copy(),
        out_class[:n_out].copy(),
        out_cost[:n_out].copy(),
        out_surplus[:n_out].copy(),
    )


@njit(cache=True)
def clear_materials(supply, seller_outside, status, quality, bid, wtp, min_quality, node, economy, origin_row,
                    shipment_classes, delivered_cost, restricted, start, linked, list_length=LIST_LENGTH):
    """A month's market: every material cleared in turn by ``_clear_market`` among the firms
    that offer it (supply > 0) and those that bid for it (bid > 0), as ``clear_market`` does
    for one material, with the firm rows as the relationship graph's ids (``restricted``).

    Parameters (F firms, M materials)
    ----------
    supply : float64[F, M]            tonnes offered this month.
    seller_outside : float64[F, M]    EUR/t a seller saves by not disposing.
    status : int64[F, M]              legal status of each stream.
    quality : float64[F, M]           grade in [0, 1].
    bid : float64[F, M]               tonnes each firm can absorb this month.
    wtp : float64[F, M]               EUR/t each firm pays at its gate.
    min_quality : float64[F, M]       lowest grade each firm accepts.
    node : int64[F]                   network node of each firm's site.
    economy : int64[F]                economy index of each firm.
    origin_row : int64[n_nodes]       row of ``delivered_cost`` for each node (-1: no seller there).
    shipment_classes : int64[M, n_status, n_economies, n_economies]
                                      shipment class of each material's (status, origin, destination).
    delivered_cost : float64[n_classes, n_origins, n_nodes]   EUR/t, border costs included.
    restricted : bool                 trade only between firms at one site or linked in the graph.
    start, linked : int64[F+1], int64[E]   the relationship graph as CSR of firm rows.

    Returns
    -------
    material, seller, buyer : int64[K]  material and firm rows of each trade, material by
                                        material, each in the order served.
    tonnes : float64[K]; shipment_class : int64[K]; unit_cost : float64[K] (EUR/t).
    """
    n_materials = supply.shape[1]
    none = np.zeros(0, dtype=np.int64)
    sellers_of, buyers_of = [], []
    room = 0
    for m in range(n_materials):
        sellers, buyers = np.flatnonzero(supply[:, m] > 0.0), np.flatnonzero(bid[:, m] > 0.0)
        sellers_of.append(sellers)
        buyers_of.append(buyers)
        if sellers.shape[0] and buyers.shape[0]:
            room += sellers.shape[0] + buyers.shape[0]  # each trade uses up a seller or a buyer
    # rows: material, seller, buyer, shipment class; tonnes, unit cost
    ints, floats = np.empty((4, room), dtype=np.int64), np.empty((2, room), dtype=np.float64)
    n = 0
    for m in range(n_materials):
        sellers, buyers = sellers_of[m], buyers_of[m]
        if sellers.shape[0] == 0 or buyers.shape[0] == 0:
            continue
        seller_node, buyer_node = node[sellers], node[buyers]
        if restricted:
            seller_firm, buyer_firm, seller_site, buyer_site, graph_start, graph_linked = (
                sellers, buyers, seller_node, buyer_node, start, linked)
        else:
            seller_firm, buyer_firm, seller_site, buyer_site, graph_start, graph_linked = (
                none, none, none, none, np.zeros(1, dtype=np.int64), none)
        s_idx, b_idx, tonnes, cls, cost, _ = _clear_market(
            supply[sellers, m], origin_row[seller_node], seller_outside[sellers, m], status[sellers, m],
            economy[sellers], quality[sellers, m], bid[buyers, m], buyer_node, wtp[buyers, m], economy[buyers],
            min_quality[buyers, m], shipment_classes[m], delivered_cost, list_length, restricted,
            seller_firm, buyer_firm, seller_site, buyer_site, graph_start, graph_linked)
        k = tonnes.shape[0]
        ints[0, n:n + k] = m
        ints[1, n:n + k] = sellers[s_idx]
        ints[2, n:n + k] = buyers[b_idx]
        ints[3, n:n + k] = cls
        floats[0, n:n + k] = tonnes
        floats[1, n:n + k] = cost
        n += k
    return (ints[0, :n].copy(), ints[1, :n].copy(), ints[2, :n].copy(), floats[0, :n].copy(), ints[3, :n].copy(),
            floats[1, :n].copy())
