"""Extended producer responsibility: producers pay a fee per tonne put on the market to a
PRO per economy and stream, which raises separate collection towards a target as far as its
fund allows (see :class:`sim.agents.PRO`). Collected streams are offered to recyclers.

Region-wide values apply to every covered PRO; ``by_stream`` and then ``by_economy`` override
them, e.g. ``by_stream: {e_waste: {fee_eur_t: 250}}`` or ``by_economy: {RS: {target_rate: 0.5}}``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sim.errors import ConfigError
from sim.policies.base import Policy, PolicyParams, check_value, economies, materials, param, register, wb6_economies


@dataclass(kw_only=True)
class EprParams(PolicyParams):
    #: EPR streams covered
    streams: list[str] = param("material names")
    #: economies setting up or reforming schemes (empty: all WB6 economies)
    economies: list[str] = param("economy codes")
    #: separate collection the PRO aims at
    target_rate: float = param("share of the stream put on the market", 1.0)
    #: how fast the PRO can raise collection
    ramp_per_month: float = param("share points per month", 1.0)
    #: producers' fee
    fee_eur_t: float = param("EUR per tonne put on the market")
    #: what collecting and sorting one more tonne costs the PRO
    collection_cost_eur_t: float = param("EUR per tonne collected")
    #: overrides per stream: {stream: {parameter: value}}
    by_stream: dict = param("mapping")
    #: overrides per economy: {economy code: {parameter: value}}
    by_economy: dict = param("mapping")


#: the parameters a PRO takes from the scheme
PRO_TERMS = ("target_rate", "ramp_per_month", "fee_eur_t", "collection_cost_eur_t")


@register("epr")
class Epr(Policy):
    Params = EprParams
    description = (
        "Producers pay a fee for each tonne of packaging, electronics, tyres and textiles they sell; the "
        "producers' organisation in each economy spends it on separate collection, raised towards a target, "
        "and offers what it collects to recyclers."
    )

    def check(self, model) -> None:
        p, where = self.params, self.where
        self.economies = set(wb6_economies(model, p.economies, f"{where}.economies"))
        self.streams = set(materials(model, p.streams, f"{where}.streams"))
        materials(model, list(p.by_stream), f"{where}.by_stream")
        economies(model, list(p.by_economy), f"{where}.by_economy")
        self.by_stream = {model.material_index[k]: self._terms(v, f"{where}.by_stream.{k}") for k, v in p.by_stream.items()}
        self.by_economy = {model.economy_index[k]: self._terms(v, f"{where}.by_economy.{k}") for k, v in p.by_economy.items()}
        self.pros = [pro for pro in model.pros if pro.economy in self.economies and pro.material in self.streams]
        if not self.pros:
            raise ConfigError(f"{where}.streams", "no PRO in the scenario covers these streams and economies",
                              choices=sorted({model.material_ids[pro.material] for pro in model.pros}))

    def _terms(self, overrides, where: str) -> dict:
        if not isinstance(overrides, dict):
            raise ConfigError(where, f"needs a mapping of {list(PRO_TERMS)}, got {overrides!r}")
        fields = {f.name: f for f in dataclasses.fields(self.Params)}
        terms = {}
        for key, value in overrides.items():
            if key not in PRO_TERMS:
                raise ConfigError(f"{where}.{key}", "not a scheme parameter", choices=PRO_TERMS)
            terms[key] = check_value(f"{where}.{key}", value, float, fields[key].metadata["max"])
        return terms

    def apply(self, model) -> None:
        for pro in self.pros:
            terms = {key: getattr(self.params, key) for key in PRO_TERMS}
            terms.update(self.by_stream.get(pro.material, {}))
            terms.update(self.by_economy.get(pro.economy, {}))
            for key, value in terms.items():
                setattr(pro, key, value)
