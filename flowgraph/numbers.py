"""Numbers as flowgraph shows them, in the terminal and in every page: one format.

Six significant figures with thousands separators; whole numbers from a million up to 1e15
(money to the unit), an exponent only below 1e-4 and from 1e15 on; 'unknown' for NaN (what
the balances left undetermined), nothing for None (no value). In a column, values that are
rounding noise beside the column's largest (below NOISE times it; per unit when the table
has a 'unit' column) are shown, and written to CSV and JSON, as 0. A NaN cell of a page's table is left empty, as in the CSV: there it is
mostly no value at all (the share of an empty centre, a weight set without the indicator).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: a value below NOISE times the largest |value| of its column is rounding noise: shown and
#: written as 0. Solves leave noise near 1e-15 of the scale; 1e-12 still keeps a real 1 g
#: (1e-6 t) of an emission beside 1e6 t of water
NOISE = 1e-12


def finite_number(value) -> float | None:
    """float(value) for a finite real number (not a bool); None for anything else, an
    integer beyond the float range included (float() would raise OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    try:
        v = float(value)
    except OverflowError:
        return None
    return v if math.isfinite(v) else None


def fmt(v, digits: int = 6) -> str:
    """`digits` significant figures with thousands separators, whole numbers from
    10**digits up to 1e15, an exponent below 1e-4 and from 1e15; 'unknown' for NaN; what
    is not a number as it is."""
    if v is None:
        return ""
    if not isinstance(v, (int, float, np.integer, np.floating)):
        return str(v)
    v = float(v)
    if math.isnan(v):
        return "unknown"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e15 or a < 1e-4:
        return f"{v:.{digits}g}"
    shown = f"{v:,.{digits}g}"
    if a >= 10 ** digits or "e" in shown:          # e.g. 999999.7 rounds to a million
        return f"{v:,.0f}"
    return shown


def fmt_all(values, digits: int = 6, nan: str = "unknown") -> list[str]:
    """fmt over an array (NaN shown as `nan`), vectorised where it can be: the common case
    (finite, nonzero, clear of the format's borders) in one comprehension."""
    v = np.asarray(values, dtype=float)
    out = [f"{x:,.{digits}g}" for x in v.tolist()]
    a = np.abs(v)
    odd = ~np.isfinite(v) | (a >= 10 ** digits - 1) | (a < 1e-4)
    for j in np.flatnonzero(odd):
        out[j] = nan if np.isnan(v[j]) else fmt(v[j], digits)
    return out


def denoise(values, groups=None) -> np.ndarray:
    """A float copy of a column with rounding noise (below NOISE times the largest |value| of
    the column, or of its rows of the same group code) and negative zeros set to 0; NaN and
    everything else kept exactly."""
    v = np.array(values, dtype=float)
    finite = np.isfinite(v)
    a = np.where(finite, np.abs(v), 0.0)
    if groups is None:
        scale = a.max(initial=0.0)
    else:
        scale = pd.Series(a).groupby(groups).transform("max").to_numpy()
    v[finite & (a < NOISE * scale)] = 0.0
    v[v == 0] = 0.0
    return v


def denoised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table with every float column denoised, per unit when the table has a
    'unit' column (values in kWh and in t are not each other's scale)."""
    out = frame.copy()
    units = frame["unit"] if "unit" in frame.columns and frame["unit"].ndim == 1 else None
    groups = None if units is None else pd.factorize(units, use_na_sentinel=False)[0]
    for j in _float_columns(out):
        out.isetitem(j, denoise(out.iloc[:, j], groups))
    return out


def shown_table(frame: pd.DataFrame, digits: int = 6, nan: str = "unknown") -> pd.DataFrame:
    """A copy of a table with its float columns as fmt shows them: rounding noise as 0, NaN
    as `nan` (a terminal's table; a page's leaves NaN cells empty, as the CSV does)."""
    out = denoised(frame)
    for j in _float_columns(out):
        out.isetitem(j, fmt_all(out.iloc[:, j], digits, nan))
    return out


def _float_columns(frame: pd.DataFrame) -> list[int]:
    """Positions of the columns of numpy float dtype."""
    return [j for j, dt in enumerate(frame.dtypes) if isinstance(dt, np.dtype) and dt.kind == "f"]
