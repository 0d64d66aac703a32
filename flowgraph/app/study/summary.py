"""The summary of a study without every run of every output in memory: count, mean, std,
min and max merge the chunks' statistics (exact: N = sum n_i, mean = sum n_i mean_i / N,
M2 = sum (M2_i + n_i (mean_i - mean)^2)); percentiles read one output (one figure column,
or a batch of kept flows of one column) at a time from the Parquet files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from .runtables import flow_output

#: values held at once when reading kept flows for percentiles
BATCH_VALUES = 5_000_000


def summary_frame(study, q) -> pd.DataFrame:
    names = study.outputs()
    cols = ["unit", "count", "mean", "std", "min", *[f"p{p:g}" for p in q], "max"]
    if not study.store.done or not names:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="output"))
    frame = merged_moments(study.store.dataset("stats").to_table().to_pandas(), names)
    units = study.manifest.get("figure_units", {})
    frame.insert(0, "unit", [units.get(n, "") for n in names])
    pct = pd.DataFrame(np.nan, index=frame.index, columns=[f"p{p:g}" for p in q])
    for name in study.manifest["spec"]["keep"]["figures"]:
        values = _finite(study.store.dataset("runs").to_table(columns=[name]).column(0))
        if len(values):
            pct.loc[name] = np.percentile(values, q)
    _flow_percentiles(study, pct, q)
    out = frame.join(pct)[cols]
    out.attrs.update(runs=study.n_runs, failed=study.n_failed)
    return out


def merged_moments(stats: pd.DataFrame, names: list) -> pd.DataFrame:
    """count, mean, std, min, max per output from the chunks' (count, mean, M2, min, max)."""
    s = stats.copy()
    s["mean"] = s["mean"].where(s["count"] > 0, 0.0)
    s["w"] = s["count"] * s["mean"]
    g = s.groupby("output", sort=False)
    n = g["count"].sum()
    mean = g["w"].sum() / n.where(n > 0)
    s["m2c"] = s["m2"].fillna(0.0) + s["count"] * (s["mean"] - s["output"].map(mean)) ** 2
    m2 = s.groupby("output", sort=False)["m2c"].sum()
    std = np.sqrt(m2 / (n - 1).where(n > 1))
    frame = pd.DataFrame({"count": n, "mean": mean, "std": std, "min": g["min"].min(),
                          "max": g["max"].max()}).reindex(names)
    frame["count"] = frame["count"].fillna(0).astype(np.int64)
    frame.index.name = "output"
    return frame


def _flow_percentiles(study, pct: pd.DataFrame, q) -> None:
    keep = study.manifest["spec"]["keep"]
    flows = [str(f) for f in keep["flows"]]
    if not flows:
        return
    data = study.store.dataset("flows")
    batch = max(1, BATCH_VALUES // max(study.n_runs, 1))
    for col in keep["columns"]:
        for lo in range(0, len(flows), batch):
            part = flows[lo:lo + batch]
            table = data.to_table(columns=["flow", col], filter=pc.field("flow").isin(part))
            frame = table.to_pandas()
            for fid, values in frame.groupby("flow", sort=False)[col]:
                v = _finite(values.to_numpy())
                if len(v):
                    pct.loc[flow_output(fid, col)] = np.percentile(v, q)


def _finite(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v)]
