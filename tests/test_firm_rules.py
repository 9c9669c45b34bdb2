"""The firms' decision rules are class methods: a subclass that overrides one changes that rule
only, the firms taking part at the start go through a named rule, and the descriptors rules
read are in FirmArrays."""

import numpy as np

from sim.agents import Firm
from sim.model import WB6Model
from sim.state import MONTHS_PER_YEAR


class NobodyJoins(Firm):
    __slots__ = ()

    @classmethod
    def decide_joining(cls, model, rows):
        return np.zeros(len(rows), dtype=bool)


class NobodyAtStart(Firm):
    __slots__ = ()

    @classmethod
    def initial_participation(cls, model, firms):
        model.rng.random(firms.n_firms)  # the same draws as the base, so that only the rule differs
        return np.zeros(firms.n_firms, dtype=bool)


class NobodyTakesPart(NobodyAtStart, NobodyJoins):
    __slots__ = ()


class NeverInvests(Firm):
    __slots__ = ()

    def goes_ahead(self, project, terms):
        return False


def run(firm_class, months):
    model = WB6Model({"months": months, "agents": {"firm": f"{__name__}.{firm_class.__name__}"}})
    model.run()
    return model


def test_overriding_the_joining_rule_changes_only_who_joins():
    base, gated = run(Firm, 24), run(NobodyJoins, 24)
    np.testing.assert_array_equal(gated.firms.participating, WB6Model({"months": 1}).firms.participating)
    assert base.firms.participating.sum() > gated.firms.participating.sum()
    # who takes part at the start, their draws, the regulators' queues: the same rule as before
    np.testing.assert_array_equal(base.firms.trust_threshold, gated.firms.trust_threshold)
    first = WB6Model({"months": 1, "agents": {"firm": f"{__name__}.NobodyJoins"}})
    reference = WB6Model({"months": 1})
    first.step()
    reference.step()
    np.testing.assert_array_equal(first.firms.applied, reference.firms.applied)
    np.testing.assert_array_equal(first.firms.awareness, reference.firms.awareness)


def test_initial_participation_is_a_rule_of_its_own():
    model = WB6Model({"months": 2, "agents": {"firm": f"{__name__}.NobodyAtStart"}})
    reference = WB6Model({"months": 2})
    assert reference.firms.participating.any() and not model.firms.participating.any()
    np.testing.assert_array_equal(model.firms.trust_threshold, reference.firms.trust_threshold)
    model.step()
    reference.step()
    assert model.kpis.rows[0]["exchanges_count"] == 0 < reference.kpis.rows[0]["exchanges_count"]
    assert not model.firms.applied.any() and reference.firms.applied.any()


def test_going_ahead_with_a_project_is_the_firm_s_own_decision():
    config = {"months": 24, "policies": {"de_risking": {}}}
    invests = WB6Model(config)
    invests.run()
    never = WB6Model({**config, "agents": {"firm": f"{__name__}.NeverInvests"}})
    never.run()
    assert invests.investments and not never.investments


def test_descriptors_rules_read_are_in_the_firm_arrays():
    model = WB6Model({"months": 1})
    firms, table = model.firms, model.region.firms
    assert [model.sector_names[s] for s in firms.sector] == list(table["sector"])
    np.testing.assert_allclose(firms.size_t_yr, (firms.generation + firms.capacity).sum(axis=1) * MONTHS_PER_YEAR)
    assert firms.installation[table["sector"].eq("power").to_numpy()].all()
    assert not firms.installation[table["sector"].eq("recycler").to_numpy()].any()


def test_deposit_owners_weigh_re_mining_whether_they_take_part_in_exchanges_or_not():
    """Re-mining is a mining company's project with investors (seed 000), not a consequence of
    joining exchanges: with nobody taking part, the owners of paying deposits still invest in
    the first investment round, and recycling lines (intake bought on exchanges) are not weighed."""
    nobody = run(NobodyTakesPart, 12)
    assert not nobody.firms.participating.any()
    kinds = {(i["kind"], i["step"]) for i in nobody.investments}
    assert ("remining", 11) in kinds and kinds <= {("remining", 11), ("exploration", 11)}  # a deposit may be explored first
    base = run(Firm, 12)
    assert {i["firm"] for i in nobody.investments} == {
        i["firm"] for i in base.investments if i["kind"] in ("remining", "exploration")}
