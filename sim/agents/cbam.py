"""The EU Carbon Border Adjustment Mechanism (CBAM) as WB6 exporters feel it: a price on the
CO2 embedded in the cement and steel they sell in the EU, and hence a value of the secondary
inputs that cut those emissions.

Regulation (EU) 2023/956 prices, from 2026, the embedded emissions of cement, iron and steel,
aluminium, fertilisers, electricity and hydrogen imported into the EU at the EU ETS allowance
price, phased in as the EU's free allocation is phased out (``cbam_factor``: the share of
embedded emissions priced, 2.5 % in 2026 to 100 % in 2034). Seed 001 notes that CBAM "already
places a price on embedded CO2 emissions" and will "increase the overall cost of materials and
products exported from the WB6 economies to the EU", and that fly ash and slag replace clinker in
cement ("Ash with appropriate characteristics can replace some of the clinker in cement";
"granulated blast furnace slag is used as an eco-friendly cement additive"), and dried sludge is
a cement-kiln fuel.

A WB6 firm of a covered sector pays CBAM on the share of its output it sells in the EU
(``cbam_eu_export_share_<sector>``, by economy). Each tonne of a low-carbon input it uses in place
of its virgin substitute (``COVERED_INPUTS``: ash, slag and alternative kiln fuels in cement,
scrap in steel) cuts its embedded emissions by the material's ``co2_avoided_t_per_t``, so it is
worth, per tonne, that many tonnes x the CBAM price x the export share more than before. The
buyer's willingness to pay rises by this amount (not capped by the virgin price, which CBAM raises
too), smoothly with the price path and differently by economy and sector. No WB6 carbon price is
deducted: Montenegro's ETS, the only one, gave its covered plants free allowances
(https://etxtra.org/the-cautionary-tale-of-montenegros-emission-trading-scheme/).

The ``cbam`` pilot sets the price each month; without it the premium is zero. Aluminium,
electricity, fertilisers and hydrogen are covered by the Regulation but no secondary input of the
model lowers their embedded emissions (the model has no aluminium scrap and no power plant buys
biomass).
"""

from __future__ import annotations

import numpy as np

from sim.parameters import KEYED, declare
from sim.state import MONTHS_PER_YEAR

WB6 = ("AL", "BA", "ME", "MK", "RS", "XK")
#: sectors whose EU exports CBAM prices and the model's inputs that cut their embedded CO2
COVERED_INPUTS = {
    "cement": ("fly_ash", "slag", "wood_biomass", "sludge", "tyres"),
    "steel": ("steel_scrap",),
}
YEARS = tuple(str(y) for y in range(2026, 2035))

declare("cbam_factor", KEYED, YEARS,
        default={"2026": 0.025, "2027": 0.05, "2028": 0.10, "2029": 0.225, "2030": 0.485, "2031": 0.61,
                 "2032": 0.735, "2033": 0.86, "2034": 1.0},
        unit="share of embedded emissions priced in January of each year (linear between years; 1 after 2034)",
        source="Regulation (EU) 2023/956 Art. 31 with Directive 2003/87/EC Art. 10a(1a): free allocation of "
               "97.5 % in 2026, 95, 90, 77.5, 51.5, 39, 26.5, 14 % and none from 2034 "
               "(https://cbamreports.com/cbampayments: a CBAM factor of 97.5 % in 2026; "
               "https://custom-tariffs-seo.pages.dev/en/guides/cbam-eu-carbon-border-tax: from 2.5 % in 2026 "
               "to 100 % by 2034); linear within a year is an assumption")
declare("cbam_eu_export_share_cement", KEYED, WB6,
        default={"AL": 0.10, "BA": 0.15, "ME": 0.0, "MK": 0.10, "RS": 0.10, "XK": 0.0},
        unit="share of the economy's cement output sold in the EU",
        source="assumption: WB6 cement is sold mostly at home and in the region (Kosovo has no EU border, "
               "Montenegro no cement plant); BA and RS plants near Croatia, Hungary and Romania export some")
declare("cbam_eu_export_share_steel", KEYED, WB6,
        default={"AL": 0.3, "BA": 0.6, "ME": 0.5, "MK": 0.8, "RS": 0.6, "XK": 0.0},
        unit="share of the economy's steel output sold in the EU",
        source="assumption, anchored on Serbia's iron and steel exports to the EU of about EUR 556 m in 2024 "
               "(https://cbam.clarion.engineer/?p=395) and Serbia's CBAM-covered exports to the EU of about "
               "USD 3 bn in 2022, nearly 10 % of its exports (World Bank, same page)")
declare("cbam_embedded_t_co2_per_t", KEYED, tuple(COVERED_INPUTS),
        default={"cement": 0.7, "steel": 2.0},
        unit="t CO2 embedded per t of product",
        source="steel: 1.8-2.2 t CO2/t at an integrated plant (https://cbam.clarion.engineer/eu-cbam-turns-carbon-"
               "price-into-a-trade-variable-for-serbias-exporters-reshaping-competitiveness-across-steel-cement-"
               "aluminium-and-more/); cement: assumption, about 0.7 t CO2/t of grey cement")


class CarbonBorder:
    """CBAM's pull on secondary inputs: per firm and material, the EUR/t a WB6 exporter of a
    covered sector saves in CBAM certificates by using one tonne (``premium``)."""

    def __init__(self, model):
        self.model = model
        firms, params = model.firms, model.params
        codes = np.array(model.economy_codes)[firms.economy]
        sector = model.region.firms["sector"].to_numpy()
        #: t CO2 of EU-priced embedded emissions one tonne of each input avoids, per firm and material
        self.avoided_t_co2 = np.zeros(firms.capacity.shape)
        for name, inputs in COVERED_INPUTS.items():
            share = params[f"cbam_eu_export_share_{name}"]
            rows = np.flatnonzero((sector == name) & model.is_wb6[firms.economy])
            export = np.array([float(share.get(c, 0.0)) for c in codes[rows]])
            for material in inputs:
                if material in model.material_index:
                    m = model.material_index[material]
                    self.avoided_t_co2[rows, m] = export * model.co2_avoided[m]
        factor = params["cbam_factor"]
        self.years = np.array([float(y) for y in YEARS])
        self.factors = np.array([float(factor[y]) for y in YEARS])
        self.embedded = {name: float(params["cbam_embedded_t_co2_per_t"][name]) for name in COVERED_INPUTS}
        self.start_year = float(params["start_year"])
        #: EUR per t CO2 embedded that an EU importer pays this month (ETS price x CBAM factor)
        self.price_eur_t = 0.0
        self.premium = np.zeros(firms.capacity.shape)

    def factor_at(self, month: int) -> float:
        """Share of embedded emissions priced in month ``month`` (0 before 2026, 1 from 2034)."""
        year = self.start_year + month / MONTHS_PER_YEAR
        return float(np.interp(year, self.years, self.factors, left=0.0, right=1.0))

    def set_price(self, ets_eur_t: float, month: int) -> None:
        """This month's CBAM price from the EU ETS price, and the premiums it gives."""
        self.price_eur_t = ets_eur_t * self.factor_at(month)
        self.premium = self.avoided_t_co2 * self.price_eur_t

    def figures(self, arrived: dict, to_user: np.ndarray, by) -> dict[str, np.ndarray]:
        """CBAM certificates this month's deliveries of low-carbon inputs save their buyers
        (EUR, by the buyer's economy)."""
        saved = arrived["tonnes"] * self.premium[arrived["buyer"], arrived["material"]] * to_user
        return {"cbam_cost_avoided_eur": by(arrived["to_economy"], saved)}

    def region_figures(self) -> dict[str, float]:
        """The CBAM price and what it adds per tonne of each covered product sold in the EU."""
        row = {"cbam_price_eur_t_co2": self.price_eur_t}
        for name, t_co2 in self.embedded.items():
            row[f"cbam_cost_eur_per_t_{name}"] = t_co2 * self.price_eur_t
        return row
