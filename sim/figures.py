"""Figure conventions shared by studies and reports: thousands separators on axes, line styles
that keep coinciding lines visible, one colour per roadmap phase."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter

COLOURS = {"baseline": "#555555", "low_hanging_fruits": "#66a61e", "short_term": "#1b9e77",
           "medium_term": "#7570b3", "long_term": "#d95f02", "roadmap": "#e7298a"}
OTHER_COLOURS = ("#1f78b4", "#e6ab02", "#a6761d", "#b2df8a", "#fb9a99", "#cab2d6")
#: dash patterns, one per line: where lines coincide, the dashes of the later ones let the earlier show
DASHES = ((), (6, 2), (2, 2), (8, 2, 2, 2), (4, 1, 1, 1), (1, 1), (10, 3))


def colour(name: str, index: int = 0) -> str:
    return COLOURS.get(name, OTHER_COLOURS[index % len(OTHER_COLOURS)])


def number(x: float, _pos=None) -> str:
    """Axis and table numbers: thousands separated (12,500), small ones with their decimals."""
    if not np.isfinite(x):
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) < 1e-9:
        return "0"
    return f"{x:.3g}"


def thousands(ax, axis: str = "y") -> None:
    """Tick labels with thousands separators, no offset or scientific notation, and as many
    decimals as the axis' span needs for neighbouring ticks to differ."""
    target = ax.yaxis if axis == "y" else ax.xaxis

    def label(x: float, _pos=None) -> str:
        low, high = target.get_view_interval()
        span = abs(high - low)
        decimals = int(min(6, max(0, 1 - np.floor(np.log10(span / 5))))) if span > 0 else 2
        return f"{x:,.{decimals}f}" if abs(x) > 1e-12 * max(span, 1e-300) else "0"

    target.set_major_formatter(FuncFormatter(label))


def line_style(index: int, count: int) -> dict:
    """Width and dashes of line ``index`` of ``count``: earlier lines wider, later ones dashed,
    so that identical series still show each one."""
    return {"lw": 1.2 + 1.8 * (count - 1 - index) / max(count - 1, 1), "dashes": DASHES[index % len(DASHES)]}
