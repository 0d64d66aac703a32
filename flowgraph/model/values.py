"""One value of one attribute, checked against the attribute table: type, finiteness, range
and the magnitude bound; errors name the item (node, flow, carrier), the key and the origin.

Records (records.py) and carriers check their values here one at a time, so that add_flow
stays O(1); bulk tables are checked column by column in table_checks.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError, UnitError
from . import units
from .schema import BOUND, Attribute, suggestion

_NUMBER_TYPES = (int, float, np.integer, np.floating)
#: what a value outside its range is, where the bare range says too little
_RANGE_NOUN = {"share": "a transfer coefficient"}
#: what to do about a value below its minimum, where there is something to say
_BELOW_HINT = {"quantity": "; flows run one way, add a flow in the other direction instead"}


@dataclass(frozen=True)
class Place:
    """Where a value belongs: 'flow 'f'' with the ids and origin an error carries."""

    text: str
    nodes: tuple = ()
    flows: tuple = ()
    origin: str | None = None

    def error(self, message: str, cls=ModelError) -> ModelError:
        return cls(f"{self.text}: {message}", nodes=self.nodes, flows=self.flows,
                   origin=self.origin)


def is_number(value) -> bool:
    return isinstance(value, _NUMBER_TYPES) and not isinstance(value, (bool, np.bool_))


def is_id(value) -> bool:
    """A node or flow id: a string or an integer (bulk tables number their rows)."""
    return isinstance(value, (str, int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_id(value, name: str, place: Place, what: str = "node") -> None:
    if not is_id(value):
        raise place.error(f"{name} must be a {what} id (a string), not {value!r}")
    if isinstance(value, str) and not value.strip():
        raise place.error(f"{name} is empty: a {what} id must hold a character (leave a "
                          f"flow's id out to have one made from its ends and carrier)")


def check_text(value, name: str, place: Place) -> str:
    if not isinstance(value, str):
        raise place.error(f"{name} must be a string, not {value!r}")
    return value


def check_choice(value, attr: Attribute, place: Place) -> str:
    """A string attribute with allowed values ('' in the list: may be empty)."""
    value = check_text(value, attr.name, place)
    if attr.allowed and not attr.open and value not in attr.allowed:
        names = [a for a in attr.allowed if a]
        raise place.error(f"{attr.name} '{value}' is not one of {', '.join(names)}"
                          f"{suggestion(value, names)}")
    return value


def number(value, name: str, place: Place, *, unit: str | None = None,
           key: bool = True) -> float:
    """A finite number; a numeric string is read, anything else refused by name. `unit`
    (of the flow) lets the message suggest a number with a unit; `key`: `name` is a key that
    may be left out."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            hint = " or a number with a unit (e.g. 7 or '7 t')" if unit is not None else ""
            raise place.error(f"{name} {value!r} must be a number{hint}") from None
    elif not is_number(value):
        raise place.error(f"{name} must be a number, not {value!r}")
    try:
        value = float(value)
    except OverflowError:                   # an integer beyond any float
        raise place.error(beyond(f"{name} (a number of {len(str(abs(value)))} digits)")) \
            from None
    if not math.isfinite(value):
        absent = f" or leave {name} out (unknown is the absence of a value)" if key else ""
        raise place.error(f"{name} is {value}: give a finite number{absent}")
    return value


def in_range(value: float, attr: Attribute, place: Place, label: str | None = None) -> float:
    """The attribute's min and max (from the table)."""
    label = label or f"{attr.name} {value:g}"
    lo, hi = attr.minimum, attr.maximum
    if lo is not None and hi is None and value < lo:
        what = "negative" if lo == 0 else f"below {lo:g}"
        raise place.error(f"{label} is {what}{_BELOW_HINT.get(attr.name, '')}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        noun = _RANGE_NOUN.get(attr.name, "")
        span = f"[{'' if lo is None else f'{lo:g}'}, {'' if hi is None else f'{hi:g}'}]"
        raise place.error(f"{label} is not {noun + ' in ' if noun else 'in '}{span}")
    return value


def base_scale(attr: Attribute, unit: str | None) -> float:
    """Factor from the value's own unit to the base unit of its dimension (t, GJ, m3, CNY):
    a quantity in 'unit' is multiplied by it, a factor per 'unit' divided."""
    if not unit or not attr.unit.endswith("unit"):
        return 1.0
    to_base = units.to_base(unit) or 1.0
    return to_base if attr.unit == "unit" else 1.0 / to_base


def bounded(value: float, attr: Attribute, place: Place, unit: str | None = None,
            label: str | None = None) -> float:
    """Refuse a magnitude beyond BOUND in base units: no plant or park reaches it."""
    if abs(value) * base_scale(attr, unit) > BOUND:
        raise place.error(beyond(label or f"{attr.name} {value:g}"))
    return value


def beyond(label: str) -> str:
    """The message for a number beyond BOUND."""
    return (f"{label} is beyond {BOUND:.0e} in t, GJ, m3 or CNY, more than any plant or park "
            f"handles (docs/attributes.md, Numbers): check the value and its unit")


def checked_number(value, attr: Attribute, place: Place, unit: str | None = None) -> float:
    """A number of a float or integer attribute: finite, whole where it must be, in range
    and within the bound."""
    v = number(value, attr.name, place, unit=unit if attr.unit == "unit" else None)
    if attr.type == "integer" and v != round(v):
        raise place.error(f"{attr.name} {v:g} must be a whole number")
    label = f"{attr.name} {v:g}" + (f" {unit}" if attr.unit == "unit" and unit else "")
    in_range(v, attr, place, label)
    return bounded(v, attr, place, unit, label)


def names_list(value, name: str, place: Place) -> tuple[str, ...]:
    """A list attribute (layers, operation): a name or a list of names."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise place.error(f"{name} must be a list of names (e.g. ['mass', 'Cl']), not {value!r}")


def number_table(value, attr: Attribute, place: Place, scalar_key: str | None = None) -> dict:
    """A dict attribute (stock, composition): names to numbers, each checked against the
    attribute's range; a bare number is `{scalar_key: number}` where one is given."""
    if scalar_key is not None and is_number(value):
        value = {scalar_key: value}
    if not isinstance(value, Mapping):
        raise place.error(f"{attr.name} must be a table of names to numbers "
                          f"(e.g. {{mass = 12.0}}), not {value!r}")
    out = {}
    for k, v in value.items():
        label = f"{attr.name} of {k}"
        v = number(v, label, place, key=False)
        in_range(v, attr, place, f"{label} {v:g}")
        out[str(k)] = bounded(v, attr, place, label=f"{label} {v:g}")
    return out


def unit_text(unit, place: Place) -> str:
    """A unit string that parses; UnitError naming the item otherwise."""
    try:
        units.parse_unit(unit)
    except UnitError as exc:
        raise place.error(str(exc), UnitError) from None
    return unit


def check_value(attr: Attribute, value, place: Place):
    """Any declared attribute by its type (quantities with units are converted before)."""
    if attr.type in ("float", "integer"):
        return checked_number(value, attr, place)
    if attr.type == "id":
        check_id(value, attr.name, place, "flow" if attr.name == "per_flow" else "node")
        return value
    if attr.type == "list":
        return names_list(value, attr.name, place)
    if attr.type == "dict":
        return number_table(value, attr, place)
    return check_choice(value, attr, place)
