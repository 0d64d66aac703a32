"""Numbers as views show them: six significant figures with thousands separators, whole
numbers from a million on, scientific notation for the very large and very small; 'unknown'
for what the balances left undetermined."""

from __future__ import annotations

import numpy as np


def fmt(v) -> str:
    """Six significant figures with thousands separators (whole numbers from a million on);
    'unknown' for NaN."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "unknown"
    v = float(v)
    if v != 0 and (abs(v) >= 1e15 or abs(v) < 1e-4):
        return f"{v:.4e}"
    if abs(v) >= 1e6:
        return f"{v:,.0f}"
    return f"{v:,.6g}"


def fmt_all(values) -> list[str]:
    """fmt over an array, vectorised where it can be: the common case (finite, between 1e-4
    and 1e6, or 0) in one comprehension."""
    v = np.asarray(values, dtype=float)
    out = [f"{x:,.6g}" for x in v.tolist()]
    odd = ~np.isfinite(v) | (np.abs(v) >= 1e6) | ((v != 0) & (np.abs(v) < 1e-4))
    for j in np.flatnonzero(odd):
        out[j] = fmt(v[j])
    return out
