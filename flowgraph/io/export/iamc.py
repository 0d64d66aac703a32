"""The IAMC long format (model, scenario, region, variable, unit, one column per year), as
pyam reads it (`pyam.IamDataFrame(path)`): a CSV file, or a workbook whose sheet `data`
holds the table.

Variables are hierarchical names joined by `|` (`Flow|dissolving|reaction|solution`,
`Purchase|electricity`, `Emissions|CO2`); a `|` inside a name is written as `/` so that the
hierarchy stays what it says. Rows with the same model, scenario, region, variable and unit
are added up (two flows between the same nodes of the same carrier are one variable);
undetermined values (NaN) are left out, as pyam leaves them out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...errors import FlowgraphError
from .files import replacing

#: the index columns of the IAMC format, in order
INDEX = ("model", "scenario", "region", "variable", "unit")


def variable(*parts) -> str:
    """`Flow|a|b|c` from its parts, a `|` inside a part written as `/`."""
    return "|".join(str(p).replace("|", "/") for p in parts)


def iamc_table(rows: pd.DataFrame, *, model: str, region: str, year) -> pd.DataFrame:
    """The wide IAMC table of `rows` (scenario, variable, unit, value): one row per model,
    scenario, region, variable and unit, the value in the column of `year`."""
    if not isinstance(year, int) or isinstance(year, bool):
        raise FlowgraphError(f"the IAMC format needs the year the data describe, a whole "
                             f"number, not {year!r}: give [case] year = 2023 in the case, or "
                             f"--year 2023 (year=2023 in Python)")
    data = rows.dropna(subset=["value"]).assign(model=model, region=region)
    table = data.groupby(list(INDEX), sort=False, dropna=False)["value"].sum().reset_index()
    return table.rename(columns={"value": year})


def write_iamc(table: pd.DataFrame, path) -> Path:
    """Write the table as CSV, or as a workbook (sheet `data`) when `path` ends in .xlsx."""
    path = Path(path)
    with replacing(path) as tmp:
        if path.suffix.lower() == ".xlsx":
            table.to_excel(tmp, sheet_name="data", index=False, engine="openpyxl")
        else:
            table.to_csv(tmp, index=False)
    return path
