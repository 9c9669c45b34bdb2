"""Drawing the model for people: the WB6 network map with this month's flows, KPI sparklines
and trend charts.

Pure matplotlib (``matplotlib.figure.Figure``, no pyplot state), so the dashboard can draw
from any thread and scripts can save the same figures. The map comes in three layers with
the same axes, stacked in the page: a base (links, labels, legends) and the sites on top, both
drawn once per run, and between them a transparent month layer (flows, crossings) drawn every
step, because redrawing text and markers would take most of a step's time.
"""

from __future__ import annotations

import base64
import io
import math

import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.world import STATUSES

#: colour of each shipment class on the map (distinct from the economy colours)
CLASS_COLOURS = {"waste": "#3a3a3a", "by_product": "#e6ab02", "eow": "#1b9e77"}
CLASS_LABELS = {"waste": "waste", "by_product": "by-product", "eow": "end-of-waste"}
#: site colour by economy: the WB6 strong, the EU neighbours pale; others cycle through the palette
ECONOMY_COLOURS = {
    "AL": "#e41a1c", "BA": "#377eb8", "XK": "#984ea3", "ME": "#f781bf", "MK": "#ff7f00", "RS": "#00bcd4",
    "HR": "#fdd0a2", "HU": "#c6dbef", "RO": "#fcbba1", "BG": "#dadaeb", "GR": "#d9f0a3",
}
FALLBACK_PALETTE = ("#e41a1c", "#377eb8", "#984ea3", "#f781bf", "#ff7f00", "#00bcd4", "#a6761d", "#666666")
#: marker of each site kind (kinds not listed are drawn as circles)
KIND_MARKERS = {
    "power_plant": "s", "mine_tailings": "^", "mine": "8", "smelter": "v", "steelworks": "D",
    "aluminium": "h", "cement": "P", "city": "o", "port": ">", "recycler": "*", "glass": "d",
    "paper_mill": "p", "eu_market": "X",
}
#: shipments on the map: line width = WIDTH_BASE + WIDTH_PER_DECADE * log10(1 + tonnes)
WIDTH_BASE, WIDTH_PER_DECADE = 0.6, 1.1
#: where the map axes sit in its figure (left, bottom, width, height): legends go to the right
MAP_AXES = (0.08, 0.06, 0.635, 0.88)
MAP_DPI = 90


def economy_colours(economy_codes) -> dict[str, str]:
    return {code: ECONOMY_COLOURS.get(code, FALLBACK_PALETTE[i % len(FALLBACK_PALETTE)])
            for i, code in enumerate(economy_codes)}


def flow_width(tonnes):
    return WIDTH_BASE + WIDTH_PER_DECADE * np.log10(1.0 + np.asarray(tonnes, dtype=float))


def png_data_uri(fig: Figure, transparent: bool = False) -> str:
    """The figure as a PNG ``data:`` URI, for an HTML <img>."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, transparent=transparent)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class FlowRouter:
    """Lays shipments on the road/rail network for drawing.

    A shipment is drawn along the shortest path (by km) from the seller's site to the buyer's,
    through the crossing it was filed at when it crosses a border. The market prices routes
    with border costs too, so a drawn path may differ from the priced one between crossings.
    """

    def __init__(self, network):
        self.network = network
        self._paths: dict[int, dict[int, list[int]]] = {}

    def path(self, a: int, b: int) -> list[int]:
        if a not in self._paths:
            self._paths[a] = nx.single_source_dijkstra_path(self.network.graph, a, weight="distance_km")
        return self._paths[a][b]

    def edge_tonnes(self, shipments, firm_node) -> dict[tuple[int, int], np.ndarray]:
        """Tonnes per network edge (node pair, lower index first) and shipment class.

        shipments : rows of ``sim.market.SHIPMENT_COLUMNS``; refused shipments are left out
        (they never leave the seller). firm_node : int[n_firms], each firm's node.
        """
        edges: dict[tuple[int, int], np.ndarray] = {}
        for s in shipments:
            if s[12] == "refused":
                continue
            origin, dest, crossing = int(firm_node[s[2]]), int(firm_node[s[3]]), int(s[6])
            stops = [origin, dest] if crossing < 0 else [origin, self.network.n_sites + crossing, dest]
            nodes = [stops[0]]
            for a, b in zip(stops, stops[1:]):
                nodes += self.path(a, b)[1:]
            for u, v in zip(nodes, nodes[1:]):
                key = (u, v) if u < v else (v, u)
                edges.setdefault(key, np.zeros(len(STATUSES)))[s[7]] += s[8]
        return edges


class MapView:
    """The network map of one model: sites coloured by economy with a marker per kind, border
    crossings, and this month's shipments as lines whose width grows with tonnes and whose
    colour is the shipment class carrying most of them."""

    def __init__(self, model, figsize=(7.9, 7.4)):
        self.model = model
        self.router = FlowRouter(model.network)
        self.figsize = figsize
        net = model.network
        self.xy = np.column_stack([net.lon, net.lat])
        pad_lon = 0.04 * np.ptp(net.lon)
        pad_lat = 0.04 * np.ptp(net.lat)
        self.xlim = (net.lon.min() - pad_lon, net.lon.max() + pad_lon)
        self.ylim = (net.lat.min() - pad_lat, net.lat.max() + pad_lat)
        self.aspect = 1.0 / math.cos(math.radians(float(np.mean(net.lat))))
        self.colours = economy_colours(model.economy_codes)

    def _axes(self, fig: Figure):
        ax = fig.add_axes(MAP_AXES)
        ax.set_xlim(*self.xlim)
        ax.set_ylim(*self.ylim)
        ax.set_aspect(self.aspect)
        return ax

    def base_figure(self) -> Figure:
        """What stays the same all run: links, economy labels, axes and legends."""
        model, region = self.model, self.model.region
        fig = Figure(figsize=self.figsize, dpi=MAP_DPI)
        ax = self._axes(fig)
        links = np.array(list(model.network.graph.edges()))
        ax.add_collection(LineCollection(self.xy[links], colors="#d0d0d0", linewidths=0.6, zorder=1))
        for code, group in region.sites.groupby("economy"):
            ax.text(group["lon"].median(), group["lat"].median(), code, fontsize=15, fontweight="bold",
                    color=self.colours[code], alpha=0.45, ha="center", va="center", zorder=0)
        ax.set_xlabel("longitude", fontsize=9)
        ax.set_ylabel("latitude", fontsize=9)
        ax.tick_params(labelsize=8)
        self._legends(fig, region.sites["kind"].unique())
        return fig

    def month_figure(self) -> Figure:
        """This month's layer (transparent, same axes as the base): flows and crossings."""
        model, region = self.model, self.model.region
        fig, ax = self._layer()
        edges = self.router.edge_tonnes(model.market.shipments, model.firms.node)
        if edges:
            keys = list(edges)
            tonnes = np.array([edges[k] for k in keys])
            order = np.argsort(tonnes.sum(axis=1))  # big flows on top
            colours = [CLASS_COLOURS[STATUSES[c]] for c in tonnes.argmax(axis=1)[order]]
            ax.add_collection(LineCollection(
                self.xy[np.array(keys)][order], colors=colours, linewidths=flow_width(tonnes.sum(axis=1)[order]),
                alpha=0.85, capstyle="round",
            ))
        backlog = np.array([post.backlog_t for post in model.customs])
        ax.scatter(region.borders["lon"], region.borders["lat"], marker="|", s=130, linewidths=2.4,
                   c=np.where(backlog > 0, "#d7301f", "black"))
        moving = sum(s[8] for s in model.market.shipments if s[12] != "refused")
        title = (f"Month {model.month}: {len(edges)} network links carrying {moving:,.0f} t" if model.month
                 else "Before the first month: press Step or Play")
        ax.set_title(title, fontsize=11)
        return fig

    def sites_figure(self) -> Figure:
        """The sites, on top of the flows (transparent, same axes as the base)."""
        sites = self.model.region.sites
        fig, ax = self._layer()
        for kind, group in sites.groupby("kind", sort=True):
            ax.scatter(group["lon"], group["lat"], c=[self.colours[e] for e in group["economy"]],
                       marker=KIND_MARKERS.get(kind, "o"), s=80 if kind == "eu_market" else 36,
                       edgecolors="black", linewidths=0.5)
        return fig

    def _layer(self):
        fig = Figure(figsize=self.figsize, dpi=MAP_DPI)
        ax = self._axes(fig)
        ax.axis("off")
        return fig, ax

    def _legends(self, fig: Figure, kinds) -> None:
        flows = [Line2D([], [], color=CLASS_COLOURS[s], lw=2.5, label=CLASS_LABELS[s]) for s in STATUSES]
        flows += [Line2D([], [], color="grey", lw=float(flow_width(t)), label=f"{t:,.0f} t")
                  for t in (10, 1_000, 100_000)]
        flows += [Line2D([], [], color="black", marker="|", ls="", ms=10, mew=2, label="border crossing"),
                  Line2D([], [], color="#d7301f", marker="|", ls="", ms=10, mew=2, label="crossing with a queue")]
        left = MAP_AXES[0] + MAP_AXES[2] + 0.01
        fig.legend(handles=flows, loc="upper left", bbox_to_anchor=(left, 0.93), fontsize=7.5,
                   title="this month's flows", title_fontsize=8, frameon=False)
        marks = [Line2D([], [], color="white", markeredgecolor="black", marker=KIND_MARKERS.get(k, "o"), ls="",
                        ms=6, label=k.replace("_", " ")) for k in sorted(kinds)]
        marks += [Line2D([], [], color=c, markeredgecolor="black", marker="o", ls="", ms=6, label=code)
                  for code, c in self.colours.items()]
        fig.legend(handles=marks, loc="upper left", bbox_to_anchor=(left, 0.55), fontsize=7, ncol=2,
                   title="site kind / economy", title_fontsize=8, frameon=False)


def sparkline_svg(values, months: int, colour: str = "#377eb8", width: int = 240, height: int = 40) -> str:
    """A bare line of a KPI over the months so far, on the run's whole horizon, as an SVG
    ``data:`` URI (built directly: a matplotlib figure per panel per step would cost more
    than the model step itself)."""
    values = np.asarray(values, dtype=float)
    shapes = ""
    if len(values):
        low, high = min(0.0, float(values.min())), float(values.max())
        span = high - low if high > low else 1.0
        x = np.arange(len(values)) * (width / max(months - 1, 1))
        y = height - 2 - (values - low) / span * (height - 4)
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y))
        base = height - 2 - (0.0 - low) / span * (height - 4)
        shapes = (f'<polygon points="{x[0]:.1f},{base:.1f} {points} {x[-1]:.1f},{base:.1f}" fill="{colour}" '
                  f'fill-opacity="0.15"/><polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" preserveAspectRatio="none">{shapes}</svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


#: KPI trend panels: (title, [(kpi column, label)], cumulative?)
TREND_PANELS = (
    ("Exchange volume, t/month", [("exchange_volume_t", "all exchanges")], False),
    ("Cross-border within WB6, t/month", [(f"cross_border_wb6_{s}_t", CLASS_LABELS[s]) for s in STATUSES], False),
    ("Landfilled and dumped, t/month", [("landfilled_t", "landfilled"), ("dumped_t", "dumped")], False),
    ("CO2 abated, t (cumulative)", [("co2_abated_t", "CO2 abated")], True),
    ("Customs delay, days", [("customs_delay_days", "tonne-weighted delay")], False),
    ("Secondary CRM recovered, t (cumulative)", [("secondary_crm_recovered_t", "CRM")], True),
)


def draw_trends(kpis, months: int, figsize=(11.0, 4.8)) -> Figure:
    """Small multiples of the KPI table so far (one row per month), x axis the whole horizon."""
    fig = Figure(figsize=figsize, dpi=MAP_DPI)
    fig.subplots_adjust(left=0.06, right=0.99, top=0.93, bottom=0.1, hspace=0.35, wspace=0.22)
    axes = fig.subplots(2, 3, sharex=True).ravel()
    for ax, (title, series, cumulative) in zip(axes, TREND_PANELS):
        for column, label in series:
            if len(kpis) and column in kpis:
                values = kpis[column].cumsum() if cumulative else kpis[column]
                colour = next((CLASS_COLOURS[s] for s in STATUSES if column.endswith(f"_{s}_t")), None)
                ax.plot(kpis["step"], values, lw=1.6, label=label, color=colour)
        ax.set_title(title, fontsize=9)
        ax.set_xlim(0, max(months - 1, 1))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if len(series) > 1 and len(kpis):
            ax.legend(fontsize=6.5, loc="upper left")
    for ax in axes[3:]:
        ax.set_xlabel("month", fontsize=8)
    return fig
