"""The regulator's status decision (by-product and end-of-waste on their own conditions, Waste
Framework Directive Art. 5 and 6) and the renewal of statuses."""

from __future__ import annotations

import numpy as np

from sim.model import WB6Model
from sim.world import BY_PRODUCT, EOW, WASTE


def firm(model, firm_id: str) -> int:
    return int(np.flatnonzero(model.region.firms["firm_id"].to_numpy() == firm_id)[0])


def test_by_product_needs_certain_use_and_a_production_residue():
    model = WB6Model({"months": 1})
    rs = model.regulators[model.economy_index["RS"]]
    ash, plastics = model.material_index["fly_ash"], model.material_index["plastics"]
    tent = firm(model, "F_RS_PP_TENT_A")
    share = rs.certain_use_share
    model.firms.sold_share[tent, ash] = share  # a buyer keeps taking at least that share
    assert rs.decide_status(tent, ash) == BY_PRODUCT
    model.firms.sold_share[tent, ash] = 0.5 * share  # further use not certain: EoW criteria apply
    assert rs.decide_status(tent, ash) == EOW
    municipal = int(np.flatnonzero(model.region.firms["sector"].eq("municipal")
                                   & model.region.firms["site_id"].str.startswith("RS_"))[0])
    model.firms.sold_share[municipal, plastics] = 1.0  # not a production residue, no by-product route
    assert rs.decide_status(municipal, plastics) == EOW
    # an economy with neither framework grants nothing
    ba = model.regulators[model.economy_index["BA"]]
    assert not ba.can_grant[ash] and ba.decide_status(tent, ash) == WASTE


def test_a_granted_status_is_tested_again_and_may_change():
    model = WB6Model({"months": 1, "parameters": {"status_validity_months": 24}})
    rs = model.regulators[model.economy_index["RS"]]
    ash, tent = model.material_index["fly_ash"], firm(model, "F_RS_PP_TENT_A")
    firms = model.firms
    firms.participating[tent] = True
    firms.sold_share[tent, ash] = 1.0
    rs.register(tent, ash)
    assert firms.status[tent, ash] == BY_PRODUCT and firms.status_month[tent, ash] == 0
    rows = np.array([tent])
    model.month = 23
    assert not model.firm_class.streams_to_register(model, rows)[0, ash]
    model.month = 24
    assert model.firm_class.streams_to_register(model, rows)[0, ash]  # renewal due
    firms.sold_share[tent, ash] = 0.0  # the buyer left: the renewal makes it end-of-waste
    rs.receive_application(tent, ash)
    rs.queue[-1] = (tent, ash, 0)  # filed long enough ago for a decision now
    rs.step()
    assert rs.renewals_this_month == 1 and firms.status[tent, ash] == EOW and firms.status_month[tent, ash] == 24
