"""Rows by id stored column-wise: one DataFrame plus the rows appended since it was built.

Appending one row at a time to a DataFrame is quadratic; appending to a list and
concatenating when the table is read keeps `add_flow` O(1) and bulk tables (from_frames)
in numpy columns, which is what lets a network hold millions of flows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import attributes


class Table:
    """The rows of one component (node or flow), indexed by id."""

    def __init__(self, component: str, frame: pd.DataFrame | None = None):
        self.component = component
        self._frame = frame if frame is not None else _empty(component)
        self._rows: list[dict] = []
        self._pending: dict = {}
        # the frame is shared with copies (snapshots, derived networks): copy it before the
        # first change in place, so that what a copy holds never changes under it
        self._shared = False

    # -- reading -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._frame) + len(self._rows)

    def __contains__(self, key) -> bool:
        return key in self._pending or key in self._frame.index

    def frame(self) -> pd.DataFrame:
        """All rows as one DataFrame indexed by id (shared: copy before changing it)."""
        if self._rows:
            new = pd.DataFrame.from_records(self._rows, index="id")
            frames = [f for f in (self._frame, new) if len(f)]
            frame = pd.concat(frames, axis=0, sort=False) if len(frames) > 1 else new
            self._frame = normalise_frame(self.component, frame)
            self._rows, self._pending = [], {}
            self._shared = False
        return self._frame

    def ids(self) -> pd.Index:
        return self.frame().index

    def get(self, key) -> dict:
        """One row as a dict of its non-empty values."""
        if key in self._pending:
            return {k: v for k, v in self._rows[self._pending[key]].items() if k != "id"}
        row = self.frame().loc[key]
        return {k: v for k, v in row.items() if not _empty_value(v)}

    # -- writing -------------------------------------------------------------------------
    def append(self, key, record: dict) -> None:
        record = dict(record)
        record["id"] = key
        self._pending[key] = len(self._rows)
        self._rows.append(record)

    def set(self, key, values: dict) -> None:
        """Change attributes of one row; None clears a value."""
        if key in self._pending:
            row = self._rows[self._pending[key]]
            for k, v in values.items():
                row[k] = v
            return
        frame = self.frame()
        if self._shared:
            frame = frame.copy()
            self._shared = False
        for k, v in values.items():
            if k not in frame.columns:
                frame[k] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            col = frame[k]
            if v is not None and col.dtype != object and not _fits(col.dtype, v):
                frame[k] = col.astype(object)
            frame.at[key, k] = np.nan if v is None and frame[k].dtype.kind == "f" else v
        self._frame = frame

    def drop(self, keys) -> None:
        frame = self.frame()
        self._frame = frame.drop(index=list(keys))
        self._shared = False

    def copy(self) -> Table:
        """An independent table in O(1): both share the frame until either changes a row in
        place (copy on write); appends and drops build new frames anyway."""
        new = Table(self.component, self.frame())
        new._shared = self._shared = True
        return new


def _fits(dtype, value) -> bool:
    if dtype.kind == "f":
        return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if dtype.kind in "OUS" or str(dtype) in ("str", "string"):
        return isinstance(value, str)
    return False


def is_missing(v) -> bool:
    """None or NaN: an attribute that was not given."""
    return v is None or (isinstance(v, float) and v != v)


def _empty_value(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    try:
        return bool(pd.isna(v)) if np.isscalar(v) else False
    except (TypeError, ValueError):
        return False


def _empty(component: str) -> pd.DataFrame:
    cols = [a for a in attributes(component) if a != "id"]
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    frame.index = pd.Index([], dtype=object, name="id")
    return normalise_frame(component, frame)


def normalise_frame(component: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Schema columns present with their types: floats as float64 (NaN = not given); ids as
    an object index (strings from CSV or code), or integers as they are (bulk tables)."""
    if frame.index.dtype != object and frame.index.dtype.kind not in "iu":
        frame.index = pd.Index(frame.index, dtype=object)
    frame.index.name = "id"
    for name, attr in attributes(component).items():
        if name == "id":
            continue
        if name not in frame.columns:
            frame[name] = np.nan if attr.type == "float" else None
        if attr.type == "float" and frame[name].dtype.kind != "f":
            frame[name] = pd.to_numeric(frame[name], errors="raise").astype(float)
        elif attr.type in ("string", "id", "list", "dict") and frame[name].dtype != object \
                and frame[name].dtype.kind not in "iu":     # integer ids stay integers
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame
