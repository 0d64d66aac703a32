"""Scenarios edit a copy; the base is never changed; results compare as DataFrames."""

import pytest

import flowgraph as fg


def test_apply_returns_new_network_and_keeps_base(chain):
    before = chain.flow_frame().copy()
    sc = fg.Scenario("better", [fg.Edit.set_flow("ab", share=0.95),
                                fg.Edit.add_node("recycler"),
                                fg.Edit.add_flow("b", "recycler", "scrap b", share=0.1, id="rec"),
                                fg.Edit.add_flow("recycler", "waste", "scrap b", id="rec2")])
    other = chain.apply(sc)
    assert chain.flow_frame().equals(before)
    assert "rec" in other.flow_frame().index and "rec" not in chain.flow_frame().index
    r0, r1 = chain.solve(), other.solve()
    d = r0.compare(r1)
    assert d.at["ab", ("delta", "quantity")] == pytest.approx(5)
    assert d.at["rec", ("base", "quantity")] == 0
    assert r1.scenario == "better"


def test_remove_node_removes_its_flows(chain):
    other = chain.apply(fg.Scenario("no b", [fg.Edit.remove_node("b"),
                                             fg.Edit.add_flow("a", "out", "mid", share=0.9,
                                                              id="direct")]))
    assert "ab" not in other.flow_frame().index
    assert other.solve().flows.at["direct", "quantity"] == pytest.approx(90)


def test_scale_and_set_carrier(chain):
    other = chain.apply(fg.Scenario("x", [fg.Edit.scale_flow("feed", 2),
                                          fg.Edit.set_carrier("ore", price=5)]))
    r = other.solve()
    assert r.flows.at["feed", "quantity"] == 200
    assert r.flows.at["feed", "cost"] == pytest.approx(200 * 10)   # the flow's own price wins
    with pytest.raises(fg.ModelError, match="cannot scale flow 'la': it is unknown"):
        chain.apply(fg.Scenario("y", [fg.Edit.scale_flow("la", 2)]))


def test_set_flow_switches_specification(chain):
    # la known (5 t) while ab stays a share of 0.9: node a is over-determined and contradicts
    over = chain.apply(fg.Scenario("x", [fg.Edit.set_flow("la", quantity=5)]))
    with pytest.raises(fg.InconsistentError, match="node 'a' mass balance"):
        over.solve()
    # making ab unknown instead lets the balance fix it: ab = 100 - 5
    fixed = chain.apply(fg.Scenario("y", [fg.Edit.set_flow("la", quantity=5),
                                          fg.Edit.set_flow("ab", share=None)]))
    assert fixed.solve().flows.at["ab", "quantity"] == pytest.approx(95)


def test_combined_scenario_and_totals(chain):
    a = fg.Scenario("a", [fg.Edit.scale_flow("feed", 2)])
    b = fg.Scenario("b", [fg.Edit.set_flow("ab", share=0.95)])
    both = a + b
    r0, r2 = chain.solve(), chain.apply(both).solve()
    assert r2.flows.at["ab", "quantity"] == pytest.approx(190)
    tot = fg.compare(r0, r2, on="totals")
    assert tot.loc[("purchased", "cost"), "delta"] == pytest.approx(1000)


def test_add_flow_edit_round_trips_through_a_record():
    """An add_flow edit keeps both its flow id and its target node in a case-file record."""
    e = fg.Edit.add_flow("b", "recycler", "scrap b", share=0.1, id="rec")
    rec = e.to_record()
    assert rec["id"] == "rec" and rec["target"] == "recycler"
    back = fg.Edit.from_record(rec)
    assert back == e
    plain = fg.Edit.from_record({"op": "add_flow", "source": "a", "target": "b", "carrier": "m"})
    assert plain.target is None and plain.values["target"] == "b"


def test_add_flow_edit_without_target_node_is_a_model_error():
    import pytest
    with pytest.raises(fg.ModelError, match="needs target"):
        fg.Edit.from_record({"op": "add_flow", "id": "x", "source": "a", "carrier": "m"})


def test_scaling_beyond_the_largest_number_is_refused_by_flow(chain):
    """scale_flow by 1e308 (fuzzed) overflowed with a RuntimeWarning, an internal error on
    the command line: refused naming the flow, its quantity and the factor."""
    with pytest.raises(fg.ModelError, match=r"scaling flow 'feed': its quantity .* times "
                                            r"1e\+308 is beyond the largest number"):
        chain.apply(fg.Scenario("x", [fg.Edit.scale_flow("feed", 1e308)]))


def test_an_error_solving_a_scenario_names_the_scenario_when_nothing_else_is_placed(tmp_path):
    """A node an add_node edit made has no line of its own: an error found when the
    scenario's network is solved (a layer that is none, typed into a workbook's edits sheet,
    found by fuzzing) named no file; it names where the scenario is given."""
    (tmp_path / "case.toml").write_text(
        '[[node]]\nid = "s"\nkind = "source"\n[[node]]\nid = "p"\n[[node]]\nid = "k"\n'
        'kind = "sink"\n[[flow]]\nsource = "s"\ntarget = "p"\ncarrier = "ore"\nunit = "t"\n'
        'quantity = 1\n[[flow]]\nsource = "p"\ntarget = "k"\ncarrier = "ore"\nunit = "t"\n\n'
        '[[scenario]]\nname = "new unit"\n[[scenario.edit]]\nop = "add_node"\n'
        'target = "q"\nlayers = ["1,5"]\n')
    case = fg.load(tmp_path)
    case.result()
    with pytest.raises(fg.ModelError, match=r"case\.toml:2\d: .*layer '1,5' is not a balance"):
        case.result("new unit")
