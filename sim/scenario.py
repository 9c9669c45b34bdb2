"""The scenario: the region as data (tables plus scalar parameters), read and validated.

A scenario folder holds the CSV files and ``parameters.yaml`` described in
``sim/data/SCHEMA.md``. ``load_scenario`` checks types, ranges and cross-references and
raises :class:`ScenarioError` naming the file, line and column of the first problem. A
scenario's ``parameters.yaml`` gives only the parameters it changes (see ``sim/parameters.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.errors import ScenarioError
from sim.parameters import KEYED, NAMES, SCHEMA, STATUSES, declared_defaults

DEFAULT_SCENARIO = Path(__file__).parent / "data"
#: libyaml's parser where PyYAML was built with it (several times faster; the same documents)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FIRM_ROLES = ("generates", "absorbs", "stock")
EPR_STATUSES = ("operational", "partial", "early", "none")
TREATMENT_PROCESSES = ("cd_crushing", "glass_processing", "textile_sorting", "tyre_processing", "regranulation")
#: exchanges that are not materials: surplus heat (MWh) and treated or process water (m3)
UTILITY_KINDS = ("heat", "water")
#: operating from its start year; committed: built, operating from its start year; candidate: built by a pilot
UTILITY_STATUSES = ("operating", "committed", "candidate")
#: what the heat a link delivers replaces (none for water)
DISPLACED_HEAT = ("natural_gas", "heavy_fuel_oil", "lignite", "grid_electricity", "none")


@dataclass(frozen=True)
class Col:
    """One column of a table: its type and the values it may take."""

    name: str
    kind: str = "str"  # str | float | int | bool
    low: float | None = None
    high: float | None = None
    positive: bool = False
    choices: tuple[str, ...] | None = None
    optional: bool = False


PROVENANCE = (Col("source"), Col("assumption", optional=True))

TABLES: dict[str, tuple[Col, ...]] = {
    "economies": (
        Col("economy"), Col("name"), Col("group", choices=("WB6", "EU")),
        Col("population", "float", low=0), Col("landfill_fee_eur_t", "float", low=0),
        Col("dumping_fine_eur_t", "float", low=0),
        Col("enforcement_probability", "float", low=0, high=1),
        Col("eow_framework", "bool"), Col("by_product_framework", "bool"),
        Col("list_of_waste", choices=("2000/532/EC", "2014/955/EU")),
        Col("lab_capacity_per_month", "float", low=0), Col("hurdle_rate", "float", positive=True),
    ),
    "materials": (
        Col("material"), Col("label"), Col("virgin_substitute"),
        Col("virgin_price_eur_t", "float", positive=True), Col("unit_value_eur_t", "float", low=0),
        Col("co2_avoided_t_per_t", "float", low=0), Col("hazardous", "bool"),
        Col("eu_eow_criteria", optional=True), Col("epr_stream", "bool"),
    ),
    "sites": (
        Col("site_id"), Col("name"), Col("economy"), Col("kind"),
        Col("lat", "float", low=-90, high=90), Col("lon", "float", low=-180, high=180),
        Col("coord_quality", optional=True),
    ),
    "borders": (
        Col("crossing_id"), Col("name"), Col("economy_a"), Col("economy_b"),
        Col("lat", "float", low=-90, high=90), Col("lon", "float", low=-180, high=180),
        Col("capacity_t_month", "float", low=0), Col("inspection_rate", "float", low=0, high=1),
    ),
    "links": (
        Col("from_node"), Col("to_node"), Col("mode", choices=("road", "rail")),
        Col("distance_km", "float", positive=True),
    ),
    "firms": (Col("firm_id"), Col("site_id"), Col("sector"), Col("name")),
    "firm_streams": (
        Col("firm_id"), Col("material"), Col("role", choices=FIRM_ROLES),
        Col("tonnes", "float", low=0), Col("quality", "float", low=0, high=1),
    ),
    "legal_status": (
        Col("economy"), Col("material"), Col("by_product_possible", "bool"), Col("eow_possible", "bool"),
    ),
    "epr": (
        Col("economy"), Col("material"), Col("epr_status", choices=EPR_STATUSES),
        Col("collection_rate", "float", low=0, high=1),
    ),
    "remining": (
        Col("firm_id"), Col("metal"), Col("grade_kg_t", "float", low=0),
        Col("recovery", "float", low=0, high=1), Col("metal_price_eur_t", "float", positive=True),
        Col("crm", "bool"),
    ),
    "deposits": (
        Col("firm_id"), Col("processing_cost_eur_t", "float", low=0), Col("energy_kwh_t", "float", low=0),
        Col("grade_uncertainty", "float", low=0, high=2), Col("esg_risk", "float", low=0, high=1),
    ),
    "treatment": (
        Col("firm_id"), Col("process", choices=TREATMENT_PROCESSES), Col("material"), Col("product"),
        Col("product_yield", "float", low=0, high=1), Col("product_grade", "float", low=0, high=1),
        Col("cost_eur_t", "float", low=0),
    ),
    "schedules": (
        Col("firm_id"), Col("material"), Col("role", choices=("generates", "absorbs")),
        Col("year", "int", low=1900, high=2200), Col("factor", "float", low=0),
    ),
    "process_inputs": (
        Col("firm_id"), Col("process"), Col("output_t_year", "float", low=0),
        Col("input_t_per_t", "float", low=0), Col("recycled_materials"),
    ),
    "utility_links": (
        Col("link_id"), Col("kind", choices=UTILITY_KINDS), Col("source_firm"), Col("sink_firm"),
        Col("status", choices=UTILITY_STATUSES), Col("start_year", "int", low=1900, high=2200),
        Col("capacity_per_year", "float", low=0), Col("demand_per_year", "float", low=0),
        Col("source_surplus_per_year", "float", low=0), Col("distance_km", "float", low=0),
        Col("capex_eur", "float", low=0), Col("displaced", choices=DISPLACED_HEAT),
    ),
    "price_rules": (
        Col("material"), Col("elasticity", "float", low=0), Col("floor_share", "float", low=0, high=1),
        Col("cap_share", "float", low=1),
    ),
    "eu_demand": (
        Col("firm_id"), Col("material"), Col("demand_t_month", "float", low=0),
        Col("wtp_eur_t", "float", low=0), Col("ets_pull", "bool"),
    ),
}
#: tables a scenario may leave out (read as empty): a region without treatment plants, dated changes,
#: the total inputs of its absorbing processes, heat and water links, EU buyers' own demand, price rules,
#: or deposit-specific re-mining figures (its deposits take the ``remining_*`` parameters' defaults)
OPTIONAL_TABLES = ("treatment", "schedules", "process_inputs", "utility_links", "eu_demand", "price_rules",
                   "deposits")

@dataclass(frozen=True)
class Scenario:
    """The validated tables and parameters of one region."""

    folder: Path
    economies: pd.DataFrame
    materials: pd.DataFrame
    sites: pd.DataFrame
    borders: pd.DataFrame
    links: pd.DataFrame
    firms: pd.DataFrame
    firm_streams: pd.DataFrame
    legal_status: pd.DataFrame
    epr: pd.DataFrame
    remining: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    #: treatment plants' processes (``None``: none; validation makes it an empty table)
    treatment: pd.DataFrame | None = None
    #: dated changes of generation and capacity (``None``: none)
    schedules: pd.DataFrame | None = None
    #: heat and water links between firms (``None``: none)
    utility_links: pd.DataFrame | None = None
    #: absorbing processes' output and total material input (``None``: none)
    process_inputs: pd.DataFrame | None = None
    #: EU buyers' monthly demand and price per material, for the ``eu_buyers`` actor kind (``None``: none)
    eu_demand: pd.DataFrame | None = None
    #: how each material's price responds to scarcity, for the ``scarcity_prices`` pilot (``None``: none)
    price_rules: pd.DataFrame | None = None
    #: re-mining processing cost, energy use and grade uncertainty per deposit (``None``: none)
    deposits: pd.DataFrame | None = None

    @property
    def economy_codes(self) -> list[str]:
        return list(self.economies["economy"])

    @property
    def material_ids(self) -> list[str]:
        return list(self.materials["material"])

    def with_tables(self, **tables) -> "Scenario":
        """A copy with some tables replaced, validated again."""
        return validate(replace(self, **tables))


def _line(index: int) -> int:
    """CSV line number of a data row (header is line 1)."""
    return int(index) + 2


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _coerce(frame: pd.DataFrame, table: str, path: Path) -> pd.DataFrame:
    spec = TABLES[table]
    required = [c.name for c in spec + PROVENANCE if not c.optional]
    missing = [name for name in required if name not in frame.columns]
    if missing:
        extra = [name for name in frame.columns if name not in _columns(table)]
        unexpected = f"; unexpected column(s) {extra}" if extra else ""
        raise ScenarioError(f"{path}:1", f"missing column(s) {missing}{unexpected}", choices=_columns(table),
                            value=extra[0] if extra else None)
    out = frame.copy()
    for col in spec + PROVENANCE:
        if col.name not in out.columns:
            out[col.name] = ""
            continue
        values = out[col.name]
        if col.kind == "str":
            out[col.name] = values.fillna("").astype(str).str.strip()
            if not col.optional and col.name not in ("source",):
                empty = out.index[out[col.name] == ""]
                if len(empty):
                    raise ScenarioError(f"{path}:{_line(empty[0])}", f"column '{col.name}' is empty")
            if col.choices is not None:
                bad = out.index[~out[col.name].isin(col.choices)]
                if len(bad):
                    value = out.at[bad[0], col.name]
                    raise ScenarioError(
                        f"{path}:{_line(bad[0])}", f"unknown {col.name} '{value}'", choices=col.choices, value=value
                    )
        elif col.kind == "bool":
            text = values.astype(str).str.strip().str.lower()
            bad = out.index[~text.isin(_TRUE | _FALSE)]
            if len(bad):
                raise ScenarioError(
                    f"{path}:{_line(bad[0])}",
                    f"column '{col.name}' must be true or false, got '{values[bad[0]]}'",
                )
            out[col.name] = text.isin(_TRUE)
        else:
            numbers = pd.to_numeric(values, errors="coerce")
            empty = out.index[values.isna()]
            if len(empty):
                raise ScenarioError(f"{path}:{_line(empty[0])}", f"column '{col.name}' is empty: a number is needed")
            bad = out.index[~np.isfinite(numbers.to_numpy(dtype=float))]
            if len(bad):
                raise ScenarioError(
                    f"{path}:{_line(bad[0])}",
                    f"column '{col.name}' needs a finite number, got '{values[bad[0]]}'",
                )
            if col.low is not None and (numbers < col.low).any():
                row = out.index[numbers < col.low][0]
                raise ScenarioError(
                    f"{path}:{_line(row)}", f"column '{col.name}' is {numbers[row]}, below {col.low}"
                )
            if col.high is not None and (numbers > col.high).any():
                row = out.index[numbers > col.high][0]
                raise ScenarioError(
                    f"{path}:{_line(row)}", f"column '{col.name}' is {numbers[row]}, above {col.high}"
                )
            if col.positive and (numbers <= 0).any():
                row = out.index[numbers <= 0][0]
                raise ScenarioError(
                    f"{path}:{_line(row)}", f"column '{col.name}' must be > 0, got {numbers[row]}"
                )
            out[col.name] = numbers.astype("int64" if col.kind == "int" else "float64")
    return out


def empty_table(table: str) -> pd.DataFrame:
    """A table with the columns of ``table`` and no rows."""
    return pd.DataFrame({name: pd.Series(dtype=object) for name in _columns(table)})


def _read_table(folder: Path, table: str) -> pd.DataFrame:
    path = folder / f"{table}.csv"
    if not path.exists() and table in OPTIONAL_TABLES:
        return _coerce(empty_table(table), table, path)
    if not path.exists():
        raise ScenarioError(str(path), "file not found; a scenario needs every table", choices=TABLES)
    if not path.is_file():
        raise ScenarioError(str(path), "is not a regular file")
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
        if b"\0" in head:
            raise ScenarioError(str(path), "is binary, not a CSV text file")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except pd.errors.EmptyDataError as exc:
        raise ScenarioError(str(path), "is empty: a header line is needed", choices=_columns(table)) from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), f"is not UTF-8 text (byte {exc.start}): {exc.reason}") from exc
    except (pd.errors.ParserError, OSError) as exc:
        raise ScenarioError(str(path), f"cannot be read as CSV: {str(exc).strip()}") from exc
    return _coerce(frame, table, path)


def _columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table] + PROVENANCE]


def _read_parameters(folder: Path) -> dict:
    """The folder's parameters over the defaults (the packaged scenario's, then those declared in code)."""
    path = folder / "parameters.yaml"
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=YAML_LOADER)
    except FileNotFoundError as exc:
        raise ScenarioError(str(path), "file not found") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ScenarioError(where, f"cannot be read as YAML: {exc.problem or exc.context}") from exc
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise ScenarioError(str(path), f"cannot be read as YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(str(path), "must be a mapping of parameter name -> {value, unit, source}")
    # line of each parameter, so that a bad value is reported where it is written
    lines = {key.value: key.start_mark.line + 1 for key, _ in yaml.compose(text, Loader=YAML_LOADER).value}
    given = {name: (entry["value"] if isinstance(entry, dict) and "value" in entry else entry)
             for name, entry in raw.items()}
    packaged = {} if folder.resolve() == DEFAULT_SCENARIO.resolve() else packaged_parameters()
    parameters = with_defaults({**packaged, **given})
    _apply_calibration(folder, parameters)
    return check_parameters(parameters, str(path), locate=lambda name: f"{path}:{lines.get(name, 1)}: {name}")


def packaged_parameters() -> dict:
    """The parameters of the packaged WB6 scenario (read afresh: callers may change them)."""
    return _read_parameters(DEFAULT_SCENARIO)


def with_defaults(parameters: dict) -> dict:
    """``parameters`` with every parameter declared with a default in code that they leave out."""
    return {**declared_defaults(), **parameters}


def _apply_calibration(folder: Path, parameters: dict) -> None:
    """Fitted behavioural parameters (``calibration.yaml``, written by ``python -m sim.calibrate``:
    the median of its accepted ensemble) replace the values of ``parameters.yaml``."""
    path = folder / "calibration.yaml"
    if not path.exists():
        return
    try:
        point = (yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}).get("point", {})
    except (yaml.YAMLError, UnicodeDecodeError, OSError, AttributeError) as exc:
        raise ScenarioError(str(path), f"cannot be read as a calibration (YAML with a 'point' mapping): {exc}") from exc
    for name, value in point.items():
        base, _, key = name.partition(".")
        if base not in parameters or (key and not isinstance(parameters[base], dict)):
            raise ScenarioError(f"{path}: point.{name}", "unknown parameter", choices=parameters, value=base)
        if key:
            parameters[base] = {**parameters[base], key: value}
        else:
            parameters[name] = value


def check_parameters(parameters: dict, where: str, locate=None, error=ScenarioError) -> dict:
    """Check that every declared parameter is present and of its kind: numbers finite and >= 0.

    ``where`` names the whole set (a file); ``locate(name)`` where one parameter is written
    (``file:line: name`` or a config key), ``error`` the error type to raise.
    """
    locate = locate or (lambda name: f"{where}: {name}")
    missing = [name for name in SCHEMA if name not in parameters]
    if missing:
        raise error(where, f"missing parameter(s) {missing}", choices=SCHEMA)
    checked = dict(parameters)
    for name, spec in SCHEMA.items():
        value = parameters[name]
        if spec.kind == NAMES:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise error(locate(name), f"needs a list of names, got {value!r}")
            repeated = sorted({v for v in value if list(value).count(v) > 1})
            if repeated:
                raise error(locate(name), f"lists {repeated[0]!r} more than once")
            continue
        if spec.kind == KEYED:
            keys = spec.keys
            if not isinstance(value, dict) or set(value) != set(keys):
                raise error(locate(name), f"needs one number for each of {list(keys)}, got {value!r}", choices=keys)
            items = {key: value[key] for key in keys}
        else:
            items = {name: value}
        for key, number in items.items():
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number) or number < 0:
                label = "" if key == name else f"'{key}' "
                raise error(locate(name), f"{label}must be a finite number >= 0, got {number!r}")
    return checked


def _unknown(table: str, frame: pd.DataFrame, column: str, valid, folder: Path) -> None:
    valid = set(valid)
    bad = frame.index[~frame[column].isin(valid)]
    if len(bad):
        value = frame.at[bad[0], column]
        raise ScenarioError(
            f"{folder / (table + '.csv')}:{_line(bad[0])}", f"unknown {column} '{value}'", choices=valid, value=value
        )


def _unique(table: str, frame: pd.DataFrame, columns: list[str], folder: Path) -> None:
    dup = frame.index[frame.duplicated(columns)]
    if len(dup):
        key = tuple(frame.loc[dup[0], columns])
        raise ScenarioError(f"{folder / (table + '.csv')}:{_line(dup[0])}", f"duplicate {columns} {key}")


def _check_crossings(s: Scenario, folder: Path) -> None:
    """A crossing joins two different economies, and its roads lead to sites of those two."""
    same = s.borders.index[s.borders["economy_a"] == s.borders["economy_b"]]
    if len(same):
        row = s.borders.loc[same[0]]
        raise ScenarioError(f"{folder / 'borders.csv'}:{_line(same[0])}",
                            f"crossing {row['crossing_id']} has {row['economy_a']!r} on both sides: "
                            "economy_a and economy_b must differ")
    sides = {r.crossing_id: (r.economy_a, r.economy_b) for r in s.borders.itertuples()}
    economy_of = dict(zip(s.sites["site_id"], s.sites["economy"]))
    for index, link in s.links.iterrows():
        for crossing, other in ((link["from_node"], link["to_node"]), (link["to_node"], link["from_node"])):
            if crossing in sides and other in economy_of and economy_of[other] not in sides[crossing]:
                raise ScenarioError(
                    f"{folder / 'links.csv'}:{_line(index)}",
                    f"road from crossing {crossing} to {other} in {economy_of[other]}, which is on neither side "
                    f"of the crossing", choices=sides[crossing], value=economy_of[other])


def validate(scenario: Scenario) -> Scenario:
    """Check cross-references between tables; return the scenario if all hold (with an empty
    table for each optional one it left out)."""
    for table in OPTIONAL_TABLES:
        if getattr(scenario, table) is None:
            scenario = replace(scenario, **{table: _coerce(empty_table(table), table,
                                                           scenario.folder / f"{table}.csv")})
    s, folder = scenario, scenario.folder
    _unique("economies", s.economies, ["economy"], folder)
    _unique("materials", s.materials, ["material"], folder)
    _unique("sites", s.sites, ["site_id"], folder)
    _unique("borders", s.borders, ["crossing_id"], folder)
    _unique("firms", s.firms, ["firm_id"], folder)
    _unique("firm_streams", s.firm_streams, ["firm_id", "material", "role"], folder)
    _unique("links", s.links, ["from_node", "to_node", "mode"], folder)
    _unique("legal_status", s.legal_status, ["economy", "material"], folder)
    _unique("epr", s.epr, ["economy", "material"], folder)
    _unique("remining", s.remining, ["firm_id", "metal"], folder)
    economies, materials = s.economy_codes, s.material_ids
    _unknown("sites", s.sites, "economy", economies, folder)
    _unknown("borders", s.borders, "economy_a", economies, folder)
    _unknown("borders", s.borders, "economy_b", economies, folder)
    clash = set(s.sites["site_id"]) & set(s.borders["crossing_id"])
    if clash:
        raise ScenarioError(str(folder / "borders.csv"), f"crossing ids also used as site ids: {sorted(clash)}")
    nodes = set(s.sites["site_id"]) | set(s.borders["crossing_id"])
    _unknown("links", s.links, "from_node", nodes, folder)
    _unknown("links", s.links, "to_node", nodes, folder)
    _check_crossings(s, folder)
    _unknown("firms", s.firms, "site_id", s.sites["site_id"], folder)
    _unknown("firm_streams", s.firm_streams, "firm_id", s.firms["firm_id"], folder)
    _unknown("firm_streams", s.firm_streams, "material", materials, folder)
    _unknown("legal_status", s.legal_status, "economy", economies, folder)
    _unknown("legal_status", s.legal_status, "material", materials, folder)
    _unknown("epr", s.epr, "economy", economies, folder)
    _unknown("epr", s.epr, "material", s.materials.loc[s.materials["epr_stream"], "material"], folder)
    _unknown("remining", s.remining, "firm_id", s.firms["firm_id"], folder)
    _unique("deposits", s.deposits, ["firm_id"], folder)
    _unknown("deposits", s.deposits, "firm_id", s.remining["firm_id"], folder)
    _check_treatment(s, folder)
    _check_utility_links(s, folder)
    _check_process_inputs(s, folder)
    _check_eu_demand(s, folder)
    _unknown("price_rules", s.price_rules, "material", s.material_ids, folder)
    _unique("price_rules", s.price_rules, ["material"], folder)
    check_schedule(s, s.schedules, folder / "schedules.csv")
    check_parameters(s.parameters, str(folder / "parameters.yaml"))
    _check_offices(s, folder)
    return scenario


def _check_utility_links(s: Scenario, folder: Path) -> None:
    """Each heat or water link joins two firms of the region; a source gives one surplus of each
    kind (the same on all its links of that kind); only heat displaces a fuel."""
    u, path = s.utility_links, folder / "utility_links.csv"
    _unique("utility_links", u, ["link_id"], folder)
    _unknown("utility_links", u, "source_firm", s.firms["firm_id"], folder)
    _unknown("utility_links", u, "sink_firm", s.firms["firm_id"], folder)
    same = u.index[u["source_firm"] == u["sink_firm"]]
    if len(same):
        raise ScenarioError(f"{path}:{_line(same[0])}", f"link '{u.at[same[0], 'link_id']}' joins firm "
                            f"'{u.at[same[0], 'source_firm']}' to itself")
    surplus = u.groupby(["source_firm", "kind"], sort=False)["source_surplus_per_year"].transform("first")
    differs = u.index[u["source_surplus_per_year"] != surplus]
    if len(differs):
        row = differs[0]
        raise ScenarioError(f"{path}:{_line(row)}", f"source_surplus_per_year of '{u.at[row, 'source_firm']}' "
                            f"({u.at[row, 'kind']}) differs from its first link's {surplus[row]:.6g}")
    wrong = u.index[(u["kind"] == "water") != (u["displaced"] == "none")]
    if len(wrong):
        row = wrong[0]
        raise ScenarioError(f"{path}:{_line(row)}", f"displaced '{u.at[row, 'displaced']}' on a "
                            f"{u.at[row, 'kind']} link: heat displaces a fuel, water displaces 'none'")


def _check_eu_demand(s: Scenario, folder: Path) -> None:
    """One row per EU buyer firm (sector ``eu_buyer``) and material it absorbs."""
    t = s.eu_demand
    _unknown("eu_demand", t, "firm_id", s.firms.loc[s.firms["sector"] == "eu_buyer", "firm_id"], folder)
    _unknown("eu_demand", t, "material", s.material_ids, folder)
    _unique("eu_demand", t, ["firm_id", "material"], folder)
    absorbs = s.firm_streams[s.firm_streams["role"] == "absorbs"]
    known = set(zip(absorbs["firm_id"], absorbs["material"]))
    for row in t.index:
        if (t.at[row, "firm_id"], t.at[row, "material"]) not in known:
            raise ScenarioError(f"{folder / 'eu_demand.csv'}:{_line(row)}",
                                f"firm '{t.at[row, 'firm_id']}' has no 'absorbs' row for '{t.at[row, 'material']}' "
                                "in firm_streams.csv (its minimum grade)")


def _check_offices(s: Scenario, folder: Path) -> None:
    """The crossings designated for waste (``waste_customs_offices``) are crossings of borders.csv."""
    known = set(s.borders["crossing_id"])
    for office in s.parameters.get("waste_customs_offices", []):
        if office not in known:
            raise ScenarioError(f"{folder / 'parameters.yaml'}: waste_customs_offices", f"unknown crossing {office!r}",
                                choices=known, value=office)


def _check_process_inputs(s: Scenario, folder: Path) -> None:
    """One row per absorbing firm; its recycled materials (space-separated) are materials."""
    t = s.process_inputs
    _unknown("process_inputs", t, "firm_id", s.firms["firm_id"], folder)
    _unique("process_inputs", t, ["firm_id"], folder)
    known = set(s.material_ids)
    for row, names in t["recycled_materials"].items():
        bad = [n for n in str(names).split() if n not in known]
        if bad or not str(names).split():
            raise ScenarioError(f"{folder / 'process_inputs.csv'}:{_line(row)}",
                                f"column 'recycled_materials' needs material names, got {names!r}",
                                choices=known, value=bad[0] if bad else None)


def _check_treatment(s: Scenario, folder: Path) -> None:
    """Each process row names a firm, an input it absorbs and another material as product;
    a plant's product yields from one input add up to at most 1 (the rest is residue)."""
    t = s.treatment
    _unknown("treatment", t, "firm_id", s.firms["firm_id"], folder)
    _unknown("treatment", t, "material", s.material_ids, folder)
    _unknown("treatment", t, "product", s.material_ids, folder)
    _unique("treatment", t, ["firm_id", "material", "product"], folder)
    path = folder / "treatment.csv"
    same = t.index[t["material"] == t["product"]]
    if len(same):
        raise ScenarioError(f"{path}:{_line(same[0])}", f"product '{t.at[same[0], 'product']}' is its own input: "
                            "a treated product must be another material")
    absorbs = s.firm_streams[s.firm_streams["role"] == "absorbs"]
    takes = set(zip(absorbs["firm_id"], absorbs["material"]))
    missing = [i for i, key in zip(t.index, zip(t["firm_id"], t["material"])) if key not in takes]
    if missing:
        row = missing[0]
        raise ScenarioError(f"{path}:{_line(row)}", f"firm '{t.at[row, 'firm_id']}' has no 'absorbs' row for its "
                            f"input '{t.at[row, 'material']}' in firm_streams.csv (its treatment capacity)")
    yields = t.groupby(["firm_id", "material"], sort=False)["product_yield"].transform("sum")
    over = t.index[yields > 1.0 + 1e-9]
    if len(over):
        row = over[0]
        raise ScenarioError(f"{path}:{_line(row)}", f"product yields of firm '{t.at[row, 'firm_id']}' from "
                            f"'{t.at[row, 'material']}' add up to {yields[row]:.6g}, above 1")


def check_schedule(s: Scenario, table: pd.DataFrame, path: Path) -> None:
    """Each schedule row changes a stream the firm has: (firm, material, role) in firm_streams."""
    _unknown(path.stem, table, "firm_id", s.firms["firm_id"], path.parent)
    _unknown(path.stem, table, "material", s.material_ids, path.parent)
    _unique(path.stem, table, ["firm_id", "material", "role", "year"], path.parent)
    streams = set(zip(s.firm_streams["firm_id"], s.firm_streams["material"], s.firm_streams["role"]))
    missing = [i for i, key in zip(table.index, zip(table["firm_id"], table["material"], table["role"]))
               if key not in streams]
    if missing:
        row = missing[0]
        raise ScenarioError(f"{path}:{_line(row)}", f"firm '{table.at[row, 'firm_id']}' has no '{table.at[row, 'role']}' "
                            f"row for '{table.at[row, 'material']}' in firm_streams.csv to schedule")


def load_schedule(scenario: Scenario, name: str) -> pd.DataFrame:
    """The schedule ``schedules/<name>.csv`` of the scenario's folder, read and checked like a table
    (an alternative to its ``schedules.csv``)."""
    folder = scenario.folder / "schedules"
    options = sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []
    if name not in options:
        raise ScenarioError(str(folder / f"{name}.csv"), "schedule not found", choices=options, value=name)
    path = folder / f"{name}.csv"
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise ScenarioError(str(path), f"cannot be read as CSV: {str(exc).strip()}") from exc
    table = _coerce(frame, "schedules", path)
    check_schedule(scenario, table, path)
    return table


def load_scenario(folder: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """Read and validate the scenario in ``folder`` (the real WB6 region by default)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(str(folder), "scenario folder not found")
    tables = {name: _read_table(folder, name) for name in TABLES}
    return validate(Scenario(folder=folder, parameters=_read_parameters(folder), **tables))
