"""Studies of many runs of one case: scenarios, grids of parameter values and Monte Carlo
draws, cut into chunks that run in this process or on a Dask cluster, streamed to Parquet
under a results folder (docs/methods/sweeps.md).

    study = sweep(case, grid={"flow:ore:price": [250, 300, 350]}, out="out/prices")
    study.figures          # one row per run
    study.summary()        # mean, std, p5, p50, p95 per output
    Study.open("out/prices")

Modules: params (parameter names and edits), options (the [sweep] section and keywords),
spec (runs, chunks, seeds, groups), chunks (a chunk evaluated on a worker), runtables and
store (the tables and the results folder), backends (in-process, LocalCluster, a running
cluster), study (sweep and Study), summary, overview (the page), bars (progress), command
(`flowgraph sweep`).
"""

from .store import SweepError
from .study import Study, sweep

__all__ = ["Study", "SweepError", "sweep"]
