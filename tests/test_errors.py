"""Every bad input of DESIGN.md section 8 gives a FlowgraphError naming what and where,
and never a partial result."""

import textwrap

import pytest

import flowgraph as fg


def base():
    net = fg.Network("bad")
    net.add_node("s", kind="source")
    net.add_node("p")
    net.add_node("k", kind="sink")
    return net


def test_unknown_node():
    net = base()
    with pytest.raises(fg.ModelError, match="flow 'f' refers to unknown node 'nowhere'"):
        net.add_flow("s", "nowhere", "m", quantity=1, id="f")


def test_duplicate_ids():
    net = base()
    with pytest.raises(fg.ModelError, match="duplicate node id 'p'"):
        net.add_node("p")
    net.add_flow("s", "p", "m", quantity=1, id="f")
    with pytest.raises(fg.ModelError, match="duplicate flow id 'f'"):
        net.add_flow("s", "p", "m", quantity=1, id="f")


def test_unit_of_wrong_dimension():
    net = base()
    net.add_carrier("ore", "material", "t")
    with pytest.raises(fg.UnitError, match="flow 'f'.*'kWh' is a energy.*'ore'.*'t'"):
        net.add_flow("s", "p", "ore", quantity=1, unit="kWh", id="f")
    with pytest.raises(fg.UnitError, match="not understood"):
        net.add_flow("s", "p", "ore", quantity=1, unit="furlongs per fortnight^", id="g")
    with pytest.raises(fg.UnitError, match="price '3 kWh' is not in CNY per t"):
        net.add_carrier("x", "material", "t", price="3 kWh")


def test_negative_quantity():
    net = base()
    with pytest.raises(fg.ModelError, match="flow 'f': quantity -5 t is negative"):
        net.add_flow("s", "p", "m", quantity=-5, id="f")


def test_share_out_of_range_and_shares_over_one():
    net = base()
    with pytest.raises(fg.ModelError, match="share 1.2 is not a transfer coefficient"):
        net.add_flow("s", "p", "m", share=1.2, id="f")
    net.add_flow("s", "p", "m", quantity=10)
    net.add_flow("p", "k", "a", share=0.7, id="a")
    net.add_flow("p", "k", "b", share=0.5, id="b")
    with pytest.raises(fg.ModelError, match="shares leaving node 'p' in the mass layer sum to 1.2"):
        net.solve()


def test_loop_with_no_exit_names_its_nodes():
    net = base()
    net.add_node("q")
    net.add_flow("s", "p", "m", quantity=10)
    net.add_flow("p", "q", "m", share=1.0, id="pq")
    net.add_flow("q", "p", "m", share=1.0, id="qp")
    with pytest.raises(fg.SingularError, match=r"'p'.*'q'.*closed loop with no exit") as exc:
        net.solve()
    assert set(exc.value.nodes) == {"p", "q"}


@pytest.mark.parametrize("shares", [(0.3, 0.7), (0.1, 0.2, 0.7), (1 / 3, 1 / 3, 1 / 3)])
def test_loop_whose_shares_sum_to_one_in_rounding_is_singular(shares):
    """Shares that sum to 1 only up to rounding: the loop has no exit all the same."""
    net = base()
    net.add_node("q")
    net.add_flow("s", "p", "m", quantity=10)
    net.add_flow("p", "q", "m", share=1.0, id="pq")
    for i, sh in enumerate(shares):
        net.add_flow("q", "p", "m", share=sh, id=f"qp{i}")
    with pytest.raises(fg.SingularError, match="closed loop with no exit"):
        net.solve()


def test_undetermined_flow_is_named():
    net = base()
    net.add_flow("s", "p", "m", id="in1")          # nothing fixes it
    net.add_flow("p", "k", "m", id="out1")
    with pytest.raises(fg.UnderdeterminedError, match="1 degree of freedom.*'in1'|'out1'"):
        net.solve()


def test_inconsistent_data_report_residual_per_node_and_layer():
    net = base()
    net.add_flow("s", "p", "m", quantity=10)
    net.add_flow("p", "k", "m", quantity=9)
    with pytest.raises(fg.InconsistentError, match=r"node 'p' mass balance: in - out - stock = \+1 t") as exc:
        net.solve()
    assert exc.value.residuals is not None
    report = net.check()
    assert report.status == "inconsistent"
    assert not report.surplus["consistent"].any()


def test_one_sided_closed_layer():
    net = base()
    net.add_flow("s", "p", "m", quantity=10)
    net.add_flow("p", "k", "electricity", quantity=5, unit="kWh")
    with pytest.raises(fg.ModelError, match="'p' closes the mass layer but mass only enters it"):
        net.solve()


def test_recipe_loop_and_dangling_recipe():
    net = base()
    net.add_flow("s", "p", "m", per=("b", 2.0), id="a")
    net.add_flow("p", "k", "m", per=("a", 0.5), id="b")
    with pytest.raises(fg.SingularError, match="recipes refer to each other in a loop"):
        net.solve()
    net2 = base()
    net2.add_flow("s", "p", "m", per=("ghost", 1.0), id="a")
    with pytest.raises(fg.ModelError, match="flow 'a' is per 'ghost', which is not a flow"):
        net2.solve()


def test_share_from_a_source_has_nothing_to_share():
    net = base()
    net.add_flow("s", "p", "m", share=0.5, id="f")
    net.add_flow("p", "k", "m")
    with pytest.raises(fg.ModelError, match="share of the mass inflow of node 's'"):
        net.solve()


def test_more_than_one_specification():
    net = base()
    with pytest.raises(fg.ModelError, match="give one of quantity, share or per"):
        net.add_flow("s", "p", "m", quantity=1, share=0.5)


def test_case_file_that_does_not_parse(tmp_path):
    (tmp_path / "case.toml").write_text("[case]\nname = 'x'\n[[node]]\nid = \n")
    with pytest.raises(fg.CaseFileError, match=r"case.toml: not valid TOML.*line 4"):
        fg.load(tmp_path)


def test_case_file_errors_name_file_and_line(tmp_path):
    (tmp_path / "case.toml").write_text(textwrap.dedent("""\
        [case]
        name = "lines"

        [[node]]
        id = "s"
        kind = "source"

        [[node]]
        id = "p"

        [[flow]]
        source = "s"
        target = "p"
        carrier = "m"
        quantity = 3

        [[flow]]
        source = "p"
        target = "nowhere"
        carrier = "m"
        """))
    with pytest.raises(fg.ModelError, match=r"case.toml:17: flow 'p->nowhere:m' refers to unknown node 'nowhere'"):
        fg.load(tmp_path)


def test_csv_table_errors_name_file_and_line(tmp_path):
    (tmp_path / "case.toml").write_text('[case]\nname = "t"\n[tables]\nnodes = "nodes.csv"\nflows = "flows.csv"\n')
    (tmp_path / "nodes.csv").write_text("id,kind\ns,source\np,process\nk,sink\n")
    (tmp_path / "flows.csv").write_text("id,source,target,carrier,quantity,share\n"
                                        "a,s,p,m,10,\nb,p,k,m,,1.5\n")
    with pytest.raises(fg.ModelError, match=r"flows.csv:3: flow 'b': share 1.5"):
        fg.load(tmp_path).solve()


def test_missing_case_file(tmp_path):
    with pytest.raises(fg.CaseFileError, match="no such case file"):
        fg.load(tmp_path / "nope")


def test_scenario_errors_name_scenario_and_edit(chain):
    sc = fg.Scenario("broken", [fg.Edit.set_flow("ab", share=0.5), fg.Edit.remove_flow("zz")])
    with pytest.raises(fg.ModelError, match=r"scenario 'broken', edit 2 \(remove_flow 'zz'\)"):
        chain.apply(sc)
