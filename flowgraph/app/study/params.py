"""The parameters of a sweep: numbers of a network a run sets, named 'kind:id:attribute'.

    flow:ID:quantity   flow:ID:share   flow:ID:ratio   flow:ID:price
    carrier:NAME:price carrier:NAME:tce carrier:NAME:co2          (per carrier unit)
    node:ID:costs.system (.energy, .material, .waste_management)   node:ID:co2   node:ID:tce

A parameter is an `Input` (solvers/inputs.py) without a distribution. Values are numbers in
the flow's unit (quantities), per flow unit (flow prices) or per carrier unit (carrier
factors). This module parses and checks names against a network (did you mean), turns a
parameter value into the scenario edit that sets it (`edit_for`: what a run means), and
maps a scenario whose edits change only such values onto parameters (`scenario_values`).
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ModelError
from ...model.scenario import Edit
from ...model.schema import suggestion
from ...solvers.inputs import DOMAIN, TARGETS, Input, bind

#: value keys of the network records a value-only scenario may change, per component
FLOW_VALUES = {"quantity": "quantity", "share": "share", "per_ratio": "ratio", "price": "price"}
NODE_VALUES = {"co2": "co2", "tce": "tce"}
CARRIER_VALUES = ("price", "tce", "co2")
#: edits that may change values only (others change the structure)
VALUE_OPS = ("set_flow", "scale_flow", "set_node", "set_carrier")
#: compiled array each parameter writes, for the domain check (inputs.DOMAIN)
ARRAY = {"quantity": "value", "share": "share", "ratio": "ratio", "tce": "tce", "co2": "co2"}


def name_of(inp: Input) -> str:
    """'kind:id:attribute'."""
    return f"{inp.kind}:{inp.id}:{inp.attribute}"


def parse(text, net, origin: str | None = None) -> Input:
    """A parameter from 'kind:id:attribute' (or a (kind, id, attribute) tuple), checked
    against the network by name; ModelError with 'did you mean' otherwise."""
    if isinstance(text, (tuple, list)) and len(text) == 3:
        kind, ident, attribute = text
    elif isinstance(text, str) and text.count(":") >= 2:
        kind, rest = text.split(":", 1)
        ident, attribute = rest.rsplit(":", 1)
    else:
        raise ModelError(f"parameter {text!r}: give kind:id:attribute, e.g. 'flow:ore:price', "
                         f"'carrier:coal:price' or 'node:kiln:costs.system'", origin=origin)
    if kind not in TARGETS:
        raise ModelError(f"parameter {text!r}: unknown kind '{kind}'{_close(kind, TARGETS)} "
                         f"(flow, carrier or node)", origin=origin)
    if attribute not in TARGETS[kind]:
        raise ModelError(f"parameter {text!r}: a {kind} has no parameter '{attribute}'"
                         f"{_close(attribute, TARGETS[kind])} (one of "
                         f"{', '.join(TARGETS[kind])})", origin=origin)
    return Input(kind, target_id(kind, ident, net, f"parameter {text!r}", origin), attribute,
                 None, origin=origin)


def target_id(kind: str, ident, net, label: str, origin: str | None = None):
    """The id as the network spells it (a number given as text finds a numeric id)."""
    if kind == "carrier":
        known = net.carriers
    else:
        known = (net.flow_frame() if kind == "flow" else net.node_frame()).index
    for candidate in _spellings(ident):
        if candidate in known:
            return candidate
    names = [str(k) for k in known]
    raise ModelError(f"{label}: the network has no {kind} '{ident}'"
                     f"{_close(str(ident), names)}", origin=origin,
                     flows=[ident] if kind == "flow" else [],
                     nodes=[ident] if kind == "node" else [])


def _spellings(ident):
    yield ident
    if isinstance(ident, str):
        try:
            yield int(ident)
        except ValueError:
            pass


def _close(word: str, names) -> str:
    """'; did you mean 'x'?' (on at most 20,000 names of a similar length: fast on any
    network)."""
    names = [n for n in names if abs(len(n) - len(word)) <= 3] if len(names) > 20000 else names
    return suggestion(word, list(names)[:20000])


def nominal(params, compiled) -> np.ndarray:
    """The values of the parameters in a compiled network; ModelError naming a parameter
    whose target lacks it (a flow with no known quantity to vary, say)."""
    bound = bind([Input(p.kind, p.id, p.attribute, None, origin=p.origin) for p in params],
                 compiled)
    return np.array([b.nominal for b in bound], dtype=float)


def check_value(inp: Input, value, origin: str | None = None) -> float:
    """A parameter value: a finite number within the attribute's domain."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ModelError(f"parameter '{name_of(inp)}': {value!r} is not a number (give "
                         f"numbers in the flow's or carrier's unit)", origin=origin)
    value = float(value)
    lo, hi = DOMAIN.get(ARRAY.get(inp.attribute, inp.attribute), (None, None))
    if not math.isfinite(value) or (lo is not None and value < lo) or \
            (hi is not None and value > hi):
        span = f"from {lo:g}" + (f" to {hi:g}" if hi is not None else "") if lo is not None \
            else "finite"
        raise ModelError(f"parameter '{name_of(inp)}': {value!r} is out of range (a "
                         f"{inp.attribute} is {span})", origin=origin)
    return value


def edit_for(inp: Input, value: float, net) -> Edit:
    """The scenario edit that sets the parameter to `value` on `net`."""
    v = float(value)
    if inp.kind == "flow":
        if inp.attribute == "ratio":
            return Edit.set_flow(inp.id, per=(net.flow(inp.id)["per_flow"], v))
        return Edit.set_flow(inp.id, **{inp.attribute: v})
    if inp.kind == "carrier":
        return Edit.set_carrier(inp.id, **{inp.attribute: v})
    return Edit.set_node(inp.id, **{inp.attribute: v})


def scenario_values(scenario, net) -> dict | None:
    """{(kind, id, attribute): value} when the scenario changes only parameter values of
    `net` (known quantities, shares, recipe ratios and prices of flows that keep their kind
    of specification; carrier prices and factors; node own costs, co2 and tce); None when it
    changes anything else (it is then solved as a network of its own)."""
    if any(e.op not in VALUE_OPS for e in scenario.edits):
        return None
    try:
        new = scenario.apply_to(net)
    except Exception:           # the scenario does not apply: solved (and failing) on its own
        return None
    out: dict = {}
    for kind in ("flow", "node", "carrier"):
        targets = {e.target for e in scenario.edits if _component(e.op) == kind}
        for target in targets:
            changed = _changes(kind, target, net, new)
            if changed is None:
                return None
            out.update(changed)
    return out


def _component(op: str) -> str:
    return {"set_flow": "flow", "scale_flow": "flow", "set_node": "node",
            "set_carrier": "carrier"}[op]


def _changes(kind, target, old_net, new_net) -> dict | None:
    if kind == "carrier":
        a, b = old_net.carriers.get(target), new_net.carriers.get(target)
        if a is None or b is None:
            return None
        ra, rb = a.to_record(), b.to_record()
        values = {k: ("carrier", target, k) for k in CARRIER_VALUES}
    else:
        try:
            ra = dict(getattr(old_net, kind)(target))
            rb = dict(getattr(new_net, kind)(target))
        except ModelError:
            return None
        values = ({k: ("flow", target, a) for k, a in FLOW_VALUES.items()} if kind == "flow"
                  else {**{k: ("node", target, a) for k, a in NODE_VALUES.items()},
                        **{k: ("node", target, k) for k in set(ra) | set(rb)
                           if k.startswith("costs.")}})
        if kind == "flow" and _spec(ra) != _spec(rb):
            return None
    out = {}
    for key in set(ra) | set(rb):
        va, vb = ra.get(key), rb.get(key)
        if _same(va, vb):
            continue
        if key not in values or not _number(vb):
            return None
        out[values[key]] = float(vb)
    return out


def _spec(rec: dict) -> tuple:
    def has(k):
        return _number(rec.get(k))
    return (has("quantity"), has("share"), rec.get("per_flow") if has("per_ratio") else None,
            rec.get("unit"))


def _number(v) -> bool:
    return isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and \
        not math.isnan(float(v))


def _same(a, b) -> bool:
    if _missing(a) and _missing(b):
        return True
    if _missing(a) or _missing(b):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))
