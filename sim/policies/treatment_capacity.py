"""Treatment capacity: build the planned treatment plants of the chosen processes (seed 001:
"establish collection and treatment systems"; recyclers and treatment capacity outside Serbia
are missing, and no WB6 economy treats textiles). Each planned plant (one with no capacity yet)
in the chosen economies gets an input capacity that is a share of its economy's generation of
the stream, split between the economy's planned plants of the process by the stream generated
at their own site (equally where none is).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import ConfigError
from sim.policies.base import Policy, PolicyParams, param, register
from sim.scenario import TREATMENT_PROCESSES


@dataclass(kw_only=True)
class TreatmentCapacityParams(PolicyParams):
    #: processes whose planned plants are built
    processes: list[str] = param("process names")
    #: economies where they are built (empty: every WB6 economy)
    economies: list[str] = param("economy codes")
    #: input capacity built, as a share of the economy's generation of the input stream
    capacity_share: float = param("share of generation")


@register("treatment_capacity")
class TreatmentCapacity(Policy):
    Params = TreatmentCapacityParams
    description = (
        "Builds recycling plants that crush C&D waste into aggregate, process glass into furnace-ready "
        "cullet and sort textiles, sized to a share of the waste each economy generates."
    )

    def check(self, model) -> None:
        super().check(model)
        unknown = [p for p in self.params.processes if p not in TREATMENT_PROCESSES]
        if unknown:
            raise ConfigError(f"{self.where}.processes", f"unknown process {unknown[0]!r}",
                              choices=TREATMENT_PROCESSES, value=unknown[0])

    def apply(self, model) -> None:
        firms, plants = model.firms, model.treatment
        for process in self.params.processes:
            pairs = np.unique(plants.pair[plants.process == process])
            rows, material = plants.pair_firm[pairs], plants.pair_material[pairs]
            planned = firms.capacity[rows, material] == 0.0
            for e in self.economies:
                build = planned & (firms.economy[rows] == e)
                if not build.any():
                    continue
                m = material[build]
                generated = firms.generation[:, m[0]]
                at_site = np.array([generated[firms.node == firms.node[f]].sum() for f in rows[build]])
                weights = at_site / at_site.sum() if at_site.sum() > 0 else np.full(len(at_site), 1 / len(at_site))
                # generation and capacity are both t/month
                total = self.params.capacity_share * generated[firms.economy == e].sum()
                firms.capacity[rows[build], m] = total * weights
