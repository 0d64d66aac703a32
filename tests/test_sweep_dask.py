"""Sweeps on Dask: an embedded LocalCluster of two processes, and a cluster started here
with the `dask scheduler` and `dask worker` commands on 127.0.0.1 (free ports, bounded
waits, torn down whatever happens). One worker, two workers and the cluster give the same
runs bit for bit; a worker killed mid-sweep costs its chunk only: the result is complete,
correct, and every chunk counted once."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.app.study import Study, sweep
from flowgraph.app.study.command import add_sweep_command

ROOT = Path(__file__).resolve().parents[1]
UNC = ROOT / "cases" / "uncertainty_demo"
#: the sweep every test runs: 16 chunks of Monte Carlo draws, two flows kept
SPEC = {"draws": 192, "seed": 11, "chunk": 12,
        "keep": {"flows": ["pigment", "ore"], "columns": ["quantity", "cost"]}}
N_CHUNKS = 16
WAIT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask_command() -> str:
    here = Path(sys.executable).parent / "dask"
    found = str(here) if here.exists() else shutil.which("dask")
    assert found, "the dask command (installed with distributed) is not on PATH"
    return found


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sweep in one process."""
    return sweep(fg.load(UNC), workers=1, progress=False,
                 out=tmp_path_factory.mktemp("ref") / "out", **SPEC)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers started by the dask commands; the
    address. Every process is started in a session of its own and killed with it."""
    from distributed import Client
    dask = dask_command()
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    procs = []

    def start(*args, log):
        with open(logs / log, "wb") as out:
            procs.append(subprocess.Popen([dask, *args], stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True, cwd=logs))

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
              log="scheduler.log")
        for k in range(2):
            start("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                  "--host", "127.0.0.1", "--local-directory", str(logs / f"w{k}"),
                  log=f"worker{k}.log")
        with Client(address, timeout=WAIT, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=WAIT)
        yield address
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)


def same(study, reference):
    pd.testing.assert_frame_equal(study.figures, reference.figures, check_exact=True)
    for col in ("quantity", "cost"):
        pd.testing.assert_frame_equal(study.flows(col), reference.flows(col), check_exact=True)
    pd.testing.assert_frame_equal(study.summary(), reference.summary(), check_exact=True)
    m = study.manifest
    assert sorted(m["chunks_done"]) == list(range(N_CHUNKS)) and study.complete
    assert m["failed"] == 0 and len(study.figures) == SPEC["draws"]


def test_two_processes_on_a_local_cluster_give_the_runs_of_one(reference, tmp_path):
    study = sweep(fg.load(UNC), workers=2, progress=False, out=tmp_path / "two", **SPEC)
    assert study.manifest["sessions"][-1]["backend"] == "LocalCluster(2 processes)"
    same(study, reference)


def test_a_cluster_of_dask_commands_through_the_command_line(reference, cluster, tmp_path,
                                                            capsys):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--allow", action="append", default=None)
    parser = argparse.ArgumentParser(prog="flowgraph")
    add_sweep_command(parser.add_subparsers(dest="command"), common)
    (tmp_path / "case").mkdir()
    text = (UNC / "case.toml").read_text(encoding="utf-8")
    (tmp_path / "case" / "case.toml").write_text(
        text + '\n[sweep]\nkeep = { flows = ["pigment", "ore"], columns = ["quantity", "cost"] }\n',
        encoding="utf-8")
    out = tmp_path / "remote"
    args = parser.parse_args(["sweep", str(tmp_path / "case"), "--out", str(out),
                              "--draws", "192", "--seed", "11", "--chunk", "12",
                              "--scheduler", cluster, "--quiet"])
    assert args.func(args) == 0
    assert "192 runs, 0 failed" in capsys.readouterr().out
    study = Study.open(out)
    assert study.manifest["sessions"][-1]["backend"] == f"dask {cluster}"
    same(study, reference)


def test_a_worker_killed_mid_sweep_costs_its_chunk_only(reference, cluster, tmp_path):
    from distributed import Client
    out = tmp_path / "killed"
    result, failure = {}, []

    def run():
        try:
            result["study"] = sweep(fg.load(UNC), scheduler=cluster, progress=False, out=out,
                                    **SPEC)
        except BaseException as exc:       # handed to the test below
            failure.append(exc)

    thread = threading.Thread(target=run)
    with Client(cluster, timeout=WAIT, set_as_default=False) as client:
        pids = client.run(os.getpid)
        thread.start()
        deadline, killed = time.monotonic() + WAIT, None
        while killed is None and time.monotonic() < deadline and thread.is_alive():
            busy = [w for w, keys in client.processing().items() if keys and w in pids]
            done = _done(out)
            if done >= 1 and busy:
                killed = (busy[0], done)
                os.kill(pids[busy[0]], signal.SIGKILL)
            time.sleep(0.005)
        thread.join(WAIT * 2)
    assert not thread.is_alive() and not failure, failure
    assert killed is not None and killed[1] < N_CHUNKS, "no worker was killed mid-sweep"
    study = result["study"]
    same(study, reference)
    computed = study.manifest["sessions"][-1]["computed"]
    assert sorted(computed) == list(range(N_CHUNKS))          # each chunk taken once
    assert sorted(study.figures.index) == list(range(SPEC["draws"]))


def _done(out: Path) -> int:
    import json
    try:
        return len(json.loads((out / "manifest.json").read_text())["chunks_done"])
    except (OSError, ValueError, KeyError):
        return 0
