"""Invariants checked every month: mass balance per firm and material, no negative stocks,
no negative customs backlogs, money conserved in EPR funds."""

from __future__ import annotations

import numpy as np

from sim.errors import InvariantError
from sim.kernels import ledger_residuals

#: tonnes of imbalance tolerated per firm and material (float rounding on Mt-sized stocks)
TOLERANCE_T = 1e-6


def check_month(model) -> None:
    flows, firms = model.market.flows, model.firms
    residual = ledger_residuals(
        flows.stock_open, flows.generated, flows.received, flows.used, flows.shipped,
        flows.landfilled, flows.dumped, flows.stock_close,
    )
    scale = np.maximum(1.0, flows.stock_open + flows.generated + flows.received)
    bad = np.argwhere(np.abs(residual) > TOLERANCE_T * scale)
    if len(bad):
        f, m = bad[0]
        raise InvariantError(
            f"mass balance broken at step {model.month}, firm {model.region.firms['firm_id'].iloc[f]}, "
            f"material {model.material_ids[m]}: residual {residual[f, m]:.6g} t"
        )
    for name in ("stock_close", "shipped", "received", "used", "landfilled", "dumped"):
        values = getattr(flows, name)
        if (values < -TOLERANCE_T).any():
            f, m = np.argwhere(values < -TOLERANCE_T)[0]
            raise InvariantError(
                f"negative {name} at step {model.month}, firm {model.region.firms['firm_id'].iloc[f]}, "
                f"material {model.material_ids[m]}: {values[f, m]:.6g} t"
            )
    # what left sellers is delivered or waiting at customs
    shipped, received = flows.shipped.sum(axis=0), flows.received.sum(axis=0)
    backlog_change = np.zeros(model.n_materials)
    for post in model.customs:
        if post.backlog_t < -TOLERANCE_T:
            raise InvariantError(f"negative customs backlog at step {model.month}, crossing {post.crossing_id}")
    backlog_now = model.customs_backlog_by_material()
    backlog_change = backlog_now - model.backlog_by_material_open
    model.backlog_by_material_open = backlog_now
    gap = shipped - received - backlog_change
    if (np.abs(gap) > TOLERANCE_T * np.maximum(1.0, shipped)).any():
        m = int(np.argmax(np.abs(gap)))
        raise InvariantError(
            f"shipments lost in transit at step {model.month}, material {model.material_ids[m]}: {gap[m]:.6g} t"
        )
    for pro in model.pros:
        if pro.balance_eur < -1e-6:
            raise InvariantError(f"EPR fund overdrawn at step {model.month}, PRO {pro.unique_id}")
        expected = pro.balance_open_eur + pro.fees_collected_eur - pro.spent_eur
        if abs(pro.balance_eur - expected) > 1e-6 * max(1.0, abs(expected)):
            raise InvariantError(f"EPR money not conserved at step {model.month}, PRO {pro.unique_id}")
