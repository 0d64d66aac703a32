"""The attribute tables of nodes, flows and carriers, read from data/attributes.csv.

One table per component drives defaults, validation, documentation and CSV import, as
PyPSA does: add an attribute by adding a row, not by editing code in several places. A row's
`owner` says who reads it: `core` (the model and solvers) or a plugin (energy, symbiosis,
valuestream); a name ending in `*` is a pattern (`conc_*`). Keys of the user's own start with
FREE_PREFIX and are carried through untouched.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

#: prefix of the attributes of the user's own: carried through, never read by flowgraph
FREE_PREFIX = "x_"
#: largest magnitude accepted for a number, in t, GJ, m3 or CNY (see docs/attributes.md)
BOUND = 1e15


@dataclass(frozen=True)
class Attribute:
    """One attribute of a component: its type, unit, default, allowed values and range."""

    component: str
    name: str
    type: str
    unit: str
    default: object
    allowed: tuple[str, ...]
    description: str
    minimum: float | None = None
    maximum: float | None = None
    owner: str = "core"
    #: allowed lists the named values only: any other name is also accepted (allocation)
    open: bool = False

    @property
    def pattern(self) -> bool:
        return self.name.endswith("*")


def _convert_default(text: str, type_: str):
    if text == "":
        return None
    if type_ == "float":
        return float(text)
    return text


def _bound(text: str) -> float | None:
    return float(text) if text != "" else None


@cache
def _table() -> dict[str, dict[str, Attribute]]:
    path = resources.files("flowgraph") / "data" / "attributes.csv"
    out: dict[str, dict[str, Attribute]] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names = tuple(a for a in row["allowed"].split("|")) if row["allowed"] else ()
            out.setdefault(row["component"], {})[row["attribute"]] = Attribute(
                row["component"], row["attribute"], row["type"], row["unit"],
                _convert_default(row["default"], row["type"]),
                tuple(a for a in names if a != "*"), row["description"],
                _bound(row["min"]), _bound(row["max"]), row["owner"], "*" in names)
    return out


def declared(component: str) -> dict[str, Attribute]:
    """Every attribute of `component` the table declares, plugins' and patterns included."""
    try:
        return _table()[component]
    except KeyError:
        raise KeyError(f"no attributes for component '{component}'") from None


@cache
def attributes(component: str) -> dict[str, Attribute]:
    """The core attributes of `component` ('node', 'flow' or 'carrier') by name, in table
    order: the columns every node or flow table has."""
    return {k: a for k, a in declared(component).items() if a.owner == "core"}


def lookup(component: str, key: str) -> Attribute | None:
    """The declared attribute `key` (by name, or by pattern under its own name), None if the
    table does not know it."""
    table = declared(component)
    if key in table:
        return table[key]
    found = next((a for a in table.values() if a.pattern and key.startswith(a.name[:-1])),
                 None)
    return None if found is None else replace(found, name=key)


def is_free(key) -> bool:
    """A key of the user's own (FREE_PREFIX): carried through untouched."""
    return isinstance(key, str) and key.startswith(FREE_PREFIX)


def suggestion(key, names) -> str:
    """'; did you mean 'quantity'?' for the closest of `names`, or '' when none is close."""
    names = [str(n) for n in names]             # ids read from a sheet may be numbers
    close = difflib.get_close_matches(str(key), [n for n in names if not n.endswith("*")],
                                      n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def unknown_key(key, names, what: str = "attribute") -> str:
    """The message for a key the attribute table does not know (after the item's name)."""
    return (f"unknown {what} '{key}'{suggestion(key, names)} (attributes are listed in "
            f"docs/attributes.md; one of your own takes the prefix {FREE_PREFIX}, "
            f"e.g. {FREE_PREFIX}{key})")


def allowed(component: str, name: str) -> tuple[str, ...]:
    """The allowed values of a string attribute ('' in the list means it may be left empty)."""
    return declared(component)[name].allowed


def float_columns(component: str) -> list[str]:
    """Names of the numeric core attributes of a component."""
    return [a.name for a in attributes(component).values() if a.type == "float"]


#: roles whose flows are negative products (material losses) in MFCA
NEGATIVE_ROLES = frozenset({"loss", "emission", "waste"})
#: cost categories a node may add and a carrier may fall in
COST_CATEGORIES = ("material", "energy", "system", "waste_management")


def _range(a: Attribute) -> str:
    lo = "" if a.minimum is None else f"{a.minimum:g}"
    hi = "" if a.maximum is None else f"{a.maximum:g}"
    return "" if not (lo or hi) else f"{lo} .. {hi}".strip()


FREE_TEXT = f"""\
## Attributes of your own

A key the table does not list is refused, with the closest known key ("did you mean
'quantity'?"): a misspelt key would otherwise be kept aside and the flow solved as unknown.
Attributes of your own take the prefix `{FREE_PREFIX}` (`x_source = "annual report 2023"`,
`x_confidence = 0.8`, a CSV column `x_material`): flowgraph carries them through (saved case
files, tables, the graph) untouched and never reads them. An attribute that a method or plugin
reads is declared in the table, with its `owner`, so that it is checked and documented like
the core ones; a name ending in `*` is a pattern (`conc_*`: `conc_COD`, `conc_NH3N`).

## Numbers

Every number must be finite: NaN and infinity are refused, not read as "unknown". A value is
unknown when it is absent: the key left out (None in Python), an empty cell or the word
`unknown` in a table. Quantities and factors beyond {BOUND:.0e} in the base unit of their
dimension (t, GJ, m3, CNY; factors per t, GJ or m3 of their carrier) are refused: that is over
a thousand times the world's yearly material extraction (about 1e11 t) or primary energy
(about 6e11 GJ) and above the world's yearly output in CNY, so no plant or park reaches it, and
products of such inputs stay far from floating-point overflow. The `range` column gives the
values a number may take (from the table's `min` and `max`).
"""


def markdown() -> str:
    """The attribute tables as Markdown (docs/attributes.md is this, kept in sync by a test)."""
    out = ["# Attributes of nodes, flows and carriers", "",
           "Generated from `flowgraph/data/attributes.csv` by `flowgraph.model.schema.markdown()`;",
           "a test keeps this page and the table in step. `owner` says what reads an attribute:",
           "`core` the model and solvers, otherwise the plugin of that name.", ""]
    for component in ("node", "flow", "carrier"):
        out += [f"## {component}", "",
                "| attribute | type | unit | default | allowed | range | owner | description |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for a in declared(component).values():
            allowed_ = ", ".join(x for x in a.allowed if x) + (", or a layer" if a.open else "")
            default = "" if a.default is None else a.default
            out.append(f"| {a.name} | {a.type} | {a.unit} | {default} | {allowed_} | "
                       f"{_range(a)} | {a.owner} | {a.description} |")
        out.append("")
    return "\n".join(out) + "\n" + FREE_TEXT
