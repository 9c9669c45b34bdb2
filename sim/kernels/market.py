"""Market clearing for one material: offers meet bids, greedy by surplus per tonne."""

import numpy as np
from numba import njit


@njit(cache=True)
def clear_market(
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

    Returns
    -------
    seller, buyer : int64[K]       indices of the matched pairs, in the order served.
    tonnes : float64[K]            tonnes shipped (> 0).
    shipment_class : int64[K]      class of each shipment.
    unit_cost : float64[K]         delivered cost, EUR/t.
    unit_surplus : float64[K]      surplus, EUR/t.
    """
    n_sellers = supply.shape[0]
    n_buyers = capacity.shape[0]
    n_pairs = 0
    for s in range(n_sellers):
        if supply[s] <= 0.0:
            continue
        for b in range(n_buyers):
            if capacity[b] <= 0.0 or seller_quality[s] < buyer_min_quality[b]:
                continue
            cls = shipment_class_of[seller_status[s], seller_economy[s], buyer_economy[b]]
            gain = buyer_wtp[b] + seller_outside[s] - delivered_cost[cls, seller_origin[s], buyer_node[b]]
            if gain > 0.0:
                n_pairs += 1

    pair_seller = np.empty(n_pairs, dtype=np.int64)
    pair_buyer = np.empty(n_pairs, dtype=np.int64)
    pair_class = np.empty(n_pairs, dtype=np.int64)
    pair_cost = np.empty(n_pairs, dtype=np.float64)
    neg_gain = np.empty(n_pairs, dtype=np.float64)
    k = 0
    for s in range(n_sellers):
        if supply[s] <= 0.0:
            continue
        for b in range(n_buyers):
            if capacity[b] <= 0.0 or seller_quality[s] < buyer_min_quality[b]:
                continue
            cls = shipment_class_of[seller_status[s], seller_economy[s], buyer_economy[b]]
            cost = delivered_cost[cls, seller_origin[s], buyer_node[b]]
            gain = buyer_wtp[b] + seller_outside[s] - cost
            if gain > 0.0:
                pair_seller[k] = s
                pair_buyer[k] = b
                pair_class[k] = cls
                pair_cost[k] = cost
                neg_gain[k] = -gain
                k += 1

    order = np.argsort(neg_gain, kind="mergesort")
    remaining_supply = supply.copy()
    remaining_capacity = capacity.copy()
    out_seller = np.empty(n_pairs, dtype=np.int64)
    out_buyer = np.empty(n_pairs, dtype=np.int64)
    out_tonnes = np.empty(n_pairs, dtype=np.float64)
    out_class = np.empty(n_pairs, dtype=np.int64)
    out_cost = np.empty(n_pairs, dtype=np.float64)
    out_surplus = np.empty(n_pairs, dtype=np.float64)
    n_out = 0
    for i in range(n_pairs):
        p = order[i]
        s = pair_seller[p]
        b = pair_buyer[p]
        t = min(remaining_supply[s], remaining_capacity[b])
        if t <= 0.0:
            continue
        remaining_supply[s] -= t
        remaining_capacity[b] -= t
        out_seller[n_out] = s
        out_buyer[n_out] = b
        out_tonnes[n_out] = t
        out_class[n_out] = pair_class[p]
        out_cost[n_out] = pair_cost[p]
        out_surplus[n_out] = -neg_gain[p]
        n_out += 1
    return (
        out_seller[:n_out],
        out_buyer[:n_out],
        out_tonnes[:n_out],
        out_class[:n_out],
        out_cost[:n_out],
        out_surplus[:n_out],
    )
