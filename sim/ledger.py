"""Invariants checked every month: mass balance per firm and material, no negative or
non-finite tonnes or stocks, nothing lost in transit (customs backlogs never negative) or in
treatment (input = products + residues + product stock change),
money conserved in EPR funds and in every financial instrument's budget. A broken invariant raises :class:`InvariantError` naming the
step, the firm or agent, and the material."""

from __future__ import annotations

import numpy as np

from sim.errors import InvariantError
from sim.kernels import ledger_residuals

#: tonnes of imbalance tolerated per firm and material (float rounding on Mt-sized stocks)
TOLERANCE_T = 1e-6
#: relative EUR imbalance tolerated in funds
TOLERANCE_EUR = 1e-6
FLOWS = ("stock_open", "generated", "received", "produced", "used", "shipped", "landfilled", "dumped", "stock_close")


def check_month(model) -> None:
    """Check this month's flows and the agents' books; raise on the first broken invariant."""
    check_flows(model)
    check_mass_balance(model)
    check_transit(model)
    check_treatment(model)
    check_epr_funds(model)
    for instrument in model.instruments:
        instrument.check_books(model)


def _firm_material(model, f, m) -> str:
    return f"step {model.month}, firm {model.region.firms['firm_id'].iloc[f]}, material {model.material_ids[m]}"


def check_flows(model) -> None:
    """Every flow and stock is a finite, non-negative number of tonnes."""
    flows = model.market.flows
    for name in FLOWS:
        values = getattr(flows, name)
        # written so that NaN fails too
        if ((values >= -TOLERANCE_T) & (values < np.inf)).all():
            continue
        bad = np.argwhere(~(values >= -TOLERANCE_T) | ~np.isfinite(values))
        if len(bad):
            f, m = bad[0]
            kind = "negative" if np.isfinite(values[f, m]) else "non-finite"
            raise InvariantError(f"{kind} {name} at {_firm_material(model, f, m)}: {values[f, m]:.6g} t")


def check_mass_balance(model) -> None:
    """stock_open + generated + received + produced = used + shipped + landfilled + dumped + stock_close."""
    flows = model.market.flows
    residual = ledger_residuals(*(getattr(flows, name) for name in FLOWS))
    scale = np.maximum(1.0, flows.stock_open + flows.generated + flows.received + flows.produced)
    bad = np.argwhere(~(np.abs(residual) <= TOLERANCE_T * scale))
    if len(bad):
        f, m = bad[0]
        raise InvariantError(f"mass balance broken at {_firm_material(model, f, m)}: residual {residual[f, m]:.6g} t")


def check_transit(model) -> None:
    """What left sellers this month was delivered or is waiting at customs; no backlog is negative."""
    flows = model.market.flows
    for post in model.customs:
        if not post.backlog_t >= -TOLERANCE_T or any(not entry[3] >= -TOLERANCE_T for entry in post.queue):
            raise InvariantError(
                f"negative customs backlog at step {model.month}, crossing {post.crossing_id}: {post.backlog_t:.6g} t"
            )
    shipped, received = flows.shipped.sum(axis=0), flows.received.sum(axis=0)
    backlog_now = model.customs_backlog_by_material()
    gap = shipped - received - (backlog_now - model.backlog_by_material_open)
    model.backlog_by_material_open = backlog_now
    if not (np.abs(gap) <= TOLERANCE_T * np.maximum(1.0, shipped)).all():
        m = int(np.nanargmax(np.where(np.isfinite(gap), np.abs(gap), np.inf)))
        raise InvariantError(
            f"shipments not conserved in transit at step {model.month}, material {model.material_ids[m]}: "
            f"shipped - delivered - customs backlog change = {gap[m]:.6g} t"
        )


def check_treatment(model) -> None:
    """Through treatment: each plant's input = its products + residues, and its stock of each
    product changed by the products it made less those it sold."""
    plants, flows = model.treatment, model.market.flows
    made = np.bincount(plants.pair, weights=plants.output_t, minlength=len(plants.intake_t))
    gap = plants.intake_t - made - plants.residue_t
    bad = np.flatnonzero(~(np.abs(gap) <= TOLERANCE_T * np.maximum(1.0, plants.intake_t)) | (plants.residue_t < -TOLERANCE_T))
    if len(bad):
        k = bad[0]
        raise InvariantError(
            f"treatment mass balance broken at {_firm_material(model, plants.pair_firm[k], plants.pair_material[k])}: "
            f"input {plants.intake_t[k]:.6g} t, products {made[k]:.6g} t, residues {plants.residue_t[k]:.6g} t"
        )
    f, p = np.nonzero(plants.product_mask)
    change = flows.stock_close[f, p] - flows.stock_open[f, p]
    gap = change - (flows.produced[f, p] - flows.shipped[f, p])
    bad = np.flatnonzero(~(np.abs(gap) <= TOLERANCE_T * np.maximum(1.0, flows.stock_open[f, p] + flows.produced[f, p])))
    if len(bad):
        k = bad[0]
        raise InvariantError(
            f"treatment product stock not conserved at {_firm_material(model, f[k], p[k])}: changed by "
            f"{change[k]:.6g} t, made {flows.produced[f[k], p[k]]:.6g} t, sold {flows.shipped[f[k], p[k]]:.6g} t"
        )


def check_epr_funds(model) -> None:
    """A PRO never spends more than it holds; its balance moves only by fees in and collection paid."""
    for pro in model.pros:
        name = f"PRO {model.economy_codes[pro.economy]}/{model.material_ids[pro.material]}"
        if not pro.balance_eur >= -TOLERANCE_EUR:
            raise InvariantError(f"EPR fund overdrawn at step {model.month}, {name}: {pro.balance_eur:.6g} EUR")
        expected = pro.balance_open_eur + pro.fees_collected_eur - pro.spent_eur
        if not abs(pro.balance_eur - expected) <= TOLERANCE_EUR * max(1.0, abs(expected)):
            raise InvariantError(
                f"EPR money not conserved at step {model.month}, {name}: balance {pro.balance_eur:.6g} EUR, "
                f"expected {expected:.6g} (opening + fees - spent)"
            )
