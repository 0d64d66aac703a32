"""Reading the sheets of an Excel workbook (.xlsx) as rows of cell values, every fault named
by workbook, sheet and cell (`plant.xlsx:flows!D7`), never a traceback.

Cells are read with python-calamine (measured about ten times faster than openpyxl on a
100,000-row sheet: benchmarks/bench_workbook.py). A formula is read as the value the
spreadsheet program saved with it; what calamine cannot tell apart from an empty cell is
looked up in the sheet's XML: a formula saved without a value (a workbook written by a
program that does not calculate) and a cell holding an error (#DIV/0!, #REF!) are refused
by cell. Merged cells are refused by range: a table needs one value in every cell. A file
that is not a workbook (a CSV renamed .xlsx, an empty or truncated file) is refused naming
the file.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import CaseFileError

#: the cell of a formula or an error value in a sheet's XML
_CELL_START = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]+[0-9]+)\"")
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_VALUE = re.compile(rb"<v>\s*([^<\s][^<]*)</v>")
_ERROR_CELL = re.compile(rb"<c\b[^>]*?\bt=\"e\"[^>]*>")
#: characters a sheet name cannot hold unquoted in a reference
_PLAIN_SHEET = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def column_letter(k: int) -> str:
    """'A' for column 0, 'AB' for column 27."""
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(65 + r) + out
    return out


def sheet_ref(book, sheet: str) -> str:
    """`plant.xlsx:flows`, the sheet name quoted as Excel does when it holds spaces."""
    name = sheet if _PLAIN_SHEET.match(sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{book}:{name}"


@dataclass
class Sheet:
    """One sheet's cells: `rows[r][c]` is the value of row r + 1, column c + 1 ('' when
    empty; numbers as floats, booleans, text, dates)."""

    book: Path
    name: str
    rows: list

    def ref(self, row: int, col: int | None = None) -> str:
        """`plant.xlsx:flows!D7` for row index `row` (0: row 1) and column index `col`
        (None: the row's first cell)."""
        return f"{sheet_ref(self.book, self.name)}!{column_letter(col or 0)}{row + 1}"

    def error(self, problem: str, row: int | None = None, col: int | None = None,
              cls=CaseFileError) -> Exception:
        where = sheet_ref(self.book, self.name) if row is None else self.ref(row, col)
        return cls(f"{where}: {problem}", origin=where)


class Workbook:
    """An open workbook: its sheet names and, on demand, each sheet's cells (checked for
    formulas without values, error values and merged cells)."""

    def __init__(self, path):
        self.path = Path(path)
        self._book = _open(self.path)
        self.sheet_names = list(self._book.sheet_names)
        self._xml_names: dict | None = None

    def sheet(self, name: str) -> Sheet:
        """The cells of sheet `name`, refused by cell where a value cannot be read."""
        import python_calamine as calamine
        try:
            data = self._book.get_sheet_by_name(name)
            rows = data.to_python(skip_empty_area=False)
            merged = getattr(data, "merged_cell_ranges", None) or []
        except calamine.CalamineError as exc:
            raise CaseFileError(f"{sheet_ref(self.path, name)}: the sheet cannot be read "
                                f"({exc}); is the file damaged?",
                                origin=sheet_ref(self.path, name)) from None
        sheet = Sheet(self.path, name, rows)
        if merged:
            (r0, c0), (r1, c1) = merged[0]
            span = f"{sheet.ref(r0, c0).split('!')[1]}:{column_letter(c1)}{r1 + 1}"
            raise CaseFileError(f"{sheet_ref(self.path, name)}!{span}: merged cells; a table "
                                f"needs one value in every cell: unmerge them and fill each "
                                f"cell", origin=f"{sheet_ref(self.path, name)}!{span}")
        self._check_xml(name)
        return sheet

    def _check_xml(self, name: str) -> None:
        """Formulas saved without a value and error values, which calamine reads as empty
        cells, refused by cell."""
        xml = self._xml(name)
        if xml is None or (b"<f" not in xml and b't="e"' not in xml):
            return
        where = sheet_ref(self.path, name)
        for m in _ERROR_CELL.finditer(xml):
            cell = _CELL_START.match(xml, m.start())
            end = xml.find(b"</c>", m.end())
            value = _VALUE.search(xml, m.end(), end if end >= 0 else len(xml))
            ref = cell.group(1).decode() if cell else "?"
            shown = value.group(1).decode(errors="replace") if value else "an error"
            raise CaseFileError(f"{where}!{ref}: the cell holds the error {shown}; correct "
                                f"its formula or type the value", origin=f"{where}!{ref}")
        for m in _FORMULA.finditer(xml):
            start = xml.rfind(b"<c ", 0, m.start())
            end = xml.find(b"</c>", m.end())
            if start < 0 or _VALUE.search(xml, m.end(), end if end >= 0 else len(xml)):
                continue
            cell = _CELL_START.match(xml, start)
            ref = cell.group(1).decode() if cell else "?"
            formula = (m.group(1) or b"").decode(errors="replace")
            raise CaseFileError(
                f"{where}!{ref}: the formula ={formula} has no saved value (the workbook "
                f"was written by a program that does not calculate); open and save it in a "
                f"spreadsheet program, or type the value", origin=f"{where}!{ref}")

    def _xml(self, name: str) -> bytes | None:
        """The XML of sheet `name` (None if it cannot be found: calamine read it anyway)."""
        try:
            with zipfile.ZipFile(self.path) as z:
                if self._xml_names is None:
                    self._xml_names = _sheet_parts(z)
                part = self._xml_names.get(name)
                return z.read(part) if part in z.namelist() else None
        except (OSError, zipfile.BadZipFile, KeyError):
            return None


def _open(path: Path):
    """The calamine workbook of `path`; CaseFileError naming the file when it is missing
    or is not an .xlsx workbook."""
    import python_calamine as calamine
    if not path.is_file():
        raise CaseFileError(f"{path}: no such workbook", origin=str(path))
    if path.stat().st_size == 0:
        raise CaseFileError(f"{path}: the file is empty; it is not an Excel workbook",
                            origin=str(path))
    if not zipfile.is_zipfile(path):
        head = path.read_bytes()[:8]
        what = ("an old Excel 97-2003 .xls file or a password-protected workbook; save it "
                "as .xlsx without a password" if
                head.startswith(b"\xd0\xcf\x11\xe0") else
                "is it a CSV or text file renamed .xlsx, or a file cut short?")
        raise CaseFileError(f"{path}: not an Excel workbook (.xlsx): {what}",
                            origin=str(path))
    try:
        return calamine.CalamineWorkbook.from_path(str(path))
    except (calamine.CalamineError, OSError, ValueError) as exc:
        raise CaseFileError(f"{path}: not a readable Excel workbook ({exc}); is the file "
                            f"damaged or cut short?", origin=str(path)) from None


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML (read from the workbook's relations)."""
    try:
        book = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = {m.group(1): m.group(2) for m in re.finditer(
        r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets.update({m.group(2): m.group(1) for m in re.finditer(
        r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", book):
        attrs = dict(re.findall(r'([\w:]+)="([^"]*)"', m.group(1)))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        target = targets.get(rid or "")
        if "name" in attrs and target:
            target = target.lstrip("/")
            out[_unescape(attrs["name"])] = target if target.startswith("xl/") \
                else f"xl/{target}"
    return out


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))
