"""Bad input is refused where it enters, by name (issue 14, items of the model): unknown keys
with "did you mean", numbers that are not finite or beyond the bound, values of the wrong
type, scenario edits that cannot run, and carriers without a unit. Through the Python API
and through bulk tables (Network.from_frames, CSV tables of a case)."""

from __future__ import annotations

import math
import re
import textwrap

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.model.schema import BOUND, declared, markdown

HINT = ("(attributes are listed in docs/attributes.md; one of your own takes the prefix x_, "
        "e.g. x_{key})")


def base():
    net = fg.Network("bad")
    net.add_node("s", kind="source")
    net.add_node("p")
    net.add_node("k", kind="sink")
    return net


def refused(message: str, cls=fg.ModelError):
    """pytest.raises for exactly this message (an origin prefix allowed before it)."""
    return pytest.raises(cls, match=rf"^(.*: )?{re.escape(message)}$")


def frames(**flow_columns):
    nodes = pd.DataFrame({"id": ["s", "p", "k"], "kind": ["source", "process", "sink"]})
    flows = pd.DataFrame({"id": ["a", "b"], "source": ["s", "p"], "target": ["p", "k"],
                          "carrier": ["m", "m"], **flow_columns})
    return nodes, flows


# -- 1. unknown keys -------------------------------------------------------------------------

def test_misspelt_flow_key_is_refused_with_the_closest_one():
    net = base()
    with refused("flow 'f': unknown attribute 'quantiy'; did you mean 'quantity'? "
                 + HINT.format(key="quantiy")):
        net.add_flow("s", "p", "m", quantiy=7, id="f")
    assert "f" not in net


def test_misspelt_node_and_carrier_keys_are_refused():
    net = base()
    with refused("node 'q': unknown attribute 'stge'; did you mean 'stage'? "
                 + HINT.format(key="stge")):
        net.add_node("q", stge="input")
    with refused("carrier 'coal': unknown attribute 'c02'; did you mean 'co2'? "
                 + HINT.format(key="c02")):
        net.add_carrier("coal", "energy", "t", c02=2.6)


def test_misspelt_keys_in_edits_of_the_network_are_refused():
    net = base()
    net.add_flow("s", "p", "m", quantity=7, id="f")
    with refused("flow 'f': unknown attribute 'shar'; did you mean 'share'? "
                 + HINT.format(key="shar")):
        net.set_flow("f", shar=0.98)
    with refused("node 'p': unknown attribute 'lable'; did you mean 'label'? "
                 + HINT.format(key="lable")):
        net.set_node("p", lable="mill")
    assert net.flow("f")["quantity"] == 7


def test_unknown_key_in_a_case_file_names_file_and_line(tmp_path):
    (tmp_path / "case.toml").write_text(textwrap.dedent("""\
        [case]
        name = "typo"

        [[node]]
        id = "s"
        kind = "source"

        [[node]]
        id = "p"

        [[flow]]
        source = "s"
        target = "p"
        carrier = "m"
        quantiy = 7
        """))
    with pytest.raises(fg.FlowgraphError, match=r"case.toml:11: flow 's->p:m': unknown "
                                                r"attribute 'quantiy'; did you mean 'quantity'\?"):
        fg.load(tmp_path)


def test_unknown_column_of_a_bulk_table_is_refused_by_name():
    nodes, flows = frames(quantiy=[7.0, np.nan])
    with refused("flow table: unknown column 'quantiy'; did you mean 'quantity'? "
                 + HINT.format(key="quantiy")):
        fg.Network.from_frames(nodes, flows)
    nodes["stge"] = "input"
    with refused("node table: unknown column 'stge'; did you mean 'stage'? "
                 + HINT.format(key="stge")):
        fg.Network.from_frames(nodes, frames()[1])


def test_a_carrier_table_composition_or_layers_not_readable_is_refused_by_carrier():
    """A composition that is not key=value pairs, or whose value is not a number, and layers
    that are not names: refused naming the carrier and the key (a traceback, or a message
    of no place, before)."""
    nodes, flows = frames(quantity=[1.0, np.nan])
    m = {"name": "m", "kind": "material", "unit": "t"}
    for extra, message, cls in (
            ({"composition": "n/a"}, "carrier 'm': composition 'n/a' is not a list of "
                                     "key=value pairs", fg.UnitError),
            ({"composition": "Cl=lots"}, "carrier 'm': composition 'Cl=lots': Cl = 'lots' "
                                         "is not a number", fg.UnitError),
            ({"layers": 5}, "carrier 'm': layers 5 is not a list of names ('mass;Cl')",
             fg.ModelError)):
        with refused(message, cls):
            fg.Network.from_frames(nodes, flows, [{**m, **extra}])


def test_unknown_column_of_a_csv_table_names_the_file(tmp_path):
    (tmp_path / "case.toml").write_text('[case]\nname = "t"\n[tables]\nnodes = "nodes.csv"\n'
                                        'flows = "flows.csv"\n')
    (tmp_path / "nodes.csv").write_text("id,kind\ns,source\np,process\nk,sink\n")
    (tmp_path / "flows.csv").write_text("id,source,target,carrier,quantiy\na,s,p,m,7\nb,p,k,m,\n")
    with pytest.raises(fg.FlowgraphError, match=r"flows.csv\S*: .*unknown column 'quantiy'; "
                                                r"did you mean 'quantity'\?"):
        fg.load(tmp_path)


def test_free_attributes_take_the_prefix_and_are_carried_through(tmp_path):
    net = base()
    net.add_node("q", x_owner="plant 2", x_rating=[1, 2])
    net.add_flow("s", "p", "m", quantity=7, id="f", x_source="annual report 2023")
    net.add_flow("p", "k", "m", id="g")
    net.add_carrier("ore", "material", "t", x_grade="A")
    assert net.node("q")["x_owner"] == "plant 2"
    assert net.flow("f")["x_source"] == "annual report 2023"
    assert net.carrier("ore").to_record()["x_grade"] == "A"
    nodes, flows = frames(x_material=["ore", "slag"])
    assert fg.Network.from_frames(nodes, flows).flow("b")["x_material"] == "slag"
    fg.save(net, tmp_path / "copy")
    again = fg.load(tmp_path / "copy").network
    assert again.flow("f")["x_source"] == "annual report 2023"
    assert again.carrier("ore").to_record()["x_grade"] == "A"


def test_attributes_that_plugins_read_are_declared_and_checked():
    net = base()
    net.add_node("chp", kind="utility", operation="chp", capacity_mw=12, start_year=1998)
    net.add_flow("p", "k", "wastewater", unit="m3", id="w", **{"conc_COD": 200,
                                                              "conc_iron ions": 800})
    assert net.flow("w")["conc_iron ions"] == 800
    with refused("flow 'v': conc_COD is nan: give a finite number or leave conc_COD out "
                 "(unknown is the absence of a value)"):
        net.add_flow("p", "k", "wastewater", unit="m3", id="v", conc_COD=float("nan"))
    with refused("node 'u': start_year 1998.5 must be a whole number"):
        net.add_node("u", kind="utility", start_year=1998.5)
    owners = {a.owner for c in ("node", "flow", "carrier") for a in declared(c).values()}
    assert owners == {"core", "energy", "park", "symbiosis", "valuestream"}


def test_the_attribute_page_describes_free_attributes_and_the_bound():
    text = markdown()
    assert "| conc_* | float | mg/L |  |  | 0 .. | valuestream |" in text
    assert "prefix `x_`" in text and f"beyond {BOUND:.0e}" in text


# -- 3. finiteness and the bound -----------------------------------------------------------

@pytest.mark.parametrize("key, value, message", [
    ("quantity", float("nan"), "quantity is nan: give a finite number or leave quantity out "
                               "(unknown is the absence of a value)"),
    ("quantity", float("inf"), "quantity is inf: give a finite number or leave quantity out "
                               "(unknown is the absence of a value)"),
    ("share", float("nan"), "share is nan: give a finite number or leave share out "
                            "(unknown is the absence of a value)"),
    ("price", float("inf"), "price is inf: give a finite number or leave price out "
                            "(unknown is the absence of a value)"),
    ("sigma", float("nan"), "sigma is nan: give a finite number or leave sigma out "
                            "(unknown is the absence of a value)"),
    ("per", ("a", float("inf")), "per_ratio is inf: give a finite number or leave per_ratio "
                                 "out (unknown is the absence of a value)"),
])
def test_flow_numbers_must_be_finite(key, value, message):
    net = base()
    net.add_flow("s", "p", "m", quantity=1, id="a")
    spec = {} if key in ("price", "sigma") else {"quantity": None}
    with refused(f"flow 'f': {message}"):
        net.add_flow("p", "k", "m", id="f", **{**spec, key: value})


def test_a_refused_flow_leaves_the_network_as_it_was():
    net = base()
    with refused("flow 'f': quantity is nan: give a finite number or leave quantity out "
                 "(unknown is the absence of a value)"):
        net.add_flow("s", "p", "slag", quantity=math.nan, id="f")
    assert "f" not in net and "slag" not in net.carriers
    net.add_flow("s", "p", "slag", quantity=2, id="f")
    assert net.carrier("slag").unit == "t"


def test_an_infinite_price_is_refused_at_input_not_blamed_on_a_loop():
    """It used to reach the solver and come back as a SingularError about a loop."""
    net = base()
    with refused("flow 's->p:m': price is inf: give a finite number or leave price out "
                 "(unknown is the absence of a value)"):
        net.add_flow("s", "p", "m", quantity=5, price=math.inf)


@pytest.mark.parametrize("factor", ["price", "tce", "co2", "density", "energy_content"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_carrier_factors_must_be_finite(factor, value):
    """co2 = nan used to become 0 and co2 = inf a SingularError."""
    with refused(f"carrier 'coal': {factor} is {value}: give a finite number or leave "
                 f"{factor} out (unknown is the absence of a value)"):
        base().add_carrier("coal", "energy", "t", **{factor: value})


def test_composition_holds_fractions():
    net = base()
    with refused("carrier 'ore': composition of Fe is nan: give a finite number"):
        net.add_carrier("ore", composition={"Fe": math.nan})
    with refused("carrier 'ore': composition of Fe 1.5 is not in [0, 1]"):
        net.add_carrier("ore", composition={"Fe": 1.5})
    with refused("carrier 'ore': composition of Fe 'a lot' must be a number"):
        net.add_carrier("ore", composition={"Fe": "a lot"})
    with refused("carrier 'ore': composition must be a table of names to numbers "
                 "(e.g. {mass = 12.0}), not 0.5"):
        net.add_carrier("ore", composition=0.5)


@pytest.mark.parametrize("attrs, message", [
    ({"stock": math.nan}, "stock of mass is nan: give a finite number"),
    ({"stock": {"mass": math.inf}}, "stock of mass is inf: give a finite number"),
    ({"co2": math.nan}, "co2 is nan: give a finite number or leave co2 out (unknown is the "
                        "absence of a value)"),
    ({"tce": -1}, "tce -1 is negative"),
    ({"costs": {"system": math.inf}}, "costs.system is inf: give a finite number or leave "
                                      "costs.system out (unknown is the absence of a value)"),
    ({"lat": 95.0}, "lat 95 is not in [-90, 90]"),
    ({"lon": -181}, "lon -181 is not in [-180, 180]"),
])
def test_node_numbers_must_be_finite_and_in_range(attrs, message):
    with refused(f"node 'q': {message}"):
        base().add_node("q", **attrs)


def test_a_stock_of_nan_no_longer_gives_nan_flows():
    net = base()
    with refused("node 'p': stock of mass is nan: give a finite number"):
        net.set_node("p", stock=math.nan)
    assert "stock" not in net.node("p")


def test_edits_of_the_network_refuse_nan_and_keep_the_old_value():
    net = base()
    net.add_flow("s", "p", "m", quantity=7, id="f")
    net.add_carrier("m", "material", "t", price=10)
    with refused("flow 'f': quantity is nan: give a finite number or leave quantity out "
                 "(unknown is the absence of a value)"):
        net.set_flow("f", quantity=math.nan)
    with refused("carrier 'm': price is inf: give a finite number or leave price out "
                 "(unknown is the absence of a value)"):
        net.set_carrier("m", price=math.inf)
    assert net.flow("f")["quantity"] == 7 and net.carrier("m").price == 10
    net.set_flow("f", quantity=None)            # unknown: the absence of a value
    assert net.flow("f").get("quantity") is None


def test_quantities_beyond_the_bound_are_refused_in_base_units():
    """1e308 t with a recycle wrote inf into flows.csv. The bound is in t, GJ, m3 or CNY, so
    an energy in kJ may have a large number: 1e17 kJ = 1e11 GJ is a large park's year."""
    net = base()
    with refused("flow 'f': quantity 1e+308 t is beyond 1e+15 in t, GJ, m3 or CNY, more than "
                 "any plant or park handles (docs/attributes.md, Numbers): check the value and "
                 "its unit"):
        net.add_flow("s", "p", "m", quantity=1e308, id="f")
    with refused("flow 'g': quantity 2e+11 万t is beyond 1e+15 in t, GJ, m3 or CNY, more than "
                 "any plant or park handles (docs/attributes.md, Numbers): check the value and "
                 "its unit"):
        net.add_flow("s", "p", "m", quantity="2e11 万t", id="g")
    net.add_flow("s", "p", "power", quantity=1e17, unit="kJ", id="e")
    assert net.flow("e")["quantity"] == 1e17
    with refused("carrier 'gold': price 2e+12 is beyond 1e+15 in t, GJ, m3 or CNY, more than "
                 "any plant or park handles (docs/attributes.md, Numbers): check the value and "
                 "its unit"):
        net.add_carrier("gold", "material", "g", price=2e12)      # 2e18 CNY per t
    with refused("node 'q': costs.system 1e+16 is beyond 1e+15 in t, GJ, m3 or CNY, more than "
                 "any plant or park handles (docs/attributes.md, Numbers): check the value and "
                 "its unit"):
        net.add_node("q", costs={"system": 1e16})


def test_an_integer_beyond_any_float_is_beyond_the_bound():
    """TOML reads 10**400 as a Python int, which float() cannot hold (OverflowError)."""
    with refused("flow 'f': price 1e+79 is beyond 1e+15 in t, GJ, m3 or CNY, more than "
                 "any plant or park handles (docs/attributes.md, Numbers): check the value and "
                 "its unit"):
        base().add_flow("s", "p", "m", quantity=1, price=10**79 + 1, id="f")
    with refused("node 'q': lat (a number of 401 digits) is beyond 1e+15 in t, GJ, m3 or CNY, more than any "
                 "plant or park handles (docs/attributes.md, Numbers): check the value and its "
                 "unit"):
        base().add_node("q", lat=10**400)
    nodes, flows = frames(quantity=pd.Series([10**400, None], dtype=object))
    with refused("flow 'a': quantity (a number of 401 digits) is beyond 1e+15 in t, GJ, m3 or CNY, more "
                 "than any plant or park handles (docs/attributes.md, Numbers): check the "
                 "value and its unit"):
        fg.Network.from_frames(nodes, flows)


def test_bulk_tables_refuse_infinite_and_nan_text_but_an_empty_cell_is_unknown():
    nodes, flows = frames(quantity=[10.0, np.nan])
    net = fg.Network.from_frames(nodes, flows)
    assert net.flow("a")["quantity"] == 10 and "quantity" not in net.flow("b")
    nodes, flows = frames(quantity=["10", "unknown"])
    assert "quantity" not in fg.Network.from_frames(nodes, flows).flow("b")
    nodes, flows = frames(quantity=[10.0, np.inf])
    with refused("flow 'b': quantity inf is not a value: give a finite number, or leave the "
                 "cell empty (unknown)"):
        fg.Network.from_frames(nodes, flows, origin_flows=["f.csv:2", "f.csv:3"])
    nodes, flows = frames(quantity=["10", "nan"])
    with pytest.raises(fg.ModelError, match=r"^f.csv:3: flow 'b': quantity 'nan' is not a "
                                            r"value: give a finite number"):
        fg.Network.from_frames(nodes, flows, origin_flows=["f.csv:2", "f.csv:3"])


@pytest.mark.parametrize("column, values, message", [
    ("share", [np.nan, 1.5], "share 1.5 is not a transfer coefficient in [0, 1]"),
    ("price", [np.nan, -np.inf], "price -inf is not a value: give a finite number, or leave "
                                 "the cell empty (unknown)"),
    ("sigma", [np.nan, -1.0], "sigma -1 is negative"),
    ("quantity", [np.nan, 1e300], "quantity 1e+300 t is beyond 1e+15 in t, GJ, m3 or CNY, "
                                  "more than any plant or park handles (docs/attributes.md, "
                                  "Numbers): check the value and its unit"),
])
def test_bulk_flow_numbers_are_checked_with_the_row_origin(column, values, message):
    nodes, flows = frames(**{column: values})
    with refused(f"f.csv:3: flow 'b': {message}"):
        fg.Network.from_frames(nodes, flows, origin_flows=["f.csv:2", "f.csv:3"])


def test_bulk_node_numbers_are_checked_with_the_row_origin():
    nodes, flows = frames()
    nodes["co2"] = [np.nan, np.inf, np.nan]
    with refused("n.csv:3: node 'p': co2 inf is not a value: give a finite number, or leave "
                 "the cell empty (unknown)"):
        fg.Network.from_frames(nodes, flows, origin_nodes=["n.csv:2", "n.csv:3", "n.csv:4"])
    nodes, flows = frames()
    nodes["stock"] = [None, "mass=nan", None]
    with refused("node 'p': stock of mass is nan: give a finite number"):
        fg.Network.from_frames(nodes, flows)


def test_bulk_carriers_are_checked_with_their_origin():
    nodes, flows = frames()
    carriers = [{"name": "m", "kind": "material", "unit": "t", "co2": math.inf,
                 "_origin": "c.csv:2"}]
    with refused("c.csv:2: carrier 'm': co2 is inf: give a finite number or leave co2 out "
                 "(unknown is the absence of a value)"):
        fg.Network.from_frames(nodes, flows, carriers)


# -- 4. types ----------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, message", [
    (("s", "p", 5), {}, "flow 's->p:5': carrier must be a string, not 5"),
    ((["s"], "p", "m"), {}, "flow '['s']->p:m': source must be a node id (a string), not ['s']"),
    (("s", "p", "m"), {"quantity": "five"}, "flow 's->p:m': quantity 'five' must be a number "
                                            "or a number with a unit (e.g. 7 or '7 t')"),
    (("s", "p", "m"), {"quantity": [5]}, "flow 's->p:m': quantity must be a number, not [5]"),
    (("s", "p", "m"), {"unit": 5}, "flow 's->p:m': unit must be a string, not 5"),
    (("s", "p", "m"), {"role": "lost"}, "flow 's->p:m': role 'lost' is not one of product, "
                                        "byproduct, loss, emission, waste, recycle; did you "
                                        "mean 'loss'?"),
    (("s", "p", "m"), {"label": ["a"]}, "flow 's->p:m': label must be a string, not ['a']"),
    (("s", "p", "m"), {"per": ("a", "x")}, "flow 's->p:m': per_ratio 'x' must be a number"),
])
def test_flow_values_of_the_wrong_type_name_the_flow(args, kwargs, message):
    with refused(message):
        base().add_flow(*args, **kwargs)


@pytest.mark.parametrize("attrs, message", [
    ({"layers": 3}, "layers must be a list of names (e.g. ['mass', 'Cl']), not 3"),
    ({"costs": 5}, "costs must be a mapping of category to amount (e.g. {system = 1200})"),
    ({"costs": {"sytem": 5}}, "unknown cost category 'sytem'; did you mean 'system'?; use "
                              "material, energy, system, waste_management"),
    ({"costs": {"system": "five"}}, "costs.system 'five' must be a number or a number with a "
                                    "unit (e.g. 7 or '7 t')"),
    ({"kind": "proces"}, "kind 'proces' is not one of process, utility, source, sink, "
                         "storage; did you mean 'process'?"),
    ({"lat": "north"}, "lat 'north' must be a number"),
    ({"firm": {"a": 1}}, "firm must be a string, not {'a': 1}"),
])
def test_node_values_of_the_wrong_type_name_the_node(attrs, message):
    with refused(f"node 'q': {message}"):
        base().add_node("q", **attrs)


def test_node_ids_must_be_names():
    with refused("node '['q']': id must be a node id (a string), not ['q']"):
        base().add_node(["q"])


def test_carrier_values_of_the_wrong_type_name_the_carrier():
    net = base()
    with refused("carrier 5: name must be a string, not 5"):
        net.add_carrier(5)
    with refused("carrier 'ore': layers must be a list of names (e.g. ['mass', 'Cl']), not 3"):
        net.add_carrier("ore", layers=3)
    with refused("carrier 'ore': kind 'metal' is not one of material, energy, water, emission; "
                 "did you mean 'material'?"):
        net.add_carrier("ore", "metal")


def test_type_errors_in_a_case_file_name_file_line_and_flow(tmp_path):
    (tmp_path / "case.toml").write_text(textwrap.dedent("""\
        [case]
        name = "types"

        [[node]]
        id = "s"
        kind = "source"

        [[node]]
        id = "p"

        [[flow]]
        source = "s"
        target = "p"
        carrier = 5
        """))
    with pytest.raises(fg.FlowgraphError, match=r"case.toml:11: flow 's->p:5': carrier must "
                                                r"be a string, not 5"):
        fg.load(tmp_path)


@pytest.mark.parametrize("column, values, message", [
    ("source", [["s"], "p"], "flow 'a': source must be an id (a string), not ['s']"),
    ("source", [None, "p"], "flow 'a': source is empty: every flow needs its source"),
    ("carrier", [5, "m"], "flow 'a': carrier must be a string, not 5"),
    ("quantity", ["five", None], "flow 'a': quantity 'five' is not a number or a number with "
                                 "a unit of the flow's dimension ('five' is not a number "
                                 "followed by a unit)"),
    ("role", ["los", None], "flow 'a': role 'los' is not one of product, byproduct, loss, "
                            "emission, waste, recycle; did you mean 'loss'?"),
])
def test_bulk_values_of_the_wrong_type_name_row_and_column(column, values, message):
    nodes, flows = frames(**{column: values})
    with refused(f"f.csv:2: {message}"):
        fg.Network.from_frames(nodes, flows, origin_flows=["f.csv:2", "f.csv:3"])


def test_bulk_quantity_in_a_unit_of_another_dimension_names_row_and_column():
    nodes, flows = frames(quantity=["5 kWh", None])
    with pytest.raises(fg.UnitError, match=r"^f.csv:2: flow 'a': quantity '5 kWh' is not a "
                                           r"number or a number with a unit of the flow's "
                                           r"dimension \('kWh' cannot be converted to 't'"):
        fg.Network.from_frames(nodes, flows, origin_flows=["f.csv:2", "f.csv:3"])


def test_bulk_node_lists_and_texts():
    nodes, flows = frames()
    nodes["layers"] = ["", "mass;Cl", None]
    nodes["firm"] = [101, 102, 103]         # digits, as a CSV reader makes of them
    net = fg.Network.from_frames(nodes, flows)
    assert net.node("p")["layers"] == ("mass", "Cl") and net.node("p")["firm"] == 102
    nodes["layers"] = pd.Series([None, 3, None], dtype=object)
    with refused("n.csv:3: node 'p': layers must be a list of names (e.g. ['mass', 'Cl']), "
                 "not 3"):
        fg.Network.from_frames(nodes, flows, origin_nodes=["n.csv:2", "n.csv:3", "n.csv:4"])
    nodes["layers"] = None
    nodes["label"] = ["source", ["a", "list"], "sink"]
    with refused("node 'p': label must be a string, not ['a', 'list']"):
        fg.Network.from_frames(nodes, flows)


def test_bulk_carrier_cells_saying_unknown_are_absent():
    nodes, flows = frames()
    carriers = pd.DataFrame({"name": ["m"], "kind": ["material"], "unit": ["t"],
                             "price": ["unknown"], "co2": ["0.5"]})
    net = fg.Network.from_frames(nodes, flows, carriers)
    assert net.carrier("m").price is None and net.carrier("m").co2 == 0.5


def test_bulk_duplicate_ids_name_the_row():
    nodes, flows = frames()
    flows["id"] = ["a", "a"]
    with refused("f.csv:3: flow 'a': duplicate flow id 'a'"):
        fg.Network.from_frames(nodes, flows, origin_flows=["f.csv:2", "f.csv:3"])


def test_csv_text_in_a_number_column_names_file_line_and_column(tmp_path):
    (tmp_path / "case.toml").write_text('[case]\nname = "t"\n[tables]\nnodes = "nodes.csv"\n'
                                        'flows = "flows.csv"\n')
    (tmp_path / "nodes.csv").write_text("id,kind\ns,source\np,process\nk,sink\n")
    (tmp_path / "flows.csv").write_text("id,source,target,carrier,quantity\na,s,p,m,7\n"
                                        "b,p,k,m,five\n")
    with pytest.raises(fg.FlowgraphError, match=r"flows.csv:3: flow 'b': quantity 'five' is "
                                                r"not a number"):
        fg.load(tmp_path)


# -- 5. scenario edits --------------------------------------------------------------------

@pytest.mark.parametrize("edit, message", [
    ({"op": "scale_flow", "target": "f"}, "scale_flow edit of 'f': needs factor (the number "
                                          "the flow's quantity, share or recipe ratio is "
                                          "multiplied by)"),
    ({"op": "scale_flow", "target": "f", "factr": 2}, "scale_flow edit of 'f': unknown key "
                                                       "'factr'; did you mean 'factor'? (a "
                                                       "scale_flow edit has only factor)"),
    ({"op": "scale_flw", "target": "f", "factor": 2}, "unknown edit 'scale_flw'; did you mean "
                                                       "'scale_flow'? (edits are set_flow, "
                                                       "scale_flow, add_flow, remove_flow, "
                                                       "set_node, add_node, remove_node, "
                                                       "set_carrier, add_carrier)"),
    ({"op": "scale_flow", "target": "f", "factor": math.nan}, "scale_flow edit of 'f': factor "
                                                               "is nan: give a finite number"),
    ({"op": "scale_flow", "target": "f", "factor": math.inf}, "scale_flow edit of 'f': factor "
                                                               "is inf: give a finite number"),
    ({"op": "scale_flow", "target": "f", "factor": -2}, "scale_flow edit of 'f': factor -2 is "
                                                         "negative; flows run one way"),
    ({"op": "set_flow", "target": "f", "quantiy": 3}, "set_flow edit of 'f': unknown attribute "
                                                      "'quantiy'; did you mean 'quantity'? "
                                                      + HINT.format(key="quantiy")),
    ({"op": "set_flow", "target": "f", "share": math.nan}, "set_flow edit of 'f': share is "
                                                           "nan: give a finite number or leave "
                                                           "share out (unknown is the absence "
                                                           "of a value)"),
    ({"op": "set_node", "target": "p", "stock": 5, "lable": "x"},
     "set_node edit of 'p': unknown attribute 'lable'; did you mean 'label'? "
     + HINT.format(key="lable")),
    ({"op": "set_flow", "quantity": 3}, "a set_flow edit needs target (the flow it changes)"),
    ({"op": "remove_node", "target": "p", "kind": "sink"}, "remove_node edit of 'p': takes no "
                                                           "values, not kind"),
    ({"op": "set_node", "target": "p", "stock": {"mass": math.inf}},
     "set_node edit of 'p': stock of mass is inf: give a finite number"),
])
def test_scenario_edits_are_checked_when_read(edit, message):
    rec = {"name": "measures", "edit": [{"op": "remove_flow", "target": "g"}, edit]}
    with refused(f"scenario 'measures', edit 2: {message}"):
        fg.Scenario.from_record(rec)


def test_a_scale_flow_without_factor_fails_when_the_case_is_read(tmp_path):
    """It used to pass `check` and end in a KeyError when run."""
    (tmp_path / "case.toml").write_text(textwrap.dedent("""\
        [case]
        name = "edits"

        [[node]]
        id = "s"
        kind = "source"

        [[node]]
        id = "p"
        kind = "sink"

        [[flow]]
        source = "s"
        target = "p"
        carrier = "m"
        quantity = 2

        [[scenario]]
        name = "double"
        [[scenario.edit]]
        op = "scale_flow"
        target = "s->p:m"
        """))
    with pytest.raises(fg.FlowgraphError, match=r"case.toml:18: scenario 'double', edit 1: "
                                                r"scale_flow edit of 's->p:m': needs factor"):
        fg.load(tmp_path)


def test_good_edits_still_apply(chain):
    sc = fg.Scenario.from_record({"name": "x", "edit": [
        {"op": "scale_flow", "target": "feed", "factor": 2},
        {"op": "set_flow", "target": "ab", "share": 0.95, "x_note": "measured 2023"}]})
    net = chain.apply(sc)
    assert net.flow("feed")["quantity"] == 200 and net.flow("ab")["x_note"] == "measured 2023"


# -- 6. carriers without a unit ------------------------------------------------------------

def test_a_carrier_without_unit_takes_the_default_of_its_kind():
    net = base()
    assert net.add_carrier("ore").unit == "t"
    assert net.add_carrier("cooling water", "water").unit == "t"
    assert net.add_carrier("steam heat", "energy").unit == "GJ"
    # an energy carrier counts in the energy layer without further ado (in t it counted in none)
    assert net.carrier("steam heat").weights("GJ") == {"energy": 1.0}
    assert net.add_carrier("power", "energy", "kWh").unit == "kWh"


def test_a_flow_in_another_dimension_than_a_defaulted_carrier_says_so():
    net = base()
    net.add_carrier("water")
    with refused("flow 'f': unit 'm3' is a volume, but carrier 'water' is measured in 't' "
                 "(mass, the default unit of material carriers: declare the carrier's unit)",
                 fg.UnitError):
        net.add_flow("s", "p", "water", quantity=5, unit="m3", id="f")
    net.add_carrier("ore", "material", "t")
    with refused("flow 'g': unit 'm3' is a volume, but carrier 'ore' is measured in 't' (mass)",
                 fg.UnitError):
        net.add_flow("s", "p", "ore", quantity=5, unit="m3", id="g")


@pytest.mark.parametrize("unit", ["12 kg", "1000 Nm3", "1e3 t"])
def test_a_number_in_the_unit_is_refused(unit):
    net = fg.Network("x")
    net.add_node("s", kind="source")
    net.add_node("k", kind="sink")
    with pytest.raises(fg.UnitError, match=f"unit '{unit}' begins with a number"):
        net.add_flow("s", "k", "m", quantity=5, unit=unit)
