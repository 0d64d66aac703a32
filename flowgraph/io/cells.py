"""Values in workbook cells, both ways.

Table cells (nodes, flows, carriers) follow the CSV tables: lists as 'mass;Cl', mappings as
'mass=1.5;Cl=0.2', an empty list as `[]`. Cells of the other sheets (scenarios, edits,
settings) hold any value of a case file: a number, TRUE/FALSE, text, and a list or table
written as TOML (`["pvc", 1.45]`, `{system = 90000}`); text that starts with `[`, `{` or `"`
is read as TOML, so a text value starting so is written quoted (`"[draft]"`).

A number cell holding a whole number is read as an integer (a spreadsheet keeps no other
kind of number). A comma between groups of three digits is a thousands separator
('1,200 t' is 1200 t); any other comma in a number is refused by the model as not a number.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

from ..model.bulk import format_mapping

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

#: text read as TOML: a list, a table or a quoted string
TOML_START = ("[", "{", '"')
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_THOUSANDS = re.compile(r"^\s*([-+]?)(\d{1,3}(?:,\d{3})+)(\.\d*)?(?=\s|$|[^\d,.])")
#: the largest whole number a float holds exactly
_EXACT = 2 ** 53


class CellError(ValueError):
    """A cell whose text does not read (its message says why, without the cell)."""


def number_text(value: float) -> str:
    """A number cell found where text belongs: 12 as '12', 1.5 as '1.5'."""
    if float(value).is_integer() and abs(value) < _EXACT:
        return str(int(value))
    return repr(float(value))


def plain_number(value: float):
    """A number cell's value: whole numbers as int, others as float."""
    if float(value).is_integer() and abs(value) < _EXACT:
        return int(value)
    return float(value)


def without_thousands(text: str) -> str:
    """'1,200 t' -> '1200 t'; other text as it is."""
    m = _THOUSANDS.match(text)
    if not m:
        return text
    return m.group(1) + m.group(2).replace(",", "") + (m.group(3) or "") + text[m.end():]


# -- any value of a case file (scenarios, edits, settings) --------------------------------

def to_cell(value):
    """The cell holding `value`: numbers, booleans and dates as they are, text as text
    (quoted when it would read as TOML), lists and tables as TOML text; None empty."""
    if value is None or isinstance(value, (bool, int, float, dt.date, dt.time)):
        return value
    if isinstance(value, str):
        return toml_value(value) if (value.lstrip().startswith(TOML_START) or value == "") \
            else value
    return toml_value(value)


def from_cell(value):
    """The value of a cell written by to_cell (or typed): None for an empty cell; text
    starting with `[`, `{` or `"` parsed as TOML (CellError if it does not parse)."""
    if isinstance(value, str):
        if value == "":
            return None
        if value.lstrip().startswith(TOML_START):
            return parse_toml_value(value)
        return value
    if isinstance(value, float):
        return plain_number(value)
    return value


def toml_value(value) -> str:
    """`value` as a TOML inline value (a table inline, never a section)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "nan" if value != value else ("inf" if value > 0 else "-inf")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        inner = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()
                          if v is not None)
        return "{" + inner + "}" if inner else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if hasattr(value, "item"):                  # numpy scalars
        return toml_value(value.item())
    raise CellError(f"{value!r} cannot be written in a cell")


def toml_key(key) -> str:
    key = str(key)
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def parse_toml_value(text: str):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError as exc:
        raise CellError(f"{text!r} starts like a TOML list, table or quoted text but is not "
                        f"one ({exc}); write a list as [\"a\", 1], a table as {{a = 1}}, or "
                        f"text that starts with a bracket in quotes") from None


def parse_key(text: str) -> list[str]:
    """The parts of a dotted TOML key ('energy.policy', 'standards."gb 8978".COD')."""
    try:
        data = tomllib.loads(f"{text} = 0")
    except tomllib.TOMLDecodeError:
        raise CellError(f"{text!r} is not a key: name a setting as a word, or a dotted path "
                        f"of words (energy.start_year); quote parts holding spaces or dots "
                        f"(standards.\"gb 8978\")") from None
    parts = []
    while isinstance(data, dict) and len(data) == 1:
        (k, data), = data.items()
        parts.append(k)
    return parts


def dotted_key(parts) -> str:
    return ".".join(toml_key(p) for p in parts)


# -- table cells (lists and mappings of the attribute table) ------------------------------

def list_cell(value) -> str | None:
    """A list attribute as its table cell: 'mass;Cl', `[]` for an empty list, TOML when an
    item holds a ';' or is not text."""
    if value is None:
        return None
    items = list(value)
    if not items:
        return "[]"
    if all(isinstance(v, str) and v and ";" not in v and not v.startswith(TOML_START)
           and v == v.strip() for v in items):
        return ";".join(items)
    return toml_value(items)


def mapping_cell(value) -> str | None:
    """A mapping attribute as its table cell: 'mass=1.5;Cl=0.2', TOML when a key or value
    does not fit that form."""
    if value is None:
        return None
    if not value:
        return "{}"
    simple = all(isinstance(k, str) and _BARE_KEY.match(k) and isinstance(v, (int, float))
                 and not isinstance(v, bool) for k, v in value.items())
    return format_mapping(value) if simple else toml_value(dict(value))


def table_value(text: str, kind: str):
    """A list or mapping cell of a table as the model takes it: lists as tuples (as the
    model keeps them), `[]` and TOML parsed, mappings in text left for the model
    ('mass=1.5;Cl=0.2')."""
    stripped = text.strip()
    if stripped.startswith(TOML_START):
        value = parse_toml_value(stripped)
        want = list if kind == "list" else dict
        if not isinstance(value, want):
            raise CellError(f"{text!r} is not a {'list' if want is list else 'table'}")
        return tuple(value) if kind == "list" else value
    if kind == "list":
        return tuple(p.strip() for p in stripped.split(";") if p.strip())
    return text
