"""What a case workbook tells the person filling it in: the README sheet, each header's
meaning, unit and default (a cell comment, from the attribute table), drop-down lists of
the allowed values (node kinds, roles, stages, carriers, units, node ids in source and
target), and the columns a template offers.
"""

from __future__ import annotations

from ..model.scenario import OPS
from ..model.schema import COST_CATEGORIES, attributes, declared, lookup
from .casekeys import CASE_KEYS, FIGURE_KEYS
from .xlsxread import column_letter

#: units offered in the unit columns (any other unit pint reads is accepted too)
UNITS = ("t", "kg", "万t", "m3", "万m3", "kWh", "MWh", "万kWh", "GJ", "MJ", "tce", "kgce",
         "Nm3", "万Nm3", "CNY", "万元")
#: the last row a drop-down list covers
LAST_ROW = 1048576

README = """\
flowgraph case workbook
One sheet per table of a case, with the columns of the CSV tables (docs/case-files.md).
Row 1 names the columns (hover over a header for its meaning, unit and default); one item a row below.

case	key | value: name, period (default yr), description, source, strict (TRUE/FALSE), year
carriers	one carrier a row: name, kind, unit, price, tce, co2, ... (factors per carrier unit)
nodes	one node a row: id, kind, label, stage, system, ... (costs may also go in costs.* columns)
costs	node | material | energy | system | waste_management: a node's own added costs (CNY)
flows	one flow a row: source, target, carrier and at most one of quantity, share or per_flow + per_ratio
scenarios	one scenario a row: name, description and any metadata
edits	one edit a row: scenario, op (set_flow, scale_flow, add_flow, ...), target, id and the values to set
figures	one headline figure a row: name, expr, unit, published, scenario, note
settings	section | key | value: the plugin sections ([energy], [synergy], ...), key a dotted path
time	the periods and series: parameter | <period> | <period> ... in row 1 (periods in order), a parameter (kind:id:attribute) a row; or period | parameter | value
time_stocks	one stock carried over the periods a row: node, outflow, lifetime (fixed, normal, lognormal, weibull), mean, std, shape, scale, inflow_at, initial or initial.AGE
time_starts	period | scenario: a scenario in force from that period on (flowgraph periods plant.xlsx)

An empty cell (or the word unknown) is an unknown value. A number may carry its unit ('30 万t', '1,200 t').
Lists are written 'mass;Cl' (an empty list []), mappings 'mass=1.5;Cl=0.2'.
In scenarios, edits and settings a list or table is written as TOML: ["pvc", 1.45], {system = 90000}.
Formulas are read as the value the spreadsheet saved with them. Merged cells are refused.
Columns and sheets of your own take the prefix x_; this README and the lists sheet are not read.
Check the workbook with: flowgraph check plant.xlsx"""

#: what the columns of the sheets without an attribute table hold
NOTES = {
    "case": {"key": "A setting of the case: " + ", ".join(CASE_KEYS),
             "value": "Its value: text; strict TRUE or FALSE; year a whole number"},
    "costs": {"node": "A node of the nodes sheet",
              **{c: f"The node's own {c.replace('_', ' ')} cost, CNY per period (default 0)"
                 for c in COST_CATEGORIES}},
    "scenarios": {"name": "The scenario's name (the edits sheet refers to it)",
                  "description": "What the scenario changes, in words"},
    "edits": {"scenario": "The scenario this edit belongs to (scenarios sheet)",
              "op": "The edit: " + ", ".join(OPS),
              "target": "The flow, node or carrier edited (for add_flow and a flow moved to "
                        "another node: the flow's target node, and id names the flow)",
              "id": "The flow edited, when target names its target node"},
    "figures": {"name": "The figure's name", "expr": "Its expression: q('flow'), total(...), "
                "... (docs/case-files.md)", "unit": "Its unit", "published": "The source's "
                "value, to compare with", "scenario": "Evaluate on this scenario",
                "note": "A note"},
    "settings": {"section": "The plugin section ([energy], [synergy], ...)",
                 "key": "A setting, a dotted path into the section (start_year, "
                        "thresholds.energy)",
                 "value": "Its value; a list or table as TOML: [\"a\", \"b\"], {x = 1}"},
    "time": {"parameter": "A series: kind:id:attribute (flow:ID:quantity, carrier:NAME:price, "
                          "node:ID:costs.system); to the right of this column row 1 gives the "
                          "periods in order (format them as text: 2025-01), each row a value "
                          "under every period"},
    "time_stocks": {"node": "A stock node carried from period to period",
                    "outflow": "The flow that takes what leaves the stock",
                    "lifetime": "How long what enters lasts: fixed, normal, lognormal, "
                                "weibull (empty: the outflow is a series)",
                    "mean": "Lifetime mean, in periods (fixed, normal, lognormal)",
                    "std": "Lifetime standard deviation (normal, lognormal)",
                    "shape": "Weibull shape", "scale": "Weibull scale, in periods",
                    "inflow_at": "When a period's inflow enters: start, middle (default), end",
                    "initial": "Stock before the first period (or by age in columns "
                               "initial.1, initial.2, ...: the amount of each age in periods)"},
    "time_starts": {"period": "A period of the time sheet",
                    "scenario": "A scenario of the scenarios sheet, in force from the period on"},
}
#: the component of each table sheet
COMPONENTS = {"nodes": "node", "flows": "flow", "carriers": "carrier"}


def template_columns(sheet: str) -> list[str]:
    """The columns a template offers on a sheet: the core attributes of its table (costs
    on their own sheet), or the sheet's fixed columns."""
    if sheet in COMPONENTS:
        return [a for a in attributes(COMPONENTS[sheet]) if not a.startswith("costs.")]
    if sheet == "figures":
        return list(FIGURE_KEYS)
    return list(NOTES[sheet])


def comment(sheet: str, column: str) -> str | None:
    """A header's meaning, unit, default and allowed values."""
    if sheet in COMPONENTS:
        attr = lookup(COMPONENTS[sheet], column)
        if attr is None:
            return "A column of your own (x_): carried through, never read" \
                if column.startswith("x_") else None
        lines = [attr.description]
        if attr.unit:
            lines.append(f"unit: {attr.unit.replace('unit', 'flow unit') if sheet == 'flows' else attr.unit}")
        if attr.default is not None:
            lines.append(f"default: {attr.default}")
        names = [a for a in attr.allowed if a]
        if names:
            lines.append("one of: " + ", ".join(names) + (", or a layer" if attr.open else ""))
        if attr.minimum is not None or attr.maximum is not None:
            lo = "" if attr.minimum is None else f"{attr.minimum:g}"
            hi = "" if attr.maximum is None else f"{attr.maximum:g}"
            lines.append(f"range: {lo} .. {hi}")
        if attr.owner != "core":
            lines.append(f"read by: {attr.owner}")
        return "\n".join(lines)
    return NOTES.get(sheet, {}).get(column)


def lists() -> dict[str, list[str]]:
    """The allowed values offered in drop-down lists (the hidden lists sheet)."""
    node, flow, carrier = declared("node"), declared("flow"), declared("carrier")
    return {"node kind": _named(node["kind"]), "stage": _named(node["stage"]),
            "system": _named(node["system"]), "allocation": _named(node["allocation"]),
            "role": _named(flow["role"]), "carrier kind": _named(carrier["kind"]),
            "cost category": _named(carrier["cost_category"]), "unit": list(UNITS),
            "op": list(OPS)}


def _named(attr) -> list[str]:
    return [a for a in attr.allowed if a]


#: (sheet, column) -> (list on the lists sheet or another sheet's column, enforced)
CHOICES = {
    ("nodes", "kind"): ("node kind", True), ("nodes", "stage"): ("stage", True),
    ("nodes", "system"): ("system", True), ("nodes", "allocation"): ("allocation", False),
    ("flows", "role"): ("role", True), ("flows", "unit"): ("unit", False),
    ("flows", "source"): (("nodes", "id"), True), ("flows", "target"): (("nodes", "id"), True),
    ("flows", "carrier"): (("carriers", "name"), False),
    ("carriers", "kind"): ("carrier kind", True), ("carriers", "unit"): ("unit", False),
    ("carriers", "cost_category"): ("cost category", True),
    ("costs", "node"): (("nodes", "id"), True), ("edits", "op"): ("op", True),
    ("edits", "scenario"): (("scenarios", "name"), True),
    ("time_stocks", "node"): (("nodes", "id"), True),
    ("time_stocks", "outflow"): (("flows", "id"), True),
    ("time_starts", "scenario"): (("scenarios", "name"), True),
}


def validations(sheet: str, columns: list[str], placed: dict[str, list[str]]) -> list:
    """The drop-down lists of a sheet's columns; `placed[sheet]`: the columns of each
    written sheet (lists sheet: one list a column)."""
    from openpyxl.worksheet.datavalidation import DataValidation
    out = []
    names = list(lists())
    for k, column in enumerate(columns):
        choice = CHOICES.get((sheet, column))
        if choice is None:
            continue
        source, enforced = choice
        if isinstance(source, tuple):
            other, col = source
            if other not in placed or col not in placed[other]:
                continue
            letter = column_letter(placed[other].index(col))
            formula = f"{other}!${letter}$2:${letter}${LAST_ROW}"
        else:
            letter = column_letter(names.index(source))
            formula = f"lists!${letter}$2:${letter}${len(lists()[source]) + 1}"
        dv = DataValidation(type="list", formula1=formula, allow_blank=True,
                            showErrorMessage=enforced, errorStyle="stop" if enforced else
                            "information", error=f"not a {column} flowgraph knows" if enforced
                            else None)
        dv.add(f"{column_letter(k)}2:{column_letter(k)}{LAST_ROW}")
        out.append(dv)
    return out
