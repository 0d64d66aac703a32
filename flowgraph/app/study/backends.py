"""Where the chunks of a sweep run:

- in this process, one after the other (workers=1: no Dask at all);
- on an embedded Dask LocalCluster: `workers` processes of one thread each (the default,
  one per core), started for the sweep and closed after it;
- on a running Dask cluster (`scheduler="tcp://host:port"`, started by `dask scheduler` and
  `dask worker`, or by dask's deployment tools): an address that does not answer within
  `timeout` seconds, or a cluster without workers, is refused by name.

On Dask the case and the plan are scattered to every worker once; each task is one chunk
(chunks.run_chunk), whose tables come back as it finishes. A worker that dies mid-chunk
costs that chunk only: the scheduler runs it again elsewhere, and the results folder takes
each chunk once.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator

from .chunks import Prepared, run_chunk
from .store import SweepError

#: seconds of estimated work under which the default is this process (starting a local
#: cluster takes a few seconds)
SMALL_WORK = 10.0
SPAWN_ENVIRON = "distributed.nanny.pre-spawn-environ"
ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx|inproc)://\S+$")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        return os.cpu_count() or 1


class InProcess:
    """Chunks in this process, in order."""

    name = "in-process"
    workers = 1

    def run(self, case, plan, pending) -> Iterator:
        prepared = Prepared(case, plan)
        for i in pending:
            yield prepared.chunk(i)

    def close(self) -> None:
        pass


class OnDask:
    """Chunks as tasks of a Dask distributed cluster."""

    def __init__(self, client, cluster=None, name: str = "dask"):
        self.client, self.cluster, self.name = client, cluster, name

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def run(self, case, plan, pending) -> Iterator:
        from distributed import as_completed
        case_f, plan_f = self.client.scatter([case, plan], broadcast=True, hash=False)
        token = uuid.uuid4().hex[:8]
        futures = [self.client.submit(run_chunk, case_f, plan_f, i, pure=False,
                                      key=f"flowgraph-sweep-{token}-{i}") for i in pending]
        try:
            for future, tables in as_completed(futures, with_results=True,
                                               loop=self.client.loop):
                yield tables
                future.release()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def check_where(workers, scheduler) -> None:
    """workers a whole number >= 1 or None; a scheduler address of the form
    tcp://HOST:PORT (or a distributed.Client); not both."""
    if scheduler is not None and workers is not None:
        raise SweepError("give workers (a local cluster) or scheduler (a running one), "
                         "not both")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise SweepError(f"workers must be a whole number >= 1, not {workers!r}")
    if isinstance(scheduler, str) and not ADDRESS.match(scheduler):
        raise SweepError(f"scheduler {scheduler!r}: give an address such as "
                         f"tcp://HOST:PORT (what `dask scheduler` prints)")


def connect(workers: int | None, scheduler, pending: int, timeout: float = 10.0,
            work: float = float("inf")):
    """The backend: a scheduler address (or a distributed.Client) if given; else `workers`
    processes (default: one per core, unless the `work` to do is estimated at under
    SMALL_WORK seconds) on a LocalCluster, or this process when that comes to one worker
    (workers=1, or a single chunk to compute)."""
    check_where(workers, scheduler)
    if scheduler is not None:
        return _remote(scheduler, timeout)
    if workers is None and work < SMALL_WORK:
        return InProcess()
    n = min(cores() if workers is None else workers, pending)
    if n <= 1:
        return InProcess()
    import dask
    from distributed import Client, LocalCluster
    # the nannies spawn workers without MALLOC_TRIM_THRESHOLD_ (dask sets 65536): that
    # setting turns off glibc's adaptive mmap threshold, so every temporary array of a
    # large network is mapped and unmapped afresh (twice the time of a run on 1e5 flows)
    with dask.config.set({f"{SPAWN_ENVIRON}.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    return OnDask(Client(cluster, set_as_default=False), cluster,
                  f"LocalCluster({n} processes)")


def _remote(scheduler, timeout: float) -> OnDask:
    from distributed import Client
    if isinstance(scheduler, Client):
        return _Borrowed(scheduler, None, f"dask {scheduler.scheduler.address}")
    if not isinstance(scheduler, str):
        raise SweepError(f"scheduler {scheduler!r}: give an address such as tcp://HOST:PORT")
    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"the Dask scheduler at {scheduler} does not answer within "
                         f"{timeout:g} s ({type(exc).__name__}); start it with `dask "
                         f"scheduler` and give the address it prints") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        client.close()
        raise SweepError(f"the Dask scheduler at {scheduler} has no workers (none joined "
                         f"within {timeout:g} s); start some with `dask worker "
                         f"{scheduler}`") from None
    return OnDask(client, None, f"dask {scheduler}")


class _Borrowed(OnDask):
    """A client the caller made: used, not closed."""

    def close(self) -> None:
        pass
