"""The foreground system as a Brightway inventory, in the layout of bw2io's Excel importer
(`bw2io.ExcelImporter(path)`): one sheet holding

    Database | <name>
    (blank row)
    Activity | <name>            one block per process node
    code | ...                   the activity's fields, one a row
    Exchanges
    name | amount | unit | ...   a header row, then one exchange a row
    (blank row)

An activity produces one unit of its reference product (its `production amount` field
keeps the quantity of the period). Its inputs from other process nodes are technosphere
exchanges of this database (name and reference product of the supplying activity, so that
bw2io links them); purchases are technosphere exchanges left unlinked (no database) for the
LCA user to link to a background database; emissions to sinks are biosphere exchanges
(categories `air`); other outputs to sinks and co-products are technosphere exchanges with
a negative amount (waste treatment, substitution), to be linked like purchases.
"""

from __future__ import annotations

from pathlib import Path

from .files import replacing

#: the columns of an exchange row
EXCHANGE_COLUMNS = ("name", "amount", "unit", "location", "type", "database",
                    "reference product", "categories", "comment")
#: the fields of an activity, in the order written
ACTIVITY_FIELDS = ("code", "reference product", "unit", "location", "type",
                   "production amount", "comment")


def inventory_rows(database: str, activities: list[dict]) -> list[list]:
    """The rows of the sheet: the database section, then one block per activity
    ({name, the ACTIVITY_FIELDS, exchanges: [{EXCHANGE_COLUMNS}]})."""
    rows = [["Database", database], []]
    for act in activities:
        rows.append(["Activity", act["name"]])
        rows += [[key, act[key]] for key in ACTIVITY_FIELDS if act.get(key) is not None]
        rows.append(["Exchanges"])
        rows.append(list(EXCHANGE_COLUMNS))
        rows += [[e.get(k) for k in EXCHANGE_COLUMNS] for e in act["exchanges"]]
        rows.append([])
    return rows


def write_inventory(database: str, activities: list[dict], path) -> Path:
    """Write the inventory workbook (one sheet, named after the database)."""
    import openpyxl
    path = Path(path)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_name(database))
    for row in inventory_rows(database, activities):
        sheet.append(row)
    with replacing(path) as tmp:
        book.save(tmp)
    return path


def _sheet_name(name: str) -> str:
    for ch in '[]:*?/\\':
        name = name.replace(ch, " ")
    return (name.strip() or "inventory")[:31]
