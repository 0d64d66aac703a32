"""The sheets of a case workbook that hold no table of the network: case, scenarios, edits,
figures and settings, each value checked as case.toml's are (casekeys.py, the Scenario and
Edit of the model) and every fault named by its cell.

Values are read as cells.from_cell reads them: numbers (whole ones as integers), TRUE and
FALSE, text, and lists or tables written as TOML (`["pvc", 1.45]`, `{system = 90000}`).
"""

from __future__ import annotations

from ..errors import CaseFileError, FlowgraphError
from ..model.scenario import Edit, Scenario
from ..model.schema import suggestion
from .booktables import Records, records
from .casekeys import CASE_KEYS, FIGURE_KEYS, check_figure, check_top_level, checked_case
from .cells import CellError, parse_key
from .xlsxread import Sheet

#: columns of the edits sheet besides the edit's values
EDIT_KEYS = ("scenario", "op", "target", "id")


def _values(rec: Records, i: int, skip=(), text=()) -> dict:
    return {k: v for k in rec.columns if k not in skip
            for v in [rec.value(i, k, k in text)] if v is not None}


def read_case_sheet(sheet: Sheet) -> dict:
    """The case sheet (key | value) as the [case] table, checked as case.toml's is."""
    rec = records(sheet, "case", known=("key", "value"), required=("key", "value"))
    table, where = {}, {}
    for i in range(len(rec.rows)):
        key = rec.value(i, "key", text=True)
        if key is None:
            raise rec.error("the key is empty: name the setting (name, period, description, "
                            "source, strict, year)", i, "key")
        if key in table:
            raise rec.error(f"'{key}' is given twice (also in row {where[key][1]}); give it "
                            f"once", i, "key")
        value = rec.value(i, "value", text=CASE_KEYS.get(key) is str)
        where[key] = (rec.ref(i, "value"), rec.rows[i] + 1)
        if value is not None:
            table[key] = value
    return checked_case(table, lambda key: where[key][0] if key in where else
                        sheet.ref(0))


def read_scenarios(sheet: Sheet | None, edits: Sheet | None) -> tuple[dict, dict]:
    """The scenarios (one a row: name and metadata) with their edits (the edits sheet, in
    its order), and where each scenario and edit is given (the cell of its name, of its
    op); an edit of a scenario the scenarios sheet does not list is refused."""
    found: dict = {}
    rows: dict = {}
    origins: dict = {}
    if sheet is not None:
        rec = records(sheet, "scenario", required=("name",))
        if "edit" in rec.columns or "edits" in rec.columns:
            raise rec.sheet.error("the edits of a scenario go on the edits sheet, one a row",
                                  row=0, col=rec.columns.get("edit", rec.columns.get("edits")))
        for i in range(len(rec.rows)):
            name = rec.value(i, "name", text=True)
            if name is None:
                raise rec.error("a scenario needs a name", i, "name")
            if name in found:
                raise rec.error(f"scenario '{name}' is listed twice (also in row "
                                f"{rec.rows[rows[name]] + 1})", i, "name")
            found[name] = (_values(rec, i, skip=("name",)), [])
            rows[name] = i
            origins[name] = (rec.ref(i, "name"), [])
    if edits is not None:
        _read_edits(edits, found, origins)
    out = {}
    for name, (meta, listed) in found.items():
        try:
            out[name] = Scenario(name, [], **meta)
        except FlowgraphError as exc:
            raise CaseFileError(str(exc), origin=rec.ref(rows[name])) from None
        out[name].edits = listed
    return out, origins


def _read_edits(sheet: Sheet, found: dict, origins: dict) -> None:
    rec = records(sheet, "edit", required=("scenario", "op"))
    for i in range(len(rec.rows)):
        scenario = rec.value(i, "scenario", text=True)
        if scenario not in found:
            known = list(found)
            raise rec.error(f"scenario {scenario!r} is not on the scenarios sheet"
                            f"{suggestion(scenario, known)} (scenarios: "
                            f"{', '.join(known) or 'none'})", i, "scenario")
        values = _values(rec, i, skip=("scenario",), text=("op", "target", "id"))
        try:
            found[scenario][1].append(Edit.from_record(values))
            origins[scenario][1].append(rec.ref(i, "op"))
        except FlowgraphError as exc:
            raise CaseFileError(f"scenario '{scenario}': {exc}",
                                origin=_cell_of(rec, i, str(exc))) from None


#: what a message of the model says about an edit's column
_PHRASES = (("unknown edit", "op"), ("needs op", "op"), ("needs target", "target"),
            ("needs factor", "factor"))


def _cell_of(rec: Records, i: int, message: str) -> str:
    """The cell of record i whose column the message names first (the row's first cell
    if it names none)."""
    best = next(((0, name) for phrase, name in _PHRASES if phrase in message
                 and name in rec.columns), None)
    for name in rec.columns if best is None else ():
        for form in (f" {name} ", f" '{name}'", f": {name}:"):
            at = message.find(form)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, name)
    return rec.ref(i, best[1] if best else None)


def read_figures(sheet: Sheet) -> list[dict]:
    """The figures (one a row), checked as [[figure]] records are; each remembers the cell
    of its expression."""
    rec = records(sheet, "figure", known=FIGURE_KEYS, required=("name", "expr"))
    out = []
    for i in range(len(rec.rows)):
        fig = _values(rec, i, text=("name", "expr", "unit", "scenario", "note"))
        for key in ("name", "expr"):
            if key not in fig:
                raise rec.error(f"a figure needs '{key}'", i, key)
        check_figure(fig, lambda key, i=i: rec.ref(i, key))
        out.append({**fig, "origin": rec.ref(i, "expr")})
    return out


def read_settings(sheet: Sheet) -> tuple[dict, dict]:
    """The settings sheet (section | key | value) as the plugin sections, and the cell
    where each section starts. A key is a dotted path into the section's tables
    (`energy.start_year`); a key given twice, or given both a value and values below it,
    is refused by cell."""
    rec = records(sheet, "setting", known=("section", "key", "value"),
                  required=("section", "key", "value"))
    sections: dict = {}
    origins: dict = {}
    for i in range(len(rec.rows)):
        section = rec.value(i, "section", text=True)
        if section is None:
            raise rec.error("the section is empty: name the plugin's section (energy, "
                            "synergy, ...)", i, "section")
        origins.setdefault(section, rec.ref(i, "section"))
        key = rec.value(i, "key", text=True)
        value = rec.value(i, "value")
        if value is None:
            raise rec.error("the value is empty: give the setting's value (an empty list "
                            "is [], an empty table {})", i, "value")
        if key is None:
            if section in sections:
                raise rec.error(f"[{section}] is given a value and settings; give one or "
                                f"the other", i, "key")
            sections[section] = value
            continue
        try:
            path = parse_key(str(key))
        except CellError as exc:
            raise rec.error(str(exc), i, "key") from None
        table = sections.setdefault(section, {})
        if not isinstance(table, dict):
            raise rec.error(f"[{section}] is given a value and settings; give one or the "
                            f"other", i, "key")
        _put(table, path, value, lambda problem, i=i: rec.error(problem, i, "key"))
    check_top_level(sections, lambda section: origins[section])
    return sections, origins


def _put(table: dict, path: list, value, error) -> None:
    for part in path[:-1]:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise error(f"'{part}' holds a value and also settings below it; give one or "
                        f"the other")
    if path[-1] in table:
        raise error(f"'{'.'.join(path)}' is given twice (or holds settings below it)")
    table[path[-1]] = value
