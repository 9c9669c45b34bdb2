"""The dashboard's small charts: KPI sparklines with the reference run as a ghost line, the
run's timeline with the months its pilots start, and the trend charts (run and reference).

Sparklines and the timeline are SVG written directly (a matplotlib figure per card per step
would cost more than the model step); the trend charts are matplotlib (``Figure``, no pyplot
state, so any thread can draw them).
"""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from sim.viz import CLASS_COLOURS, CLASS_LABELS
from sim.world import STATUSES

REFERENCE_COLOUR = "#8a8a8a"
MARKER_COLOUR = "#c0392b"


def svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def png_data_uri(fig: Figure) -> str:
    """The figure as a PNG ``data:`` URI, for an HTML <img>."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def sparkline_svg(values, reference=None, markers=(), colour: str = "#377eb8",
                  width: int = 240, height: int = 40) -> str:
    """A KPI's line over the months run so far (the x axis grows with them), the reference
    run's line dashed in grey on the same scale, and a red tick at each month in ``markers``
    (pilot starts) within them; as an SVG ``data:`` URI."""
    values = np.asarray(values, dtype=float)
    shapes = ""
    if len(values):
        both = values if reference is None else np.concatenate([values, np.asarray(reference, dtype=float)])
        low, high = min(0.0, float(both.min())), float(both.max())
        span = high - low if high > low else 1.0
        last = max(len(values) - 1, 1)

        def points(series):
            x = np.arange(len(series)) * (width / last)
            y = height - 2 - (np.asarray(series, dtype=float) - low) / span * (height - 4)
            return x, y, " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y))

        for month in sorted(set(markers)):
            if 0 <= month < len(values):
                mx = month * width / last
                shapes += (f'<line x1="{mx:.1f}" y1="0" x2="{mx:.1f}" y2="{height}" stroke="{MARKER_COLOUR}" '
                           f'stroke-width="1.2" stroke-dasharray="3 2"/>')
        x, _, line = points(values)
        base = height - 2 - (0.0 - low) / span * (height - 4)
        shapes += (f'<polygon points="{x[0]:.1f},{base:.1f} {line} {x[-1]:.1f},{base:.1f}" fill="{colour}" '
                   f'fill-opacity="0.15"/>')
        if reference is not None and len(reference):
            shapes += (f'<polyline class="ghost" points="{points(reference)[2]}" fill="none" stroke="{REFERENCE_COLOUR}" '
                       f'stroke-width="1.5" stroke-dasharray="4 3"/>')
        shapes += f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>'
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" preserveAspectRatio="none">{shapes}</svg>')
    return svg_uri(svg)


def timeline_svg(month: int, months: int, starts: list[tuple[int, str]], width: int = 640) -> str:
    """The run's months as a bar (done so far filled), a tick each year, and a flag per pilot start:
    "<pilots> from month m". ``starts``: (start month, pilot names) pairs. Inline SVG text."""
    left, right, bar_y = 10, width - 10, 34
    scale = (right - left) / max(months, 1)
    parts = [f'<rect x="{left}" y="{bar_y}" width="{right - left}" height="8" rx="4" fill="#e3e7ec"/>',
             f'<rect x="{left}" y="{bar_y}" width="{min(month, months) * scale:.1f}" height="8" rx="4" fill="#2f5d8a"/>']
    every = 12 if months <= 240 else 60
    for m in range(0, months + 1, every):
        x = left + m * scale
        parts.append(f'<line x1="{x:.1f}" y1="{bar_y + 8}" x2="{x:.1f}" y2="{bar_y + 12}" stroke="#777"/>')
        if m and m < months:
            parts.append(f'<text x="{x:.1f}" y="{bar_y + 22}" class="tl-year">year {m // 12 + 1}</text>')
    for k, (start, names) in enumerate(sorted(starts)):
        if start >= months:
            continue
        x = left + start * scale
        y = 12 if k % 2 == 0 else 25
        anchor = "end" if x > width * 0.7 else "start"
        dx = -4 if anchor == "end" else 4
        parts.append(f'<line x1="{x:.1f}" y1="{y - 9}" x2="{x:.1f}" y2="{bar_y + 8}" stroke="{MARKER_COLOUR}" '
                     f'stroke-width="1.5"/><path d="M{x:.1f},{y - 9}l{6 if anchor == "start" else -6},3l{-6 if anchor == "start" else 6},3Z" '
                     f'fill="{MARKER_COLOUR}"/>'
                     f'<text x="{x + dx * 2.5:.1f}" y="{y}" text-anchor="{anchor}" class="tl-pilot">'
                     f'{escape(names)} from month {start}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 62" class="wb6-timeline" '
            f'preserveAspectRatio="xMinYMid meet">{"".join(parts)}</svg>')


#: KPI trend panels: (title, [(kpi column, label)], cumulative?)
TREND_PANELS = (
    ("Exchange volume, t a month", [("exchange_volume_t", "all exchanges")], False),
    ("Cross-border within WB6, t a month", [(f"cross_border_wb6_{s}_t", CLASS_LABELS[s]) for s in STATUSES], False),
    ("Landfilled, t a month", [("landfilled_t", "landfilled"), ("dumped_t", "dumped")], False),
    ("CO2 abated since start, t", [("co2_abated_t", "CO2 abated")], True),
    ("Customs delay, days", [("customs_delay_days", "tonne-weighted delay")], False),
    ("Secondary CRM recovered since start, t", [("secondary_crm_recovered_t", "CRM")], True),
)


def _amount(value, _pos=None) -> str:
    for scale, unit in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:g}{unit}"
    return f"{value:g}"


def draw_trends(kpis, reference, months_so_far: int, starts: list[tuple[int, str]], reference_name: str,
                figsize=(12.0, 5.4)) -> Figure:
    """Small multiples of the KPI tables so far (one row per month): the run in full lines, the
    reference run dashed in grey, a red dashed line at each pilot start with its name; the x
    axis spans the months run so far, each y axis starts at 0 without an offset."""
    fig = Figure(figsize=figsize, dpi=96)
    fig.subplots_adjust(left=0.055, right=0.99, top=0.9, bottom=0.1, hspace=0.45, wspace=0.2)
    axes = fig.subplots(2, 3, sharex=True).ravel()
    last = max(months_so_far - 1, 1)
    for ax, (title, series, cumulative) in zip(axes, TREND_PANELS):
        top = 0.0
        for column, name in series:
            colour = next((CLASS_COLOURS[s] for s in STATUSES if column.endswith(f"_{s}_t")),
                          "#b03a2e" if column == "dumped_t" else "#2f5d8a")
            for frame, style in ((reference, "ref"), (kpis, "run")):
                if not len(frame) or column not in frame:
                    continue
                values = frame[column].cumsum() if cumulative else frame[column]
                top = max(top, float(values.max()))
                if style == "ref":
                    ax.plot(frame["step"], values, lw=1.4, ls="--", color=REFERENCE_COLOUR)
                else:
                    ax.plot(frame["step"], values, lw=2.0, color=colour, label=name)
        for start, names in starts:
            if start <= last:
                ax.axvline(start, color=MARKER_COLOUR, ls="--", lw=1.1)
                ax.text(start, 1.0, f" {names}", transform=ax.get_xaxis_transform(), fontsize=7,
                        color=MARKER_COLOUR, va="top", clip_on=True)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlim(0, last)
        ax.set_ylim(0, top * 1.08 if top > 0 else 1.0)
        ax.yaxis.set_major_formatter(FuncFormatter(_amount))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        if len(series) > 1:
            ax.legend(fontsize=7, loc="lower left", frameon=False, ncol=len(series))
    for ax in axes[3:]:
        ax.set_xlabel("month", fontsize=9)
    fig.legend(handles=[Line2D([], [], lw=2.0, color="#2f5d8a", label="this run"),
                        Line2D([], [], lw=1.4, ls="--", color=REFERENCE_COLOUR, label=reference_name),
                        Line2D([], [], lw=1.1, ls="--", color=MARKER_COLOUR, label="a pilot starts")],
               loc="upper right", ncol=3, fontsize=9, frameon=False)
    return fig
