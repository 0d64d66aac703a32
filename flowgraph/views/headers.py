"""Column headers and figure names in words, with their units.

A table's column names are identifiers (`cost_material`, `gap_tce_per_yr`, `n_types`); a page
shows them as words with the unit: "material cost" (CNY), "gap" (tce/yr), "number of types".
The unit comes, first, from the table itself (Table.units, column -> unit; "" for none); then
from the attribute table (flowgraph/data/attributes.csv, model/schema.py) for the network's
own attributes and the result columns derived from them; then from a unit at the end of the
name (`_t`, `_tce_per_yr`, `_cny`, `_wan`, `_kwh`, ...). A name the rules do not know keeps
its words and gets no unit rather than a wrong one.
"""

from __future__ import annotations

import re
from functools import cache

from ..model import schema

#: unit tokens that may end a name, as written in a header
UNIT_TOKENS = {
    "t": "t", "kg": "kg", "g": "g", "mt": "Mt", "kt": "kt", "tce": "tce", "kgce": "kgce",
    "cny": "CNY", "yuan": "CNY", "wan": "万元", "gj": "GJ", "mj": "MJ", "tj": "TJ",
    "kwh": "kWh", "mwh": "MWh", "gwh": "GWh", "mw": "MW", "kw": "kW", "km": "km", "m3": "m3",
    "yr": "yr", "pct": "%", "percent": "%", "h": "h", "d": "d", "l": "L", "co2e": "t CO2e",
}
#: the words a name part is shown as (acronyms, chemical formulas)
WORDS = {
    "co2": "CO2", "co2e": "CO2e", "ghg": "GHG", "chp": "CHP", "pvc": "PVC", "mfca": "MFCA",
    "ahp": "AHP", "cod": "COD", "bod": "BOD", "nh3": "NH3", "so2": "SO2", "nox": "NOx",
    "mac": "MAC", "om": "O&M", "id": "id", "zh": "(Chinese)", "lat": "latitude",
    "lon": "longitude", "max": "max", "min": "min", "ci": "CI", "ri": "RI", "cr": "CR",
    "pm": "PM", "ipcc": "IPCC", "hcl": "HCl", "vcm": "VCM", "eip": "EIP", "wan": "万元",
}
#: result columns derived from the attribute table's node costs (costs.material, ...)
DERIVED = {
    "cost": ("cost", "CNY"), "cost_material": ("material cost", "CNY"),
    "cost_energy": ("energy cost", "CNY"), "cost_system": ("system cost", "CNY"),
    "cost_waste": ("waste management cost", "CNY"),
    "cost_waste_management": ("waste management cost", "CNY"),
    "tce": ("standard coal", "tce"), "kgce": ("standard coal", "kgce"),
    "co2": ("CO2", "t"), "loss_cost": ("loss cost", "CNY"),
}
#: what an amount unit alone measures (a name that is only a unit, such as `kgce`)
AMOUNT_WORDS = {"tce": "standard coal", "kgce": "standard coal", "cny": "cost",
                "wan": "cost", "co2e": "CO2e", "co2": "CO2"}


@cache
def _attribute_units() -> dict[str, str]:
    """Attributes of nodes, flows and carriers with a fixed unit (not per the row's unit,
    not dimensionless, not a count of years), by name."""
    out: dict[str, str] = {}
    for component in ("carrier", "node", "flow"):
        for name, a in schema.declared(component).items():
            unit = a.unit
            if (a.pattern or not unit or "unit" in unit or unit == "1"
                    or a.type not in ("float",)):
                continue
            out[name.replace("costs.", "cost_")] = unit
    return out


def split_unit(name: str) -> tuple[str, str]:
    """(words, unit) of an identifier ending in a unit: 'gap_tce_per_yr' -> ('gap',
    'tce/yr'); ('', unit) when the name is only a unit; (name, '') when it ends in none."""
    tokens = name.split("_")
    for start in range(1, len(tokens) + 1):     # the longest unit expression at the end
        unit = _unit_expression(tokens[start - 1:])
        if unit and (start == 1 or tokens[start - 2].lower() != "per"):
            return "_".join(tokens[:start - 1]), unit
    return name, ""


def unit_token(token: str) -> bool:
    """Whether a token of an identifier is a unit ('t', 'kg', 'd'); a single capital letter
    is a label ('loss_qty_D': sheet D, not days)."""
    return token.lower() in UNIT_TOKENS and not (len(token) == 1 and token.isupper())


def _unit_expression(tokens: list[str]) -> str:
    """'tce/yr' for ['tce', 'per', 'yr'], '' when the tokens are not a unit expression:
    UNIT ( per [10k] UNIT )*."""
    if not tokens or not unit_token(tokens[0]):
        return ""
    parts = [UNIT_TOKENS[tokens[0].lower()]]
    i = 1
    while i < len(tokens):
        if tokens[i].lower() != "per" or i + 1 >= len(tokens):
            return ""
        scale = ""
        if re.fullmatch(r"\d+k?", tokens[i + 1].lower()) and i + 2 < len(tokens):
            scale, i = tokens[i + 1] + " ", i + 1
        unit = UNIT_TOKENS.get(tokens[i + 1].lower()) if unit_token(tokens[i + 1]) else None
        if unit is None:
            return ""
        parts.append(f"{scale}{unit}")
        i += 2
    return "/".join(parts)


def words(name) -> str:
    """An identifier in words: underscores as spaces, acronyms and formulas written as
    such ('co2_ineffective_share' -> 'CO2 ineffective share'); text with spaces as it is."""
    text = str(name)
    if " " in text:
        return text.replace("_", " ")
    if "_" not in text and text.lower() not in WORDS:
        return text
    parts = [p for p in text.split("_") if p]
    if len(parts) > 1 and parts[0] == "n":
        parts[0] = "number of"
    return " ".join(WORDS.get(p.lower(), p) for p in parts)


def header(name, units: dict | None = None, has_unit_column: bool = False) -> tuple[str, str]:
    """(words, unit) of a column: the table's own unit for it first ("" for none), then the
    attribute table's, then a unit at the end of the name."""
    units = units or {}
    key = str(name)
    if key in units:
        unit = units[key]
        if key in DERIVED and unit == DERIVED[key][1]:
            return DERIVED[key][0], unit
        base, suffix = split_unit(key)
        if suffix and suffix == unit and base:
            return words(base), unit
        return words(key), unit or ""
    if " " in key or "(" in key:
        return words(key), ""
    if key in DERIVED:
        return DERIVED[key]
    if key in _attribute_units():
        return words(key.removesuffix("_km").removesuffix("_mw")), _attribute_units()[key]
    base, unit = split_unit(key)
    if unit and not base:
        return AMOUNT_WORDS.get(key.split("_")[0].lower(), unit), unit
    if unit:
        return words(base), unit
    return words(key), ""


def figure_words(name: str, unit: str = "") -> tuple[str, str]:
    """A headline figure's name in words and the unit shown with it: the unit the name ends
    in is dropped when the figure states it ('unit_cost_cny_per_t', 'CNY/t' -> 'unit cost');
    a dimensionless unit ('1') is shown as none."""
    unit = "" if str(unit).strip() in ("1", "-") else str(unit or "")
    text = str(name)
    if " " in text:
        return text, unit
    base, found = split_unit(text)
    if found and base and (_same_unit(found, unit) or not unit):
        return words(base), unit or found
    if found and not base:
        return AMOUNT_WORDS.get(text.split("_")[0].lower(), found) + \
            (f" per {found.split('/', 1)[1]}" if "/" in found else ""), unit or found
    # units in the name: 'co2_t_per_t' -> 'CO2 per t', 'water_wan_t' -> 'water'
    parts = text.split("_")
    kept = [AMOUNT_WORDS.get(p.lower(), p) if j == 0 else p for j, p in enumerate(parts)
            if not unit_token(p) or j == 0 or parts[j - 1].lower() == "per"]
    if unit and kept and kept[-1].lower() != "per" and kept != parts:
        return words("_".join(kept)), unit
    return words(text), unit


def _same_unit(a: str, b: str) -> bool:
    """Whether two unit texts name the same unit, up to '/yr' and spacing ('t' and 't/yr')."""
    def norm(u):
        return re.sub(r"\s+|/yr$|/a$|/year$", "", u).lower()
    return bool(b) and norm(a) == norm(b)
