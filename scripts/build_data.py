#!/usr/bin/env python3
"""Build the default WB6 scenario (sim/data/*.csv + parameters.yaml) from the fact base.

Usage:
    python3 scripts/build_data.py [--shared DIR] [--out DIR]

`--shared` is the fact-base root (default: ../shared next to the repository), which holds
`data/seed_facts.yaml`, `data/supplementary_facts.yaml`, `data/sites.csv`, `data/borders.csv`
and `data/cities.csv`. Every figure written here is either read from the fact base (and its
source is copied into the `source` column) or a modelling assumption stated in the
`assumption` column. The script checks the seed totals (344 Mt of tailings and slag, Bor 80 Mt,
in-situ metal values) and the referential integrity of the tables before it writes anything.

Only the standard library and PyYAML are used.
"""
from __future__ import annotations

import argparse
import csv
import math
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
DEFAULT_OUT = ROOT / "sim" / "data"

SEED000 = "seed:000_9ddce727867bd27d.txt"
SEED001 = "seed:001_24f1d9e9b3670dae.txt"
SEED002 = "seed:002_0f90af00f59a893b.txt"
PK = "public knowledge, approximate"
CONSENT_PROCEDURE = "https://portal-rp.tpcluster.de/rpdlp/en/detail?pstCatId=247242680&pstId=231700404"

WB6 = ["AL", "BA", "XK", "ME", "MK", "RS"]
EU = ["HR", "HU", "RO", "BG", "GR"]
ECONOMIES = WB6 + EU

MATERIALS = ["fly_ash", "bottom_ash", "slag", "red_mud", "tailings", "cd_waste", "plastics",
             "paper", "steel_scrap", "glass", "wood_biomass", "sludge", "textiles", "tyres",
             "e_waste"] + ["recycled_aggregate", "glass_cullet", "regranulate", "rubber_granulate",
                           "sorted_textiles"]
#: treated products and the stream they are made from (their legal status follows that stream's)
PRODUCT_OF = {"recycled_aggregate": "cd_waste", "glass_cullet": "glass", "regranulate": "plastics",
              "rubber_granulate": "tyres", "sorted_textiles": "textiles"}
EPR_STREAMS = ["plastics", "paper", "e_waste", "tyres", "textiles"]
DEPOSIT_MATERIALS = ("tailings", "slag", "red_mud", "fly_ash")
SEED_TAILINGS_SLAG_MATERIALS = ("tailings", "slag", "red_mud")

DETOUR_ROAD = 1.3
DETOUR_RAIL = 1.4
MIN_LINK_KM = 1.0
#: sites of each side a border crossing is linked to
CROSSING_LINKS = 2
MT = 1_000_000.0


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def haversine_km(lat1, lon1, lat2, lon2):
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def fmt(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        if x == int(x) and abs(x) < 1e15:
            return str(int(x))
        if abs(x) < 1e-3:
            return f"{x:.6g}"
        return repr(round(x, 6))
    return "" if x is None else str(x)


def write_csv(path: Path, columns, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            missing = set(columns) - set(row)
            extra = set(row) - set(columns)
            if missing or extra:
                raise ValueError(f"{path.name}: row {row} missing {missing} extra {extra}")
            w.writerow([fmt(row[c]) for c in columns])
    return len(rows)


def load_facts(path: Path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {f["key"]: f for f in doc["facts"]}


def src_of(fact):
    """Source string of a fact: `seed:<file>` for seed facts, the URL(s) otherwise."""
    s = str(fact["source"])
    return f"seed:{s}" if s.endswith(".txt") and not s.startswith("http") else s


def mid_range(text, prefer_last=False):
    """Midpoint in tonnes of the first (or last) '~a-b Mt/yr' or 'kt/yr' range in text."""
    hits = re.findall(r"~\s*([\d.]+)\s*-\s*([\d.]+)\s*(Mt|kt)", text)
    if not hits:
        return None
    a, b, unit = hits[-1] if prefer_last else hits[0]
    scale = MT if unit == "Mt" else 1000.0
    return (float(a) + float(b)) / 2 * scale


# --------------------------------------------------------------------------------------------
# economies
# --------------------------------------------------------------------------------------------
ECON_NAMES = {"AL": "Albania", "BA": "Bosnia and Herzegovina", "XK": "Kosovo",
              "ME": "Montenegro", "MK": "North Macedonia", "RS": "Serbia", "HR": "Croatia",
              "HU": "Hungary", "RO": "Romania", "BG": "Bulgaria", "GR": "Greece"}

# Modelling assumptions (EUR/t, EUR/t, per month, applications per month, per year).
ECON_ASSUMED = {
    #       landfill fee, dumping fine, enforcement, lab capacity, hurdle rate
    "AL": (5.0, 30.0, 0.03, 3.0, 0.14),
    "BA": (8.0, 40.0, 0.04, 5.0, 0.14),
    "XK": (5.0, 30.0, 0.03, 2.0, 0.15),
    "ME": (12.0, 50.0, 0.06, 3.0, 0.13),
    "MK": (6.0, 40.0, 0.05, 4.0, 0.13),
    "RS": (10.0, 60.0, 0.08, 12.0, 0.12),
    "HR": (45.0, 200.0, 0.25, 30.0, 0.08),
    "HU": (55.0, 250.0, 0.30, 40.0, 0.08),
    "RO": (40.0, 200.0, 0.20, 40.0, 0.09),
    "BG": (60.0, 200.0, 0.20, 25.0, 0.09),
    "GR": (60.0, 250.0, 0.20, 35.0, 0.08),
}
EU_POPULATION = {  # latest census, public knowledge
    "HR": 3871833, "HU": 9603634, "RO": 19053815, "BG": 6519789, "GR": 10482487}

ECON_ASSUMPTION_TEXT = (
    "landfill_fee_eur_t, dumping_fine_eur_t, enforcement_probability, lab_capacity_per_month, "
    "hurdle_rate: modelling assumptions. {basis}")
ECON_BASIS_WB6 = (
    "WB6 gate fees are low (roughly 3-15 EUR/t, no or token landfill tax) and the seeds report "
    "weak enforcement and low penalties (legal.enforcement), hence a detection probability of "
    "0.02-0.1 per month and fines of 30-60 EUR/t; lab capacity reflects the absence of a common "
    "testing system (legal.testing_labs), larger in RS; hurdle rate 12-15% reflects country "
    "risk premia for private investors.")
ECON_BASIS_EU = (
    "EU Landfill Directive members charge gate fee plus landfill tax (40-100 EUR/t), enforce "
    "more often (0.2-0.3 per month) with higher fines; accredited lab networks; hurdle rate "
    "~8-9% for investment-grade EU projects.")


def census_population(supp, e):
    pop = supp[f"census.{e}"]["value"]
    return pop["incl_estimate_for_north"] if isinstance(pop, dict) else pop  # XK: incl. the north


def build_economies(facts, supp):
    rows = []
    for e in ECONOMIES:
        fee, fine, enf, lab, hurdle = ECON_ASSUMED[e]
        if e in WB6:
            census = supp[f"census.{e}"]
            pop = census_population(supp, e)
            eow_status = str(facts[f"legal.end_of_waste.{e}"]["value"])
            bp_status = str(facts[f"legal.by_product.{e}"]["value"])
            eow = eow_status.startswith(("defined", "implemented"))
            bp = bp_status.startswith(("defined", "implemented"))
            low = str(facts[f"legal.list_of_waste.{e}"]["value"])
            src = (f"population: {census['source'].split(';')[0].strip()}; frameworks and "
                   f"list_of_waste: {SEED001}")
            basis = ECON_BASIS_WB6
            if e == "ME":
                basis += (" by_product_framework false: the seed's barrier table lists ME "
                          "among economies whose by-product status must be defined while the "
                          "executive summary says 'partly' (fact-base inconsistency 4).")
            if e == "AL":
                basis += (" eow_framework false although metal scrap may be reused "
                          "(legal.AL.reuse_scope): handled in legal_status.csv.")
            if e == "XK":
                basis += (" population: 2024 census incl. the estimate for the north "
                          "(registered 1,586,659).")
        else:
            pop = EU_POPULATION[e]
            eow, bp, low = True, True, "2014/955/EU"
            src = PK
            basis = (ECON_BASIS_EU + " population: latest census (public knowledge); "
                     "frameworks: EU Member State under Directive 2008/98/EC arts. 5-6 "
                     f"({SEED001} eu.wfd); list_of_waste 2014/955/EU applies in the EU.")
        rows.append(dict(
            economy=e, name=ECON_NAMES[e], group="WB6" if e in WB6 else "EU",
            population=int(pop), landfill_fee_eur_t=fee, dumping_fine_eur_t=fine,
            enforcement_probability=enf, eow_framework=eow, by_product_framework=bp,
            list_of_waste=low, lab_capacity_per_month=lab, hurdle_rate=hurdle,
            source=src, assumption=ECON_ASSUMPTION_TEXT.format(basis=basis)))
    return rows


# --------------------------------------------------------------------------------------------
# materials
# --------------------------------------------------------------------------------------------
# material: label, virgin substitute, virgin price, unit value, co2 avoided, hazardous,
#           eu eow fact key (or None), basis text
MATERIAL_SPEC = {
    "fly_ash": ("Coal fly ash", "Portland cement clinker", 60.0, 12.0, 0.70, False, None,
                "clinker cost ~50-70 EUR/t; ash traded at ~5-20 EUR/t; ~0.7-0.85 t CO2 per t "
                "clinker replaced (process + fuel)"),
    "bottom_ash": ("Coal bottom ash and boiler slag", "natural aggregate (sand, gravel)", 12.0,
                   4.0, 0.005, False, None,
                   "quarried aggregate ~8-15 EUR/t ex-quarry; quarrying ~5 kg CO2/t"),
    "slag": ("Metallurgical slag (blast-furnace, steel, non-ferrous, ferroalloy)",
             "clinker (as ground granulated slag) or natural aggregate", 45.0, 15.0, 0.40, False,
             None, "blend of GGBS replacing clinker (~0.7 t CO2/t) and EAF/non-ferrous slag "
             "replacing aggregate (~0.005 t CO2/t); price between clinker and aggregate"),
    "red_mud": ("Red mud (bauxite residue)", "iron/alumina corrective in cement raw meal", 35.0,
                1.0, 0.05, True, None, "no established market (near-zero value); use as raw-meal "
                "corrective replaces purchased iron ore/bauxite; hazardous: caustic residue "
                "usually classified with a mirror entry as hazardous"),
    "tailings": ("Mine and flotation tailings", "natural sand and aggregate (backfill, "
                 "construction)", 12.0, 1.0, 0.005, False, None,
                 "bulk mineral use only; metal value is in remining.csv; hazardous=false is a "
                 "simplification: tailings are extractive waste (Directive 2006/21/EC) and "
                 "sulphidic Pb-Zn tailings (e.g. Kišnica, Leposavić) can be hazardous"),
    "cd_waste": ("Construction and demolition waste", "natural aggregate (recycled aggregate)",
                 12.0, 5.0, 0.01, False, None,
                 "recycled aggregate sells at 3-8 EUR/t below quarried aggregate; small CO2 "
                 "saving from avoided quarrying and haul"),
    "plastics": ("Waste plastics (packaging, PET, mixed)", "virgin polymer (PET/PE/PP)",
                 1200.0, 300.0, 1.5, False, None,
                 "virgin PET/PE ~1,000-1,400 EUR/t; baled post-consumer plastics ~150-450 "
                 "EUR/t; ~1.5 t CO2 avoided per t mechanically recycled"),
    "paper": ("Waste paper and cardboard", "virgin pulp", 700.0, 120.0, 0.7, False, None,
              "kraft pulp ~600-800 EUR/t; OCC/mixed paper ~80-160 EUR/t; ~0.7 t CO2/t"),
    "steel_scrap": ("Iron and steel scrap", "pig iron / iron ore route", 400.0, 330.0, 1.5,
                    False, "eu.eow.scrap_metal",
                    "pig iron ~350-450 EUR/t; HMS scrap ~300-360 EUR/t; EAF vs BF-BOF saves "
                    "~1.4-1.7 t CO2/t"),
    "glass": ("Waste glass (cullet)", "glass batch (silica sand, soda ash, limestone)", 110.0,
              60.0, 0.30, False, "eu.eow.glass_cullet",
              "batch materials ~80-140 EUR/t; cullet ~40-80 EUR/t; ~0.3 t CO2/t incl. melting "
              "energy"),
    "wood_biomass": ("Wood waste and agro-biomass (sawdust, sunflower husk)",
                     "coal/lignite fuel for heat and power", 100.0, 40.0, 1.2, False,
                     "eu.eow.fertilisers",
                     "imported hard coal ~80-120 EUR/t; sawdust/husk ~30-60 EUR/t; ~15 GJ/t "
                     "replacing coal at ~0.095 t CO2/GJ, less handling losses -> ~1.2 t CO2/t; "
                     "EU criteria: compost/digestate from plant residues under Regulation "
                     "2019/1009 (fertilising products)"),
    "sludge": ("Sewage and industrial sludge (dewatered)", "lignite or coal (kiln/TPP fuel when "
               "dried)", 30.0, 0.0, 0.2, False, None,
               "lignite ~20-35 EUR/t; sludge has no positive market value today; dewatered "
               "sludge (~25% dry solids) replaces ~0.2 t CO2 of fossil fuel per t; no EU "
               "criteria: Regulation 2019/1009 excludes sewage sludge from compost and digestate "
               "categories (only ashes/precipitated salts qualify)"),
    "textiles": ("Waste textiles", "virgin fibre (cotton, polyester)", 1500.0, 150.0, 2.0,
                 False, None, "virgin fibre ~1,200-1,800 EUR/t; sorted used textiles ~100-300 "
                 "EUR/t; ~2 t CO2/t for fibre-to-fibre or insulation use"),
    "tyres": ("End-of-life tyres", "coal (kiln fuel) or virgin rubber", 120.0, 20.0, 0.6, False,
              None, "coal ~80-120 EUR/t, virgin rubber far higher; ELT often carry a gate fee, "
              "granulate ~50-150 EUR/t; as kiln fuel (~28 GJ/t, ~25% biogenic) ~0.6 t CO2/t net"),
    "e_waste": ("Waste electrical and electronic equipment", "primary metals (steel, copper, "
                "aluminium, precious metals)", 1500.0, 300.0, 1.5, True, None,
                "weighted primary-metal value of WEEE fractions ~1,000-2,000 EUR/t; collected "
                "WEEE trades at ~100-500 EUR/t; hazardous (mirror entries: CFCs, batteries, CRT "
                "glass). Copper-scrap EoW criteria (Regulation 715/2013, seed 001) apply to the "
                "copper fraction only: the model has no separate copper material"),
    # treated products (sim/data/treatment.csv makes them from the streams above)
    "recycled_aggregate": ("Recycled aggregate (crushed, screened C&D waste)",
                           "natural aggregate (sand, gravel, crushed stone)", 12.0, 9.0, 0.01,
                           False, None, "quarried aggregate ~8-15 EUR/t; certified recycled "
                           "aggregate sells a few EUR/t below it; small CO2 saving from avoided "
                           "quarrying and haul"),
    "glass_cullet": ("Furnace-ready glass cullet (sorted, cleaned, colour-separated)",
                     "glass batch (silica sand, soda ash, limestone)", 110.0, 80.0, 0.30, False,
                     "eu.eow.glass_cullet", "batch materials ~80-140 EUR/t; processed cullet "
                     "trades near the top of the cullet range; ~0.3 t CO2/t incl. melting "
                     "energy"),
    "regranulate": ("Plastic flakes and regranulate (washed, extruded)", "virgin polymer "
                    "(PET/PE/PP)", 1200.0, 700.0, 1.5, False, None,
                    "virgin PET/PE ~1,000-1,400 EUR/t; rPET flakes and PE/PP regranulate "
                    "~500-900 EUR/t; ~1.5 t CO2 avoided per t mechanically recycled"),
    "rubber_granulate": ("Rubber granulate and powder from end-of-life tyres",
                         "virgin rubber / EPDM granulate", 400.0, 150.0, 0.6, False, None,
                         "EPDM and virgin rubber granulate ~300-1,000 EUR/t; tyre granulate "
                         "~50-250 EUR/t; CO2 as for tyres"),
    "sorted_textiles": ("Sorted used textiles (reuse grades, wipers, recycling fibre)",
                        "virgin fibre (cotton, polyester)", 1500.0, 350.0, 2.0, False, None,
                        "sorted used clothing and wipers ~200-600 EUR/t; ~2 t CO2/t for reuse "
                        "and fibre recycling"),
}


def build_materials(facts):
    rows = []
    for m in MATERIALS:
        label, sub, vp, uv, co2, haz, eow_key, basis = MATERIAL_SPEC[m]
        crit = ""
        src = PK
        if eow_key:
            crit = re.search(r"(\d{3,4}/\d{4})", str(facts[eow_key]["value"])).group(1)
            src = f"{PK}; eu_eow_criteria: {src_of(facts[eow_key])}"
        if m == "e_waste":
            src = f"{PK}; copper-scrap note: {src_of(facts['eu.eow.copper_scrap'])}"
        epr = m in EPR_STREAMS
        if epr:
            src += f"; epr_stream: {SEED001} (epr.recommendation, epr.eu_textiles_deadline)"
        rows.append(dict(
            material=m, label=label, virgin_substitute=sub, virgin_price_eur_t=vp,
            unit_value_eur_t=uv, co2_avoided_t_per_t=co2, hazardous=haz, eu_eow_criteria=crit,
            epr_stream=epr, source=src,
            assumption=("virgin_price_eur_t, unit_value_eur_t, co2_avoided_t_per_t, hazardous: "
                        f"approximate market and emission factors (public knowledge): {basis}")))
    return rows


# --------------------------------------------------------------------------------------------
# sites
# --------------------------------------------------------------------------------------------
EU_MARKETS = [
    # id, name, economy, lat, lon, basis
    ("HR_EU_SISAK", "EU market: Sisak-Zagreb industrial area (Croatia)", "HR", 45.466, 16.378,
     "steel (Sisak tube works), paper and recycling industry of the Zagreb region"),
    ("HU_EU_DUNAUJVAROS", "EU market: Dunaújváros industrial area (Hungary)", "HU", 46.962,
     18.935, "integrated steelworks and containerboard mill on the Danube"),
    ("RO_EU_TIMISOARA", "EU market: Timișoara industrial area (Romania)", "RO", 45.754, 21.226,
     "main industrial and recycling hub of western Romania"),
    ("BG_EU_SOFIA", "EU market: Sofia industrial area (Bulgaria)", "BG", 42.698, 23.322,
     "largest Bulgarian industrial and recycling market"),
    ("GR_EU_THESSALONIKI", "EU market: Sindos-Thessaloniki industrial area (Greece)", "GR",
     40.671, 22.804, "Sindos industrial zone (steel, paper, recycling) next to the port"),
]


def build_sites(shared):
    rows = []
    with (shared / "data" / "sites.csv").open(encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    dropped = []
    for r in raw:
        e = r["economy"]
        if e not in WB6 and not (r["kind"] == "port" and e in ("HR", "GR")):
            dropped.append(r["site_id"])
            continue
        assumption = ""
        if r["coord_quality"].startswith("rough"):
            assumption = "lat, lon: rough placement in the fact base (>0.1 deg possible)"
        rows.append(dict(site_id=r["site_id"], name=r["name"], economy=e, kind=r["kind"],
                         lat=float(r["lat"]), lon=float(r["lon"]),
                         coord_quality=r["coord_quality"], source=r["source"],
                         assumption=assumption))
    for sid, name, e, lat, lon, basis in EU_MARKETS:
        rows.append(dict(site_id=sid, name=name, economy=e, kind="eu_market", lat=lat, lon=lon,
                         coord_quality="approx (~0.05 deg)", source=PK,
                         assumption=("node: representative EU destination market placed at a "
                                     f"plausible industrial destination ({basis})")))
    return rows, raw, dropped


# --------------------------------------------------------------------------------------------
# borders
# --------------------------------------------------------------------------------------------
MAJOR_CROSSINGS = {  # kt/month, motorway or corridor crossings with heavy freight
    "BX23_RS_HR": 400, "BX24_RS_HU": 400, "BX08_RS_MK": 350, "BX36_MK_GR": 300,
    "BX28_RS_BG": 250, "BX31_BA_HR": 250, "BX01_RS_BA": 200, "BX21_MK_XK": 200,
    "BX19_AL_XK": 200, "BX20_AL_MK": 150, "BX09_RS_XK": 150, "BX29_BA_HR": 150,
    "BX32_BA_HR": 150, "BX34_BA_HR": 150,
}
MEDIUM_CROSSINGS = {  # kt/month
    "BX25_RS_HU": 120, "BX06_RS_ME": 100, "BX38_MK_BG": 100, "BX39_AL_GR": 100,
    "BX16_ME_AL": 100, "BX02_RS_BA": 80, "BX04_RS_BA": 80, "BX26_RS_RO": 80, "BX30_BA_HR": 80,
    "BX35_ME_HR": 80, "BX37_MK_GR": 80, "BX40_AL_GR": 80, "BX10_RS_XK": 60, "BX05_RS_BA": 60,
    "BX33_BA_HR": 60, "BX11_RS_XK": 50,
}
MINOR_DEFAULT = 30  # kt/month


def build_borders(shared):
    rows = []
    with (shared / "data" / "borders.csv").open(encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    for r in raw:
        cid = r["crossing_id"]
        a, b = r["economy_a"], r["economy_b"]
        if cid in MAJOR_CROSSINGS:
            cap, cls = MAJOR_CROSSINGS[cid], "main motorway/corridor crossing (150-400 kt/month)"
        elif cid in MEDIUM_CROSSINGS:
            cap, cls = MEDIUM_CROSSINGS[cid], "secondary freight crossing (50-120 kt/month)"
        else:
            cap, cls = MINOR_DEFAULT, "minor crossing (20-80 kt/month)"
        if "XK" in (a, b) and "RS" in (a, b):
            insp, ib = 0.25, ("RS regards RS-XK crossings as administrative crossing points; "
                              "stricter checks assumed")
        elif a in EU or b in EU:
            insp, ib = 0.10, "external EU border: risk-based customs control"
        else:
            insp, ib = 0.15, "CEFTA internal crossing with limited risk-based control"
        notes = "; ".join(x for x in (r["route"], r["notes"]) if x)
        rows.append(dict(
            crossing_id=cid, name=r["name"], economy_a=a, economy_b=b, lat=float(r["lat"]),
            lon=float(r["lon"]), capacity_t_month=float(cap * 1000), inspection_rate=insp,
            source=r["source"],
            assumption=(f"capacity_t_month: {cls} [{notes}]; inspection_rate: {ib}; "
                        f"coordinates {r['coord_quality']}, confidence {r['confidence']}")))
    return rows


# --------------------------------------------------------------------------------------------
# links
# --------------------------------------------------------------------------------------------
RAIL_LINKS = [
    ("RS_SM_BOR", "RS_PO_PRAHOVO", "Bor-Zaječar-Prahovo railway (Bor copper/acid traffic to the "
     "Danube)"),
    ("BA_MT_PRIJEDOR", "BA_ST_ZENICA", "iron ore from Prijedor (Omarska) to Zenica by rail via "
     "Banja Luka and Doboj"),
    ("ME_PO_BAR", "ME_AL_KAP", "Bar-Podgorica section of the Belgrade-Bar railway serving KAP"),
    ("RS_ST_SMEDEREVO", "RS_PO_SMEDEREVO", "steelworks rail siding to the Danube port"),
]


def build_links(sites, borders):
    nodes = {}
    for s in sites:
        nodes[s["site_id"]] = (s["lat"], s["lon"], {s["economy"]}, "site")
    for c in borders:
        nodes[c["crossing_id"]] = (c["lat"], c["lon"], {c["economy_a"], c["economy_b"]},
                                   "crossing")

    def dist(u, v):
        return haversine_km(nodes[u][0], nodes[u][1], nodes[v][0], nodes[v][1])

    edges = {}  # frozenset -> (u, v, reason)

    def add(u, v, reason):
        key = frozenset((u, v))
        if u != v and key not in edges:
            edges[key] = (u, v, reason)

    # Roads within each economy: the Gabriel graph of its sites (u-v is a link unless another
    # site lies inside the circle on u-v as diameter). It is planar and connected and keeps
    # paths close to the straight line, as trunk roads do; a k-nearest rule left gaps that sent
    # domestic freight through a neighbour (Obrenovac-Beocin via Bosnia). Crossings hang off
    # that network, so a domestic route never needs to pass a border post.
    sites_by_econ = {e: [s["site_id"] for s in sites if s["economy"] == e] for e in ECONOMIES}
    for e, members in sites_by_econ.items():
        for i, u in enumerate(members):
            for v in members[i + 1:]:
                d_uv = dist(u, v) ** 2
                if all(dist(u, w) ** 2 + dist(v, w) ** 2 >= d_uv for w in members if w not in (u, v)):
                    add(u, v, f"Gabriel graph of the sites of {e}")
    for c in borders:
        u = c["crossing_id"]
        for e in (c["economy_a"], c["economy_b"]):
            for v in sorted(sites_by_econ[e], key=lambda n: (dist(u, n), n))[:CROSSING_LINKS]:
                add(u, v, f"crossing to the {CROSSING_LINKS} nearest sites in {e}")

    root = {n: n for n in nodes}

    def find(n):
        while root[n] != n:
            root[n] = root[root[n]]
            n = root[n]
        return n

    for u, v, _ in edges.values():
        root[find(u)] = find(v)
    parts = {find(n) for n in nodes}
    if len(parts) != 1:
        raise AssertionError(f"road graph has {len(parts)} components")

    rows = []
    for key, (u, v, reason) in sorted(edges.items(), key=lambda kv: sorted(kv[0])):
        a, b = sorted((u, v))
        d = max(MIN_LINK_KM, dist(a, b) * DETOUR_ROAD)
        rows.append(dict(from_node=a, to_node=b, mode="road", distance_km=round(d, 1),
                         source=PK,
                         assumption=(f"distance_km: great-circle distance between node "
                                     f"coordinates x {DETOUR_ROAD} road detour factor (minimum "
                                     f"{MIN_LINK_KM:g} km); link chosen by rule: {reason}")))
    for u, v, basis in RAIL_LINKS:
        a, b = sorted((u, v))
        d = max(MIN_LINK_KM, dist(a, b) * DETOUR_RAIL)
        rows.append(dict(from_node=a, to_node=b, mode="rail", distance_km=round(d, 1),
                         source=PK,
                         assumption=(f"distance_km: great-circle distance x {DETOUR_RAIL} rail "
                                     f"detour factor; well-known line: {basis}")))
    return rows


# --------------------------------------------------------------------------------------------
# firms and streams
# --------------------------------------------------------------------------------------------
SECTOR_BY_KIND = {"power_plant": "power", "steelworks": "steel", "cement": "cement",
                  "aluminium": "metallurgy", "smelter": "metallurgy",
                  "mine_tailings": "mining_legacy", "mine": "mining_legacy",
                  "recycler": "recycler", "glass": "glass", "paper_mill": "paper",
                  "chemical": "chemical", "eu_market": "eu_buyer"}
SKIP_FIRM = {"BA_AL_MOSTAR": "closed smelter (2019) without a stock in the fact base"}

FLY_SHARE = 0.8
Q_FLY, Q_BOTTOM = 0.6, 0.5

# Commissioning year (public knowledge / fact-base figure notes) for ash-stock assumption of
# plants outside Serbia (the Serbian deposits are given as one sourced total).
ASH_STOCK_START = {"BA_PP_TUZLA": 1970, "BA_PP_KAKANJ": 1975, "BA_PP_UGLJEVIK": 1985,
                   "BA_PP_GACKO": 1983, "BA_PP_STANARI": 2016, "ME_PP_PLJEVLJA": 1982,
                   "MK_PP_BITOLA": 1984, "MK_PP_OSLOMEJ": 1980, "XK_PP_KOSOVO_A": 1970,
                   "XK_PP_KOSOVO_B": 1984}
ASH_STOCK_YEAR = 2025
ASH_STOCK_FACTOR = 0.5

# Serbian TPP ash on deposits (supplementary rs.deposited_waste_2005), split by coal MW
TENT_MW = 1651 + 1240
KOSTOLAC_MW = 310 + 700  # B3 (2024) has not yet contributed to the deposits

# --- tailings, slag and red mud stocks (t). The seed total is 344 Mt ----------------------
SEED_TOTAL_MT = 344.0
BOR_MT = 80.0
# sourced stocks
SASA_DENSITY = 1.6  # t/m3, dry density of deposited tailings (assumption)
# allocated stocks (Mt) for deposits with no tonnage anywhere: see assumption text
ALLOCATED_STOCKS = {
    # site_id: (material, Mt, basis)
    "XK_MT_GORNJE_POLJE_III": ("tailings", 20.0, "largest Trepča flotation tailings dam"),
    "XK_MT_ZITKOVAC": ("tailings", 12.0, "Trepča flotation tailings (Zvečan/Žitkovac)"),
    "XK_MT_KISHNICA": ("tailings", 8.0, "several dozen ha of Kišnica/Novo Brdo tailings"),
    "XK_MT_TREPCA_STARI_TRG": ("tailings", 4.0, "current Stari Trg flotation tailings"),
    "XK_SM_ZVECAN": ("slag", 2.0, "historic lead-smelter slag heaps (1939-2000)"),
    "XK_SM_FERRONIKELI": ("slag", 8.0, "ferronickel slag, ~0.3 Mt/yr over ~30 yr"),
    "MK_MT_BUCHIM": ("tailings", 40.0, "open-pit Cu mine tailings since 1979"),
    "MK_SM_FENI": ("slag", 10.0, "ferronickel slag since 1982"),
    "MK_SM_JUGOHROM": ("slag", 2.0, "ferroalloy slag"),
    "AL_MT_RUBIK": ("slag", 6.0, "Mirdita copper smelter slag and tailings"),
    "AL_MT_FUSHE_ARREZ": ("tailings", 6.0, "northern copper-belt flotation tailings"),
    "AL_MT_BULQIZE": ("tailings", 8.0, "chromite dressing tailings; 13.1 Mt ore mined"),
    "AL_SM_ALBCHROME_ELBASAN": ("slag", 2.0, "ferrochrome slag"),
    "AL_SM_ALBCHROME_BURREL": ("slag", 1.0, "ferrochrome slag"),
    "AL_ST_KURUM": ("slag", 0.5, "EAF slag dumps (2015 illegal slag dumping case)"),
    "RS_MT_RUDNIK": ("tailings", 5.0, "Pb-Zn-Cu flotation tailings"),
    "RS_MT_VELIKI_MAJDAN": ("tailings", 1.0, "small Pb-Zn mine (~51 kt ore/yr)"),
    "RS_MT_LECE": ("tailings", 3.0, "nine small tailings ponds"),
    "RS_ST_SMEDEREVO": ("slag", 3.0, "BF/BOF slag dump"),
    "BA_ST_ZENICA": ("slag", 5.0, "BF/BOF slag dumps of the integrated works"),
    "BA_MT_PRIJEDOR": ("tailings", 3.0, "iron-ore dressing tailings"),
    "ME_MT_BRSKOVO": ("tailings", 1.5, "legacy Pb-Zn tailings near the Tara"),
}
BALANCING_SITE = "RS_MT_MAJDANPEK"  # receives the remainder so the total equals 344 Mt
RED_MUD_STOCKS = {
    # site_id: (Mt, basis)
    "BA_RM_BIRAC_ZVORNIK": (25.0, "~50 years of Bayer refining at Birač (0.3-0.6 Mt alumina/yr)"
                            " x ~1 t red mud per t alumina"),
    "ME_RM_PODGORICA": (7.5, "KAP alumina refinery (200-280 kt/yr, 1972-2009) x ~1 t/t, less "
                        "losses"),
    "BA_RM_DOBRO_SELO": (3.0, "Mostar alumina refinery, ~10 years of operation before 1992"),
}


def build_firms(sites, shared, facts, supp, raw_sites):
    raw_by_id = {r["site_id"]: r for r in raw_sites}
    cities = list(csv.DictReader((shared / "data" / "cities.csv").open(encoding="utf-8")))
    firms, streams = [], []

    def firm(fid, site, sector, name, source, assumption=""):
        firms.append(dict(firm_id=fid, site_id=site, sector=sector, name=name, source=source,
                          assumption=assumption))

    def stream(fid, mat, role, tonnes, quality, source, assumption):
        streams.append(dict(firm_id=fid, material=mat, role=role, tonnes=float(round(tonnes, 1)),
                            quality=quality, source=source, assumption=assumption))

    # ---------------- industrial sites -------------------------------------------------
    eps = supp["rs.eps.ash_slag_generation"]
    dep = supp["rs.deposited_waste_2005"]
    serbia_ash_t = dep["value"]["tpp_ash_on_deposits_Mt"] * MT
    cement_caps = supp["cement.capacities"]["value"]
    for s in sites:
        sid, kind = s["site_id"], s["kind"]
        if kind not in SECTOR_BY_KIND or sid in SKIP_FIRM or kind == "eu_market":
            continue
        raw = raw_by_id[sid]
        fid = "F_" + sid
        sector = SECTOR_BY_KIND[kind]
        firm(fid, sid, sector, raw["name"], raw["source"].split(";")[0].strip(),
             "" if kind != "mine" else "sector: active iron-ore mine treated as mining_legacy "
             "(holds tailings)")

        if kind == "power_plant":
            total = mid_range(raw["estimate"], prefer_last=(sid == "RS_PP_KOSTOLAC_B"))
            basis = (f"tonnes: midpoint of the fact-base estimate '{raw['estimate']}' "
                     f"({raw['estimate_basis'][:60]}...)"
                     f"{' incl. unit B3 (2024)' if sid == 'RS_PP_KOSTOLAC_B' else ''}; "
                     "split ash+slag into fly ash 80% / bottom ash and boiler slag 20% "
                     "(typical pulverised-lignite boilers); quality assumed")
            src = eps["source"]
            stream(fid, "fly_ash", "generates", total * FLY_SHARE, Q_FLY, src, basis)
            stream(fid, "bottom_ash", "generates", total * (1 - FLY_SHARE), Q_BOTTOM, src, basis)
            if sid in ASH_STOCK_START:
                yrs = ASH_STOCK_YEAR - ASH_STOCK_START[sid]
                stock = total * yrs * ASH_STOCK_FACTOR
                stream(fid, "fly_ash", "stock", stock, 0.45, src,
                       f"tonnes: ash landfill = current generation x {yrs} years since "
                       f"~{ASH_STOCK_START[sid]} x {ASH_STOCK_FACTOR} (lower past output, "
                       "erosion and cover); order of magnitude only, no measured stock found; "
                       "mixed fly and bottom ash recorded as fly_ash; quality assumed")
        elif kind == "steelworks":
            if sid == "RS_ST_SMEDEREVO":
                slag = mid_range(raw["estimate"])
                scrap = supp["rs.hbis_smederevo"]["value"]["slab_2023_Mt"] * MT * 0.15
                src = supp["rs.hbis_smederevo"]["source"].split(";")[0]
                a = ("slag: fact-base estimate midpoint (BF+BOF slag at ~1.1 Mt steel); "
                     "steel_scrap: 15% scrap in the BOF charge x 1.1 Mt slab (2023)")
                q_scrap = 0.7
            elif sid == "BA_ST_ZENICA":
                lo, hi = supp["ba.zenica"]["value"]["capacity_Mt_range"]
                steel = 0.8 * MT
                slag, scrap = steel * 0.4, steel * 0.2
                src = supp["ba.zenica"]["source"].split(";")[0]
                a = (f"no recent production figure (capacity {lo}-{hi} Mt/yr): assumed 0.8 Mt "
                     "steel/yr; slag 0.4 t/t (BF+BOF); scrap 20% of charge")
                q_scrap = 0.7
            elif sid == "MK_ST_MAKSTIL":
                prod = supp["mk.makstil"]["value"]["production_kt"]["2023"] * 1000.0
                slag, scrap = mid_range(raw["estimate"]), prod * 1.1
                src = supp["mk.makstil"]["source"]
                a = ("slag: fact-base estimate midpoint; steel_scrap: 1.1 t scrap per t EAF steel "
                     "x 2023 output (296 kt)")
                q_scrap = 0.6
            elif sid == "RS_ST_METALFER":
                slag = mid_range(raw["estimate"])
                scrap = supp["rs.metalfer"]["value"]["rebar_sales_kt"] * 1000.0 * 1.1
                src = supp["rs.metalfer"]["source"].split(";")[0]
                a = ("slag: fact-base estimate midpoint; steel_scrap: 1.1 t scrap per t EAF "
                     "steel x ~400 kt rebar sales")
                q_scrap = 0.6
            elif sid == "AL_ST_KURUM":
                slag, scrap = 0.0, 0.0
                src = supp["al.kurum"]["source"].split(";")[0]
                a = ("steel production suspended since 2024: no flow; new 1 Mt/yr plant "
                     "contracted Dec 2025 (not in the default scenario)")
                q_scrap = 0.6
            else:  # ME_ST_NIKSIC
                slag, scrap = 6000.0, 55000.0
                src = raw["source"].split(";")[0]
                a = ("status and capacity not verified: assumed ~50 kt/yr EAF steel, 0.12 t "
                     "slag and 1.1 t scrap per t")
                q_scrap = 0.6
            stream(fid, "slag", "generates", slag, 0.6, src, a + "; quality assumed")
            stream(fid, "steel_scrap", "absorbs", scrap, q_scrap, src, a + "; min quality assumed")
        elif kind == "cement":
            cap, capsrc = CEMENT_CAPACITY(sid, cement_caps)
            for mat, per_mt, q in CEMENT_USE:
                t = cap * per_mt
                if sid == "RS_CE_OBRENOVAC_PLANNED":
                    t = 0.0
                stream(fid, mat, "absorbs", t, q, raw["source"].split(";")[0].strip(),
                       f"tonnes: {capsrc}; absorption of {mat} {per_mt:g} t per t cement "
                       "(clinker substitution up to ~15% ash/10% slag, alternative fuels "
                       "~20-30% thermal substitution split between tyres, RDF, sludge and "
                       "biomass); min quality assumed")
        elif kind == "glass":
            g = supp["rs.recycling.glass_sfs"]
            stream(fid, "glass_cullet", "absorbs", g["value"]["cullet_recycling_t_per_day"] * 365.0,
                   0.7, g["source"], "tonnes: 200 t cullet/day x 365 days; furnace-ready cullet "
                   "(processed glass); min quality assumed")
        elif kind == "paper_mill":
            p = supp["rs.recycling.paper_umka"]
            stream(fid, "paper", "absorbs", p["value"]["waste_paper_processing_t"], 0.5,
                   p["source"], "min quality assumed")
        elif kind == "recycler":
            if sid == "RS_RE_ERECIKLAZA":
                w = supp["rs.recycling.weee"]
                cap = float(w["value"]["E-Reciklaza_capacity_t"])
                done = float(w["value"]["recycled_one_year_t"])
                src = w["source"].split(";")[0]
                stream(fid, "e_waste", "absorbs", cap, 0.3, src, "min quality assumed")
                stream(fid, "steel_scrap", "generates", done * 0.45, 0.7, src,
                       "tonnes: 45% ferrous fraction of 14 kt WEEE treated (typical WEEE "
                       "composition); quality assumed")
                stream(fid, "plastics", "generates", done * 0.2, 0.4, src,
                       "tonnes: 20% plastics fraction of 14 kt WEEE treated; quality assumed")
            elif sid == "RS_RE_ECO_RECYCLING":
                t = supp["rs.recycling.tyres"]
                cap = float(t["value"]["Eco_Recycling_capacity_t"])
                src = "https://danube-goes-circular.eu/?q=node/2500"
                # its steel wire and granulate are made from the tyres it takes in (treatment.csv)
                stream(fid, "tyres", "absorbs", cap, 0.3, src, "min quality assumed")
            elif sid == "RS_RE_GREENTECH":
                p = supp["rs.recycling.pet_greentech"]
                stream(fid, "plastics", "absorbs", float(p["value"]), 0.6, p["source"],
                       "min quality assumed (PET bottles)")
            else:  # MK_RE_GREENTECH_SKOPJE
                stream(fid, "plastics", "absorbs", 5000.0, 0.3, raw["source"],
                       "tonnes: sorting capacity not published; assumed half of the Mladenovo "
                       "plant it feeds (10 kt/yr); min quality assumed")
        elif kind == "chemical":
            stream(fid, "fly_ash", "absorbs", 100000.0, 0.5, supp["rs.eps.ash_contracts_2025"]
                   ["source"].split(";")[0],
                   "tonnes: Elixir Group is Lafarge's partner in the 2025 TENT B ash contract "
                   "(20 Mt over ~10 yr); its own use assumed 100 kt/yr; min quality assumed")
        elif kind == "aluminium":
            if sid == "BA_AL_BIRAC":
                stream(fid, "red_mud", "generates", 300000.0, 0.3, SEED000,
                       "tonnes: ~300 kt alumina/yr x ~1 t red mud per t alumina (public "
                       "knowledge of Bayer refining); quality assumed")
            else:  # ME_AL_KAP
                stream(fid, "slag", "generates", 2000.0, 0.3, supp["me.kap"]["source"]
                       .split(";")[0], "tonnes: aluminium dross/skimmings ~5% of ~40 kt/yr "
                       "Uniprom output, recorded as slag; quality assumed")
        elif kind == "smelter":
            flows = {"RS_SM_BOR": (500000.0, "~2.2 t slag per t copper x ~0.2 Mt Cu/yr"),
                     "AL_SM_ALBCHROME_ELBASAN": (50000.0, "~1.2 t slag per t ferrochrome x "
                                                 "~40 kt/yr"),
                     "AL_SM_ALBCHROME_BURREL": (20000.0, "~1.2 t slag per t ferrochrome x "
                                                "~15 kt/yr")}
            if sid in flows:
                t, b = flows[sid]
                stream(fid, "slag", "generates", t, 0.4, raw["source"].split(";")[0].strip(),
                       f"tonnes: {b} (assumed); quality assumed")
        elif kind in ("mine_tailings", "mine"):
            flows = {"RS_MT_MAJDANPEK": 8.0e6, "MK_MT_BUCHIM": 4.0e6, "MK_MT_SASA": 0.8e6,
                     "RS_MT_RUDNIK": 0.2e6, "RS_MT_VELIKI_MAJDAN": 0.05e6, "RS_MT_LECE": 0.1e6,
                     "XK_MT_TREPCA_STARI_TRG": 0.2e6, "BA_MT_PRIJEDOR": 1.0e6}
            if sid in flows:
                stream(fid, "tailings", "generates", flows[sid], 0.2,
                       raw["source"].split(";")[0].strip(),
                       "tonnes: ore milled per year minus concentrate, from typical output of "
                       "the operating mine (assumed); quality assumed")

    # ---------------- deposits (stocks) --------------------------------------------------
    def fid_of(sid):
        return "F_" + sid

    # Serbian TPP ash deposits (not part of the 344 Mt)
    share_tent = TENT_MW / (TENT_MW + KOSTOLAC_MW)
    for sid, share in (("RS_ASH_TENT", share_tent), ("RS_ASH_KOSTOLAC", 1 - share_tent)):
        stream(fid_of(sid), "fly_ash", "stock", serbia_ash_t * share, 0.45, dep["source"],
               f"tonnes: Serbia-wide ~170 Mt TPP ash on deposits (2005) split by coal capacity "
               f"TENT {TENT_MW} MW / Kostolac {KOSTOLAC_MW} MW (share {share:.3f}); Kolubara and "
               "Morava deposits folded in; mixed fly and bottom ash recorded as fly_ash; "
               "quality assumed")

    # Bor: 80 Mt tailings and slag (seed)
    bor = facts["rs.bor.tailings_slag_mass"]
    bor_t = bor["value"] * MT
    stream(fid_of("RS_MT_BOR"), "tailings", "stock", bor_t * 0.9, 0.3, src_of(bor),
           "split: 90% flotation tailings / 10% smelter slag of the seed's 80 Mt (assumed); "
           "quality assumed")
    stream(fid_of("RS_MT_BOR"), "slag", "stock", bor_t * 0.1, 0.3, src_of(bor),
           "split: 90% flotation tailings / 10% smelter slag of the seed's 80 Mt (assumed); "
           "quality assumed")

    # Leposavić (sourced), Sasa (volumes sourced, density assumed), Veles slag
    lep = supp["xk.leposavic_tailings"]
    lep_t = (lep["value"]["Gornji_Krnjin_Mt"] + lep["value"]["Bostaliste_Mt"]) * MT
    stream(fid_of("XK_MT_LEPOSAVIC"), "tailings", "stock", lep_t, 0.3, lep["source"],
           "quality assumed")
    sasa = supp["mk.sasa.tsf_volumes"]
    sasa_t = sasa["value"]["total_Mm3"] * SASA_DENSITY * MT
    stream(fid_of("MK_MT_SASA"), "tailings", "stock", sasa_t, 0.3, sasa["source"],
           f"tonnes: 16.3 Mm3 stored x {SASA_DENSITY} t/m3 assumed dry density of deposited "
           "tailings; quality assumed")
    veles = supp["mk.veles_slag"]
    veles_t = veles["value"]["total_t_ambiguous"] / (veles["value"]["Zn_avg_pct"] / 100.0)
    stream(fid_of("MK_SM_VELES"), "slag", "stock", veles_t, 0.4, veles["source"],
           "tonnes: the source's 'about 120,000 t' read as contained zinc; slag mass = 120 kt / "
           "9.6% Zn (the alternative reading, 120 kt of slag, is 10x smaller); quality assumed")

    # red mud (part of the 344 Mt: bauxite residue is the tailings of alumina refining)
    for sid, (mt, basis) in RED_MUD_STOCKS.items():
        stream(fid_of(sid), "red_mud", "stock", mt * MT, 0.4, SEED000,
               f"tonnes: no tonnage in the seeds or elsewhere; assumed {basis}; counted in the "
               "seed's 344 Mt of tailings and slag; quality assumed")

    # allocated deposits
    fixed = BOR_MT * MT + lep_t + sasa_t + veles_t + sum(v[0] for v in RED_MUD_STOCKS.values()
                                                         ) * MT
    fixed += sum(v[1] for v in ALLOCATED_STOCKS.values()) * MT
    total_src = src_of(facts["wb6.tailings_slag.total_mass"])
    for sid, (mat, mt, basis) in ALLOCATED_STOCKS.items():
        stream(fid_of(sid), mat, "stock", mt * MT, 0.3, total_src,
               f"tonnes: no published tonnage; {mt:g} Mt allocated from the seed's 344 Mt WB6 "
               f"total by assumed deposit size ({basis}); quality assumed")
    balance = SEED_TOTAL_MT * MT - fixed
    if balance <= 0:
        raise AssertionError("allocated stocks exceed the seed total")
    stream(fid_of(BALANCING_SITE), "tailings", "stock", balance, 0.3, total_src,
           f"tonnes: balancing item ({balance / MT:.2f} Mt) so that WB6 tailings + slag + red "
           "mud stocks equal the seed's 344 Mt; Majdanpek is the largest deposit without a "
           "published tonnage; quality assumed")

    # ---------------- cities: municipal, construction, food_wood -------------------------
    city_pop = {}
    for c in cities:
        # match city row to site by economy and nearest coordinates
        best = min((s for s in sites if s["kind"] == "city" and s["economy"] == c["economy"]),
                   key=lambda s: haversine_km(s["lat"], s["lon"], float(c["lat"]),
                                              float(c["lon"])))
        city_pop[best["site_id"]] = (int(c["population"]), c["population_source"],
                                     c["is_capital"] == "True", c["city"])
    tyre_fact = supp["rs.recycling.tyres"]
    lo, hi = tyre_fact["value"]["generated_estimates_t"]
    tyre_kg_cap = (lo + hi) / 2 / supp["census.RS"]["value"] * 1000.0
    per_cap = {  # kg per capita per year, quality
        "cd_waste": (400.0, 0.4, "C&D waste ~0.4 t/cap/yr excluding soil (about half the EU "
                     "level; mostly landfilled per seed 001)"),
        "plastics": (42.0, 0.4, "12% of ~350 kg/cap/yr municipal waste"),
        "paper": (42.0, 0.5, "12% of ~350 kg/cap/yr municipal waste"),
        "glass": (14.0, 0.5, "4% of ~350 kg/cap/yr municipal waste"),
        "textiles": (14.0, 0.3, "4% of ~350 kg/cap/yr municipal waste"),
        "wood_biomass": (10.0, 0.5, "garden and wood waste ~3% of ~350 kg/cap/yr"),
        "e_waste": (6.0, 0.5, "WEEE ~6 kg/cap/yr (about half the EU level)"),
        "sludge": (15.0, 0.3, "dewatered sewage sludge ~15 kg/cap/yr (low WWTP coverage, "
                   "rising with new EU-supported WWTPs per seed 001)"),
        "tyres": (round(tyre_kg_cap, 2), 0.6, f"Serbian ELT generation estimates {lo}-{hi} t/yr "
                  "over the 2022 census population"),
    }
    food_wood = {
        "RS_CITY_NOVI_SAD": (5000.0, "sunflower husk from Vojvodina oil mills",
                             "capacity.sunflower_husk"),
        "RS_CITY_SUBOTICA": (5000.0, "sunflower husk from northern Vojvodina oil mills",
                             "capacity.sunflower_husk"),
        "BA_CITY_BANJA_LUKA": (30000.0, "sawdust and waste wood of the Krajina wood industry",
                               "capacity.biomass.cross_border"),
        "BA_CITY_BIJELJINA": (20000.0, "waste wood from eastern BA sawmills (cross-border "
                              "supply to RS)", "capacity.biomass.cross_border"),
        "ME_CITY_NIKSIC": (10000.0, "sawdust from northern Montenegro sawmills",
                           "capacity.biomass.cross_border"),
        "AL_CITY_ELBASAN": (8000.0, "olive and wood processing residues",
                            "capacity.biomass.cross_border"),
    }
    for s in sites:
        if s["kind"] != "city":
            continue
        sid = s["site_id"]
        pop, psrc, capital, cname = city_pop[sid]
        fm = "F_MUN_" + sid.split("_CITY_")[0] + "_" + sid.split("_CITY_")[1]
        firm(fm, sid, "municipal", f"{cname} municipal waste system", psrc,
             "firm: stands for the city's municipal waste and wastewater utilities")
        for mat, (kg, q, basis) in per_cap.items():
            src = psrc if mat != "tyres" else f"{psrc}; {tyre_fact['source'].split(';')[0]}"
            stream(fm, mat, "generates", pop * kg / 1000.0, q, src,
                   f"tonnes: population x {kg:g} kg/cap/yr ({basis}); quality assumed")
        if capital or pop >= 100000:
            fc = "F_CON_" + sid.split("_CITY_")[0] + "_" + sid.split("_CITY_")[1]
            firm(fc, sid, "construction", f"{cname} construction sector", psrc,
                 "firm: stands for the city's builders and road contractors")
            stream(fc, "recycled_aggregate", "absorbs", pop * 0.25, 0.5, psrc,
                   "tonnes: recycled-aggregate demand ~0.25 t/cap/yr (road sub-base, fills; "
                   "seed 001: aggregate-short regions could import recycled aggregate); min "
                   "quality assumed")
            stream(fc, "fly_ash", "absorbs", pop * 0.01, 0.5, psrc,
                   "tonnes: ready-mix concrete addition ~10 kg/cap/yr (seed 001: ash as "
                   "concrete additive); min quality assumed")
        if sid in food_wood:
            t, basis, key = food_wood[sid]
            ff = "F_FW_" + sid.split("_CITY_")[0] + "_" + sid.split("_CITY_")[1]
            firm(ff, sid, "food_wood", f"{cname} food and wood industry", src_of(facts[key]),
                 "firm: aggregate of the region's mills placed at the city node")
            stream(ff, "wood_biomass", "generates", t, 0.6, src_of(facts[key]),
                   f"tonnes: {basis}; the seed gives 'several thousand tons per year' of "
                   "sunflower husk and BA waste wood flowing to RS/MK biomass plants without "
                   "quantities: tonnage assumed; quality assumed")

    # ---------------- scrap collectors and dealers ----------------------------------------
    scrap_kg_cap = SCRAP_COLLECTED_RS_T / census_population(supp, "RS") * 1000.0
    for e in WB6:
        total = (SCRAP_COLLECTED_RS_T if e == "RS"
                 else census_population(supp, e) * scrap_kg_cap / 1000.0)
        basis = ("tonnes: ~450 kt/yr of steel scrap collected in Serbia (2017; about a third "
                 "exported)" if e == "RS" else
                 f"tonnes: no published figure found: Serbia's collection per capita "
                 f"({scrap_kg_cap:.1f} kg/cap/yr, {SCRAP_SOURCE_RS}) x population (assumed)")
        cities_e = [sid for sid, v in city_pop.items() if sid.startswith(e + "_CITY_")]
        city_total = sum(city_pop[sid][0] for sid in cities_e)
        for sid in sorted(cities_e):
            pop, psrc, _, cname = city_pop[sid]
            fs = "F_SCR_" + sid.split("_CITY_")[0] + "_" + sid.split("_CITY_")[1]
            firm(fs, sid, "scrap_dealer", f"{cname} scrap collectors and dealers",
                 SCRAP_SOURCE_RS if e == "RS" else psrc,
                 "firm: licensed scrap yards and their collectors around the city node "
                 "(demolition, end-of-life vehicles, industrial and household scrap)")
            stream(fs, "steel_scrap", "generates", total * pop / city_total, SCRAP_QUALITY,
                   SCRAP_SOURCE_RS if e == "RS" else f"{SCRAP_SOURCE_RS}; {psrc}",
                   f"{basis}; split over the economy's cities in the model by population "
                   f"(this city {pop / city_total:.1%}); quality assumed: sorted and sheared to "
                   "steelworks' grades")

    # ---------------- EU buyers ----------------------------------------------------------
    eu_caps = {"steel_scrap": (1.0e6, 0.7), "paper": (0.5e6, 0.6), "plastics": (0.2e6, 0.6),
               "glass_cullet": (0.2e6, 0.7), "e_waste": (0.05e6, 0.5), "tyres": (0.05e6, 0.5),
               "wood_biomass": (0.5e6, 0.5), "regranulate": (0.05e6, 0.7),
               "rubber_granulate": (0.02e6, 0.6), "sorted_textiles": (0.02e6, 0.6)}
    for sid, name, e, *_ in EU_MARKETS:
        fe = "F_EU_" + e
        firm(fe, sid, "eu_buyer", f"EU buyers in {ECON_NAMES[e]} ({name.split(': ')[1]})", PK,
             "firm: aggregate of the EU steel, paper, plastics, glass, WEEE, tyre and biomass "
             "buyers reachable through this neighbour")
        for mat, (t, q) in eu_caps.items():
            stream(fe, mat, "absorbs", t, q, PK,
                   "tonnes: large aggregate EU demand (assumed, far above WB6 export "
                   "potential); min quality assumed higher than in WB6 (EU buyers' "
                   "specifications)")
    return firms, streams


#: steel scrap collected in Serbia per year (RTS via Balkan Green Energy News, May 2017:
#: "Some 450,000 tons of steel waste is collected in Serbia per year. While one third of the
#: steel is exported, processing plants are working with less than half of their capacity.")
SCRAP_COLLECTED_RS_T = 450000.0
SCRAP_SOURCE_RS = "https://balkangreenenergynews.com/?p=10571"
SCRAP_QUALITY = 0.7


CEMENT_USE = [  # material, t absorbed per t cement, min quality
    ("fly_ash", 0.15, 0.5), ("slag", 0.10, 0.5), ("bottom_ash", 0.02, 0.4),
    ("sludge", 0.007, 0.3), ("tyres", 0.008, 0.3), ("plastics", 0.015, 0.3),
    ("wood_biomass", 0.01, 0.3)]


def CEMENT_CAPACITY(sid, caps):  # noqa: N802 - table-like helper
    known = {"RS_CE_BEOCIN": ("RS_Beocin_Mt", None), "RS_CE_POPOVAC": ("RS_Popovac_cement_Mt",
                                                                       None),
             "AL_CE_ANTEA": ("AL_Antea_Mt", None), "AL_CE_FUSHE_KRUJA": ("AL_Fushe_Kruja_line_Mt",
                                                                         None),
             "MK_CE_USJE": ("MK_Usje_Mt", None), "BA_CE_LUKAVAC": ("BA_Lukavac_Mt_2004", None)}
    if sid in known:
        return caps[known[sid][0]] * MT, f"cement capacity {caps[known[sid][0]]} Mt/yr (fact base)"
    if sid == "BA_CE_KAKANJ":
        return caps["BA_Kakanj_output_2004_kt"] * 1000.0, "cement output 608 kt (2004, fact base)"
    assumed = {"RS_CE_KOSJERIC": 0.8, "XK_CE_SHARRCEM": 0.6, "AL_CE_COLACEM": 0.5,
               "RS_CE_OBRENOVAC_PLANNED": 0.0}
    if sid == "RS_CE_OBRENOVAC_PLANNED":
        return 0.0, ("planned plant (completion end-2027): zero in the default scenario; the "
                     "20 Mt/~10 yr TENT B ash contract implies ~2 Mt/yr of fly ash once built")
    return assumed[sid] * MT, f"capacity not found: assumed {assumed[sid]} Mt cement/yr"


# --------------------------------------------------------------------------------------------
# treatment plants
# --------------------------------------------------------------------------------------------
CAPITALS = ["AL_CITY_TIRANA", "BA_CITY_SARAJEVO", "XK_CITY_PRISHTINA", "ME_CITY_PODGORICA",
            "MK_CITY_SKOPJE", "RS_CITY_BELGRADE"]
TREATMENT_SRC = {
    "tyres": "https://www.bir.org/the-industry/tyres-rubber; Landi et al. 2016, Procedia CIRP, "
             "doi:10.1016/j.procir.2016.03.141",
    "textiles": "https://wasteadvantagemag.com/reusing-and-recycling-textiles/",
}
#: process -> (input, [(product, yield, grade)], cost EUR per t of input, min input grade, basis)
PROCESSES = {
    "cd_crushing": ("cd_waste", [("recycled_aggregate", 0.90, 0.8)], 4.0, 0.3,
                    "yield 0.90: mineral fraction of sorted C&D waste crushed and screened, the "
                    "rest (wood, plastics, gypsum, fines) landfilled; cost ~3-5 EUR/t for "
                    "stationary crushing and screening; grade 0.8: screened aggregate meeting "
                    "road sub-base specifications"),
    "glass_processing": ("glass", [("glass_cullet", 0.90, 0.85)], 15.0, 0.3,
                         "yield 0.90: colour sorting and removal of ceramics, stones, metals and "
                         "labels; cost ~10-20 EUR/t; grade 0.85: furnace-ready cullet "
                         "(Regulation 1179/2012 limits on impurities)"),
    "textile_sorting": ("textiles", [("sorted_textiles", 0.95, 0.75)], 150.0, 0.2,
                        "yield 0.95: of donated textiles about 45% are reused, 30% cut into "
                        "rags, 20% recycled into fibre and 5% unusable (source); cost ~100-200 "
                        "EUR/t of manual sorting; grade assumed"),
    "tyre_processing": ("tyres", [("rubber_granulate", 0.70, 0.8), ("steel_scrap", 0.15, 0.7)],
                        60.0, 0.3,
                        "yields: granulation takes ~70% of ELT sent to material recovery "
                        "(BIR/ETRMA) and steel wire is ~15% of a tyre's weight; the ~10% "
                        "textile fibre (Landi et al.) and dust are residues; cost ~40-80 EUR/t "
                        "of shredding and granulation; grades assumed"),
    "regranulation": ("plastics", [("regranulate", 0.75, 0.85)], 250.0, 0.6,
                      "yield 0.75: washing and extrusion lose labels, caps, moisture and "
                      "contaminants; cost ~200-300 EUR/t; grade assumed"),
}


# ---------------- EU buyers' own demand and price (actor kind eu_buyers) -------------------
#: EU imports of steel scrap from third countries, t/yr (Eurostat via EUWID, 30 Mar 2017: "from
#: 2.8 million tonnes ... in 2015 to 2.7 million tonnes ... last year")
EU_SCRAP_IMPORTS_T = 2.7e6
EU_SCRAP_IMPORTS_SOURCE = ("http://www.euwid-recycling.com/news/business/single/archive/2017/march/Artikel/"
                           "strong-growth-in-eu-ferrous-scrap-exports-in-2016.html")
#: each neighbour's share of the EU's extra-EU imports of iron and steel scrap in 2023
EU_SCRAP_IMPORT_SHARE = {"GR": 0.2506, "BG": 0.0285, "HR": 0.01, "HU": 0.01, "RO": 0.01}
EU_SCRAP_SHARE_SOURCE = "https://www.reportlinker.com/dataset/6e68b47aaf382568c28e0a3bf185a4c70cc74f62"
#: EUR/t German mills paid for E3 scrap delivered, August 2025 ("E3 on average at EUR 300-310/mt DAP")
EU_SCRAP_PRICE_EUR_T = 305.0
EU_SCRAP_PRICE_SOURCE = ("https://www.steelorbis.com/steel-prices/steel-prices-market-analyses/scrap-and-raw-"
                         "materials/summer-break-distorts-local-german-scrap-prices-market-mood-still-negative-"
                         "1406670.htm")


def build_eu_demand():
    rows = []
    for e in EU:
        share = EU_SCRAP_IMPORT_SHARE[e]
        listed = e in ("GR", "BG")
        rows.append(dict(
            firm_id="F_EU_" + e, material="steel_scrap",
            demand_t_month=float(round(EU_SCRAP_IMPORTS_T * share / 12.0, 1)), wtp_eur_t=EU_SCRAP_PRICE_EUR_T,
            ets_pull="true",
            source=f"{EU_SCRAP_IMPORTS_SOURCE}; {EU_SCRAP_SHARE_SOURCE}; {EU_SCRAP_PRICE_SOURCE}",
            assumption=("demand: " + (f"its 2023 share, {share:.2%}," if listed else
                                      "1 % assumed (not among the ten largest importers in 2023; the tenth, "
                                      "Slovenia, held 1.9 %)")
                        + " of the EU's 2.7 Mt/yr of steel scrap imported from third countries (2016; 2023 "
                        "imports were lower), monthly; price: German mills' E3 price taken for the neighbour's "
                        "buyers; ets_pull: steelworks are under the EU ETS, whose free allocation is phased out "
                        "with CBAM")))
    return rows


# ---------------- price rules (the scarcity_prices pilot) -----------------------------------
#: bulk residues traded locally, whose prices move slowly; every other material trades as a commodity
BULK_RESIDUES = ("fly_ash", "bottom_ash", "slag", "red_mud", "tailings", "cd_waste", "sludge",
                 "recycled_aggregate")


def build_price_rules():
    rows = []
    for m in MATERIALS:
        bulk = m in BULK_RESIDUES
        rows.append(dict(
            material=m, elasticity=0.05 if bulk else 0.1, floor_share=1.0, cap_share=1.5, source=PK,
            assumption=("elasticity: a month's price moves by (demand/supply) to this power, "
                        + ("half the commodities' speed for a bulk residue sold under local contracts"
                           if bulk else "a traded secondary commodity (a doubling of demand over supply "
                           "raises the price ~7 % a month)")
                        + "; cap 1.5 x the price the pilot starts from (the wide swings of secondary-"
                        "material prices; buyers never pay above the virgin substitute's price); floor 1: "
                        "buyers' bids are what a tonne is worth to them, which a glut does not lower (it "
                        "lowers what sellers get, which the model does not price)")))
    return rows


def build_treatment(sites, firms, streams):
    """Treatment plants: the Serbian tyre and PET recyclers that exist, and the planned C&D
    crushing (one per city with a construction sector), glass processing and textile sorting
    plants (one per WB6 capital; seed 001: no WB6 economy treats textiles), whose capacity a
    pilot builds (their absorbs rows start at 0 t/yr)."""
    economy_of = {s["site_id"]: s["economy"] for s in sites}
    planned = [("cd_crushing", f["site_id"]) for f in firms if f["sector"] == "construction"]
    planned += [(process, sid) for process in ("glass_processing", "textile_sorting") for sid in CAPITALS]
    existing = [("tyre_processing", "F_RS_RE_ECO_RECYCLING"), ("regranulation", "F_RS_RE_GREENTECH")]
    plants = []
    for process, sid in planned:
        fid = f"F_TP_{process.split('_')[0].upper()}_{sid.replace('_CITY', '')}"
        name = next(s["name"] for s in sites if s["site_id"] == sid)
        firms.append(dict(firm_id=fid, site_id=sid, sector="recycler",
                          name=f"{name} {process.replace('_', ' ')} plant (planned)", source=SEED001,
                          assumption="firm: a planned plant at the city node; capacity 0 until a "
                          "treatment_capacity pilot builds it (seed 001: recyclers and treatment "
                          "capacity are missing outside Serbia)"))
        streams.append(dict(firm_id=fid, material=PROCESSES[process][0], role="absorbs", tonnes=0.0,
                            quality=PROCESSES[process][3], source=SEED001,
                            assumption="tonnes: planned, 0 until built; min quality assumed"))
        plants.append((process, fid))
    plants += existing
    rows = []
    for process, fid in plants:
        material, products, cost, _, basis = PROCESSES[process]
        src = TREATMENT_SRC.get(material, PK)
        for product, share, grade in products:
            rows.append(dict(firm_id=fid, process=process, material=material, product=product,
                             product_yield=share, product_grade=grade, cost_eur_t=cost, source=src,
                             assumption=basis + ("; yield, cost and grade assumed (typical plant "
                                                 "figures)" if src == PK else
                                                 "; cost and grade assumed")))
    assert all(economy_of[f["site_id"]] in WB6 for f in firms if f["firm_id"].startswith("F_TP_"))
    return rows


# --------------------------------------------------------------------------------------------
# schedules: dated changes of generation and capacity
# --------------------------------------------------------------------------------------------
EPS_CLOSURES = "https://balkangreenenergynews.com/tag/coal/page/6"
ME_NECP = "https://www.complyorclose.org/timeline/"
MK_PLEDGE = "https://bankwatch.org/project/coal-in-the-balkans?wpv_paged=107&wpv_view_count=112011"
#: first year of a run (month 0 is January): the first year CBAM charges imports
START_YEAR = 2026
#: C&D waste generation grows with construction output (assumed 2 % a year)
CD_GROWTH = 0.02


def ash_path(fid, points, source, assumption):
    return [dict(firm_id=fid, material=m, role="generates", year=y, factor=f, source=source,
                 assumption=assumption) for m in ("fly_ash", "bottom_ash") for y, f in points]


def build_schedules(firms):
    """The default schedule (announced closures, C&D growth) and the coal phase-out scenario's."""
    announced = []
    eps = ("EPS plans to shut down 11 coal units (1,744 MW) between 2025 and 2030; which units "
           "is assumed: ")
    for fid, units in (("F_RS_PP_MORAVA", "Morava (125 MW)"), ("F_RS_PP_KOLUBARA_A", "Kolubara A"),
                       ("F_RS_PP_KOSTOLAC_A", "Kostolac A (2 units)")):
        announced += ash_path(fid, [(START_YEAR, 1.0), (2030, 0.0)], EPS_CLOSURES,
                              eps + f"{units}, its ash falling linearly to nothing by 2030")
    announced += ash_path("F_RS_PP_TENT_A", [(START_YEAR, 1.0), (2030, 0.56)], EPS_CLOSURES,
                          eps + "TENT A1-A3 (~725 of 1,650 MW), ash falling to 56 % by 2030")
    announced += ash_path("F_ME_PP_PLJEVLJA", [(2034, 1.0), (2035, 0.0)], ME_NECP,
                          "Montenegro's draft NECP phases coal out in 2035 (also 2040 named): the "
                          "plant runs through 2034")
    growth = [dict(firm_id=f["firm_id"], material="cd_waste", role="generates", year=y,
                   factor=round((1 + CD_GROWTH) ** (y - START_YEAR), 6), source=PK,
                   assumption="factor: C&D waste grows with construction output, 2 %/yr (assumed)")
              for f in firms if f["sector"] == "municipal" for y in (START_YEAR, START_YEAR + 10)]
    # the phase-out scenario: every WB6 coal plant closes
    phase_out = [r for r in announced if r["firm_id"] not in ("F_ME_PP_PLJEVLJA",)]
    phase_out = [r for r in phase_out if r["firm_id"] != "F_RS_PP_TENT_A"]
    plants = [f["firm_id"] for f in firms if f["sector"] == "power"]
    for fid in plants:
        if fid in {r["firm_id"] for r in phase_out}:
            continue
        if fid.startswith("F_MK_"):
            phase_out += ash_path(fid, [(2026, 1.0), (2027, 0.0)], MK_PLEDGE,
                                  "North Macedonia's pledge to phase out coal by 2027, kept")
        elif fid == "F_ME_PP_PLJEVLJA":
            phase_out += ash_path(fid, [(2034, 1.0), (2035, 0.0)], ME_NECP,
                                  "Montenegro's draft NECP date, 2035")
        else:
            phase_out += ash_path(fid, [(START_YEAR, 1.0), (2035, 0.0)], PK,
                                  "scenario assumption: the remaining coal units close one by one, "
                                  "ash falling linearly to nothing by 2035 (Energy Community "
                                  "decarbonisation; no national date)")
    return announced + growth, phase_out + growth


# --------------------------------------------------------------------------------------------
# legal status
# --------------------------------------------------------------------------------------------
BY_PRODUCT_MATERIALS = {"fly_ash", "bottom_ash", "slag", "wood_biomass"}
EOW_RS = {"steel_scrap", "glass", "paper", "plastics", "tyres", "cd_waste", "fly_ash",
          "bottom_ash", "slag", "wood_biomass"}
EOW_ME = {"steel_scrap", "glass", "paper", "plastics", "tyres"}
# EU: material -> justification from EU criteria / Annex 1 national EoW table
EOW_EU = {
    "steel_scrap": "EU criteria Regulation 333/2011",
    "glass": "EU criteria Regulation 1179/2012 (also UK flat glass, Annex 1)",
    "wood_biomass": "Regulation 2019/1009 (compost/digestate); Austria recycled wood (Annex 1)",
    "cd_waste": "Annex 1: Austria recycled building materials, Netherlands recycled aggregates, "
                "UK inert granulates, Estonia C&D waste",
    "tyres": "Annex 1: Spain, Italy, Portugal, UK rubber from tyres; Latvia ELT; Estonia tyre "
             "chips; Greece elastomers",
    "plastics": "Annex 1: Portugal recovered plastic, UK non-packaging plastics",
    "paper": "Annex 1: Spain and Italy paperboard, Belgium papers",
    "fly_ash": "Annex 1: UK fly ash and bottom ash for construction (BTP)",
    "bottom_ash": "Annex 1: UK fly ash and bottom ash for construction (BTP)",
    "slag": "Annex 1: UK steel slag (BTP)",
    "sludge": "Annex 1: Estonia urban sewage sludge products",
}


def build_legal(econ_rows, facts):
    fw = {r["economy"]: r for r in econ_rows}
    hazardous = {m for m, spec in MATERIAL_SPEC.items() if spec[5]}
    rows = []
    for e in ECONOMIES:
        for product in MATERIALS:
            m = PRODUCT_OF.get(product, product)  # a treated product has its stream's status
            bp = fw[e]["by_product_framework"] and m in BY_PRODUCT_MATERIALS and m not in hazardous
            if e in EU:
                eow = m in EOW_EU
                src = f"{SEED001} (eu.eow.*, eu.national_eow_table, eu.wfd)"
                note = ("eow_possible: " + EOW_EU[m] if eow else
                        "eow_possible: no EU criteria and no Annex 1 national entry")
                note += ("; EU Member-State decisions under WFD art. 6(4) taken as available "
                         "to this neighbour (assumption)")
            else:
                src = f"{SEED001} (legal.end_of_waste.{e}, legal.by_product.{e})"
                if e == "RS":
                    eow = m in EOW_RS
                    note = ("eow_possible: RS EoW procedure defined; assumed to cover "
                            "non-hazardous recyclables with an established market and ash/slag "
                            "after processing; not tailings (extractive waste), sludge, "
                            "textiles, e-waste, red mud")
                elif e == "ME":
                    eow = m in EOW_ME
                    note = ("eow_possible: ME EoW implemented (partly); assumed to cover the "
                            "EU-criteria streams (scrap, glass) and common packaging/tyre "
                            "streams only")
                elif e == "AL":
                    eow = m == "steel_scrap"
                    src = f"{SEED001} (legal.end_of_waste.AL, legal.AL.reuse_scope)"
                    note = ("eow_possible: only metal scrap may be reused under the amended "
                            "Law on Waste (legal.AL.reuse_scope)")
                else:
                    eow = False
                    note = "eow_possible: no national EoW framework"
            if e in WB6 and not fw[e]["by_product_framework"]:
                note += "; by_product_possible: no national by-product framework"
            elif bp:
                note += ("; by_product_possible: non-hazardous production residue "
                         "(ash, slag, sawdust/husk) meeting WFD art. 5 conditions (assumed)")
            elif fw[e]["by_product_framework"]:
                note += ("; by_product_possible false: hazardous, post-consumer waste, "
                         "sewage sludge or extractive waste")
            if product != m:
                note = f"as {m}, the stream it is made from (assumed); " + note
            rows.append(dict(economy=e, material=product, by_product_possible=bp, eow_possible=eow,
                             source=src, assumption=note))
    return rows


# --------------------------------------------------------------------------------------------
# EPR
# --------------------------------------------------------------------------------------------
EPR_STATUS = {
    "RS": {"plastics": "operational", "paper": "operational", "e_waste": "operational",
           "tyres": "operational", "textiles": "none"},
    "ME": {"plastics": "partial", "paper": "partial", "e_waste": "partial", "tyres": "partial",
           "textiles": "none"},
    "MK": {"plastics": "partial", "paper": "partial", "e_waste": "partial", "tyres": "partial",
           "textiles": "none"},
    "BA": {"plastics": "partial", "paper": "partial", "e_waste": "early", "tyres": "early",
           "textiles": "none"},
    "AL": {"plastics": "early", "paper": "early", "e_waste": "early", "tyres": "early",
           "textiles": "none"},
    "XK": {"plastics": "early", "paper": "early", "e_waste": "early", "tyres": "early",
           "textiles": "none"},
}
EPR_RATES = {  # status -> material -> collection rate
    "operational": {"plastics": 0.25, "paper": 0.35, "e_waste": 0.20, "tyres": 0.60},
    "partial": {"plastics": 0.12, "paper": 0.20, "e_waste": 0.08, "tyres": 0.30},
    "early": {"plastics": 0.05, "paper": 0.10, "e_waste": 0.03, "tyres": 0.10},
}


def build_epr(facts):
    rows = []
    for e in WB6:
        f = facts[f"epr.{e}"]
        for m in EPR_STREAMS:
            st = EPR_STATUS[e][m]
            if m == "textiles":
                rate = 0.0
                src = f"{src_of(f)}; {SEED001} (capacity.textiles.all)"
                note = ("epr_status none: no textile EPR and no economy treats textiles "
                        "(capacity.textiles.all); collection_rate 0")
                if e == "MK":
                    note += "; textile EPR 'to be considered' (epr.MK)"
            else:
                rate = EPR_RATES[st][m]
                src = src_of(f)
                note = (f"epr_status: mapped from the seed's '{f['value']}'"
                        + (f" (caveat: {f['caveat']})" if f.get("caveat") else "")
                        + f"; collection_rate: assumed for a {st} scheme (plastics "
                        "'only a small fraction collected', capacity.plastics.collection)")
                if m == "tyres" and e == "RS":
                    note += ("; RS treated ~42 kt tyres in 2018 vs 18-26 kt generation "
                             "estimates, so a high rate is plausible")
            rows.append(dict(economy=e, material=m, epr_status=st, collection_rate=rate,
                             source=src, assumption=note))
    return rows


# --------------------------------------------------------------------------------------------
# remining
# --------------------------------------------------------------------------------------------
PRICES = {  # EUR per t of metal, ~2024 averages converted at ~1.08 USD/EUR
    "copper": 8500.0, "gold": 71_000_000.0, "silver": 840_000.0, "zinc": 2550.0,
    "lead": 1900.0, "antimony": 23000.0, "nickel": 15500.0, "cobalt": 24000.0, "ree": 30000.0}
CRM = {"copper": True, "gold": False, "silver": False, "zinc": False, "lead": False,
       "antimony": True, "nickel": True, "cobalt": True, "ree": True}
RECOVERY = {"copper": 0.5, "gold": 0.5, "silver": 0.4, "zinc": 0.5, "lead": 0.5,
            "antimony": 0.3, "nickel": 0.3, "cobalt": 0.3, "ree": 0.15}
CRM_NOTE = ("crm: CRMA Annex II (Regulation 2024/1252) lists copper and nickel; seed 003 calls "
            "them strategic but not critical (fact-base inconsistency 2)")

# Seed-valued deposits: (firm site ids, seed value key, {metal: value share}) - grades are
# solved so that grade x stock x price reproduces the seed value exactly.
SEED_VALUE_DEPOSITS = [
    (["RS_MT_BOR"], "rs.bor.metal_value_total", 1e9,
     {"copper": ("rs.bor.metal_value_copper", 1e9), "gold": 4.2e9, "silver": 0.4e9}),
    (["XK_MT_GORNJE_POLJE_III"], "xk.trepca.gornje_polje_iii.metal_value", 1e9,
     {"copper": 0.25e9, "antimony": 0.20e9, "lead": 0.20e9, "zinc": 0.25e9, "silver": 0.10e9}),
    (["XK_MT_ZITKOVAC"], "xk.trepca.zitkovac.metal_value", 1e9,
     {"gold": 1.9e9, "lead": 0.1e9, "zinc": 0.1e9}),
    (["AL_MT_RUBIK", "AL_MT_FUSHE_ARREZ"], "al.copper_tailings.value", 1e6,
     {"copper": 160e6}),
]
# Assumed grades (kg/t) for deposits without a seed value
ASSUMED_GRADES = [
    ("RS_ASH_TENT", "ree", 0.20, "coal-ash REE ~200 ppm total REE (lignite ash range "
     "150-400 ppm); seed 000: among the largest REE prospects"),
    ("RS_ASH_KOSTOLAC", "ree", 0.20, "coal-ash REE ~200 ppm; seed 000: REE prospect"),
    ("MK_PP_BITOLA", "ree", 0.15, "seed 000: 'similar coal-ash sites in North Macedonia' (REK "
     "Bitola inferred); ~150 ppm assumed"),
    ("AL_MT_BULQIZE", "nickel", 1.5, "ophiolite chromite tailings ~0.15% Ni (seed 000: Ni and "
     "Co by-products possible)"),
    ("AL_MT_BULQIZE", "cobalt", 0.1, "~100 ppm Co in chromite tailings"),
    ("MK_SM_VELES", "zinc", 96.0, "9.6% Zn average of the Veles slag (fact base mk.veles_slag)"),
    ("MK_SM_VELES", "lead", 20.0, "~2% Pb assumed in Pb-Zn smelter slag"),
    ("MK_MT_SASA", "lead", 3.0, "~0.3% Pb left in Pb-Zn flotation tailings"),
    ("MK_MT_SASA", "zinc", 4.0, "~0.4% Zn left in Pb-Zn flotation tailings"),
    ("XK_MT_LEPOSAVIC", "lead", 5.0, "~0.5% Pb in old Trepča flotation tailings"),
    ("XK_MT_LEPOSAVIC", "zinc", 5.0, "~0.5% Zn in old Trepča flotation tailings"),
    ("RS_MT_MAJDANPEK", "copper", 1.2, "~0.12% Cu in porphyry-copper tailings"),
    ("MK_MT_BUCHIM", "copper", 1.0, "~0.1% Cu in porphyry-copper tailings"),
]


def deposit_tonnes(streams, fid):
    return sum(s["tonnes"] for s in streams if s["firm_id"] == fid and s["role"] == "stock"
               and s["material"] in DEPOSIT_MATERIALS)


def build_remining(facts, streams):
    rows, checks = [], []
    price_note = "metal_price_eur_t: ~2024 average market price, converted at ~1.08 USD/EUR"
    for sids, key, unit, parts in SEED_VALUE_DEPOSITS:
        target = facts[key]["value"] * unit
        fids = ["F_" + s for s in sids]
        mass = sum(deposit_tonnes(streams, f) for f in fids)
        values = {}
        for metal, v in parts.items():
            if isinstance(v, tuple):
                v = facts[v[0]]["value"] * v[1]
            values[metal] = v
        if abs(sum(values.values()) - target) > 1e-6 * target:
            raise AssertionError(f"value shares for {key} do not add up")
        for fid in fids:
            for metal, v in values.items():
                grade = v / (mass * PRICES[metal]) * 1000.0  # kg/t
                grade = float(f"{grade:.6g}")
                srcs = [src_of(facts[key])]
                if isinstance(parts[metal], tuple):
                    srcs.append(src_of(facts[parts[metal][0]]))
                share = ("seed value" if isinstance(parts[metal], tuple) or len(parts) == 1
                         else f"assumed split of the seed value (EUR {v / 1e9:.2f} bn)")
                rows.append(dict(
                    firm_id=fid, metal=metal, grade_kg_t=grade, recovery=RECOVERY[metal],
                    metal_price_eur_t=PRICES[metal], crm=CRM[metal],
                    source="; ".join(dict.fromkeys(srcs)),
                    assumption=(f"grade_kg_t: solved so that grade x deposit mass x price "
                                f"reproduces the in-situ value ({share}); the seed value is an "
                                "indicative metal value converted from USD, not a recoverable "
                                f"value; recovery: assumed for tailings reprocessing; "
                                f"{price_note}" + (f"; {CRM_NOTE}" if metal in ("copper",
                                                                              "nickel") else ""))))
        checks.append((key, target, fids))
    for sid, metal, grade, basis in ASSUMED_GRADES:
        fid = "F_" + sid
        if deposit_tonnes(streams, fid) <= 0:
            raise AssertionError(f"remining row for {fid} without a deposit stock")
        src = (SEED000 if metal in ("ree", "nickel", "cobalt") else
               "https://js.ugd.edu.mk/index.php/GEOLMAC/gateway/plugin/WebFeedGatewayPlugin/rss"
               if sid == "MK_SM_VELES" and metal == "zinc" else PK)
        rows.append(dict(firm_id=fid, metal=metal, grade_kg_t=grade, recovery=RECOVERY[metal],
                         metal_price_eur_t=PRICES[metal], crm=CRM[metal], source=src,
                         assumption=(("" if src.startswith("https") else "grade_kg_t: ")
                                     + f"{basis}; recovery: assumed; {price_note}"
                                     + (f"; {CRM_NOTE}" if metal in ("copper", "nickel")
                                        else ""))))
    return rows, checks


# --------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------
def keep_entries_not_derived(derived: dict, path: Path) -> dict:
    """The derived parameters, then every entry of the existing ``path`` they do not replace, in
    its order: parameters.yaml is data, and entries added by hand (or by an extension) stay."""
    existing = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    kept = {name: entry for name, entry in (existing or {}).items() if name not in derived}
    return {**derived, **kept}


def build_parameters(facts):
    TCT = 'https://www.transport-community.org/wp-content/uploads/2020/08/July-Stats-Report-waiting-times-EU-WB6.pdf'  # freight waiting-time monitoring at WB6 crossings

    def p(value, unit, source, assumption=""):
        return {"value": value, "unit": unit, "source": source, "assumption": assumption}

    perm_r = facts["crma.permitting.processing_recycling"]
    perm_e = facts["crma.permitting.extraction"]
    return {
        "transport_eur_tkm_road": p(0.08, "EUR per tonne-km", PK,
                                    "WB6 full-truckload road haulage ~0.06-0.10 EUR/t-km"),
        "transport_eur_tkm_rail": p(0.04, "EUR per tonne-km", PK,
                                    "bulk rail freight in the region ~0.03-0.05 EUR/t-km"),
        "handling_eur_t": p(5.0, "EUR per tonne", PK,
                            "loading, unloading and weighing per shipment ~3-8 EUR/t"),
        "holding_cost_eur_t_day": p(0.05, "EUR per tonne per day", PK,
                                    "yard storage and capital tied up while a consignment waits "
                                    "(~1.5 EUR/t per month)"),
        "border_delay_days": p(
            {"waste": 1.0, "by_product": 1.0, "eow": 1.0}, "days of paperwork at the post by shipment class",
            f"{SEED001} (legal.waste_shipment_references, legal.cross_border_shipments)",
            "documents checked at the post: normal customs clearance for by-products and EoW goods, the "
            "movement document for notified waste (~1 day each); a waste shipment's notification and "
            "consent are the authorities' (consent_* parameters), not the post's"),
        "consent_preparation_days": p(
            5.0, "days", f"{SEED001} (legal.waste_shipment_references)",
            "value assumed: the notifier prepares the notification and movement documents, the contract "
            "with the consignee and the financial guarantee (Regulation (EC) 1013/2006 Art. 4-6) before filing"),
        "consent_acknowledgement_days": p(
            8.4, "days", CONSENT_PROCEDURE,
            "the authority of dispatch checks and forwards a notification within three working days, the "
            "authority of destination acknowledges it within three working days of receipt (Regulation (EC) "
            "1013/2006): six working days = 8.4 calendar days"),
        "consent_review_days": p(
            12.0, "days", CONSENT_PROCEDURE,
            "value assumed: days an idle transboundary unit takes to decide a complete notification; the "
            "authorities must decide no later than 30 days after the acknowledgement"),
        "consent_dossiers_per_month": p(
            30.0, "notifications decided per month by one economy's competent authority",
            f"{SEED001} (legal.cross_border_shipments: strict customs, limited capacity)",
            "value assumed: capacity of a ministry's transboundary-shipment unit (a few officers)"),
        "consent_background_utilisation": p(
            0.2, "share of the consent unit's capacity", f"{SEED001} (legal.cross_border_shipments)",
            "value assumed: notifications the model does not represent (hazardous waste exported for "
            "treatment, imports for recovery); set so that consent takes 30-38 days at the default loads, "
            "about the 35 days the model used as a constant before consent was an outcome"),
        "border_fee_eur_t": p(
            {"waste": 5.0, "by_product": 2.0, "eow": 2.0}, "EUR per tonne by shipment class", PK,
            "customs clearance, broker and inspection charges; waste consignments also carry a "
            "financial guarantee and insurance (~3 EUR/t more)"),
        "waste_refusal_probability": p(0.10, "probability per waste notification",
                                       f"{SEED001} (legal.cross_border_shipments)",
                                       "share of notified waste shipments refused or returned: "
                                       "assumed from 'strict customs, limited capacity'"),
        "waste_notification_cost_eur_t": p(8.0, "EUR per tonne", PK,
                                           "notification dossier, analyses and guarantee "
                                           "(~EUR 2,000-5,000) spread over a ~500 t consignment"),
        "domestic_waste_permit_cost_eur_t": p(3.0, "EUR per tonne", PK,
                                              "domestic waste transport documents and "
                                              "operator permits"),
        "status_application_months": p(6.0, "months", f"{SEED001} (legal.testing_labs, "
                                       "legal.RS.law_on_waste_amendments)",
                                       "typical time for a by-product or EoW decision once lab "
                                       "results are in; the seed calls procedures slow and asks "
                                       "for simplification"),
        "awareness_contacts_per_month": p(
            0.05, "contacts per month (a firm of average receptiveness)",
            f"{SEED001} (legal.transaction_costs, is.trust_areas)",
            "value fitted by python -m sim.calibrate to the share of businesses aware of the circular economy "
            "(Balkan Barometer 2024, sim/data/calibration_targets.csv wb6_ce_aware): how often clients, "
            "suppliers, trade press and authorities tell a firm about exchanges, without pilots"),
        "awareness_peer_contacts_per_month": p(
            0.2, "contacts per month when every peer takes part", f"{SEED001} (is.trust_areas)",
            "value assumed: word of mouth among firms of one economy and sector, in proportion to the share "
            "of them taking part"),
        "awareness_per_contact": p(
            0.2, "share of the gap to full awareness per contact", f"{SEED001} (legal.transaction_costs)",
            "value assumed: one contact closes a fifth of the gap (as a mapped firm, configs/policies/"
            "automatic_mapping.yaml awareness_boost); a firm at the trust threshold 0.5 needs about three"),
        "awareness_receptiveness_shape": p(
            2.0, "shape of the gamma distribution of receptiveness (mean 1)", "assumption",
            "firms differ in how readily they take up what they hear (size, management, networks): "
            "receptiveness drawn per firm from a gamma distribution with mean 1 and coefficient of variation "
            "0.71 (shape 2); it multiplies every contact rate"),
        "awareness_initial": p(0.10, "share of firms", f"{SEED001} (is.mapping_status)",
                               "no IS mapping exists in WB6, only scattered data: 10% of firms "
                               "(drawn at random) aware and trading at the start"),
        "by_product_certain_use_share": p(
            0.5, "share of what a stream's firm offers that it sells (smoothed over months)",
            "Waste Framework Directive 2008/98/EC Art. 5(1)(a), https://eur-lex.europa.eu/eli/dir/2008/98/oj",
            "'further use ... is certain' read as a buyer who keeps taking most of the stream; the share is "
            "a modelling assumption"),
        "status_validity_months": p(
            36, "months a by-product / end-of-waste status holds before the stream is tested again",
            f"{SEED001} (kpi.medium_term.control_system)",
            "the seed asks for laboratory verification of secondary raw materials' quality; the 3-year "
            "renewal period is a modelling assumption"),
        "status_refiling_months": p(12, "months before a refused stream may be filed again", "assumption",
                                    "a firm refused a status tries again once a year"),
        "transport_co2_kg_tkm_road": p(
            0.0903, "kg CO2 per tonne-km", "https://etrr.springeropen.com/articles/10.1186/s12544-019-0344-x/tables/9",
            "EU road freight average 2014 (90.3 g/t-km, KiM and CE Delft) taken for WB6 trucks"),
        "transport_co2_kg_tkm_rail": p(
            0.0113, "kg CO2 per tonne-km", "https://etrr.springeropen.com/articles/10.1186/s12544-019-0344-x/tables/9",
            "EU mix of 20 % diesel and 80 % electric traction (11.3 g/t-km); WB6 rail runs more diesel, "
            "so rail emissions are understated"),
        "sectors_trading_at_start": p(
            ["power", "cement", "steel", "recycler", "scrap_dealer", "eu_buyer"], "sectors",
            f"{SEED001} (capacity.scrap_metal.absorption: scrap metal already circulates; "
            "capacity.ash_slag.uses) and rs.eps.ash_sold_share (5-6 % of EPS ash sold)",
            "firms of these sectors take part in exchanges from the start: the scrap market "
            "(steelworks, scrap dealers, recyclers), "
            "ash sales to cement and the EU market exist today"),
        "trust_threshold": p(0.5, "index in [0,1]", f"{SEED001} (is.trust_areas)",
                             "trust a firm needs before it enters an exchange"),
        "remining_capex_eur_per_t_yr": p(60.0, "EUR per (t/yr) of reprocessing capacity", PK,
                                         "tailings reprocessing plant (flotation/leaching) "
                                         "~EUR 300 m for 5 Mt/yr"),
        "remining_opex_eur_t": p(12.0, "EUR per tonne reprocessed", PK,
                                 "reclaiming, milling and flotation of old tailings ~8-15 EUR/t"),
        "remining_lifetime_years": p(15, "years", PK, "typical project life of a reprocessing "
                                     "plant"),
        "remining_throughput_share_per_year": p(0.05, "share of deposit per year", PK,
                                                "a deposit is worked over ~20 years"),
        "recycling_line_capex_eur_per_t_yr": p(300.0, "EUR per (t/yr) of capacity", PK,
                                               "mechanical recycling/sorting lines ~200-600 EUR "
                                               "per t/yr"),
        "recycling_line_margin_eur_t": p(40.0, "EUR per tonne", PK,
                                         "gross margin of a recycling line before capital costs"),
        "informal_collection_rate": p(0.08, "share of EPR streams", f"{SEED001} "
                                      "(capacity.plastics.collection, epr.region)",
                                      "informal collectors pick mainly PET, cardboard and metals "
                                      "where EPR is weak"),
        "dump_propensity_max": p(
            {"installation": 0.1, "msme": 0.8}, "share (upper bound of a uniform draw per firm)",
            f"{SEED001} (legal.enforcement: weak enforcement and low penalties make landfilling or "
            "dumping the easiest option for many MSMEs)",
            "values assumed: permitted installations (power, mining, metallurgy, steel, cement, "
            "chemical) keep their own disposal sites and rarely dump; MSMEs, municipal services and "
            "construction dump far more readily"),
        "dumping_choice_scale_eur_t": p(5.0, 'EUR per tonne', f"{SEED001} (legal.enforcement)",
                 'value assumed, fitted by python -m sim.calibrate: scale of the logit choice between landfill and dumping; the spread of hauling distances, rule-breaking costs and risk attitudes across firms, so that dumping falls smoothly as the expected fine passes the landfill fee'),
        "waste_inspection_rate": p(0.5, 'share of waste consignments', f"{SEED001} (legal.cross_border_shipments: strict customs procedures)",
                 "value assumed: share of notified waste consignments physically checked against their notification at the border (goods: the post's rate in borders.csv)"),
        "border_clearance_days": p(0.028, 'days per consignment', TCT,
                 'the border procedure took about 40 minutes for most freight at WB6-EU crossings (TCT Permanent Secretariat, July 2020): 40 min = 0.028 days of clearance per consignment'),
        "border_background_utilisation": p(0.43, "share of a post's capacity", TCT,
                 'derived: average freight waiting of about 30 minutes with a 40-minute procedure (TCT Permanent Secretariat, July 2020) is rho / (1 - rho) = 0.75 in a single-server queue, rho = 0.43, taken as the share of capacity other traffic uses at every post'),
        "inspection_days": p(1.0, "days per inspected consignment", PK,
                             "a physical inspection holds a truck about a day"),
        "stock_reclaim_share_per_year": p(0.01, "share of a deposit per year", PK,
                                          "ash and slag dug out of old dumps for sale: ~1 %/yr "
                                          "of the deposit, limited by reclaiming equipment"),
        "search_cost_eur_t": p(2.0, "EUR per tonne traded", f"{SEED001} (legal.transaction_costs)",
                               "value assumed: cost of finding a partner and negotiating, per "
                               "tonne; a digital platform lowers it"),
        # who knows whom (sim/relations.py): trade only between firms that know of each other
        "partner_knowledge": p(1, "1 = trade only with known partners, 0 = everyone knows everyone",
                               f"{SEED001} (legal.transaction_costs, fiss.facilitators)",
                               "partner mapping is a cost firms face (seed); 0 reproduces the open "
                               "market for comparison"),
        "relation_seed_contacts": p(3, "partners per firm and material", f"{SEED001} (is.colocation)",
                                    "value assumed: at the start a firm knows its three nearest "
                                    "trading partners per material nearby, and firms of the sectors "
                                    "already trading their three nearest such partners"),
        "relation_colocation_km": p(10.0, "km", f"{SEED001} (is.colocation)",
                                    "value assumed: firms within 10 km (one industrial zone or town) "
                                    "know of each other"),
        "relation_trust_initial": p(0.5, "index in [0,1]", f"{SEED001} (is.trust_areas)",
                                    "value assumed: trust on a new link, halfway"),
        "relation_trust_floor": p(0.2, "index in [0,1]", f"{SEED001} (fiss.facilitators)",
                                  "value assumed: a link whose trust falls below this is dropped"),
        "relation_trust_gain": p(0.1, "share of the gap to full trust per good shipment",
                                 f"{SEED001} (is.trust_areas)", "value assumed"),
        "relation_trust_loss_refusal": p(0.3, "share of trust lost per refused shipment",
                                         f"{SEED001} (legal.cross_border_shipments)", "value assumed"),
        "relation_trust_loss_delay": p(0.1, "share of trust lost per shipment held 30 days or more at borders",
                                       f"{SEED001} (legal.cross_border_shipments)",
                                       "value assumed; in proportion below 30 days"),
        "relation_trust_loss_complaint": p(0.2, "share of trust lost per quality complaint",
                                           f"{SEED001} (is.trust_areas)", "value assumed"),
        "quality_complaint_max": p(0.1, "chance of a complaint for a lot at the buyer's lowest grade",
                                   f"{SEED001} (is.trust_areas)",
                                   "value assumed; none for the best grade, linear between"),
        "partner_search_per_month": p(0.03, "chance per month", f"{SEED001} (legal.transaction_costs)",
                                      "value assumed: a firm with unsold output or idle capacity looks "
                                      "for new partners about once in three years on its own (time "
                                      "investment for partner mapping)"),
        # further sourced facts for permitting and financing pilots
        "permitting_recycling_months": p(perm_r["value"], "months", src_of(perm_r),
                                         "CRMA maximum permitting time for processing/recycling "
                                         "strategic projects; usable as a pilot target"),
        "permitting_extraction_months": p(perm_e["value"], "months", src_of(perm_e),
                                          "CRMA maximum permitting time for extraction "
                                          "strategic projects (applies to remining permits)"),
        "metal_price_risk_premium": p(0.03, "per year, added to the discount rate", SEED002,
                                      "value assumed: seed 002 names price volatility and "
                                      "investors' reluctance as what keeps CRM projects from "
                                      "offtake and finance; investors add 3 points to the rate of "
                                      "a re-mining plant's revenue not under an offtake agreement"),
        "eu_crm_demand_t_yr": p({"copper": 3.0e6, "nickel": 3.0e5, "cobalt": 2.5e4, "antimony": 2.0e4,
                                 "ree": 1.5e4}, "t of metal per year (EU27 use)", PK,
                                "values assumed: approximate EU27 annual use of refined copper, "
                                "nickel, cobalt, antimony and rare-earth oxides (order of "
                                "magnitude), the denominators of the CRMA benchmark KPIs"),
        "start_year": p(START_YEAR, "calendar year of month 0", PK,
                        "runs start in January 2026, when CBAM begins to charge imports; dated "
                        "schedules (schedules.csv) are read against it"),
        "treatment_storage_months": p(6, "months of output at capacity", PK,
                                      "a treatment plant stops taking in input when its unsold "
                                      "products fill this much storage (yard and silo space of "
                                      "a few months' output: assumed)"),
        "roadmap_phase_start_months": p(
            {"low_hanging_fruits": 0, "short_term": 12, "medium_term": 24, "long_term": 48},
            "months from start", src_of(facts["roadmap.phase.low_hanging_fruits"]),
            "phase starts of the roadmap section (0-1, 1-2, 2-4, 4+ years)"),
        "short_term_pilot_count": p(facts["roadmap.short_term.pilots"]["value"],
                                    "pilot projects (range)",
                                    src_of(facts["roadmap.short_term.pilots"])),
        "is_mapping_project_months": p(facts["is.mapping_project_duration"]["value"],
                                       "months (range)",
                                       src_of(facts["is.mapping_project_duration"])),
        "eu_eol_collection_rate": p(facts["eu.eol_collection_rate"]["value"] / 100.0,
                                    "share", src_of(facts["eu.eol_collection_rate"]),
                                    "EU collection-rate benchmark for EPR targets"),
        "rgf_grants_eur": p(facts["finance.rgf.grants"]["value"] * 1e9, "EUR",
                            src_of(facts["finance.rgf.grants"])),
        "rgf_loans_eur": p(facts["finance.rgf.soft_loans"]["value"] * 1e9, "EUR",
                           src_of(facts["finance.rgf.soft_loans"])),
        "eu_textiles_epr_months": p(facts["epr.eu_textiles_deadline"]["value"], "months",
                                    src_of(facts["epr.eu_textiles_deadline"])),
    }


# --------------------------------------------------------------------------------------------
# checks and main
# --------------------------------------------------------------------------------------------
def check_totals(facts, streams, remining_rows, checks):
    lines = []
    wb6_firm_econ = {}
    for s in streams:
        wb6_firm_econ.setdefault(s["firm_id"], None)
    stocks = [s for s in streams if s["role"] == "stock"]
    seed_total = facts["wb6.tailings_slag.total_mass"]["value"] * MT
    got = sum(s["tonnes"] for s in stocks if s["material"] in SEED_TAILINGS_SLAG_MATERIALS
              and not s["firm_id"].startswith("F_EU_"))
    assert abs(got - seed_total) < 1.0, (got, seed_total)
    lines.append(f"WB6 tailings+slag+red_mud stock: {got / MT:.3f} Mt (seed 344 Mt) OK")
    bor = sum(s["tonnes"] for s in stocks if s["firm_id"] == "F_RS_MT_BOR"
              and s["material"] in ("tailings", "slag"))
    assert abs(bor - facts["rs.bor.tailings_slag_mass"]["value"] * MT) < 1.0, bor
    lines.append(f"Bor tailings+slag stock: {bor / MT:.3f} Mt (seed 80 Mt) OK")
    ash = sum(s["tonnes"] for s in stocks if s["firm_id"] in ("F_RS_ASH_TENT",
                                                              "F_RS_ASH_KOSTOLAC"))
    lines.append(f"Serbian TPP ash deposits (TENT + Kostolac, on top): {ash / MT:.3f} Mt "
                 "(supplementary 170 Mt)")
    other_ash = sum(s["tonnes"] for s in stocks if s["material"] == "fly_ash") - ash
    lines.append(f"Other ash stocks at BA/ME/MK/XK plants (assumption): {other_ash / MT:.1f} Mt")
    mass = {}
    for s in stocks:
        if s["material"] in DEPOSIT_MATERIALS:
            mass[s["firm_id"]] = mass.get(s["firm_id"], 0.0) + s["tonnes"]
    for key, target, fids in checks:
        val = sum(r["grade_kg_t"] / 1000.0 * mass[r["firm_id"]] * r["metal_price_eur_t"]
                  for r in remining_rows if r["firm_id"] in fids)
        assert abs(val - target) <= 0.01 * target, (key, val, target)
        lines.append(f"in-situ value {key}: EUR {val / 1e9:.4f} bn (seed {target / 1e9:g} bn) "
                     f"diff {100 * (val - target) / target:+.4f}% OK")
    cu = sum(r["grade_kg_t"] / 1000.0 * mass[r["firm_id"]] * r["metal_price_eur_t"]
             for r in remining_rows if r["firm_id"] == "F_RS_MT_BOR" and r["metal"] == "copper")
    target = facts["rs.bor.metal_value_copper"]["value"] * 1e9
    assert abs(cu - target) <= 0.01 * target, cu
    lines.append(f"in-situ value rs.bor.metal_value_copper: EUR {cu / 1e9:.4f} bn (seed 2 bn) OK")
    return lines


def check_integrity(econ, mats, sites, borders, links, firms, streams, legal, epr, rem):
    site_ids = {s["site_id"] for s in sites}
    cross_ids = {c["crossing_id"] for c in borders}
    assert len(site_ids) == len(sites) and len(cross_ids) == len(borders)
    assert not site_ids & cross_ids
    ecodes = {e["economy"] for e in econ}
    mset = {m["material"] for m in mats}
    assert mset == set(MATERIALS) and len(mats) == len(MATERIALS)
    for s in sites:
        assert s["economy"] in ecodes and -90 <= s["lat"] <= 90 and -180 <= s["lon"] <= 180
    for c in borders:
        assert c["economy_a"] in ecodes and c["economy_b"] in ecodes
        assert 0 <= c["inspection_rate"] <= 1 and c["capacity_t_month"] >= 0
    for ln in links:
        assert ln["from_node"] in site_ids | cross_ids and ln["to_node"] in site_ids | cross_ids
        assert ln["distance_km"] > 0 and ln["mode"] in ("road", "rail")
    fids = {f["firm_id"] for f in firms}
    assert len(fids) == len(firms)
    for f in firms:
        assert f["site_id"] in site_ids, f
    with_streams = {s["firm_id"] for s in streams}
    assert fids == with_streams, fids ^ with_streams
    for s in streams:
        assert s["firm_id"] in fids and s["material"] in mset
        assert s["role"] in ("generates", "absorbs", "stock") and s["tonnes"] >= 0
        assert 0 <= s["quality"] <= 1
    assert len(legal) == len(ECONOMIES) * len(MATERIALS)
    assert len(epr) == len(WB6) * len(EPR_STREAMS)
    stock_firms = {s["firm_id"] for s in streams if s["role"] == "stock"
                   and s["material"] in DEPOSIT_MATERIALS}
    for r in rem:
        assert r["firm_id"] in stock_firms, r["firm_id"]
        assert 0 <= r["recovery"] <= 1 and r["metal_price_eur_t"] > 0
    for row in econ + mats + sites + borders + links + firms + streams + legal + epr + rem:
        assert row["source"], row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                    help="fact-base root holding data/ (default: ../shared)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = ap.parse_args(argv)
    shared = args.shared
    if not (shared / "data").is_dir() and (shared / "seed_facts.yaml").is_file():
        shared = shared.parent  # accept the data folder itself
    facts = load_facts(shared / "data" / "seed_facts.yaml")
    supp = load_facts(shared / "data" / "supplementary_facts.yaml")

    econ = build_economies(facts, supp)
    mats = build_materials(facts)
    sites, raw_sites, dropped = build_sites(shared)
    borders = build_borders(shared)
    links = build_links(sites, borders)
    firms, streams = build_firms(sites, shared, facts, supp, raw_sites)
    treatment = build_treatment(sites, firms, streams)
    eu_demand = build_eu_demand()
    price_rules = build_price_rules()
    schedules, phase_out = build_schedules(firms)
    legal = build_legal(econ, facts)
    epr = build_epr(facts)
    rem, checks = build_remining(facts, streams)
    params = build_parameters(facts)

    check_integrity(econ, mats, sites, borders, links, firms, streams, legal, epr, rem)
    report = check_totals(facts, streams, rem, checks)

    out = args.out
    (out / "schedules").mkdir(parents=True, exist_ok=True)
    prov = ["source", "assumption"]
    counts = {
        "economies.csv": write_csv(out / "economies.csv", [
            "economy", "name", "group", "population", "landfill_fee_eur_t", "dumping_fine_eur_t",
            "enforcement_probability", "eow_framework", "by_product_framework", "list_of_waste",
            "lab_capacity_per_month", "hurdle_rate"] + prov, econ),
        "materials.csv": write_csv(out / "materials.csv", [
            "material", "label", "virgin_substitute", "virgin_price_eur_t", "unit_value_eur_t",
            "co2_avoided_t_per_t", "hazardous", "eu_eow_criteria", "epr_stream"] + prov, mats),
        "sites.csv": write_csv(out / "sites.csv", [
            "site_id", "name", "economy", "kind", "lat", "lon", "coord_quality"] + prov, sites),
        "borders.csv": write_csv(out / "borders.csv", [
            "crossing_id", "name", "economy_a", "economy_b", "lat", "lon", "capacity_t_month",
            "inspection_rate"] + prov, borders),
        "links.csv": write_csv(out / "links.csv", [
            "from_node", "to_node", "mode", "distance_km"] + prov, links),
        "firms.csv": write_csv(out / "firms.csv", [
            "firm_id", "site_id", "sector", "name"] + prov, firms),
        "firm_streams.csv": write_csv(out / "firm_streams.csv", [
            "firm_id", "material", "role", "tonnes", "quality"] + prov, streams),
        "legal_status.csv": write_csv(out / "legal_status.csv", [
            "economy", "material", "by_product_possible", "eow_possible"] + prov, legal),
        "epr.csv": write_csv(out / "epr.csv", [
            "economy", "material", "epr_status", "collection_rate"] + prov, epr),
        "treatment.csv": write_csv(out / "treatment.csv", [
            "firm_id", "process", "material", "product", "product_yield", "product_grade",
            "cost_eur_t"] + prov, treatment),
        "eu_demand.csv": write_csv(out / "eu_demand.csv", [
            "firm_id", "material", "demand_t_month", "wtp_eur_t", "ets_pull"] + prov, eu_demand),
        "price_rules.csv": write_csv(out / "price_rules.csv", [
            "material", "elasticity", "floor_share", "cap_share"] + prov, price_rules),
        "schedules.csv": write_csv(out / "schedules.csv", [
            "firm_id", "material", "role", "year", "factor"] + prov, schedules),
        "schedules/coal_phase_out.csv": write_csv(out / "schedules" / "coal_phase_out.csv", [
            "firm_id", "material", "role", "year", "factor"] + prov, phase_out),
        "remining.csv": write_csv(out / "remining.csv", [
            "firm_id", "metal", "grade_kg_t", "recovery", "metal_price_eur_t", "crm"] + prov,
            rem),
    }
    params = keep_entries_not_derived(params, out / "parameters.yaml")
    with (out / "parameters.yaml").open("w", encoding="utf-8") as fh:
        fh.write("# Scalar parameters of the default WB6 scenario, written by "
                 "scripts/build_data.py.\n# Each entry: {value, unit, source, assumption}.\n")
        yaml.safe_dump(params, fh, sort_keys=False, allow_unicode=True, width=100)
    counts["parameters.yaml"] = len(params)
    for name, n in counts.items():
        print(f"{name:20s} {n:5d} rows")
    if dropped:
        print("dropped non-WB6 sites:", ", ".join(dropped))
    for line in report:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
