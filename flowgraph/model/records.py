"""One node's or flow's attributes, checked and normalised as they are added or edited.

Every key must be in the attribute table (or be a free `x_` key), every value must have the
attribute's type, be finite and within its range and the magnitude bound; strings with units
become numbers. Errors name the item, the key and the origin.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import UnitError
from . import units
from .schema import COST_CATEGORIES, declared, is_free, lookup, suggestion, unknown_key
from .values import (
    Place,
    check_choice,
    check_id,
    check_value,
    checked_number,
    number_table,
)

#: keys of the Python API that are not columns (costs = {...}, per = (flow, ratio))
API_KEYS = {"node": ("costs",), "flow": ("per",)}


def check_keys(component: str, keys: Iterable, place: Place, fixed: Iterable = ()) -> None:
    """Refuse a key the attribute table does not know, with the closest known one. `fixed`:
    keys that cannot be given here (ids and the like)."""
    api = API_KEYS.get(component, ())
    fixed = set(fixed)
    for key in keys:
        if key in api or is_free(key):
            continue
        if not isinstance(key, str) or key in fixed or lookup(component, key) is None:
            raise place.error(unknown_key(key, [*declared(component), *api]))


def node_place(id, origin) -> Place:
    return Place(f"node '{id}'", nodes=(id,), origin=origin)


def flow_place(fid, origin) -> Place:
    return Place(f"flow '{fid}'", flows=(fid,), origin=origin)


def node_record(id, kind, attrs: dict, origin) -> dict:
    """Check and normalise one node's attributes (an add_node or a set_node)."""
    place = node_place(id, origin)
    rec: dict = {"kind": check_choice(kind, declared("node")["kind"], place)}
    check_keys("node", attrs, place, fixed=("id", "kind"))
    for key, value in attrs.items():
        if value is None or is_free(key):
            if key != "costs":
                rec[key] = value
        elif key == "costs":
            rec.update(_costs(value, place))
        elif key.startswith("costs."):
            rec[key] = _amount(value, lookup("node", key), place)
        elif key == "stock":
            rec[key] = number_table(value, lookup("node", key), place, scalar_key="mass")
        else:
            rec[key] = check_value(lookup("node", key), value, place)
    if origin is not None:
        rec["_origin"] = origin
    return rec


def _costs(costs, place: Place) -> dict:
    if not isinstance(costs, Mapping):
        raise place.error("costs must be a mapping of category to amount "
                          "(e.g. {system = 1200})")
    out = {}
    for cat, amount in costs.items():
        if cat not in COST_CATEGORIES:
            raise place.error(f"unknown cost category '{cat}'{suggestion(cat, COST_CATEGORIES)}"
                              f"; use {', '.join(COST_CATEGORIES)}")
        out[f"costs.{cat}"] = _amount(amount, lookup("node", f"costs.{cat}"), place)
    return out


def _amount(value, attr, place: Place) -> float:
    """An amount of money: a number of CNY or a string with a currency unit ('3 万元')."""
    if isinstance(value, str):
        value = with_unit(value, "CNY", place, attr.name)[0]
    return checked_number(value, attr, place)


def with_unit(value, unit: str | None, place: Place, name: str = "quantity"):
    """A number, or a string such as '30 万t' read in `unit` (or in its own unit when `unit`
    is None): (number, unit). Anything else is returned as it is, for the type check."""
    if not isinstance(value, str):
        return value, unit
    try:
        mag, own = units.split_quantity(value)
    except UnitError:
        raise place.error(f"{name} {value!r} must be a number or a number with a unit "
                          f"(e.g. 7 or '7 t')") from None
    if unit is not None and own and own != unit:
        try:
            mag *= units.factor(own, unit)
        except UnitError as exc:
            raise place.error(f"{name} {value!r}: {exc}", UnitError) from None
    return mag, unit or own or None


def flow_record(fid, rec: dict, origin) -> dict:
    """Check and normalise one flow's attributes; strings with units become numbers. `rec`
    holds source, target, carrier and unit (checked by the Network) and the rest."""
    place = flow_place(fid, origin)
    rec = {k: v for k, v in rec.items() if v is not None}
    per = rec.pop("per", None)
    if per is not None:
        rec["per_flow"], rec["per_ratio"] = _per(per, place)
    given = [k for k in ("quantity", "share", "per_flow") if rec.get(k) is not None]
    if len(given) > 1:
        raise place.error(f"give one of quantity, share or per, not {' and '.join(given)}")
    unit = rec["unit"]
    out = {}
    for key, value in rec.items():
        if is_free(key) or key in ("source", "target", "carrier", "unit"):
            out[key] = value
        elif key == "price":
            out[key] = checked_number(_price(value, unit, place), lookup("flow", key), place,
                                      unit)
        elif key == "quantity":
            value = with_unit(value, unit, place)[0]
            out[key] = checked_number(value, lookup("flow", key), place, unit)
        else:
            attr = lookup("flow", key)
            out[key] = checked_number(value, attr, place, unit) \
                if attr.type in ("float", "integer") else check_value(attr, value, place)
    out["role"] = check_choice(rec.get("role") or "product", declared("flow")["role"], place)
    if origin is not None:
        out["_origin"] = origin
    return out


def _per(per, place: Place) -> tuple:
    if isinstance(per, Mapping):
        per = (per.get("flow"), per.get("ratio"))
    if not (isinstance(per, (tuple, list)) and len(per) == 2):
        raise place.error(f"per must be (flow_id, ratio), not {per!r}")
    check_id(per[0], "per flow", place, "flow")
    return per[0], per[1]


def _price(value, unit: str, place: Place):
    """A price per flow unit: a number, or a string with units ('400 CNY/t')."""
    if not isinstance(value, str):
        return value
    try:
        return units.per_unit(value, "CNY", unit, "price")
    except UnitError as exc:
        raise place.error(str(exc), UnitError) from None
