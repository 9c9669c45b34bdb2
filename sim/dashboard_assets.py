"""The web assets a Solara page loads (its Vue/Vuetify app bundle, RequireJS, Font Awesome),
put where Solara's server serves them from, so the dashboard works without reaching a CDN.

Solara's server fetches these from a CDN on first use and keeps them in
``<venv>/share/solara/cdn/``. Where that CDN cannot be reached (an offline workshop room, CI),
``python -m sim.dashboard_assets`` fills the same folder from the npm registry with ``npm pack``,
for the exact package versions the installed Solara's page template names.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

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


def fetch(spec: str, cache: Path) -> None:
    """Unpack the npm package ``spec`` (``name@version``) into ``cache/spec/`` as the CDN lays it out."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm not found: install Node.js with npm to fetch {spec}, or run the dashboard "
                           "once on a machine that reaches the CDN (Solara then caches it)")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([npm, "pack", spec, "--pack-destination", tmp, "--silent"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"npm pack {spec} failed: {done.stderr.strip()}")
        tarball = next(Path(tmp).glob("*.tgz"))
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarball) as archive:
            archive.extractall(unpacked, filter="data")
        target = cache / spec
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.move(unpacked / "package", staging)
        staging.rename(target)  # whole or absent: Solara serves any file it finds


def main() -> int:
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
