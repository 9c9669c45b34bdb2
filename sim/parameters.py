"""Scenario parameters: the typed schema of the scalar parameters the model reads.

Each parameter is declared once, here or in the module that reads it (an actor, a rule, an
extension), with its kind: a number >= 0, a list of names, or one number per key. A scenario
folder's ``parameters.yaml`` gives only what it changes; a parameter it leaves out takes its
default:

- for the parameters declared without a default below, the packaged WB6 scenario's value
  (``sim/data/parameters.yaml``, which states its unit and source);
- for a parameter declared with a default (``declare(..., default=..., unit=..., source=...)``),
  that default, with its unit and its source or assumption stated beside it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

NUMBER, NAMES, KEYED = "number", "names", "keyed"


@dataclass(frozen=True)
class Parameter:
    name: str
    #: number (finite, >= 0), names (a list of strings) or keyed (one number for each of ``keys``)
    kind: str = NUMBER
    keys: tuple[str, ...] = ()
    #: the value a scenario that leaves the parameter out gets; None: the packaged scenario's
    default: Any = None
    unit: str = ""
    #: where the default comes from (a seed quote key or public page), or ``assumption: ...``
    source: str = ""


SCHEMA: dict[str, Parameter] = {}


def declare(name: str, kind: str = NUMBER, keys: tuple[str, ...] = (), default: Any = None, unit: str = "",
            source: str = "") -> Parameter:
    """Declare a scenario parameter (see the module docstring); a default needs its unit and source."""
    if kind not in (NUMBER, NAMES, KEYED) or (kind == KEYED) != bool(keys):
        raise ValueError(f"parameter {name!r}: kind {kind!r} with keys {keys!r}")
    if default is not None and not (unit and source):
        raise ValueError(f"parameter {name!r}: a default needs its unit and its source or assumption")
    SCHEMA[name] = Parameter(name, kind, tuple(keys), default, unit, source)
    return SCHEMA[name]


def declared_defaults() -> dict[str, Any]:
    """The defaults declared in code, by name (copies: a scenario may not change them)."""
    return {p.name: copy.deepcopy(p.default) for p in SCHEMA.values() if p.default is not None}


#: shipment classes, in the order of their codes (waste 0, by-product 1, end-of-waste 2)
STATUSES = ("waste", "by_product", "eow")
for _name in (
    "transport_eur_tkm_road", "transport_eur_tkm_rail", "handling_eur_t", "holding_cost_eur_t_day",
    "waste_refusal_probability", "waste_notification_cost_eur_t", "domestic_waste_permit_cost_eur_t",
    "status_application_months", "awareness_contacts_per_month", "awareness_peer_contacts_per_month",
    "awareness_per_contact", "awareness_receptiveness_shape", "awareness_initial", "trust_threshold", "remining_capex_eur_per_t_yr", "remining_opex_eur_t",
    "remining_lifetime_years", "remining_throughput_share_per_year",
    "recycling_line_capex_eur_per_t_yr", "recycling_line_margin_eur_t", "informal_collection_rate",
    "stock_reclaim_share_per_year", "search_cost_eur_t", "inspection_days",
    "permitting_recycling_months", "permitting_extraction_months",
    "by_product_certain_use_share", "status_validity_months", "status_refiling_months",
    "transport_co2_kg_tkm_road", "transport_co2_kg_tkm_rail", "dumping_choice_scale_eur_t",
    "waste_inspection_rate", "border_clearance_days", "border_background_utilisation",
    "partner_knowledge", "relation_seed_contacts", "relation_colocation_km", "relation_trust_initial",
    "relation_trust_floor", "relation_trust_gain", "relation_trust_loss_refusal", "relation_trust_loss_delay",
    "relation_trust_loss_complaint", "quality_complaint_max", "partner_search_per_month",
):
    declare(_name)
declare("border_delay_days", KEYED, STATUSES)
declare("border_fee_eur_t", KEYED, STATUSES)
declare("dump_propensity_max", KEYED, ("installation", "msme"))
declare("sectors_trading_at_start", NAMES)
