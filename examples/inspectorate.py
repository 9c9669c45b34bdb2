"""Environmental inspectorate: one per WB6 economy, a new actor kind (worked example (c) of
docs/extending.md). At the end of each month it sees how much of its economy's disposed waste
was dumped and steps up enforcement in proportion, towards a ceiling: the more dumping it finds,
the faster the regulator's detection probability rises, so that the expected fine firms weigh
against the landfill fee grows (seed 000 barrier.administrative: "weak environmental monitoring
and ESG enforcement").

Switched on with the config ``configs/agents/inspectorate.yaml``:

    python -m sim agents=[inspectorate]
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.parameters import declare

declare("inspectorate_enforcement_ceiling", default=0.6, unit="probability of detecting a dumping",
        source="assumption: what systematic inspection reaches, against 0.03-0.08 in the WB6 today "
               "(sim/data/economies.csv enforcement_probability)")
declare("inspectorate_response_per_month", default=0.5, unit="share of the gap closed per month at 100 % dumped",
        source="assumption: enforcement catches up within a few years where most waste is dumped")


@actor_kind("inspectorate", stage="month_end")
class Inspectorate(mesa.Agent):
    def __init__(self, model, regulator):
        super().__init__(model)
        self.regulator = regulator
        self.dumped_share = 0.0

    @classmethod
    def populate(cls, model) -> list["Inspectorate"]:
        return [cls(model, regulator) for regulator, wb6 in zip(model.regulators, model.is_wb6) if wb6]

    @classmethod
    def act(cls, model, agents: list["Inspectorate"]) -> None:
        """This month's dumped share of disposed tonnes by economy, then each inspectorate acts."""
        flows, economy = model.market.flows, model.firms.economy
        dumped = np.bincount(economy, weights=flows.dumped.sum(axis=1), minlength=model.n_economies)
        disposed = dumped + np.bincount(economy, weights=flows.landfilled.sum(axis=1), minlength=model.n_economies)
        share = np.divide(dumped, disposed, out=np.zeros(model.n_economies), where=disposed > 0)
        for agent in agents:
            agent.inspect(float(share[agent.regulator.economy]))

    def inspect(self, dumped_share: float) -> None:
        """Raise the detection probability towards the ceiling, by the share of waste found dumped."""
        params, regulator = self.model.params, self.regulator
        self.dumped_share = dumped_share
        gap = params["inspectorate_enforcement_ceiling"] - regulator.enforcement_probability
        if gap > 0.0:
            regulator.enforcement_probability += params["inspectorate_response_per_month"] * dumped_share * gap
