"""Treatment plants: recyclers that take in a stream and make products of a higher grade (C&D
crushing and screening, glass processing, textile sorting, tyre processing, regranulation).

Seed 001 makes treatment capacity what separates Serbia (which treats rubber, steel scrap,
plastics, paper and e-waste) from economies that cannot hand over high-quality secondary raw
materials, and notes that no WB6 economy treats textiles. A plant is a firm (sector
``recycler``) with an ``absorbs`` row for its input in ``firm_streams.csv`` (its capacity, t/yr,
and the lowest grade it accepts) and one row per product in ``treatment.csv`` (yield, grade,
processing cost). The plants of a region are handled together, in bulk over their rows:

- ``input_bids``: a plant pays for its input what the input is worth to it, the products'
  value (yield x unit value, summed) less its processing cost per tonne; a negative bid is a
  gate fee, which a seller pays when its landfill or dumping would cost more;
- ``limit_intake``: it takes in less while its products pile up, linearly down to nothing when
  its stock reaches ``treatment_storage_months`` of output at capacity;
- ``treat``: it treats all it received this month. Products go into its stock, offered to
  buyers at the product's grade (and, like any stream it offers, certifiable as end-of-waste by
  its regulator's laboratories); residues are landfilled. Input = products + residues, and the
  plant's product stock changes by products made less products sold (``sim.ledger``).

Capacity grows like any buyer's: a plant whose intake nears capacity weighs a recycling line
at the year's end, and the ``treatment_capacity`` pilot builds planned plants.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import declare

declare("treatment_storage_months")


class TreatmentPlants:
    def __init__(self, model):
        self.model = model
        firms, table = model.firms, model.region.treatment
        row_of = {f: i for i, f in enumerate(model.region.firms["firm_id"])}
        #: one entry per product row: plant (firm row), input and product (material columns)
        self.firm = table["firm_id"].map(row_of).to_numpy(dtype=np.int64)
        self.material = table["material"].map(model.material_index).to_numpy(dtype=np.int64)
        self.product = table["product"].map(model.material_index).to_numpy(dtype=np.int64)
        self.product_yield = table["product_yield"].to_numpy(dtype=float)
        self.process = table["process"].to_numpy(dtype=object)
        #: one entry per (plant, input) pair; ``pair`` maps each product row to its pair
        pairs, self.pair = np.unique(np.stack([self.firm, self.material]), axis=1, return_inverse=True)
        self.pair = self.pair.reshape(-1)
        self.pair_firm, self.pair_material = pairs[0], pairs[1]
        n_pairs = pairs.shape[1]
        self.pair_process = np.empty(n_pairs, dtype=object)
        self.pair_process[self.pair] = self.process
        #: the processes the region's plants run, in name order
        self.processes = sorted(set(self.process))
        self.residue_share = 1.0 - np.bincount(self.pair, weights=self.product_yield, minlength=n_pairs)
        # the processing cost is per tonne of input; rows of one input give it once each
        self.cost_eur_t = np.zeros(n_pairs)
        np.maximum.at(self.cost_eur_t, self.pair, table["cost_eur_t"].to_numpy(dtype=float))
        self.storage_months = float(model.params["treatment_storage_months"])
        # products are offered from the plant's stock, all of it each month, at their grade
        firms.quality[self.firm, self.product] = table["product_grade"].to_numpy(dtype=float)
        firms.offers[self.firm, self.product] = True
        firms.reclaim_t_month[self.firm, self.product] = np.inf
        self.input_mask = np.zeros(firms.capacity.shape, dtype=bool)
        self.input_mask[self.pair_firm, self.pair_material] = True
        self.product_mask = np.zeros(firms.capacity.shape, dtype=bool)
        self.product_mask[self.firm, self.product] = True
        #: this month's intake per pair, products per product row, residues per pair (t)
        self.intake_t = np.zeros(n_pairs)
        self.output_t = np.zeros(len(self.firm))
        self.residue_t = np.zeros(n_pairs)
        #: this month's processing cost, EUR
        self.cost_eur = 0.0

    @property
    def n_plants(self) -> int:
        return len(np.unique(self.pair_firm))

    def input_bids(self, buyers: np.ndarray, material: int, wtp: np.ndarray) -> np.ndarray:
        """``wtp`` (EUR/t, one per buyer row) with the plants' bids for ``material`` in place
        of theirs: sum of yield x product value, less the processing cost per tonne."""
        at = np.flatnonzero(self.pair_material == material)
        if len(at) == 0:
            return wtp
        value = np.bincount(self.pair, weights=self.product_yield * self.model.unit_value[self.product],
                            minlength=len(self.pair_firm))
        bid = np.full(self.model.firms.n_firms, np.nan)
        bid[self.pair_firm[at]] = value[at] - self.cost_eur_t[at]
        mine = bid[buyers]
        return np.where(np.isnan(mine), wtp, mine)

    def limit_intake(self, bids_t: np.ndarray) -> None:
        """Scale the plants' input bids (t/month, F x M, in place) by the room left in their
        product stock: 1 when empty, 0 at ``storage_months`` of output at capacity."""
        firms = self.model.firms
        output_capacity = firms.capacity[self.pair_firm, self.pair_material] * (1.0 - self.residue_share)
        held = np.bincount(self.pair, weights=firms.stock[self.firm, self.product],
                           minlength=len(self.pair_firm)).astype(float)
        room = np.clip(1.0 - np.divide(held, self.storage_months * output_capacity,
                                       out=np.ones(len(held)), where=output_capacity > 0), 0.0, 1.0)
        bids_t[self.pair_firm, self.pair_material] *= room

    def treat(self) -> None:
        """Treat what the plants received this month (after the market settled): their input
        becomes products in their stock and residues on the landfill."""
        firms, flows = self.model.firms, self.model.market.flows
        self.intake_t = flows.used[self.pair_firm, self.pair_material].copy()
        self.output_t = self.intake_t[self.pair] * self.product_yield
        self.residue_t = self.intake_t * self.residue_share
        np.add.at(flows.produced, (self.firm, self.product), self.output_t)
        np.add.at(firms.stock, (self.firm, self.product), self.output_t)
        flows.stock_close[self.firm, self.product] = firms.stock[self.firm, self.product]
        # what is not made into products is the residue: landfilled by the (permitted) plant
        flows.used[self.pair_firm, self.pair_material] -= self.residue_t
        flows.landfilled[self.pair_firm, self.pair_material] += self.residue_t
        self.cost_eur = float((self.intake_t * self.cost_eur_t).sum())

    def final_use(self, tonnes: np.ndarray) -> np.ndarray:
        """``tonnes`` (F x M) without the plants' intake: what users, not treatment, took in."""
        return np.where(self.input_mask, 0.0, tonnes)

    def by_process(self) -> dict[str, tuple[float, float, float]]:
        """This month's (intake, products, residues) in tonnes by process."""
        out = {}
        for process in self.processes:
            rows, pairs = self.process == process, self.pair_process == process
            out[process] = (float(self.intake_t[pairs].sum()), float(self.output_t[rows].sum()),
                            float(self.residue_t[pairs].sum()))
        return out
