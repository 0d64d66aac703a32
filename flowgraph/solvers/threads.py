"""BLAS threads inside the numerics.

The solvers' dense work is small: batched inverses of blocks of a few unknowns, products of
tall arrays with a handful of columns, vector updates of an iterative solve. Spread over
several BLAS threads such work waits on their synchronisation more than it gains, so more
threads made a solve slower (benchmarks/bench_sweep.py measures it). Inside `blas_limit()`
BLAS runs on one thread; outside, the caller's setting holds (threadpoolctl; without it the
limit does nothing). Entering the limit costs a few microseconds (the BLAS libraries are
found once, their thread counts read and set directly), so it may wrap small products.
"""

from __future__ import annotations

import threading

try:
    from threadpoolctl import ThreadpoolController
except ImportError:                       # pragma: no cover - threadpoolctl is a dependency
    ThreadpoolController = None

_LIBS: list = []
_LOCK = threading.Lock()


def _blas_libraries() -> list:
    """The BLAS libraries loaded in this process (found on first use)."""
    if not _LIBS and ThreadpoolController is not None:
        with _LOCK:
            if not _LIBS:
                libs = ThreadpoolController().select(user_api="blas").lib_controllers
                _LIBS.append(list(libs))
    return _LIBS[0] if _LIBS else []


class blas_limit:
    """A context in which BLAS uses at most `threads` threads (re-entrant; restores what it
    found)."""

    __slots__ = ("threads", "saved")

    def __init__(self, threads: int = 1):
        self.threads = threads
        self.saved: list = []

    def __enter__(self):
        for lib in _blas_libraries():
            n = lib.get_num_threads()
            if n is not None and n > self.threads:
                self.saved.append((lib, n))
                lib.set_num_threads(self.threads)
        return self

    def __exit__(self, *exc) -> None:
        for lib, n in reversed(self.saved):
            lib.set_num_threads(n)
        self.saved = []
