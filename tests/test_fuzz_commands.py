"""The case fuzzer's mutations (test_fuzz_cases.py) run through the study commands:
`flowgraph periods` on the monthly plant and `flowgraph sweep` (scenarios, draws) on cases
that have them. Every outcome is a sound run or one `error:` line naming a file of the case:
never a traceback, an internal error or a hang.

FLOWGRAPH_FUZZ_COMMANDS mutants (default 12; CI runs more), seed FLOWGRAPH_FUZZ_SEED. The
first fuzzing of these commands found sweeps of a case with value and structural scenarios
failing with an internal KeyError (iron_oxide_red)."""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import shutil
from pathlib import Path

from .test_fuzz_cases import (
    EXTRA_MEMORY,
    INTERNAL,
    OUTSIDE_MARK,
    ROOT,
    SECONDS,
    SEED,
    _address_space,
    _cli,
    _quick,
    mutate,
    names_file,
)

COUNT = int(os.environ.get("FLOWGRAPH_FUZZ_COMMANDS", "12"))


def _sweep(*extra):
    return lambda case, out: ["sweep", case, *extra, "--workers", "1", "--out", out, "--quiet"]


#: case -> the command line of its study
COMMANDS = {"monthly_plant": lambda case, out: ["periods", case, "--out", out],
            "uncertainty_demo": _sweep("--draws", "8", "--seed", "3"),
            "demo": _sweep("--scenarios", "all"),
            "pvc_carbide": _sweep("--scenarios", "all"),
            "iron_oxide_red": _sweep("--scenarios", "all")}


def _child(conn, argv) -> None:
    """In the forked process: memory limited, the command as the command line runs it."""
    resource.setrlimit(resource.RLIMIT_AS, (_address_space() + EXTRA_MEMORY,
                                            resource.RLIM_INFINITY))
    conn.send(_cli(argv))
    conn.close()


def _run(argv) -> dict | str:
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, argv), daemon=True)
    proc.start()
    send.close()
    try:
        return recv.recv() if recv.poll(SECONDS) else "hang"
    except EOFError:
        return "crash: no report"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        recv.close()


def problems(mutant, r) -> list[str]:
    """How the outcome differs from a sound run or a clean, placed error."""
    if isinstance(r, str):
        return [r]
    if r["escaped"]:
        return [f"traceback: {r['escaped'].strip().splitlines()[-1]}"]
    err = r["stderr"].strip()
    if OUTSIDE_MARK in r["stdout"] + err:
        return ["echoes the content of a file outside the folder"]
    if r["status"] == 0:        # a study reads fewer sections than run: an outside file
        return []               # named in one it does not read is run's to refuse
    if r["status"] != 2:
        return [f"exit status {r['status']}: {err[-200:]}"]
    lines = err.splitlines()
    if INTERNAL in err:
        return [f"internal error: {lines[-1][:200]}"]
    if len(lines) != 1 or not lines[0].startswith("error: "):
        return [f"stderr is not one 'error: ...' line: {err[:200]!r}"]
    return [] if names_file(err, mutant) else [f"error names no file: {err[:200]}"]


def test_study_commands_on_fuzzed_cases_fail_cleanly_or_run(tmp_path, capsys):
    from flowgraph.cli import build_parser
    build_parser()                                # plugins loaded once, before forking
    outside = tmp_path / "outside.csv"
    outside.write_text(f"id,kind\n{OUTSIDE_MARK},source\n", encoding="utf-8")
    found, ran = [], 0
    for i in range(COUNT):
        rng = random.Random(f"commands {SEED}:{i}")
        name = rng.choice(sorted(COMMANDS))
        folder, out = tmp_path / f"m{i}" / "case", tmp_path / f"m{i}" / "out"
        shutil.copytree(ROOT / "cases" / name, folder)
        _quick(folder)
        mutant = mutate(folder, rng, name, outside)
        argv = COMMANDS[name](str(folder), str(out))
        r = _run(argv)
        ran += isinstance(r, dict) and r["status"] == 0
        found += [f"[{SEED}:{i}] {name}/{mutant.file}: {mutant.what[:110]}\n    {argv[0]}: {p}"
                  for p in problems(mutant, r)]
        shutil.rmtree(tmp_path / f"m{i}", ignore_errors=True)
    with capsys.disabled():
        print(f"\nfuzzed study commands (seed {SEED}): {COUNT} mutants, {ran} ran, "
              f"{COUNT - ran} refused, {len(found)} problems")
    assert not found, "\n".join(found)


def test_the_study_commands_run_each_case_unchanged(tmp_path):
    """The control: every case of COMMANDS runs its command as bundled."""
    from flowgraph.cli import build_parser
    build_parser()
    for name, command in COMMANDS.items():
        folder = tmp_path / name / "case"
        shutil.copytree(ROOT / "cases" / name, folder)
        _quick(folder)
        r = _run(command(str(folder), str(tmp_path / name / "out")))
        assert isinstance(r, dict) and r["status"] == 0, (name, r)
        assert Path(tmp_path / name / "out").exists()
