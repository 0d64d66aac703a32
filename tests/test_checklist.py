"""The good-practice checklist: each kind of check met, not met and not applicable."""

import pytest

import flowgraph as fg
from flowgraph.plugins.energy.checklist import evaluate_checklist, load_rules


def resin_plant(steam_to="header", recycle_condensate=True, mother_liquor_to="river",
                measures=("fluidised-bed dryer",), with_hcl=True):
    """HCl synthesis raising by-product steam into a header that feeds polymerisation and
    drying; condensate and treated mother liquor go back or out."""
    net = fg.Network("resin")
    net.add_carrier("by-product steam", "energy", "t", energy_content="2.75 GJ/t")
    net.add_carrier("steam", "energy", "t", energy_content="2.75 GJ/t")
    for n in ("market", "waterworks"):
        net.add_node(n, kind="source")
    for n in ("river", "air", "customer"):
        net.add_node(n, kind="sink")
    if with_hcl:
        net.add_node("hcl", operation="hcl_synthesis", system="production", layers=[])
        net.add_flow("market", "hcl", "chlorine", quantity=60, unit="t")
    net.add_node("header", kind="utility", operation="steam_network", system="auxiliary")
    net.add_node("polymerisation", operation="polymerisation", system="production", layers=[])
    net.add_node("drying", operation="drying", system="production", layers=[],
                 measures=list(measures))
    net.add_node("ml treatment", operation="mother_liquor_treatment", layers=[])
    net.add_node("boiler", kind="utility", operation="chp")
    if with_hcl:
        target = {"header": "header", "air": "air"}[steam_to]
        net.add_flow("hcl", target, "by-product steam", quantity=40, id="bp steam",
                     role="product" if steam_to == "header" else "loss")
    net.add_flow("boiler", "header", "steam", quantity=100, id="chp steam")
    net.add_flow("header", "polymerisation", "steam", quantity=60, id="steam poly")
    net.add_flow("header", "drying", "steam", quantity=80, id="steam dry")
    net.add_flow("polymerisation", "ml treatment", "mother liquor", quantity=500, role="waste",
                 id="ml")
    net.add_flow("ml treatment", mother_liquor_to, "treated mother liquor water", quantity=495,
                 role="emission" if mother_liquor_to == "river" else "recycle", id="treated ml")
    net.add_flow("drying", "boiler" if recycle_condensate else "river", "steam condensate",
                 quantity=80, role="recycle" if recycle_condensate else "waste", id="condensate")
    net.add_flow("drying", "customer", "PVC resin", quantity=100, id="pvc")
    return net


@pytest.fixture(scope="module")
def rules():
    return load_rules("pvc")[1]


def status(net, rules, route="calcium carbide", **kw):
    return evaluate_checklist(net.solve(), rules, route=route, **kw)


def test_path_met_through_the_steam_header_with_the_flows_as_evidence(rules):
    c = status(resin_plant(), rules)
    row = c.loc["7.2.1.3a-steam"]
    assert row["status"] == "met"
    assert row["evidence"].split(", ") == ["bp steam", "steam poly", "steam dry"]
    assert "bp steam (40 t)" in row["detail"]
    assert c.loc["7.2.1.2b", "status"] == "met"        # by-product steam reaches a use


def test_path_not_met_when_the_steam_is_vented(rules):
    c = status(resin_plant(steam_to="air"), rules)
    assert c.loc["7.2.1.3a-steam", "status"] == "not met"
    assert c.loc["7.2.1.3a-steam", "evidence"] == "bp steam"
    assert c.loc["7.2.1.2b", "status"] == "not met"
    assert "Route the HCl-synthesis by-product steam" in c.loc["7.2.1.3a-steam", "measure"]


def test_path_not_met_when_nothing_leaves_and_not_applicable_without_the_node(rules):
    c = status(resin_plant(), rules)
    # VCM conversion is absent from this flowsheet: the clause cannot be judged here
    assert c.loc["7.2.1.2c", "status"] == "not applicable"
    # the slag-heat rule: no acetylene generation either
    assert c.loc["7.2.1.1b-heat", "status"] == "not applicable"
    no_hcl = status(resin_plant(with_hcl=False), rules)
    assert no_hcl.loc["7.2.1.3a-steam", "status"] == "not applicable"


def test_path_to_a_named_operation_through_a_loop(rules):
    """Waste acid desorbed and returned to VCM synthesis: a path back into its start."""
    net = fg.Network("vcm")
    net.add_node("market", kind="source")
    net.add_node("sink", kind="sink")
    net.add_node("vcm", operation="vcm_synthesis", layers=[])
    net.add_node("desorption", operation="hcl_desorption", layers=[])
    net.add_node("wwtp", operation="wastewater_treatment", layers=[])
    net.add_flow("market", "vcm", "acetylene", quantity=10, unit="t")
    net.add_flow("vcm", "desorption", "waste hydrochloric acid", quantity=5, unit="t",
                 role="recycle", id="acid")
    net.add_flow("desorption", "vcm", "hydrogen chloride", quantity=0.2, unit="t",
                 role="recycle", id="hcl back")
    net.add_flow("desorption", "wwtp", "dilute acid water", quantity=4.8, unit="t", role="waste")
    net.add_flow("vcm", "sink", "crude vinyl chloride", quantity=10, unit="t")
    net.add_flow("wwtp", "sink", "effluent", quantity=4.8, unit="t", role="emission")
    c = status(net, rules)
    assert c.loc["7.2.1.2a", "status"] == "met"
    assert c.loc["7.2.1.2a", "evidence"] == "acid, hcl back"
    # neutralised instead: the acid is a waste to the treatment plant
    net.remove_node("desorption")
    net.add_flow("vcm", "wwtp", "waste hydrochloric acid", quantity=5, unit="t", role="waste",
                 id="acid")
    assert status(net, rules).loc["7.2.1.2a", "status"] == "not met"


def test_reuse_needs_every_water_source_reused(rules):
    base = status(resin_plant(), rules).loc["7.2.1.1a"]
    assert base["status"] == "not met"
    assert "treated mother liquor water: not reused" in base["detail"]
    assert "steam condensate: reused" in base["detail"]
    both = status(resin_plant(mother_liquor_to="header"), rules).loc["7.2.1.1a"]
    assert both["status"] == "met"


def test_measure_met_not_met_and_route(rules):
    c = status(resin_plant(), rules)
    assert c.loc["7.2.1.3b", "status"] == "met"
    assert c.loc["7.2.1.3b", "evidence"] == "drying"
    assert status(resin_plant(measures=()), rules).loc["7.2.1.3b", "status"] == "not met"
    # no circulating water, compressed air or refrigeration node: not applicable
    assert c.loc["7.3a-closed", "status"] == "not applicable"
    # the ethylene-route clauses do not apply to a carbide plant, and vice versa
    assert c.loc["7.2.2.2a", "status"] == "not applicable"
    eth = status(resin_plant(), rules, route="ethylene")
    assert eth.loc["7.2.1.3a-steam", "status"] == "not applicable"


def test_operations_and_carrier_names_from_the_case(rules):
    net = resin_plant()
    net.add_node("dryer 2", system="production", layers=[], measures=["CO2 heat pump"])
    net.add_flow("market", "dryer 2", "wet cake", quantity=1, unit="t")
    c = status(net, rules, operations={"drying": ["dryer 2"]})
    assert "dryer 2: co2 heat pump" in c.loc["7.2.1.3b", "detail"]
    net2 = resin_plant()
    net2.add_carrier("LP steam", "energy", "t", energy_content="2.7 GJ/t")
    net2.set_flow("steam poly", carrier="LP steam")
    net2.set_flow("steam dry", carrier="LP steam")
    assert status(net2, rules).loc["7.2.1.3a-steam", "status"] == "not met"
    widened = status(net2, rules, carriers={"steam": ["LP steam"]})
    assert widened.loc["7.2.1.3a-steam", "status"] == "met"


def test_rule_files_with_errors_name_the_file_and_line(tmp_path):
    head = '[checklist]\ntitle = "t"\n'
    cases = {
        "check 'guess' is not one of": '[[rule]]\nid = "a"\nclause = "1"\nrequirement = "r"\n'
                                       'check = "guess"\n',
        "a path check needs to, carriers": '[[rule]]\nid = "a"\nclause = "1"\n'
                                           'requirement = "r"\ncheck = "path"\nfrom = ["x"]\n',
        "needs 'clause'": '[[rule]]\nid = "a"\nrequirement = "r"\ncheck = "measure"\n',
        "unknown key": '[[rule]]\nid = "a"\nclause = "1"\nrequirement = "r"\ncheck = "measure"\n'
                       'on = "*"\nany = ["x"]\ncolour = "red"\n',
    }
    for k, (msg, body) in enumerate(cases.items()):
        path = tmp_path / f"rules{k}.toml"
        path.write_text(head + body)
        with pytest.raises(fg.CaseFileError, match=f"rules{k}.toml:3.*{msg}"):
            load_rules(path)
    dup = tmp_path / "dup.toml"
    rule = '[[rule]]\nid = "a"\nclause = "1"\nrequirement = "r"\ncheck = "measure"\non = "*"\nany = ["x"]\n'
    dup.write_text(head + rule + rule)
    with pytest.raises(fg.CaseFileError, match="dup.toml:10.*duplicate rule id 'a'"):
        load_rules(dup)
    with pytest.raises(fg.CaseFileError, match="no shipped checklist 'steel'"):
        load_rules("steel")
