"""Energy and water exchanges: surplus heat (MWh) and treated or process water (m3) piped from
one firm to another, kept apart from the tonnes of the mass ledger.

Seed 001 counts "material, energy, and water symbiotic exchanges" among the platform's KPIs, asks
for pilot projects "focusing on different types of synergy (material and energy)", and wants the
regional strategy to focus on "reuse of resources, water, and energy". Each link of
``utility_links.csv`` joins a source (a power plant's or steelworks' surplus heat, a plant's
industrial water, a city's treated effluent) to a sink (a city's heat network, an industrial
user) through a pipe of given capacity and length. Each month:

- a link runs from its start (operating and committed links from their ``start_year``;
  candidates once a pilot has built them, ``build``);
- its sink asks for its yearly demand spread over the months (heat by the heating-season
  profile ``heat_demand_profile``, water evenly);
- its source gives off its yearly surplus evenly, scaled by how active the source is (its
  generation against the scenario's: a coal plant that closes on its schedule stops giving heat);
- the pipe loses ``1 - exp(-loss_per_km x distance)`` of what enters it, so a longer pipe has to
  take more from its source for the same delivery;
- ``sim.kernels.utilities.utility_flows`` splits each source among its links. Supplied = used +
  lost on every link and month, in the link's own unit (``check``).

Heat replaces the fuel the sink would otherwise burn (``heat_displaced_co2_t_per_mwh``); a power
plant that extracts steam for heat makes less electricity, whose CO2 is charged to the heat
(``heat_extraction_co2_t_per_mwh``).
"""

from __future__ import annotations

import numpy as np

from sim.errors import InvariantError
from sim.kernels import utility_flows
from sim.parameters import KEYED, declare
from sim.scenario import DISPLACED_HEAT, UTILITY_KINDS
from sim.state import MONTHS_PER_YEAR

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: units of the two kinds, as the KPI names write them
UNITS = {"heat": "mwh", "water": "m3"}
FUELS = tuple(f for f in DISPLACED_HEAT if f != "none")
#: MWh or m3 of imbalance tolerated per link and month
TOLERANCE = 1e-6

declare("heat_demand_profile", KEYED, MONTHS,
        default={"jan": 0.22, "feb": 0.18, "mar": 0.14, "apr": 0.07, "may": 0.01, "jun": 0.0, "jul": 0.0,
                 "aug": 0.0, "sep": 0.01, "oct": 0.07, "nov": 0.13, "dec": 0.17},
        unit="share of a year's heat demand in each calendar month (month 0 is January)",
        source="assumption: a space-heating season of October to April in proportion to typical heating degree "
               "days of the central Balkans; no summer hot-water load")
declare("heat_loss_per_km", default=0.002, unit="1/km (loss share 1 - exp(-k x km))",
        source="assumption: about 2 % of the heat entering a 10 km pre-insulated transmission line")
declare("water_loss_per_km", default=0.001, unit="1/km (loss share 1 - exp(-k x km))",
        source="assumption: about 1 % of the water entering a 10 km industrial water main (leaks)")
declare("waste_heat_value_eur_mwh", default=36.0, unit="EUR/MWh delivered",
        source="https://viennaoffices.at/de/News-Room/City-News/Belgrad-Bauvertrag-fuer-Fernwaermeleitung-abgeschlossen "
               "(Obrenovac-New Belgrade: up to EUR 40 m a year of energy costs saved) over the assumed 1.1 TWh a "
               "year it delivers")
declare("reused_water_value_eur_m3", default=0.4, unit="EUR/m3 delivered",
        source="assumption: the cost of industrial water from an own intake, treatment included")
declare("heat_displaced_co2_t_per_mwh", KEYED, FUELS,
        default={"natural_gas": 0.224, "heavy_fuel_oil": 0.317, "lignite": 0.485, "grid_electricity": 1.0},
        unit="t CO2 per MWh of heat the displaced source would have made",
        source="IPCC 2006 Guidelines vol. 2 table 2.2 default emission factors (natural gas 56.1, residual fuel "
               "oil 77.4, lignite 101 t CO2/TJ) over boiler efficiencies of 0.90, 0.88 and 0.75 (assumption); "
               "grid_electricity: assumption of about 1 t CO2/MWh for lignite-based WB6 power, heating by resistance")
declare("heat_extraction_co2_t_per_mwh", default=0.17, unit="t CO2 per MWh of heat a power plant extracts",
        source="assumption: about one MWh of electricity lost per six MWh of steam extracted (a Z-factor of 6), "
               "at about 1 t CO2/MWh of lignite power")


class UtilityExchanges:
    """The region's heat and water links, handled in bulk (one entry per row of the table)."""

    def __init__(self, model):
        self.model = model
        table, firms, params = model.region.utility_links, model.firms, model.params
        row_of = {f: i for i, f in enumerate(model.region.firms["firm_id"])}
        self.link_id = table["link_id"].to_numpy(dtype=object)
        self.kind = table["kind"].to_numpy(dtype=object)
        self.source = table["source_firm"].map(row_of).to_numpy(dtype=np.int64)
        self.sink = table["sink_firm"].map(row_of).to_numpy(dtype=np.int64)
        #: the economy a link's exchange counts in: its source's, as a material exchange counts in the seller's
        self.economy = firms.economy[self.source]
        self.capacity_month = table["capacity_per_year"].to_numpy(dtype=float) / MONTHS_PER_YEAR
        self.demand_year = table["demand_per_year"].to_numpy(dtype=float)
        self.capex_eur = table["capex_eur"].to_numpy(dtype=float)
        self.status = table["status"].to_numpy(dtype=object)
        distance = table["distance_km"].to_numpy(dtype=float)
        per_km = np.where(self.kind == "heat", float(params["heat_loss_per_km"]), float(params["water_loss_per_km"]))
        self.loss_share = 1.0 - np.exp(-per_km * distance)
        start_year = float(params["start_year"])
        #: first month each link may run (before the model starts: from month 0)
        self.earliest_month = np.maximum(
            np.ceil((table["start_year"].to_numpy(dtype=float) - start_year) * MONTHS_PER_YEAR), 0).astype(np.int64)
        never = np.iinfo(np.int64).max
        #: month a link runs from (candidates: once built)
        self.open_month = np.where(self.status == "candidate", never, self.earliest_month)
        #: links a pilot built
        self.built = np.zeros(len(table), dtype=bool)
        #: one source per (firm, kind): its index per link, its yearly surplus, and its firm
        pairs = [f"{s}|{k}" for s, k in zip(self.source, self.kind)]
        keys, self.source_index = np.unique(np.array(pairs, dtype=object), return_inverse=True)
        self.source_index = self.source_index.reshape(-1).astype(np.int64)
        self.surplus_month = np.zeros(len(keys))
        self.surplus_month[self.source_index] = table["source_surplus_per_year"].to_numpy(dtype=float) / MONTHS_PER_YEAR
        self.source_firm = np.zeros(len(keys), dtype=np.int64)
        self.source_firm[self.source_index] = self.source
        self.base_generation = firms.generation[self.source_firm].sum(axis=1)
        self.profile = np.array([float(params["heat_demand_profile"][m]) for m in MONTHS])
        self.heat_value = float(params["waste_heat_value_eur_mwh"])
        self.water_value = float(params["reused_water_value_eur_m3"])
        displaced = params["heat_displaced_co2_t_per_mwh"]
        self.displaced_co2 = np.array([float(displaced.get(f, 0.0)) for f in table["displaced"]])
        from_power = model.region.firms["sector"].to_numpy()[self.source] == "power"
        self.extraction_co2 = np.where((self.kind == "heat") & from_power,
                                       float(params["heat_extraction_co2_t_per_mwh"]), 0.0)
        n = len(table)
        #: this month's flows per link (MWh for heat, m3 for water), and what its sink asked for
        self.supplied, self.used, self.lost, self.demand = (np.zeros(n) for _ in range(4))
        self.available = np.zeros(len(keys))

    # ---- what pilots do -----------------------------------------------------------------
    def candidates(self, kind: str, economies: list[int]) -> np.ndarray:
        """Rows of candidate links of ``kind`` not built yet whose source is in ``economies``,
        best first: highest yearly value delivered per EUR of capex (ties in table order)."""
        rows = np.flatnonzero((self.status == "candidate") & ~self.built & (self.kind == kind)
                              & np.isin(self.economy, economies))
        value = self.demand_year[rows] * (1.0 - self.loss_share[rows]) * (
            self.heat_value if kind == "heat" else self.water_value)
        ratio = np.divide(value, self.capex_eur[rows], out=np.full(len(rows), np.inf), where=self.capex_eur[rows] > 0)
        return rows[np.argsort(-ratio, kind="stable")]

    def build(self, rows: np.ndarray, month: int, build_months: int) -> None:
        """Build candidate links ``rows`` now: they run ``build_months`` later, not before their start year."""
        self.built[rows] = True
        self.open_month[rows] = np.maximum(month + build_months, self.earliest_month[rows])

    @property
    def capex_built_eur(self) -> np.ndarray:
        """Capex of the links pilots built, per link (EUR; 0 for the others)."""
        return np.where(self.built, self.capex_eur, 0.0)

    # ---- the month ----------------------------------------------------------------------
    def activity(self) -> np.ndarray:
        """How active each source is against the scenario's month 0: its generation now over then
        (1 for a source that generates no stream)."""
        now = self.model.firms.generation[self.source_firm].sum(axis=1)
        return np.divide(now, self.base_generation, out=np.ones(len(now)), where=self.base_generation > 0)

    def step(self) -> None:
        """This month's heat and water flows over the links that run."""
        month = self.model.month
        running = month >= self.open_month
        season = np.where(self.kind == "heat", self.profile[month % 12], 1.0 / MONTHS_PER_YEAR)
        self.demand = np.where(running, self.demand_year * season, 0.0)
        self.available = self.surplus_month * self.activity()
        if len(self.kind):
            self.supplied, self.used, self.lost = utility_flows(self.source_index, self.available,
                                                                self.capacity_month, self.demand, self.loss_share)

    def check(self) -> None:
        """Each link: supplied = used + lost, used at most its sink's demand, supplied at most its
        capacity; each source: its links' supply at most its surplus. In MWh or m3, not tonnes."""
        step = self.model.month
        for k in np.flatnonzero(np.abs(self.supplied - self.used - self.lost) > TOLERANCE):
            raise InvariantError(f"{self.kind[k]} balance broken at step {step}, link {self.link_id[k]}: supplied "
                                 f"{self.supplied[k]:.6g} != used {self.used[k]:.6g} + lost {self.lost[k]:.6g}")
        for k in np.flatnonzero((self.used > self.demand + TOLERANCE) | (self.supplied > self.capacity_month + TOLERANCE)
                                | (self.lost < -TOLERANCE)):
            raise InvariantError(f"{self.kind[k]} link {self.link_id[k]} at step {step}: used {self.used[k]:.6g} of "
                                 f"demand {self.demand[k]:.6g}, supplied {self.supplied[k]:.6g} of capacity "
                                 f"{self.capacity_month[k]:.6g}, lost {self.lost[k]:.6g}")
        given = np.bincount(self.source_index, weights=self.supplied, minlength=len(self.available))
        for s in np.flatnonzero(given > self.available * (1 + 1e-9) + TOLERANCE):
            raise InvariantError(f"source {self.model.region.firms['firm_id'].iat[self.source_firm[s]]} at step {step} "
                                 f"gave {given[s]:.6g} of {self.available[s]:.6g} available")

    def figures(self, by) -> dict[str, np.ndarray]:
        """This month's KPIs by the source's economy (``by(economy, weights)`` sums over economies)."""
        f = {}
        for kind, unit in UNITS.items():
            mine = self.kind == kind
            used = np.where(mine, self.used, 0.0)
            name = "energy" if kind == "heat" else "water"
            f[f"{name}_supplied_{unit}"] = by(self.economy, np.where(mine, self.supplied, 0.0))
            f[f"{name}_exchanged_{unit}" if kind == "heat" else f"water_reused_{unit}"] = by(self.economy, used)
            f[f"{name}_lost_{unit}"] = by(self.economy, np.where(mine, self.lost, 0.0))
            f[f"{name}_exchange_value_eur"] = by(self.economy, used * (
                self.heat_value if kind == "heat" else self.water_value))
            f[f"{name}_exchanges_active"] = by(self.economy, (mine & (self.used > 0)).astype(float))
        f["heat_co2_avoided_t"] = by(self.economy, self.used * self.displaced_co2 - self.supplied * self.extraction_co2)
        f["utility_capex_eur"] = by(self.economy, self.capex_built_eur)
        return f
