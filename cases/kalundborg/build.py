"""Build flows.csv of the Kalundborg case from the public exchange data, keeping every row's
provenance: python cases/kalundborg/build.py (tests check the committed file is its output).

kalundborg_exchanges.csv is shared/data/kalundborg_exchanges.csv verbatim; boundary.csv adds
the two purchases the shared README documents (crude oil, coal); exchange_carriers.csv names
the carrier and unit of each material. A quantity is taken where the data give one number;
a range ("15000-27000") is kept as quantity_low / quantity_high and the flow left unknown.
The data's wording and provenance that flowgraph does not read are kept as attributes of the
user's own (x_material, x_start_year, x_qty_year, x_qty_ref).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
UNIT = re.compile(r"^\s*([A-Za-z0-9]+)\s*/\s*yr")


def build() -> pd.DataFrame:
    rows = pd.concat([
        pd.read_csv(HERE / "kalundborg_exchanges.csv", dtype=str, keep_default_na=False)
        .assign(id=lambda d: "E" + d["id"].str.zfill(2)),
        pd.read_csv(HERE / "boundary.csv", dtype=str, keep_default_na=False),
    ], ignore_index=True)
    carriers = pd.read_csv(HERE / "exchange_carriers.csv", dtype=str).set_index("material")
    missing = sorted(set(rows["material"]) - set(carriers.index))
    if missing:
        raise SystemExit(f"exchange_carriers.csv has no carrier for {missing}")
    out = pd.DataFrame({"id": rows["id"], "source": rows["source"], "target": rows["target"]})
    out["carrier"] = rows["material"].map(carriers["carrier"])
    out["unit"] = rows["material"].map(carriers["unit"])
    q = rows["quantity"].str.strip()
    is_range = q.str.fullmatch(r"\d+(\.\d+)?\s*-\s*\d+(\.\d+)?")
    out["quantity"] = pd.to_numeric(q.where(~is_range, ""), errors="coerce")
    bounds = q.where(is_range, "").str.split("-", expand=True)
    out["quantity_low"] = pd.to_numeric(bounds[0], errors="coerce") if is_range.any() else None
    out["quantity_high"] = pd.to_numeric(bounds[1], errors="coerce") if is_range.any() else None
    given = rows["unit"].str.extract(UNIT, expand=False)
    clash = given.notna() & (given != out["unit"]) & ~(given.eq("m3") & out["unit"].eq("m3"))
    if clash.any():
        raise SystemExit(f"units of rows {list(rows['id'][clash])} differ from the carrier's")
    source_kind = rows["source"].isin(["LakeTisso", "market"])
    out["role"] = source_kind.map({True: "product", False: "byproduct"})
    out["x_material"] = rows["material"]
    for col in ("start_year", "qty_year", "qty_ref"):
        out[f"x_{col}"] = rows[col].where(rows[col] != "", None)
    out["confidence"] = rows["confidence"].where(rows["confidence"] != "", None)
    return out


if __name__ == "__main__":
    frame = build()
    frame.to_csv(HERE / "flows.csv", index=False)
    print(f"wrote {len(frame)} flows to {HERE / 'flows.csv'}")
