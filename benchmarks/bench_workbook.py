"""Time case workbooks against CSV tables on a 100,000-flow network, and the two readers.

A generated plant (Network.from_frames): 500 quantity centres, each bought from the market
and sold to a customer, and 100,000 flows between them with quantity, unit, price and label.
It is saved as a case folder with CSV tables (fg.save(..., tables=True)) and as a workbook
(fg.save(..., "x.xlsx")), then loaded back from each; the ratios workbook / CSV are printed.
Targets (issue 17): reading < 10x the CSV tables, writing < 10x.

The flows sheet is also read bare by the two candidate readers, openpyxl (read-only, values
only) and python-calamine, which decided the reader flowgraph uses (io/xlsxread.py).

    python benchmarks/bench_workbook.py                 # 100,000 flows
    python benchmarks/bench_workbook.py --flows 20000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import flowgraph as fg

TARGET = 10.0


def plant(flows: int, centres: int = 500, seed: int = 1) -> fg.Network:
    rng = np.random.default_rng(seed)
    ids = [f"c{i}" for i in range(centres)]
    nodes = pd.DataFrame({"id": ["market", *ids, "customer"],
                          "kind": ["source", *["process"] * centres, "sink"],
                          "label": ["market", *[f"centre {i}" for i in range(centres)],
                                    "customer"]})
    inner = flows - 2 * centres
    a = rng.integers(0, centres, inner)
    b = (a + rng.integers(1, centres, inner)) % centres
    src = np.r_[np.full(centres, "market", dtype=object), np.array(ids, dtype=object)[a],
                np.array(ids, dtype=object)]
    tgt = np.r_[np.array(ids, dtype=object), np.array(ids, dtype=object)[b],
                np.full(centres, "customer", dtype=object)]
    frame = pd.DataFrame({"id": [f"f{i}" for i in range(flows)], "source": src, "target": tgt,
                          "carrier": "ore", "quantity": rng.random(flows) * 1000, "unit": "t",
                          "price": np.round(rng.random(flows) * 500, 2),
                          "label": [f"flow {i}" for i in range(flows)]})
    return fg.Network.from_frames(nodes, frame, [{"name": "ore", "kind": "material",
                                                  "unit": "t", "price": 300.0}], name="plant")


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def readers(path: Path) -> dict[str, float]:
    """Seconds to read the flows sheet with each candidate reader."""
    import openpyxl
    import python_calamine

    def with_openpyxl():
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = list(book["flows"].iter_rows(values_only=True))
        book.close()
        return rows

    def with_calamine():
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        return book.get_sheet_by_name("flows").to_python(skip_empty_area=False)

    t_open, a = timed(with_openpyxl)
    t_cal, b = timed(with_calamine)
    assert len(a) == len(b)
    return {"openpyxl": t_open, "python-calamine": t_cal}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, default=100_000)
    args = ap.parse_args()
    net = plant(args.flows)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        w_csv, _ = timed(lambda: fg.save(net, tmp / "csv", tables=True))
        w_xlsx, _ = timed(lambda: fg.save(net, tmp / "plant.xlsx"))
        r_csv, a = timed(lambda: fg.load(tmp / "csv"))
        r_xlsx, b = timed(lambda: fg.load(tmp / "plant.xlsx"))
        assert len(a.network.flow_frame()) == len(b.network.flow_frame()) == args.flows
        pd.testing.assert_series_equal(a.network.flow_frame()["quantity"],
                                       b.network.flow_frame()["quantity"], rtol=1e-15)
        size = (tmp / "plant.xlsx").stat().st_size / 1e6
        raw = readers(tmp / "plant.xlsx")
    print(f"{args.flows} flows, workbook {size:.1f} MB")
    print(f"  write: CSV tables {w_csv:.2f} s, workbook {w_xlsx:.2f} s, "
          f"ratio {w_xlsx / w_csv:.1f}x (target < {TARGET:g}x)")
    print(f"  read:  CSV tables {r_csv:.2f} s, workbook {r_xlsx:.2f} s, "
          f"ratio {r_xlsx / r_csv:.1f}x (target < {TARGET:g}x)")
    print("  the flows sheet alone: " + ", ".join(f"{k} {v:.2f} s" for k, v in raw.items()) +
          f" (calamine {raw['openpyxl'] / raw['python-calamine']:.1f}x faster)")


if __name__ == "__main__":
    main()
