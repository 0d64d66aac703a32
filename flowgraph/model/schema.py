"""The attribute tables of nodes, flows and carriers, read from data/attributes.csv.

One table per component drives defaults, validation, documentation and CSV import, as
PyPSA does: add an attribute by adding a row, not by editing code in several places.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Attribute:
    """One attribute of a component: its type, unit, default and allowed values."""

    component: str
    name: str
    type: str
    unit: str
    default: object
    allowed: tuple[str, ...]
    description: str


def _convert_default(text: str, type_: str):
    if text == "":
        return None
    if type_ == "float":
        return float(text)
    return text


@cache
def attributes(component: str) -> dict[str, Attribute]:
    """All attributes of `component` ('node', 'flow' or 'carrier') by name, in table order."""
    path = resources.files("flowgraph") / "data" / "attributes.csv"
    out: dict[str, Attribute] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["component"] != component:
                continue
            allowed = tuple(a for a in row["allowed"].split("|")) if row["allowed"] else ()
            out[row["attribute"]] = Attribute(
                component, row["attribute"], row["type"], row["unit"],
                _convert_default(row["default"], row["type"]), allowed, row["description"])
    if not out:
        raise KeyError(f"no attributes for component '{component}'")
    return out


def allowed(component: str, name: str) -> tuple[str, ...]:
    """The allowed values of a string attribute ('' in the list means it may be left empty)."""
    return attributes(component)[name].allowed


def float_columns(component: str) -> list[str]:
    """Names of the numeric attributes of a component."""
    return [a.name for a in attributes(component).values() if a.type == "float"]


#: roles whose flows are negative products (material losses) in MFCA
NEGATIVE_ROLES = frozenset({"loss", "emission", "waste"})
#: cost categories a node may add and a carrier may fall in
COST_CATEGORIES = ("material", "energy", "system", "waste_management")


def markdown() -> str:
    """The attribute tables as Markdown (docs/attributes.md is this, kept in sync by a test)."""
    out = ["# Attributes of nodes, flows and carriers", "",
           "Generated from `flowgraph/data/attributes.csv` by `flowgraph.model.schema.markdown()`;",
           "a test keeps this page and the table in step.", ""]
    for component in ("node", "flow", "carrier"):
        out += [f"## {component}", "", "| attribute | type | unit | default | allowed | description |",
                "| --- | --- | --- | --- | --- | --- |"]
        for a in attributes(component).values():
            allowed_ = ", ".join(x for x in a.allowed if x)
            default = "" if a.default is None else a.default
            out.append(f"| {a.name} | {a.type} | {a.unit} | {default} | {allowed_} | {a.description} |")
        out.append("")
    return "\n".join(out)
