"""The web assets a Solara page loads (its Vue/Vuetify app bundle, RequireJS, Font Awesome),
put where Solara's server serves them from, so the dashboard works without reaching a CDN;
and the map's country outlines, clipped to the region from Natural Earth.

Solara's server fetches these from a CDN on first use and keeps them in
``<venv>/share/solara/cdn/``. Where that CDN cannot be reached (an offline workshop room, CI),
``python -m sim.dashboard_assets`` fills the same folder from the npm registry with ``npm pack``,
for the exact package versions the installed Solara's page template names.

``python -m sim.dashboard_assets --basemap`` rebuilds ``sim/maps/countries.json`` (shipped in the
package, so the dashboard needs nothing at run time) from the npm package ``world-atlas``: Natural
Earth's 1:10m admin-0 countries (public domain, https://www.naturalearthdata.com/about/terms-of-use/)
as TopoJSON, Kosovo a country of its own. Only the rings near the WB6 are kept, clipped to a box
wider than the map shows, coordinates rounded to 0.001 degree (about 100 m).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import solara.server
from solara.server import settings

TEMPLATE = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
#: ``{{cdn}}/<npm package>@<exact version>/`` in the template (and the Font Awesome setting)
PACKAGE_URL = re.compile(r"/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.+-]*)/")


def required() -> list[str]:
    """``name@version`` of every npm package the page template loads, in order."""
    text = TEMPLATE.read_text(encoding="utf-8")
    urls = [m for line in text.splitlines() if "{{cdn}}" in line for m in PACKAGE_URL.findall(line)]
    urls += PACKAGE_URL.findall(settings.assets.fontawesome_path)
    return list(dict.fromkeys(f"{name}@{version}" for name, version in urls))


def cache_dir() -> Path:
    return Path(settings.assets.proxy_cache_dir)


def missing() -> list[str]:
    return [spec for spec in required() if not (cache_dir() / spec).is_dir()]


def npm_unpack(spec: str, tmp: Path) -> Path:
    """The npm package ``spec`` (``name@version``) unpacked under ``tmp``: its ``package/`` folder."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm not found: install Node.js with npm to fetch {spec}, or run the dashboard "
                           "once on a machine that reaches the CDN (Solara then caches it)")
    done = subprocess.run([npm, "pack", spec, "--pack-destination", str(tmp), "--silent"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"npm pack {spec} failed: {done.stderr.strip()}")
    tarball = next(Path(tmp).glob("*.tgz"))
    unpacked = Path(tmp) / "unpacked"
    with tarfile.open(tarball) as archive:
        archive.extractall(unpacked, filter="data")
    return unpacked / "package"


def fetch(spec: str, cache: Path) -> None:
    """Unpack the npm package ``spec`` (``name@version``) into ``cache/spec/`` as the CDN lays it out."""
    with tempfile.TemporaryDirectory() as tmp:
        package = npm_unpack(spec, Path(tmp))
        target = cache / spec
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.move(package, staging)
        staging.rename(target)  # whole or absent: Solara serves any file it finds


# ---- the basemap ----------------------------------------------------------------------------
WORLD_ATLAS = "world-atlas@2.0.2"
BASEMAP = Path(__file__).resolve().parent / "maps" / "countries.json"
#: lon_min, lat_min, lon_max, lat_max kept: the sites' extent (15.8-23.4 E, 39.9-47.0 N) and 2 degrees
#: more, so the clipped edges fall outside what the map shows
CLIP_BOX = (13.5, 37.5, 25.5, 49.0)
#: Natural Earth's name -> economy code (the scenario's codes; others by ISO 3166 alpha-2) and name shown
COUNTRIES = {
    "Albania": ("AL", "Albania"), "Bosnia and Herz.": ("BA", "Bosnia and Herzegovina"), "Kosovo": ("XK", "Kosovo"),
    "Montenegro": ("ME", "Montenegro"), "Macedonia": ("MK", "North Macedonia"), "Serbia": ("RS", "Serbia"),
    "Croatia": ("HR", "Croatia"), "Hungary": ("HU", "Hungary"), "Romania": ("RO", "Romania"),
    "Bulgaria": ("BG", "Bulgaria"), "Greece": ("GR", "Greece"), "Italy": ("IT", "Italy"),
    "Slovenia": ("SI", "Slovenia"), "Austria": ("AT", "Austria"), "Slovakia": ("SK", "Slovakia"),
    "Ukraine": ("UA", "Ukraine"), "Moldova": ("MD", "Moldova"), "Turkey": ("TR", "Türkiye"),
    "San Marino": ("SM", "San Marino"),
}


def topojson_rings(topology: dict, geometry: dict) -> list[np.ndarray]:
    """The rings of a TopoJSON (Multi)Polygon as float[n, 2] lon/lat arrays (arcs delta-decoded
    and de-quantised; a negative arc index ~i is arc i reversed)."""
    scale, translate = np.array(topology["transform"]["scale"]), np.array(topology["transform"]["translate"])

    def arc(i):
        points = np.cumsum(np.array(topology["arcs"][i if i >= 0 else ~i], dtype=float), axis=0) * scale + translate
        return points if i >= 0 else points[::-1]

    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    rings = []
    for polygon in polygons:
        for ring in polygon:
            parts = [arc(i) for i in ring]
            rings.append(np.vstack([parts[0]] + [p[1:] for p in parts[1:]]))
    return rings


def clip_ring(ring: np.ndarray, box) -> np.ndarray:
    """Sutherland-Hodgman: the ring (float[n, 2]) cut to the box (lon_min, lat_min, lon_max, lat_max)."""
    for axis, bound, keep_above in ((0, box[0], True), (1, box[1], True), (0, box[2], False), (1, box[3], False)):
        if not len(ring):
            break
        inside = ring[:, axis] >= bound if keep_above else ring[:, axis] <= bound
        out = []
        for k in range(len(ring)):
            a, b = ring[k - 1], ring[k]
            if inside[k] != inside[k - 1]:
                t = (bound - a[axis]) / (b[axis] - a[axis])
                out.append(a + t * (b - a))
            if inside[k]:
                out.append(b)
        ring = np.array(out).reshape(-1, 2)
    return ring


def build_basemap(topology: dict, box=CLIP_BOX) -> dict:
    """The shipped basemap: for each country of ``COUNTRIES`` with land in ``box``, its code, name
    and rings (lists of [lon, lat], rounded to 0.001 degree)."""
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        known = COUNTRIES.get(geometry["properties"]["name"])
        if known is None or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        rings = [np.round(clip_ring(r, box), 3) for r in topojson_rings(topology, geometry)]
        rings = [r.tolist() for r in rings if len(r) >= 4]
        if rings:
            countries.append({"code": known[0], "name": known[1], "rings": rings})
    return {"source": f"Natural Earth 1:10m admin-0 countries (public domain), from the npm package {WORLD_ATLAS} "
                      "(countries-10m.json); clipped by sim.dashboard_assets.build_basemap",
            "clip_box": list(box), "countries": sorted(countries, key=lambda c: c["code"])}


def write_basemap(path: Path = BASEMAP) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = npm_unpack(WORLD_ATLAS, Path(tmp))
        topology = json.loads((package / "countries-10m.json").read_text(encoding="utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build_basemap(topology), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--basemap", action="store_true", help=f"rebuild {BASEMAP.name} from {WORLD_ATLAS}")
    if parser.parse_args().basemap:
        try:
            write_basemap()
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    todo = missing()
    for spec in todo:
        print(f"fetching {spec} into {cache_dir()}")
        try:
            fetch(spec, cache_dir())
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if not todo:
        print(f"dashboard assets present in {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
