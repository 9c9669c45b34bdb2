"""KPI definitions for tables, figures and reports, read from the project's own documentation: the
first ``| column | unit | meaning |`` table of ``docs/kpis.md`` or else of the README, and the
roadmap paper's KPIs each column answers (the catalogue of ``docs/kpis.md``).

A documented row may name several columns (``exchange_volume_t``, ``exchange_value_eur`` -> t,
EUR) or a pattern (``collection_rate_<stream>``, ``cross_border_wb6_{waste,by_product,eow}_t``);
:func:`kpi_info` matches a ``kpis.parquet`` column against them, so new KPIs are picked up as soon
as they are documented, and undocumented ones still show (with their name as label).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (ROOT / "docs" / "kpis.md", ROOT / "README.md")
_NAME = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Kpi:
    column: str
    unit: str
    meaning: str
    source: str

    @property
    def label(self) -> str:
        return self.column.removesuffix("_t").removesuffix("_eur").replace("_", " ")


def _patterns(name: str) -> list[re.Pattern]:
    """``a_{x,y}_t`` -> a_x_t, a_y_t; ``rate_<stream>`` -> rate_ + any word."""
    braces = re.search(r"\{([^}]*)\}", name)
    names = [name[:braces.start()] + part + name[braces.end():] for part in braces.group(1).split(",")] \
        if braces else [name]
    return [re.compile("^" + re.sub(r"<[^>]+>", "[a-z0-9_]+", re.escape(n).replace(r"\<", "<").replace(r"\>", ">"))
                       + "$") for n in names]


def _unit_by_suffix(name: str, units: list[str]) -> str:
    """The unit of ``name`` among a row's units (``t, EUR``): the one its suffix names."""
    suffix = {"_t": "t", "_eur": "EUR", "_count": "count", "_days": "days"}
    for end, unit in suffix.items():
        if name.endswith(end) and unit in units:
            return unit
    return ", ".join(units)


@cache
def catalogue() -> tuple[tuple[re.Pattern, str, str, str], ...]:
    """(pattern, unit, meaning, source file) of each documented KPI column, in documented order."""
    for path in SOURCES:
        if not path.is_file():
            continue
        rows, in_table = [], False
        for line in path.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("| column |") and "meaning" in line:
                in_table, header = True, [c.lower() for c in cells]
                continue
            if in_table and not line.startswith("|"):
                break
            if in_table and not set(line) <= set("|-: "):
                record = dict(zip(header, cells))
                names = _NAME.findall(record.get("column", ""))
                units = [u.strip() for u in record.get("unit", "").split(",")]
                for i, name in enumerate(names):
                    unit = units[i] if len(units) == len(names) else _unit_by_suffix(name, units)
                    for pattern in _patterns(name):
                        rows.append((pattern, unit, record.get("meaning", ""), str(path.relative_to(ROOT))))
        if rows:
            return tuple(rows)
    return ()


def kpi_info(column: str) -> Kpi:
    for pattern, unit, meaning, source in catalogue():
        if pattern.match(column):
            return Kpi(column, unit, meaning, source)
    return Kpi(column, "", "", "")


@cache
def roadmap_kpis() -> dict[str, list[str]]:
    """Column -> the roadmap paper's KPIs it answers (``docs/kpis.md``: id, the seed's words, status)."""
    path = ROOT / "docs" / "kpis.md"
    found: dict[str, list[str]] = {}
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and re.fullmatch(r"[A-Z]+\d+(\.\d+)?", cells[0]) and cells[3] != "not modelled":
            for name in _NAME.findall(cells[4]):
                found.setdefault(name, []).append(f"{cells[0]} {cells[2]} ({cells[3]})")
    return found
