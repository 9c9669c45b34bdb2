"""The WB6 network map for people: country outlines and coast, economy and city labels, the
sites, the border crossings with their queues, and this month's flows by class and tonnes.

The map is SVG written directly (no plotting library): vector, so it stays sharp on a
projector at any size; every site, crossing and flow carries a ``<title>`` (the browser's
hover text) and sites and crossings a label shown on hover; and a month's layer is a few
hundred elements, built in milliseconds. A click on a site or crossing keeps its name shown. It comes in two layers of the same size, stacked in
the page: the base (sea, countries, links, labels), built once per run, and the month layer
(flows, crossings, sites on top), built every step.

Country outlines: ``sim/maps/countries.json``, Natural Earth 1:10m admin-0 (public domain) from
the npm package world-atlas, clipped to the region (see ``sim.dashboard_assets``).
"""

from __future__ import annotations

import json
import math
from functools import cache
from html import escape
from pathlib import Path

import networkx as nx
import numpy as np
from matplotlib.path import Path as Polygon
from scipy.spatial import cKDTree

from sim.world import STATUSES

BASEMAP = Path(__file__).resolve().parent / "maps" / "countries.json"
#: colour of each shipment class on the map
CLASS_COLOURS = {"waste": "#3a3a3a", "by_product": "#d49a00", "eow": "#1b9e77"}
CLASS_LABELS = {"waste": "waste", "by_product": "by-product", "eow": "end-of-waste"}
SEA, LAND_WB6, LAND_OTHER, BORDER_LINE = "#c9dff0", "#fbf8ef", "#e4e4e0", "#8d8d8d"
#: a pale tint per WB6 economy, so each reads as its own area; other economies grey
ECONOMY_TINTS = {"AL": "#f6e3df", "BA": "#e1eaf4", "XK": "#ebe2f1", "ME": "#f4e4ee", "MK": "#f7ead8", "RS": "#def0f1"}
#: site kinds in a few groups a room can tell apart: (label, marker shape, fill colour)
SITE_GROUPS = {
    "power plant": ("square", "#4a6fa5"),
    "mine or tailings": ("triangle", "#8c6d31"),
    "metal works": ("diamond", "#7b3294"),
    "materials industry": ("hexagon", "#b38acb"),
    "recycler": ("star", "#c51b7d"),
    "port": ("anchor", "#1f78b4"),
    "city": ("circle", "#ffffff"),
    "EU market": ("cross", "#7a7a7a"),
}
KIND_GROUP = {
    "power_plant": "power plant", "mine_tailings": "mine or tailings", "mine": "mine or tailings",
    "smelter": "metal works", "steelworks": "metal works", "aluminium": "metal works",
    "cement": "materials industry", "glass": "materials industry", "paper_mill": "materials industry",
    "chemical": "materials industry", "recycler": "recycler", "port": "port", "city": "city",
    "eu_market": "EU market",
}
#: shipments on the map: stroke width = WIDTH_BASE + WIDTH_PER_DECADE * log10(1 + tonnes), map units
WIDTH_BASE, WIDTH_PER_DECADE = 0.8, 1.25
#: map units per degree of latitude; the map's width follows from the region's extent
UNITS_PER_DEGREE = 100.0
#: degrees of margin around the sites and crossings
MARGIN_DEG = 0.3


def flow_width(tonnes):
    return WIDTH_BASE + WIDTH_PER_DECADE * np.log10(1.0 + np.asarray(tonnes, dtype=float))


def fmt_t(tonnes: float) -> str:
    for scale, unit in ((1e6, "Mt"), (1e3, "kt")):
        if abs(tonnes) >= scale:
            return f"{tonnes / scale:.3g} {unit}"
    return f"{tonnes:,.0f} t"


@cache
def basemap() -> dict:
    """The shipped country outlines: {"source", "clip_box", "countries": [{code, name, rings}]}."""
    return json.loads(BASEMAP.read_text(encoding="utf-8"))


def marker(shape: str, x: float, y: float, r: float) -> str:
    """SVG path data of a site marker of radius ``r`` (map units) centred on x, y."""
    if shape == "circle":
        return f"M{x - r:.1f},{y:.1f}a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0Z"
    if shape == "square":
        s = 0.85 * r
        return f"M{x - s:.1f},{y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
    if shape == "cross":  # an X in a square: a market outside the WB6
        s = 1.1 * r
        return (f"M{x - s:.1f},{y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
                f"M{x - s:.1f},{y - s:.1f}L{x + s:.1f},{y + s:.1f}M{x + s:.1f},{y - s:.1f}L{x - s:.1f},{y + s:.1f}")
    corners = {"triangle": (3, 1.25, -90), "diamond": (4, 1.15, -90), "hexagon": (6, 1.0, 0),
               "star": (10, 1.35, -90), "anchor": (8, 1.0, 22.5)}[shape]
    n, scale, turn = corners
    points = []
    for k in range(n):
        radius = scale * r * (0.45 if shape == "star" and k % 2 else 1.0)
        angle = math.radians(turn + 360.0 * k / n)
        points.append(f"{x + radius * math.cos(angle):.1f},{y + radius * math.sin(angle):.1f}")
    return "M" + "L".join(points) + "Z"


def label(x: float, y: float, text: str, css: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" text-anchor="{anchor}">{escape(text)}</text>'


class Projection:
    """Longitude/latitude to map units: equirectangular at the region's mean latitude (the region
    spans 7 degrees, where this distorts areas by under 5 %), north up."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray):
        self.lon0, self.lon1 = float(lon.min()) - MARGIN_DEG, float(lon.max()) + MARGIN_DEG
        self.lat0, self.lat1 = float(lat.min()) - MARGIN_DEG, float(lat.max()) + MARGIN_DEG
        self.kx = UNITS_PER_DEGREE * math.cos(math.radians((self.lat0 + self.lat1) / 2))
        self.width = (self.lon1 - self.lon0) * self.kx
        self.height = (self.lat1 - self.lat0) * UNITS_PER_DEGREE

    def __call__(self, lon, lat):
        return (np.asarray(lon) - self.lon0) * self.kx, (self.lat1 - np.asarray(lat)) * UNITS_PER_DEGREE

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.lon0, self.lat0, self.lon1, self.lat1

    def path(self, ring) -> str:
        x, y = self(*np.asarray(ring, dtype=float).T)
        return "M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y)) + "Z"

    def inside(self, lon: float, lat: float) -> bool:
        return self.lon0 <= lon <= self.lon1 and self.lat0 <= lat <= self.lat1


@cache
def label_point(code: str, bounds: tuple[float, float, float, float], step: float = 0.05) -> tuple[float, float] | None:
    """Where the name of the basemap's country ``code`` goes on a map of ``bounds`` (lon0, lat0,
    lon1, lat1): the point of the country on the map farthest from its border and from the map's
    edge (a grid search, once per process); None if no part of it is on the map."""
    rings = next(c["rings"] for c in basemap()["countries"] if c["code"] == code)
    edge = np.vstack([np.asarray(r) for r in rings])
    lo = np.maximum(edge.min(axis=0), [bounds[0] + 0.2, bounds[1] + 0.15])
    hi = np.minimum(edge.max(axis=0), [bounds[2] - 0.2, bounds[3] - 0.15])
    if (hi <= lo).any():
        return None
    grid = np.column_stack([g.ravel() for g in np.meshgrid(np.arange(lo[0], hi[0], step), np.arange(lo[1], hi[1], step))])
    inside = np.zeros(len(grid), dtype=bool)
    for ring in rings:
        inside ^= Polygon(np.asarray(ring)).contains_points(grid)  # even-odd: holes stay out
    if not inside.any():
        return None
    squash = [math.cos(math.radians((bounds[1] + bounds[3]) / 2)), 1.0]  # degrees of longitude are shorter
    candidates = grid[inside]
    depth, _ = cKDTree(edge * squash).query(candidates * squash)
    frame = np.minimum.reduce([(candidates[:, 0] - bounds[0]) * squash[0], (bounds[2] - candidates[:, 0]) * squash[0],
                               candidates[:, 1] - bounds[1], bounds[3] - candidates[:, 1]])
    best = candidates[np.argmax(np.minimum(depth, frame))]
    return float(best[0]), float(best[1])


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


MAP_STYLE = """
.wb6-svg text { font-family: 'Roboto', 'DejaVu Sans', sans-serif; paint-order: stroke; stroke: #ffffff;
  stroke-linejoin: round; }
.wb6-svg .eco { font-size: 13.5px; font-weight: 700; letter-spacing: 1px; fill: #3b3b3b; stroke-width: 3.5px; }
.wb6-svg .eco-other { font-size: 12px; font-weight: 500; letter-spacing: 1px; fill: #8a8a8a; stroke-width: 3px; }
.wb6-svg .capital { font-size: 12.5px; font-weight: 700; fill: #222; stroke-width: 3px; }
.wb6-svg .town { font-size: 10.5px; fill: #444; stroke-width: 2.5px; }
.wb6-svg .tip { font-size: 11px; font-weight: 600; fill: #111; stroke-width: 3.5px; display: none; }
.wb6-svg .site:hover .tip, .wb6-svg .crossing:hover .tip, .wb6-svg .site:focus .tip, .wb6-svg .crossing:focus .tip {
  display: inline; }
.wb6-svg .hot:focus { outline: none; } .wb6-svg .hot:focus path, .wb6-svg .hot:focus rect { stroke: #e7298a; stroke-width: 2px; }
.wb6-svg .queue { font-size: 10.5px; font-weight: 700; fill: #b2182b; stroke-width: 3px; }
.wb6-svg .hot { pointer-events: visiblePainted; cursor: default; }
.wb6-svg .flow:hover { stroke-opacity: 1; filter: drop-shadow(0 0 2px #fff); }
"""


class MapView:
    """The map of one model: what stays (``base_svg``) and what this month shows (``month_svg``)."""

    def __init__(self, model):
        self.model = model
        self.router = FlowRouter(model.network)
        net, region = model.network, model.region
        self.projection = Projection(net.lon, net.lat)
        self.x, self.y = self.projection(net.lon, net.lat)
        sites = region.sites
        self.site_titles = [f"{r.name} ({r.kind.replace('_', ' ')}, {r.economy})" for r in sites.itertuples()]
        self.crossing_names = list(region.borders["name"])
        self.crossing_economies = [f"{a}–{b}" for a, b in zip(region.borders["economy_a"], region.borders["economy_b"])]
        self.sites_svg = self._sites()

    @property
    def view_box(self) -> str:
        return f"0 0 {self.projection.width:.0f} {self.projection.height:.0f}"

    def _svg(self, body: str, css: str) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{self.view_box}" class="wb6-svg {css}" '
                f'preserveAspectRatio="xMidYMid meet">{body}</svg>')

    @property
    def wb6(self) -> set[str]:
        return set(np.asarray(self.model.economy_codes)[self.model.is_wb6])

    def base_svg(self) -> str:
        """Sea, countries (fill and borders) and the road and rail links."""
        p = self.projection
        parts = [f'<rect width="{p.width:.0f}" height="{p.height:.0f}" fill="{SEA}"/>', '<g class="countries">']
        for country in basemap()["countries"]:
            code = country["code"]
            fill = ECONOMY_TINTS.get(code, LAND_WB6) if code in self.wb6 else LAND_OTHER
            d = "".join(p.path(r) for r in country["rings"])
            parts.append(f'<path class="country" data-code="{code}" d="{d}" fill="{fill}" fill-rule="evenodd" '
                         f'stroke="{BORDER_LINE}" stroke-width="0.9" stroke-linejoin="round">'
                         f'<title>{escape(country["name"])}</title></path>')
        parts.append("</g>")
        links = np.array(list(self.model.network.graph.edges()))
        d = "".join(f"M{self.x[a]:.1f},{self.y[a]:.1f}L{self.x[b]:.1f},{self.y[b]:.1f}" for a, b in links)
        parts.append(f'<path d="{d}" stroke="#a9a9a9" stroke-width="0.5" stroke-dasharray="2 2" fill="none"/>')
        return self._svg("".join(parts), "wb6-base")

    def labels_svg(self) -> str:
        """Economy and city names, on top of everything (they take no pointer events)."""
        p, wb6 = self.projection, self.wb6
        labels = []
        for country in basemap()["countries"]:
            code = country["code"]
            at = label_point(code, p.bounds)
            if at is None:
                continue
            x, y = p(*at)
            if code not in wb6:
                labels.append(label(x, y + 4, country["name"], "eco-other", "middle"))
                continue
            words = country["name"].upper().split(" ")
            lines = [" ".join(words)] if len(words) < 2 else [" ".join(words[:-1]), words[-1]]  # long names on two lines
            for k, line in enumerate(lines):
                labels.append(label(x, y + 5 + 16 * (k - (len(lines) - 1) / 2), line, "eco", "middle"))
        return self._svg("".join(labels) + self._city_labels(), "wb6-labels")

    def _city_labels(self) -> str:
        """Capitals in bold, then other cities where their name does not run into one already placed."""
        sites = self.model.region.sites
        cities = sites[sites["kind"] == "city"]
        capital = cities["name"].str.contains("(capital)", regex=False)
        placed, out = [], []
        for i in list(cities.index[capital]) + list(cities.index[~capital]):
            name = cities.at[i, "name"].replace(" (capital)", "")
            big = bool(capital[i])
            size = 12.5 if big else 10.5
            w, h = 0.56 * size * len(name), size
            x, y = float(self.x[i]), float(self.y[i])
            for bx, by, anchor in ((x + 6, y + 4, "start"), (x - 6, y + 4, "end"), (x, y - 7, "middle"),
                                   (x, y + 14, "middle")):
                left = bx if anchor == "start" else bx - w if anchor == "end" else bx - w / 2
                box = (left, by - h, left + w, by + 2)
                if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed):
                    placed.append(box)
                    out.append(label(bx, by, name, "capital" if big else "town", anchor))
                    break
        return "".join(out)

    def _sites(self) -> str:
        kinds = self.model.region.sites["kind"]
        out = []
        for i, kind in enumerate(kinds):
            group = KIND_GROUP.get(kind, "materials industry")
            shape, fill = SITE_GROUPS[group]
            r = 5.5 if group == "EU market" else 4.0 if group == "city" else 4.3
            x, y = float(self.x[i]), float(self.y[i])
            tip = label(x + 8, y - 6, self.site_titles[i].split(" (")[0], "tip")
            out.append(f'<g class="site hot" tabindex="0"><path d="{marker(shape, x, y, r)}" fill="{fill}" stroke="#222" '
                       f'stroke-width="0.8"/><title>{escape(self.site_titles[i])}</title>{tip}</g>')
        return "".join(out)

    def sites_layer_svg(self) -> str:
        """The sites, named on hover, on top of the month's flows."""
        return self._svg(self.sites_svg, "wb6-sites")

    def month_svg(self) -> tuple[str, dict]:
        """This month's flows and the crossings (red with a queue); and the month's
        figures the page prints beside the map (links used, tonnes moving, crossings queued)."""
        model = self.model
        edges = self.router.edge_tonnes(model.market.shipments, model.firms.node)
        parts = []
        moving = 0.0
        if edges:
            keys = list(edges)
            tonnes = np.array([edges[k] for k in keys])
            total = tonnes.sum(axis=1)
            for k in np.argsort(total):  # big flows on top
                (a, b), t = keys[k], tonnes[k]
                status = STATUSES[int(t.argmax())]
                by_class = ", ".join(f"{CLASS_LABELS[s]} {fmt_t(v)}" for s, v in zip(STATUSES, t) if v > 0)
                parts.append(f'<path class="flow hot" d="M{self.x[a]:.1f},{self.y[a]:.1f}L{self.x[b]:.1f},{self.y[b]:.1f}" '
                             f'stroke="{CLASS_COLOURS[status]}" stroke-width="{float(flow_width(total[k])):.2f}" '
                             f'stroke-opacity="0.85" stroke-linecap="round"><title>This month on this link: '
                             f'{fmt_t(total[k])} ({by_class})</title></path>')
            moving = sum(s[8] for s in model.market.shipments if s[12] != "refused")
        queued = []
        n_sites = model.network.n_sites
        for c, post in enumerate(model.customs):
            x, y = float(self.x[n_sites + c]), float(self.y[n_sites + c])
            waiting = post.backlog_t > 0
            state = (f"queue of {fmt_t(post.backlog_t)}, about {post.waiting_days():.1f} days' wait" if waiting
                     else "no queue")
            name = self.crossing_names[c]
            if waiting:
                queued.append((post.backlog_t, x, y, name))
            parts.append(f'<g class="crossing hot" tabindex="0" data-queue="{post.backlog_t:.0f}">'
                         f'<rect x="{x - 2.2:.1f}" y="{y - 6:.1f}" width="4.4" height="12" rx="1" '
                         f'fill="{"#d7301f" if waiting else "#111"}" stroke="#fff" stroke-width="0.8"/>'
                         f'<title>Border crossing {escape(name)} ({self.crossing_economies[c]}): {state}</title>'
                         f'{label(x + 6, y - 7, name, "tip")}</g>')
        for backlog, x, y, name in sorted(queued, reverse=True)[:3]:  # the longest queues, named on the map
            parts.append(label(x + 6, y + 14, f"{name.split(' - ')[0]}: {fmt_t(backlog)} queued", "queue"))
        figures = {"links": len(edges), "moving_t": moving, "queued_crossings": len(queued)}
        return self._svg("".join(parts), "wb6-month"), figures


def legend_items() -> list[tuple[str, str]]:
    """The map's legend as (small inline SVG, words): flow classes, flow widths, crossings, site groups."""
    def icon(body: str, width: int = 30) -> str:
        return f'<svg width="{width}" height="14" viewBox="0 0 {width} 14">{body}</svg>'

    items = [(icon(f'<line x1="2" y1="7" x2="28" y2="7" stroke="{CLASS_COLOURS[s]}" stroke-width="4" '
                   f'stroke-linecap="round"/>'), CLASS_LABELS[s]) for s in STATUSES]
    widths = "".join(f'<line x1="{2 + 20 * k}" y1="7" x2="{16 + 20 * k}" y2="7" stroke="#777" '
                     f'stroke-width="{float(flow_width(t)):.1f}"/>' for k, t in enumerate((10, 1_000, 100_000)))
    items.append((icon(widths, 58), "10 t, 1 kt, 100 kt a month"))
    items += [(icon('<rect x="12" y="1" width="5" height="12" rx="1" fill="#111"/>'), "border crossing"),
              (icon('<rect x="12" y="1" width="5" height="12" rx="1" fill="#d7301f"/>'), "crossing with a queue")]
    for group, (shape, fill) in SITE_GROUPS.items():
        items.append((icon(f'<path d="{marker(shape, 15, 7, 5)}" fill="{fill}" stroke="#222" stroke-width="0.8"/>'),
                      group))
    return items
