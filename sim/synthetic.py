"""Synthetic scenarios of any size in the schema of the real one (for scale and property tests).

Economies, materials, legal status, EPR and parameters are taken from a base scenario (the
real WB6 one by default); sites, links, firms and their streams are drawn at random inside
each economy's extent. The same arguments always give the same scenario.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.scenario import DEFAULT_SCENARIO, TABLES, Scenario, load_scenario, validate
from sim.world import haversine_km

#: WB6 economies in an order where each borders one before it, so any prefix is connected
CONNECTED_ORDER = ("RS", "BA", "ME", "AL", "MK", "XK")
SECTORS = ("power", "steel", "metallurgy", "cement", "construction", "municipal", "recycler", "food_wood")
SYNTHETIC = "synthetic"


def _materials(base: Scenario, n_materials: int) -> pd.DataFrame:
    """The base catalogue, extended with numbered variants when more materials are asked for."""
    mats = base.materials
    if n_materials <= len(mats):
        return mats.iloc[:n_materials].reset_index(drop=True)
    extra = []
    for k in range(n_materials - len(mats)):
        row = mats.iloc[k % len(mats)].copy()
        row["material"] = f"{row['material']}_v{k // len(mats) + 1}"
        row["label"] = f"{row['label']} (variant {k // len(mats) + 1})"
        row["assumption"] = "synthetic variant of a real material"
        extra.append(row)
    return pd.concat([mats, pd.DataFrame(extra)], ignore_index=True)


def _nearest(lat, lon, from_idx, to_idx, k):
    """For each node in ``from_idx``, its k nearest nodes in ``to_idx`` (excluding itself)."""
    pairs = []
    if len(to_idx) == 0:
        return pairs
    for i in from_idx:
        d = haversine_km(lat[i], lon[i], lat[to_idx], lon[to_idx])
        order = np.argsort(d, kind="stable")
        picked = [int(to_idx[j]) for j in order if to_idx[j] != i][:k]
        pairs.extend((int(i), j) for j in picked)
    return pairs


def synthetic_scenario(n_firms: int, n_materials: int = 15, seed: int = 0, firms_per_site: int = 25,
                       n_economies: int = 6, with_eu: bool = True, base: Scenario | None = None) -> Scenario:
    """A random region of ``n_firms`` firms in the first ``n_economies`` WB6 economies (and
    Croatia as the EU market if ``with_eu``), over the base scenario's borders."""
    if n_firms < 1:
        raise ValueError(f"n_firms must be >= 1, got {n_firms}")
    if not 1 <= n_economies <= len(CONNECTED_ORDER):
        raise ValueError(f"n_economies must be in 1..{len(CONNECTED_ORDER)}, got {n_economies}")
    base = base if base is not None else load_scenario(DEFAULT_SCENARIO)
    rng = np.random.default_rng(seed)
    materials = _materials(base, n_materials)
    mat_ids = list(materials["material"])
    prov = {"source": SYNTHETIC, "assumption": "synthetic, drawn at random"}

    extent = base.sites.groupby("economy")[["lat", "lon"]].agg(["min", "max"])
    wb6 = list(CONNECTED_ORDER[:n_economies])
    economies = wb6 + (["HR"] if with_eu and "HR" in extent.index else [])
    n_sites = int(np.clip(n_firms // firms_per_site, 2 * len(economies), 2000))
    site_economy = np.array([economies[i % len(economies)] for i in range(n_sites)])
    lat = np.empty(n_sites)
    lon = np.empty(n_sites)
    for e in sorted(set(site_economy)):
        sel = site_economy == e
        (la0, la1), (lo0, lo1) = extent.loc[e, "lat"], extent.loc[e, "lon"]
        lat[sel] = rng.uniform(la0 - 0.05, la1 + 0.05, sel.sum())
        lon[sel] = rng.uniform(lo0 - 0.05, lo1 + 0.05, sel.sum())
    site_ids = [f"S{i:05d}" for i in range(n_sites)]
    sites = pd.DataFrame({
        "site_id": site_ids, "name": site_ids, "economy": site_economy, "kind": "synthetic",
        "lat": lat, "lon": lon, "coord_quality": "synthetic", **prov,
    })

    borders = base.borders[
        base.borders["economy_a"].isin(set(site_economy)) & base.borders["economy_b"].isin(set(site_economy))
    ].reset_index(drop=True)
    all_lat = np.concatenate([lat, borders["lat"].to_numpy()])
    all_lon = np.concatenate([lon, borders["lon"].to_numpy()])
    node_ids = site_ids + list(borders["crossing_id"])
    pairs = []
    for e in sorted(set(site_economy)):
        idx = np.flatnonzero(site_economy == e)
        pairs += _nearest(all_lat, all_lon, idx, idx, 3)
        # a chain through the economy keeps it connected
        pairs += [(int(a), int(b)) for a, b in zip(idx[:-1], idx[1:])]
    for c, row in enumerate(borders.itertuples()):
        node = n_sites + c
        for side in (row.economy_a, row.economy_b):
            pairs += _nearest(all_lat, all_lon, [node], np.flatnonzero(site_economy == side), 2)
    seen = set()
    link_rows = []
    for a, b in pairs:
        key = (min(a, b), max(a, b))
        if a == b or key in seen:
            continue
        seen.add(key)
        km = max(1.0, 1.3 * float(haversine_km(all_lat[a], all_lon[a], all_lat[b], all_lon[b])))
        link_rows.append({"from_node": node_ids[key[0]], "to_node": node_ids[key[1]], "mode": "road",
                          "distance_km": km, **prov})
    links = pd.DataFrame(link_rows, columns=[c.name for c in TABLES["links"]] + ["source", "assumption"])

    firm_ids = [f"F{i:06d}" for i in range(n_firms)]
    eu_sites = [i for i, e in enumerate(site_economy) if e not in wb6]
    firm_site = rng.integers(0, n_sites, n_firms)
    sector = rng.choice(SECTORS, n_firms)
    firms = pd.DataFrame({"firm_id": firm_ids, "site_id": [site_ids[s] for s in firm_site],
                          "sector": sector, "name": firm_ids, **prov})
    firms.loc[np.isin(firm_site, eu_sites), "sector"] = "eu_buyer"

    n_m = len(mat_ids)
    gen_count = rng.integers(1, 3, n_firms)
    abs_count = rng.integers(0, 3, n_firms)
    rows = []
    for i in range(n_firms):
        chosen = rng.choice(n_m, size=min(n_m, gen_count[i] + abs_count[i]), replace=False)
        for k, m in enumerate(chosen):
            role = "generates" if k < gen_count[i] else "absorbs"
            rows.append((firm_ids[i], mat_ids[m], role, float(np.round(rng.lognormal(8.0, 1.2), 1)),
                         float(np.round(rng.uniform(0.2, 0.9), 2))))
    holders = rng.choice(n_firms, size=max(1, n_firms // 50), replace=False)
    stock_materials = [m for m in ("tailings", "slag", "red_mud") if m in mat_ids] or mat_ids[:1]
    for i in holders:
        rows.append((firm_ids[i], stock_materials[i % len(stock_materials)], "stock",
                     float(np.round(rng.lognormal(14.0, 1.0), 0)), 0.4))
    streams = pd.DataFrame(rows, columns=["firm_id", "material", "role", "tonnes", "quality"])
    streams = streams.drop_duplicates(["firm_id", "material", "role"]).reset_index(drop=True)
    streams["source"], streams["assumption"] = prov["source"], prov["assumption"]

    metals = base.remining.drop_duplicates("metal")[["metal", "metal_price_eur_t", "crm"]]
    remining = []
    for i in holders:
        metal = metals.iloc[int(i) % len(metals)]
        remining.append({"firm_id": firm_ids[i], "metal": metal["metal"],
                         "grade_kg_t": float(np.round(rng.uniform(0.5, 3.0), 3)), "recovery": 0.5,
                         "metal_price_eur_t": metal["metal_price_eur_t"], "crm": metal["crm"], **prov})
    legal = base.legal_status[base.legal_status["material"].isin(mat_ids)]
    extra_legal = []
    for mat in mat_ids[len(base.materials):]:
        origin = mat.rsplit("_v", 1)[0]
        for row in base.legal_status[base.legal_status["material"] == origin].itertuples(index=False):
            extra_legal.append({**row._asdict(), "material": mat})
    legal = pd.concat([legal, pd.DataFrame(extra_legal)], ignore_index=True) if extra_legal else legal
    epr = base.epr[base.epr["material"].isin(mat_ids)].reset_index(drop=True)
    return validate(Scenario(
        folder=Path(f"<synthetic n_firms={n_firms} seed={seed}>"), economies=base.economies, materials=materials,
        sites=sites, borders=borders, links=links, firms=firms, firm_streams=streams,
        legal_status=legal.reset_index(drop=True), epr=epr, remining=pd.DataFrame(remining, columns=[c.name for c in TABLES["remining"]] + ["source", "assumption"]),
        parameters=_kept_offices(base.parameters, set(borders["crossing_id"])),
    ))


def _kept_offices(parameters: dict, crossings: set[str]) -> dict:
    """The base parameters, the waste customs offices limited to the crossings the region keeps."""
    offices = parameters.get("waste_customs_offices")
    if offices is None:
        return dict(parameters)
    return {**parameters, "waste_customs_offices": [o for o in offices if o in crossings]}


def write_scenario(scenario: Scenario, folder: str | Path) -> Path:
    """Write a scenario in the on-disk schema (CSV tables plus parameters.yaml)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        getattr(scenario, name).to_csv(folder / f"{name}.csv", index=False)
    params = {k: {"value": v, "source": SYNTHETIC} for k, v in scenario.parameters.items()}
    (folder / "parameters.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return folder
