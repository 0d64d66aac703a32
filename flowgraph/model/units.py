"""Units: one pint registry with tce, kgce, CNY (its own dimension) and the prefix 万 = 1e4.

Unit strings are parsed once and cached, so converting a million flows costs one pint call
per distinct unit string, not per flow.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pint

from ..errors import UnitError

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, on_redefinition="raise")
ureg.load_definitions(str(resources.files("flowgraph") / "data" / "units.txt"))

#: the base unit of each balance dimension: layer quantities are expressed in these
BASE = {"mass": "t", "energy": "GJ", "volume": "m**3", "currency": "CNY", "dimensionless": ""}

_DIMENSIONS = {
    "mass": ureg.Quantity(1, "t").dimensionality,
    "energy": ureg.Quantity(1, "GJ").dimensionality,
    "volume": ureg.Quantity(1, "m**3").dimensionality,
    "currency": ureg.Quantity(1, "CNY").dimensionality,
    "dimensionless": ureg.Quantity(1, "").dimensionality,
}

_WAN = re.compile(r"万\s*")
_POWER = re.compile(r"(?<![A-Za-z])(N?m|cm|dm|km|mm)([23])(?![0-9A-Za-z])")
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _pintable(unit: str) -> str:
    """Rewrite a user's unit string into pint syntax: 万t -> 1e4*t, m3 -> m**3, · -> *."""
    s = unit.strip().replace("·", "*").replace("（", "(").replace("）", ")")
    s = _POWER.sub(lambda m: "Nm3" if m.group(1) == "Nm" else f"{m.group(1)}**{m.group(2)}", s)
    s = _WAN.sub("10000*", s)
    return s or "dimensionless"


#: a unit that begins with a number times a unit ('12 kg'): a quantity typed into the unit
#: column ('1' and '1/yr' are units)
_LEADING_NUMBER = re.compile(r"\s*[-+]?[0-9.]+(e[-+]?[0-9]+)?\s*[^\W\d_]")


@lru_cache(maxsize=4096)
def parse_unit(unit: str) -> pint.Quantity:
    """The pint quantity that one `unit` amounts to (e.g. '万t' -> 10000 t)."""
    if not isinstance(unit, str):
        raise UnitError(f"unit must be a string, not {unit!r}")
    if _LEADING_NUMBER.match(unit):
        raise UnitError(f"unit '{unit}' begins with a number: give the number as the quantity "
                        f"and the unit alone (e.g. quantity 12, unit 'kg'); 万 is the one "
                        f"multiple written in a unit ('万t')")
    try:
        q = ureg.parse_expression(_pintable(unit))
    except Exception as exc:  # pint raises several kinds; all mean "not a unit"
        raise UnitError(f"unit '{unit}' is not understood ({exc})") from None
    if not isinstance(q, ureg.Quantity):
        q = ureg.Quantity(q, "")
    return q


@lru_cache(maxsize=4096)
def dimension(unit: str) -> str:
    """The named dimension of a unit: mass, energy, volume, currency, dimensionless or 'other'."""
    dim = parse_unit(unit).dimensionality
    for name, d in _DIMENSIONS.items():
        if d == dim:
            return name
    return "other"


@lru_cache(maxsize=4096)
def factor(unit: str, to: str) -> float:
    """How many `to` one `unit` is (factor('万t', 't') == 1e4); UnitError if dimensions differ."""
    a, b = parse_unit(unit), parse_unit(to)
    try:
        return float((a / b).to("dimensionless").magnitude)
    except pint.DimensionalityError:
        raise UnitError(f"'{unit}' cannot be converted to '{to}': "
                        f"{a.dimensionality} is not {b.dimensionality}") from None


def to_base(unit: str) -> float | None:
    """Factor to the base unit of the unit's own dimension (t, GJ, m3, CNY), None if none."""
    dim = dimension(unit)
    return factor(unit, BASE[dim]) if dim in BASE else None


def split_quantity(text: str) -> tuple[float, str]:
    """'30 万t' -> (30.0, '万t'); '0.1229 kgce/kWh' -> (0.1229, 'kgce/kWh')."""
    m = _NUMBER.match(text)
    if not m:
        raise UnitError(f"'{text}' is not a number followed by a unit")
    return float(m.group(1)), m.group(2)


def per_unit(value, numerator: str, carrier_unit: str, what: str) -> float:
    """A factor per carrier unit as a plain number of `numerator` per `carrier_unit`.

    A number is taken as already per carrier unit; a string such as '0.1229 kgce/kWh' or
    '400 CNY/t' is converted. `what` names the factor in error messages.
    """
    if value is None:
        return float("nan")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:               # an integer beyond any float
            raise UnitError(f"{what}: a number of {len(str(abs(value)))} digits is beyond "
                            f"any value") from None
    if not isinstance(value, str):
        raise UnitError(f"{what} must be a number or a string with units, not {value!r}")
    mag, unit = split_quantity(value)
    target = f"({numerator})/({carrier_unit})"
    try:
        return mag * factor(unit or "dimensionless", target)
    except UnitError:
        raise UnitError(f"{what} '{value}' is not in {numerator} per {carrier_unit}") from None
