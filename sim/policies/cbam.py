"""CBAM: from 2026 EU importers of cement, steel, aluminium, fertilisers, electricity and hydrogen
pay for the CO2 embedded in them at the EU ETS price (Regulation (EU) 2023/956), phased in as
free allocation is phased out. Each month the pilot sets the CBAM price, the ETS price on its
path times the year's CBAM factor: WB6 cement and steel firms that sell in the EU value the
secondary inputs that cut their embedded CO2 (ash, slag and alternative kiln fuels; scrap) by
the certificates they save, and pay that much more for them (``sim.agents.cbam``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.policies.base import Policy, PolicyParams, param, register


@dataclass(kw_only=True)
class CbamParams(PolicyParams):
    #: EU ETS allowance price in the model's first month
    ets_price_eur_t: float = param("EUR per t CO2")
    #: EU ETS allowance price in 2030 (linear from the first month, constant after)
    ets_price_2030_eur_t: float = param("EUR per t CO2")


@register("cbam")
class Cbam(Policy):
    Params = CbamParams
    description = (
        "The EU's carbon border adjustment: WB6 cement and steel sold in the EU pay for their embedded CO2, "
        "so their makers pay more for fly ash, slag, alternative fuels and scrap that cut it."
    )

    def on_step(self, model) -> None:
        cbam, p = model.cbam, self.params
        to_2030 = (2030.0 - cbam.start_year) * 12.0
        ets = float(np.interp(model.month, [0.0, max(to_2030, 1.0)], [p.ets_price_eur_t, p.ets_price_2030_eur_t]))
        cbam.set_price(ets, model.month)
