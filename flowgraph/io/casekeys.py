"""The keys of case.toml that belong to no node, flow or carrier, checked with "did you
mean": the top-level tables (a misspelt [[flwo]] is not taken for a plugin's section), the
keys of [case] and their types, and the values of a [[figure]]. Errors name the file:line
of the key at fault."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping

from ..errors import CaseFileError
from ..model.schema import suggestion

#: top-level tables the core reads; all others belong to plugins
CORE_KEYS = ("case", "tables", "carrier", "node", "flow", "scenario", "figure")
#: the keys of [case], with their types
CASE_KEYS = {"name": str, "period": str, "description": str, "source": str, "strict": bool,
             "year": int}
#: keys a [[figure]] record may hold
FIGURE_KEYS = ("name", "expr", "unit", "published", "scenario", "note")
_NEED = {str: "text", bool: "true or false", int: "an integer"}

#: where(key) -> "file:line" of the key
Where = Callable[[str], str]


def check_top_level(data: Mapping, where: Where) -> None:
    """A top-level array of tables must be one of the core's (a plugin's section is a
    table); a top-level table named like a core one is refused as a misspelling."""
    for key, value in data.items():
        if key in CORE_KEYS:
            continue
        array = isinstance(value, list)
        close = difflib.get_close_matches(key, CORE_KEYS, n=1, cutoff=0.7 if array else 0.8)
        if not (array or close):
            continue
        shown = f"[[{key}]]" if array else f"[{key}]"
        if close:
            hint = f"; did you mean {_header(close[0])}?"
        else:
            hint = f" (a plugin's section is a table, [{key}])"
        raise CaseFileError(f"{shown} is not a table of a case{hint}", origin=where(key))


def checked_case(table: Mapping, where: Where) -> dict:
    """The [case] table, its keys and their types checked against CASE_KEYS."""
    for key, value in table.items():
        kind = CASE_KEYS.get(key)
        if kind is None:
            hint = suggestion(key, CASE_KEYS) or ";"
            raise CaseFileError(f"[case]: unknown key '{key}'{hint} known: "
                                f"{', '.join(CASE_KEYS)}", origin=where(key))
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise CaseFileError(f"[case] {key} = {_shown(value)} must be {_NEED[kind]}",
                                origin=where(key))
    return dict(table)


def check_figure(rec: Mapping, where: Where) -> None:
    """A [[figure]] record's keys, and its values: text, and `published` a finite number."""
    for key, value in rec.items():
        if key not in FIGURE_KEYS:
            hint = suggestion(key, FIGURE_KEYS) or ";"
            raise CaseFileError(f"figure '{rec.get('name')}': unknown key '{key}'{hint} "
                                f"known: {', '.join(FIGURE_KEYS)}", origin=where(key))
        if key == "published":
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            problem = (None if number and abs(value) < 1e300 and math.isfinite(value) else
                       "must be a finite number" if number else "must be a number")
        else:
            problem = None if isinstance(value, str) else "must be text"
        if problem:
            raise CaseFileError(f"figure '{rec.get('name')}': {key} = {_shown(value)} "
                                f"{problem}", origin=where(key))


def _header(key: str) -> str:
    return f"[{key}]" if key in ("case", "tables") else f"[[{key}]]"


def _shown(value) -> str:
    """A value as case.toml writes it: strings quoted, NaN and infinities bare."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return repr(value)
