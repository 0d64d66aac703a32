"""Small networks for the view tests, with quantities that follow by hand."""

from __future__ import annotations

import flowgraph as fg


def chain() -> fg.Network:
    """in -> a -> b -> out with a loss at a and b and a recycle b -> a.

    By hand: feed 100 t; a passes 0.9 of its inflow to b, loses the rest; b sends 0.1 of
    its inflow back to a, 0.7 to out, loses 0.2. With r the recycle: inflow of a = 100 + r,
    ab = 0.9 (100 + r), r = 0.1 ab  ->  ab = 90 / (1 - 0.09) = 98.9011 t."""
    net = fg.Network("view chain")
    net.add_carrier("ore", "material", "t", price=10)
    net.add_carrier("power", "energy", "kWh", price=0.5, co2="0.5 kg/kWh")
    net.add_node("in", kind="source")
    net.add_node("grid", kind="source")
    net.add_node("a", label="Mill", stage="input")
    net.add_node("b", label="Kiln", stage="output")
    net.add_node("out", kind="sink")
    net.add_node("waste", kind="sink")
    net.add_flow("in", "a", "ore", quantity=100, id="feed")
    net.add_flow("grid", "b", "power", quantity=1000, id="power")
    net.add_flow("a", "b", "mid", share=0.9, id="ab")
    net.add_flow("a", "waste", "scrap a", role="loss", id="la")
    net.add_flow("b", "a", "returns", share=0.1, role="recycle", id="back")
    net.add_flow("b", "out", "product", share=0.7, id="prod")
    net.add_flow("b", "waste", "scrap b", role="loss", id="lb")
    return net


#: hand solution of chain() (see its docstring), in t
AB = 90 / (1 - 0.09)
CHAIN_MASS = {"feed": 100.0, "ab": AB, "la": 0.1 * (100 + 0.1 * AB), "back": 0.1 * AB,
              "prod": 0.7 * AB, "lb": 0.2 * AB}


def small_park(geo: bool = True) -> fg.Network:
    """Three firms at three sites (west, centre, east) exchanging by-products, a market and a
    landfill without coordinates. Every centre passes fixed shares on."""
    net = fg.Network("small park")
    for name in ("limestone", "steam", "gypsum", "board", "ash", "slag", "fish"):
        net.add_carrier(name, "material", "t", price=50)
    net.add_node("quarry", kind="source")
    net.add_node("market", kind="sink")
    net.add_node("landfill", kind="sink")
    sites = {"power": (55.40, 11.00), "board": (55.41, 11.05), "farm": (55.40, 11.10)}
    units = {"power": ["boiler", "scrubber"], "board": ["board line"], "farm": ["ponds"]}
    for firm, names in units.items():
        lat, lon = sites[firm]
        for u in names:
            net.add_node(u, firm=firm, **({"lat": lat, "lon": lon} if geo else {}))
    net.add_flow("quarry", "boiler", "limestone", quantity=1000, id="lime")
    net.add_flow("boiler", "scrubber", "steam", share=0.6, id="steam")
    net.add_flow("boiler", "ponds", "ash", share=0.3, id="ash")
    net.add_flow("boiler", "landfill", "slag", role="waste", id="slag")
    net.add_flow("scrubber", "board line", "gypsum", share=1.0, id="gypsum")
    net.add_flow("board line", "market", "board", id="board")
    net.add_flow("ponds", "market", "fish", id="fish")
    return net
