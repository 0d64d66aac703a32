"""The case fuzzer's mutations (test_fuzz_cases.py) run through the study commands:
`flowgraph periods` on the monthly plant and `flowgraph sweep` (scenarios, draws) on cases
that have them. Every outcome is a sound run or one `error:` line naming a file of the case:
never a traceback, an internal error or a hang.

FLOWGRAPH_FUZZ_COMMANDS mutants (default 12; CI runs more), seed FLOWGRAPH_FUZZ_SEED. The
first fuzzing of these commands found sweeps of a case with value and structural scenarios
failing with an internal KeyError (iron_oxide_red). FLOWGRAPH_FUZZ_COMMAND_SET=all adds the
analysis commands (energy, evaluate, park, symbiosis, synergy, valuestream, reconcile,
uncertainty), compare and every export format, each on a case that has its data (CI runs
this wider set since the Sankey layout got faster and CI shorter)."""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import shutil

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


def _plain(command, *extra, out="--out"):
    return lambda case, o: [command, case, *extra, out, o]


def _export(fmt):
    suffix = {"xlsx": ".xlsx", "iamc": ".csv", "graphml": ".graphml"}.get(fmt, "")
    year = ["--year", "2023"] if fmt == "iamc" else []
    return lambda case, o: ["export", case, "--format", fmt, *year, "--out", o + suffix]


#: (case, command name) -> the command line; FLOWGRAPH_FUZZ_COMMAND_SET=all
ANALYSES = {("pvc_carbide", "energy"): _plain("energy"),
            ("pvc_carbide", "synergy"): _plain("synergy"),
            ("pvc_carbide", "compare"): _plain("compare", "--scenario",
                                              "converter heat to LiBr chillers"),
            ("glyphosate", "evaluate"): _plain("evaluate"),
            ("bda_park", "park"): _plain("park"),
            ("kalundborg", "symbiosis"): _plain("symbiosis"),
            ("eip_energy", "symbiosis"): _plain("symbiosis"),
            ("iron_oxide_red", "valuestream"): _plain("valuestream"),
            ("reconcile_demo", "reconcile"): _plain("reconcile"),
            ("uncertainty_demo", "uncertainty"): _plain("uncertainty", "--draws", "8",
                                                        "--no-progress"),
            ("demo", "compare"): _plain("compare", "--scenario", "more recycling"),
            **{("demo", f"export {f}"): _export(f) for f in
               ("xlsx", "iamc", "floweaver", "brightway", "nodelink", "graphml")}}


def selected() -> dict:
    """(case, command) -> command line of the commands this run fuzzes."""
    study = {(case, argv("C", "O")[0]): argv for case, argv in COMMANDS.items()}
    wide = os.environ.get("FLOWGRAPH_FUZZ_COMMAND_SET", "study") == "all"
    return {**study, **ANALYSES} if wide else study


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
    found, ran, commands = [], 0, selected()
    for i in range(COUNT):
        rng = random.Random(f"commands {SEED}:{i}")
        name, what = rng.choice(sorted(commands))
        folder, out = tmp_path / f"m{i}" / "case", tmp_path / f"m{i}" / "out"
        shutil.copytree(ROOT / "cases" / name, folder)
        _quick(folder)
        mutant = mutate(folder, rng, name, outside)
        argv = commands[name, what](str(folder), str(out))
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
    """The control: every case runs each command fuzzed as bundled."""
    from flowgraph.cli import build_parser
    build_parser()
    for i, ((name, what), command) in enumerate(selected().items()):
        folder, out = tmp_path / f"c{i}" / "case", tmp_path / f"c{i}" / "out"
        shutil.copytree(ROOT / "cases" / name, folder)
        _quick(folder)
        r = _run(command(str(folder), str(out)))
        assert isinstance(r, dict) and r["status"] == 0, (name, what, r)
        assert any(p.name.startswith("out") for p in out.parent.iterdir()), (name, what)
