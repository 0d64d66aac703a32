"""Case-file fuzzer: mutated copies of the bundled cases, run as a user runs them.

Each mutant is a copy of one bundled case (cases/*) with one change: a number made negative,
zero, huge, nan, inf or text; a key deleted or misspelt; a value of another type; a record
duplicated; a file truncated; TOML or CSV syntax broken; a [tables] or plugin file key
pointing outside the case folder; a broken [[figure]] expression or index formula. Every
mutant is run with `flowgraph run` and `flowgraph check` (flowgraph.cli.main, in a forked
process with a time and memory limit). Each outcome must be one of:

- exit 2 with one line `error: ...` on stderr naming the file (and a line when the change
  was on a line), never an internal error, a traceback or a hang;
- exit 0 with nothing on stderr and written flows that are finite, >= 0, equal to a fresh
  solve of the case, which passes the conservation check.

`run` and `check` must agree (run exits 0 only if check does, a case check cannot load does
not run). A path outside the folder must be refused without being read.

FLOWGRAPH_FUZZ sets the number of mutants (default 40; .ci/run may set 300),
FLOWGRAPH_FUZZ_SEED the seed (default 14), FLOWGRAPH_FUZZ_SECONDS the time limit per mutant
(default 30). Mutant i of seed s is reproducible alone:
`python -m tests.test_fuzz_cases s i FOLDER` writes it to FOLDER and says what changed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import multiprocessing
import os
import random
import re
import resource
import shutil
import sys
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p.parent for p in (ROOT / "cases").glob("*/case.toml"))
COUNT = int(os.environ.get("FLOWGRAPH_FUZZ", "40"))
SEED = int(os.environ.get("FLOWGRAPH_FUZZ_SEED", "14"))
SECONDS = float(os.environ.get("FLOWGRAPH_FUZZ_SECONDS", "30"))
#: memory a mutant may use beyond what the test process already has
EXTRA_MEMORY = 2 << 30
#: the content of a file outside the case folder: must never be echoed
OUTSIDE_MARK = "fuzz-outside-the-case-folder"
AMOUNTS = ["quantity", "cost", "cost_material", "cost_energy", "cost_system", "cost_waste",
           "tce", "co2", "value"]


@dataclass
class Mutant:
    """One change to a copy of a case: which file, which line (1-based, if on one), what."""

    case: str
    file: str
    what: str
    line: int | None = None
    refuse: bool = False                # a path outside the folder: must be an error
    files: tuple = ()                   # the names of the case's files


@dataclass
class Outcome:
    """What run and check did with a mutant, and what was wrong with it."""

    mutant: Mutant
    run: int | None = None
    check: int | None = None
    stderr: str = ""
    problems: list[str] = field(default_factory=list)


# -- TOML and CSV text, line by line ---------------------------------------------------------

HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
KEY = re.compile(r'^\s*((?:[A-Za-z0-9_-]+|"[^"]*")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"))*)\s*=\s*')


@dataclass
class Value:
    """A single-line `key = value` of a TOML file."""

    line: int            # 0-based index into the lines
    section: str
    key: str
    start: int
    end: int
    kind: str            # string, number, bool, list, table, other


def toml_values(lines: list[str]) -> list[Value]:
    """Every key with a value on one line, with its section and the span of the value."""
    out, section = [], ""
    for i, text in enumerate(lines):
        h = HEADER.match(text)
        if h and not KEY.match(text):
            section = h.group(1)
            continue
        m = KEY.match(text)
        if not m:
            continue
        end = _value_end(text, m.end())
        if end is not None:
            out.append(Value(i, section, m.group(1), m.end(), end,
                             _kind(text[m.end():end])))
    return out


def _value_end(text: str, i: int) -> int | None:
    """End of the value starting at text[i] on the same line, or None (multi-line)."""
    if i >= len(text):
        return None
    if text.startswith(('"""', "'''"), i):
        return None
    depth, quote, j = 0, None, i
    while j < len(text):
        ch = text[j]
        if quote:
            if ch == "\\" and quote == '"':
                j += 1
            elif ch == quote:
                quote = None
                if depth == 0:
                    return j + 1
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return j + 1
        elif depth == 0 and (ch.isspace() or ch in "#,"):
            return j
        j += 1
    return j if depth == 0 and quote is None else None


def _kind(value: str) -> str:
    if value[:1] in "\"'":
        return "string"
    if value[:1] == "[":
        return "list"
    if value[:1] == "{":
        return "table"
    if value in ("true", "false"):
        return "bool"
    if re.fullmatch(r"[+-]?(\d[\d_]*(\.\d+)?([eE][+-]?\d+)?|nan|inf)", value):
        return "number"
    return "other"


def read_csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_csv_rows(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


# -- mutations -------------------------------------------------------------------------------

BAD_TOML_NUMBERS = ["-1", "-1e3", "0", "1e308", "1e300", "-0.0", "nan", "inf", "-inf",
                    '"five"', '"1e999"', "1e-320", '"nan"', '""', "9" * 400]
BAD_CSV_NUMBERS = ["-1", "0", "1e308", "nan", "inf", "-inf", "five", "", "1,5", "1e999",
                   "NaN", " 3 ", "0x10", "9" * 400]
OTHER_TYPE = {
    "number": ['"12"', "[1, 2]", "{ a = 1 }", "true", "1979-05-27", '["x"]'],
    "string": ["5", '["x"]', "{ x = 1 }", "true", '""', "[]", "1979-05-27T07:32:00"],
    "list": ['"x"', "5", "[[1]]", "[]", "{ a = 1 }", '[1, "a", [2]]'],
    "table": ["5", '"x"', "[]", "{ }", "{ a = { b = [] } }"],
    "bool": ['"yes"', "1", "[]"],
}
BAD_EXPRESSIONS = ["9**9**9", "10**10**7", "'a'*10**10", "2.0**10000", "exp(1000)",
                   "-" * 5000 + "1", "1/0", "q('no such flow')", "q(", "__import__('os')",
                   "().__class__.__mro__", "[1]*10**9", "q('x') +", "nan", "1e308*10",
                   "(" * 500 + "1" + ")" * 500, "lambda: 1", "open('/etc/passwd')", "",
                   "figure('itself')", "0**-1", "log(0)", "sqrt(-1)"]
BAD_PATHS = ["/etc/passwd", "../../../../../../etc/passwd", "/etc/hostname",
             "/nonexistent/x.csv", "..", "", "OUTSIDE"]
#: keys that name a file read by the core or a plugin, by section
FILE_KEYS = {"tables": ["nodes", "flows", "carriers"], "evaluation": ["index_system"],
             "synergy": ["rules"], "energy": ["checklist"], "symbiosis": ["catalogue"]}


def case_files(folder: Path) -> list[str]:
    """case.toml and the files it names (which are read when the case runs)."""
    text = (folder / "case.toml").read_text(encoding="utf-8")
    named = [p.name for p in folder.iterdir()
             if p.is_file() and p.name != "case.toml" and f'"{p.name}"' in text]
    return ["case.toml"] + sorted(named)


def mutate(folder: Path, rng: random.Random, case: str, outside: Path) -> Mutant:
    """Apply one random mutation to the case copy in `folder`; say what it was."""
    files = case_files(folder)
    for _ in range(50):
        name = rng.choice(files)
        op = rng.choice(OPERATIONS)
        kind = "toml" if name.endswith(".toml") else "csv"
        done = op(folder / name, rng, kind, outside)
        if done is not None:
            what, line, refuse = done
            return Mutant(case, name, f"{op.__name__[1:]}: {what}", line, refuse,
                          tuple(p.name for p in folder.iterdir() if p.is_file()))
    raise AssertionError(f"no mutation applies to {case}")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def _set_value(path: Path, lines: list[str], v: Value, new: str):
    text = lines[v.line]
    old = text[v.start:v.end]
    lines[v.line] = text[:v.start] + new + text[v.end:]
    path.write_text("\n".join(lines), encoding="utf-8")
    return f"[{v.section}] {v.key} = {old} -> {new}", v.line + 1, False


def _number(path, rng, kind, outside):
    if kind == "toml":
        lines = _lines(path)
        values = [v for v in toml_values(lines) if v.kind == "number"]
        return _set_value(path, lines, rng.choice(values), rng.choice(BAD_TOML_NUMBERS)) \
            if values else None
    rows = read_csv_rows(path)
    cells = [(r, c) for r in range(1, len(rows)) for c in range(len(rows[r]))
             if _is_number(rows[r][c])]
    if not cells:
        return None
    r, c = rng.choice(cells)
    old, rows[r][c] = rows[r][c], rng.choice(BAD_CSV_NUMBERS)
    write_csv_rows(path, rows)
    return f"{rows[0][c]} on line {r + 1}: {old} -> {rows[r][c]!r}", r + 1, False


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _delete_key(path, rng, kind, outside):
    if kind == "toml":
        lines = _lines(path)
        values = toml_values(lines)
        if not values:
            return None
        v = rng.choice(values)
        gone = lines.pop(v.line)
        path.write_text("\n".join(lines), encoding="utf-8")
        return f"[{v.section}] line deleted: {gone.strip()}", v.line + 1, False
    rows = read_csv_rows(path)
    c = rng.randrange(len(rows[0]))
    name = rows[0][c]
    write_csv_rows(path, [row[:c] + row[c + 1:] for row in rows])
    return f"column {name!r} deleted", 1, False


def _misspell(word: str, rng: random.Random) -> str:
    bare = word.strip('"')
    if len(bare) < 2:
        return bare + "x"
    i = rng.randrange(len(bare) - 1)
    choices = [bare[:i] + bare[i + 1:], bare[:i] + bare[i] + bare[i:],
               bare[:i] + bare[i + 1] + bare[i] + bare[i + 2:], bare + "s", bare.upper()]
    new = rng.choice([c for c in choices if c != bare] or [bare + "x"])
    return new if re.fullmatch(r"[A-Za-z0-9_.-]+", new) else f'"{new}"'


def _misspell_key(path, rng, kind, outside):
    if kind == "toml":
        lines = _lines(path)
        values = [v for v in toml_values(lines) if "." not in v.key]
        if not values:
            return None
        v = rng.choice(values)
        text = lines[v.line]
        k = text.index(v.key)
        new = _misspell(v.key, rng)
        lines[v.line] = text[:k] + new + text[k + len(v.key):]
        path.write_text("\n".join(lines), encoding="utf-8")
        return f"[{v.section}] key {v.key} -> {new}", v.line + 1, False
    rows = read_csv_rows(path)
    c = rng.randrange(len(rows[0]))
    old, rows[0][c] = rows[0][c], _misspell(rows[0][c], rng).strip('"')
    write_csv_rows(path, rows)
    return f"column {old!r} -> {rows[0][c]!r}", 1, False


def _retype(path, rng, kind, outside):
    if kind == "toml":
        lines = _lines(path)
        values = [v for v in toml_values(lines) if v.kind in OTHER_TYPE]
        if not values:
            return None
        v = rng.choice(values)
        return _set_value(path, lines, v, rng.choice(OTHER_TYPE[v.kind]))
    rows = read_csv_rows(path)
    if len(rows) < 2:
        return None
    r, c = rng.randrange(1, len(rows)), rng.randrange(len(rows[0]))
    if c >= len(rows[r]):
        return None
    old, rows[r][c] = rows[r][c], rng.choice(["a;b", "x=1;y=2", "[1, 2]", "{a = 1}", "true"])
    write_csv_rows(path, rows)
    return f"{rows[0][c]} on line {r + 1}: {old!r} -> {rows[r][c]!r}", r + 1, False


def _duplicate(path, rng, kind, outside):
    if kind == "toml":
        lines = _lines(path)
        heads = [i for i, t in enumerate(lines) if HEADER.match(t) and not KEY.match(t)]
        if not heads:
            return None
        k = rng.randrange(len(heads))
        start = heads[k]
        end = heads[k + 1] if k + 1 < len(heads) else len(lines)
        block = lines[start:end]
        lines[end:end] = block
        path.write_text("\n".join(lines), encoding="utf-8")
        return f"block {lines[start].strip()} of line {start + 1} repeated", end + 1, False
    rows = read_csv_rows(path)
    if len(rows) < 2:
        return None
    r = rng.randrange(1, len(rows))
    rows.insert(r + 1, list(rows[r]))
    write_csv_rows(path, rows)
    return f"row of line {r + 1} repeated", r + 2, False


def _truncate(path, rng, kind, outside):
    data = path.read_bytes()
    cut = rng.randrange(len(data))
    path.write_bytes(data[:cut])
    return f"cut at byte {cut} of {len(data)}", None, False


def _break_syntax(path, rng, kind, outside):
    lines = _lines(path)
    i = rng.randrange(len(lines))
    text = lines[i]
    if kind == "toml":
        breaks = [text.replace('"', "", 1), text.replace("=", " ", 1), "[" + text,
                  text + " = 1", text.replace("]", "", 1), text + " }{", "= =" + text,
                  text.replace("[", "[[", 1)]
    else:
        breaks = ['"' + text, text + ',"x', text + ",extra,fields", text.replace(",", ";"),
                  text.replace(",", "", 1)]
    new = rng.choice([b for b in breaks if b != text] or [text + " = ="])
    lines[i] = new
    data = "\n".join(lines).encode("utf-8")
    if rng.random() < 0.15:                       # bytes that are not UTF-8
        at = len("\n".join(lines[:i]).encode("utf-8")) + (1 if i else 0)
        data, new = data[:at] + b"\xff\xfe" + data[at:], "bytes ff fe + " + new
    path.write_bytes(data)
    return f"line {i + 1} -> {new[:60]!r}", i + 1, False


def _outside(path, rng, kind, outside):
    """A file key pointing outside the folder (must be refused) or empty."""
    if kind != "toml" or path.name != "case.toml":
        return None
    lines = _lines(path)
    bad = rng.choice(BAD_PATHS)
    bad = str(outside) if bad == "OUTSIDE" else bad
    values = [v for v in toml_values(lines)
              if v.key in FILE_KEYS.get(v.section, ()) and v.kind == "string"]
    if values:
        v = rng.choice(values)
        what, line, _ = _set_value(path, lines, v, _quoted(bad))
        return what, line, bad != ""
    sections = [i for i, t in enumerate(lines)
                if HEADER.match(t) and HEADER.match(t).group(1) in FILE_KEYS
                and not t.lstrip().startswith("[[")]
    if sections:
        i = rng.choice(sections)
        key = rng.choice(FILE_KEYS[HEADER.match(lines[i]).group(1)])
        lines.insert(i + 1, f"{key} = {_quoted(bad)}")
        path.write_text("\n".join(lines), encoding="utf-8")
        return f"{lines[i].strip()} {key} = {bad!r} added", i + 2, bad != ""
    key = rng.choice(FILE_KEYS["tables"])
    lines += ["", "[tables]", f"{key} = {_quoted(bad)}"]
    path.write_text("\n".join(lines), encoding="utf-8")
    return f"[tables] {key} = {bad!r} added", len(lines), bad != ""


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _expression(path, rng, kind, outside):
    if kind != "toml":
        return None
    lines = _lines(path)
    values = [v for v in toml_values(lines) if v.kind == "string" and
              (v.section == "figure" and v.key == "expr" or v.key == "formula")]
    if not values:
        return None
    return _set_value(path, lines, rng.choice(values), _quoted(rng.choice(BAD_EXPRESSIONS)))


OPERATIONS = [_number, _number, _delete_key, _misspell_key, _retype, _duplicate, _truncate,
              _break_syntax, _outside, _expression]


# -- running a mutant as a user runs it ------------------------------------------------------

def _cli(argv: list[str]) -> dict:
    """flowgraph.cli.main(argv) as the command line runs it: its exit status, stdout and
    stderr, and the traceback of any exception that escaped."""
    from flowgraph.cli import main
    out, err = io.StringIO(), io.StringIO()
    status, escaped = None, None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        except BaseException:                     # what would reach the user as a traceback
            escaped = traceback.format_exc(limit=-3)
    return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue(),
            "escaped": escaped}


def _written_flows(case_dir: Path, out: Path, stdout: str) -> list[str]:
    """Problems of the flows a successful run wrote: not finite, negative, not what a fresh
    solve of the case gives, or not conserved. A flow a non-strict case leaves undetermined
    may be blank (only its quantity is checked), if the run said so."""
    import flowgraph as fg
    from flowgraph.solvers.conservation import conservation_violations
    path = out / "flows.csv"
    if not path.exists():
        return ["run exited 0 without writing flows.csv"]
    written = pd.read_csv(path, index_col="id", dtype={"id": str})
    result = fg.load(case_dir).result(None)
    problems = []
    q = pd.to_numeric(written["quantity"], errors="coerce")
    undetermined = written.index.isin(result.undetermined.astype(str))
    if undetermined.any() and "undetermined" not in stdout:
        problems.append("run does not say that some flows are undetermined")
    cols = [c for c in AMOUNTS if c in written]
    values = written.loc[~undetermined, cols].apply(pd.to_numeric, errors="coerce")
    finite = np.isfinite(values.to_numpy(float)).all(axis=1)
    if not finite.all() or not np.isfinite(q[undetermined].fillna(0)).all():
        problems.append(f"flows.csv holds non-finite values (flows {list(values.index[~finite][:5])})")
    if (q < 0).any():
        problems.append(f"flows.csv holds negative flows: {q[q < 0].head(5).to_dict()}")
    fresh = result.flows["quantity"].set_axis(result.flows.index.astype(str))
    fresh = fresh.reindex(written.index).to_numpy(float)
    scale = np.nanmax(np.abs(fresh), initial=1.0)
    if not np.allclose(q.to_numpy(float), fresh, rtol=1e-9, atol=1e-9 * scale, equal_nan=True):
        problems.append("flows.csv differs from a fresh solve of the case")
    bad = conservation_violations(result)
    if len(bad):
        problems.append(f"not conserved: {bad.iloc[0].to_dict()}")
    return problems


def _child(conn, case_dir: str, out: str) -> None:
    """In the forked process: limit memory, run and check as a user does, verify."""
    soft = _address_space() + EXTRA_MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (soft, resource.RLIM_INFINITY))
    warnings.resetwarnings()                      # Python's own defaults, as on a terminal
    warnings.simplefilter("default")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
    report = {}
    for name, argv in (("run", ["run", case_dir, "--out", out]), ("check", ["check", case_dir])):
        r = report[name] = _cli(argv)
        if INTERNAL in r["stderr"]:               # where it happened, for the report
            r["where"] = _where(_cli(argv + ["--debug"])["escaped"])
        for key in ("stdout", "stderr", "escaped"):
            r[key] = r[key].replace(case_dir, "CASE") if r[key] else r[key]
    if report["run"]["status"] == 0 and report["run"]["escaped"] is None:
        try:
            report["outputs"] = _written_flows(Path(case_dir), Path(out), report["run"]["stdout"])
        except BaseException as exc:
            report["outputs"] = [f"re-solving a case that ran: {type(exc).__name__}: {exc}"]
    conn.send(report)
    conn.close()


def _where(tb: str | None) -> str:
    """The innermost frame of a traceback, as path:line."""
    frames = re.findall(r'File "([^"]+)", line (\d+)', tb or "")
    if not frames:
        return "?"
    path, line = frames[-1]
    return f"{Path(path).relative_to(ROOT) if path.startswith(str(ROOT)) else path}:{line}"


def _address_space() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 4 << 30


def run_mutant(case_dir: Path, out: Path, seconds: float) -> dict | str:
    """The child's report, or 'hang' / 'crash: ...'."""
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, str(case_dir), str(out)), daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(seconds):
            return "hang"
        return recv.recv()
    except EOFError:
        proc.join(5)
        return f"crash: the process ended with {proc.exitcode} and no report"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        recv.close()


# -- judging an outcome ----------------------------------------------------------------------

INTERNAL = "This is a bug in flowgraph"


def judge(mutant: Mutant, report) -> Outcome:
    """Every way the outcome differs from a clean error or a sound run."""
    o = Outcome(mutant)
    if isinstance(report, str):
        o.problems.append(report)
        return o
    run, check = report["run"], report["check"]
    o.run, o.check, o.stderr = run["status"], check["status"], run["stderr"].strip()
    for name, r in (("run", run), ("check", check)):
        if r["escaped"]:
            o.problems.append(f"{name}: traceback: {r['escaped'].strip().splitlines()[-1]}")
        if OUTSIDE_MARK in r["stdout"] + r["stderr"]:
            o.problems.append(f"{name}: echoes the content of a file outside the folder")
    if run["escaped"] is None:
        o.problems += _judge_status("run", run, mutant, ok=(0, 2))
        if run["status"] == 0:
            o.problems += report.get("outputs", [])
            if mutant.refuse:
                o.problems.append("run: a file outside the case folder was accepted")
    if check["escaped"] is None:
        o.problems += _judge_status("check", check, mutant, ok=(0, 1, 2))
    if run["status"] == 0 and check["status"] not in (0, None):
        o.problems.append(f"run exits 0 but check exits {check['status']}")
    if check["status"] == 2 and run["status"] == 0:
        o.problems.append("check cannot load the case that run ran")
    return o


def _judge_status(name: str, r: dict, mutant: Mutant, ok: tuple) -> list[str]:
    status, err = r["status"], r["stderr"].strip()
    if status not in ok:
        return [f"{name}: exit status {status}"]
    if status != 2:
        return [f"{name}: stderr on success: {err.splitlines()[0][:120]}"] if err else []
    lines = err.splitlines()
    if INTERNAL in err:
        return [f"{name}: internal error at {r.get('where', '?')}: {lines[-1][:160]}"]
    if len(lines) != 1 or not lines[0].startswith("error: "):
        return [f"{name}: stderr is not one 'error: ...' line: {err[:200]!r}"]
    problems = []
    if not names_file(err, mutant):
        problems.append(f"{name}: error names no file: {err[:200]}")
    elif mutant.line is not None and not names_line(err):
        problems.append(f"{name}: error names no line: {err[:200]}")
    return problems


def names_file(message: str, mutant: Mutant) -> bool:
    """Whether the message names a file of the case (the mutated one or another)."""
    return any(name in message for name in (mutant.file,) + mutant.files)


def names_line(message: str) -> bool:
    return re.search(r"\.(toml|csv):\d+|\bline \d+", message) is not None


# -- the test --------------------------------------------------------------------------------

def make_mutant(seed: int, i: int, folder: Path, outside: Path) -> Mutant:
    """Mutant i of `seed`: a copy of its case in `folder`, mutated."""
    rng = random.Random(f"{seed}:{i}")
    case = rng.choice(CASES)
    shutil.copytree(case, folder)
    _quick(folder)
    return mutate(folder, rng, case.name, outside)


def _quick(folder: Path) -> None:
    """The Monte Carlo case draws 50 times instead of 1000 (a second per run, not 15)."""
    toml = folder / "case.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(re.sub(r"(?m)^draws = \d+", "draws = 50", text), encoding="utf-8")


def fuzz(count: int, seed: int, seconds: float, tmp: Path) -> tuple[Counter, list[Outcome]]:
    """Make and run `count` mutants; the counts and every outcome."""
    outside = tmp / "outside.csv"
    outside.write_text(f"id,kind\n{OUTSIDE_MARK},source\n", encoding="utf-8")
    counts, outcomes = Counter(), []
    from flowgraph.cli import build_parser
    build_parser()                                # plugins loaded once, before forking
    for i in range(count):
        folder, out = tmp / f"m{i}" / "case", tmp / f"m{i}" / "out"
        mutant = make_mutant(seed, i, folder, outside)
        t0 = time.perf_counter()
        o = judge(mutant, run_mutant(folder, out, seconds))
        took = time.perf_counter() - t0
        counts["seconds"] += took
        counts["slowest"] = max(counts["slowest"], took)
        _count(counts, o)
        outcomes.append(o)
        shutil.rmtree(tmp / f"m{i}", ignore_errors=True)
    return counts, outcomes


def _count(counts: Counter, o: Outcome) -> None:
    counts["mutants"] += 1
    counts["runs (exit 0)"] += o.run == 0
    if o.run == 2:
        counts["errors (exit 2)"] += 1
        one = len(o.stderr.splitlines()) == 1 and o.stderr.startswith("error: ")
        clean = one and INTERNAL not in o.stderr
        counts["clean errors"] += clean
        counts["errors naming file"] += clean and names_file(o.stderr, o.mutant)
        counts["errors naming line"] += clean and names_line(o.stderr)
        counts["internal errors"] += INTERNAL in o.stderr
    counts["tracebacks"] += any("traceback" in p for p in o.problems)
    counts["hangs"] += "hang" in o.problems
    counts["mutants with problems"] += bool(o.problems)


def summary(counts: Counter, outcomes: list[Outcome], seed: int) -> str:
    keys = ["mutants", "runs (exit 0)", "errors (exit 2)", "clean errors", "errors naming file",
            "errors naming line", "internal errors", "tracebacks", "hangs",
            "mutants with problems"]
    text = [f"fuzzed cases (seed {seed}, {counts['seconds']:.0f} s, slowest mutant "
            f"{counts['slowest']:.1f} s): " +
            ", ".join(f"{k} {counts[k]}" for k in keys)]
    by_kind = Counter(re.sub(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?", "_", p)[:90]
                      for o in outcomes for p in o.problems)
    text += [f"  {n:3d} x {k}" for k, n in by_kind.most_common()]
    for i, o in enumerate(outcomes):
        if o.problems:
            m = o.mutant
            text.append(f"[{seed}:{i}] {m.case}/{m.file}: {m.what[:110]}\n      run {o.run}, "
                        f"check {o.check}: " + "\n      ".join(o.problems))
    return "\n".join(text)


def test_fuzzed_cases_fail_cleanly_or_run_soundly(tmp_path, capsys):
    counts, outcomes = fuzz(COUNT, SEED, SECONDS, tmp_path)
    text = summary(counts, outcomes, SEED)
    with capsys.disabled():
        print("\n" + text.split("\n")[0])
    assert counts["mutants with problems"] == 0, text


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_bundled_case_runs_soundly_before_any_mutation(tmp_path, case):
    """The control: unchanged, every bundled case runs (reconcile_demo's measurements must
    be reconciled first: run refuses it cleanly), and run and check agree."""
    from flowgraph.cli import build_parser
    build_parser()
    folder = tmp_path / "case"
    shutil.copytree(case, folder)
    _quick(folder)
    mutant = Mutant(case.name, "case.toml", "unchanged",
                    files=tuple(p.name for p in folder.iterdir()))
    o = judge(mutant, run_mutant(folder, tmp_path / "out", SECONDS))
    assert o.problems == [], o.stderr
    assert o.run == (2 if case.name == "reconcile_demo" else 0), o.stderr


def test_the_mutations_reach_every_kind_of_change(tmp_path):
    """The fuzzer itself: every operation applies to some case and changes its file."""
    outside = tmp_path / "outside.csv"
    outside.write_text("x\n", encoding="utf-8")
    for k, op in enumerate(OPERATIONS):
        applied = 0
        for case in CASES:
            folder = tmp_path / f"{k}{op.__name__}" / case.name
            shutil.copytree(case, folder)
            for name in case_files(folder):
                before = (folder / name).read_bytes()
                done = op(folder / name, random.Random(1), "toml" if name.endswith(".toml")
                          else "csv", outside)
                if done is not None:
                    assert (folder / name).read_bytes() != before, (op.__name__, case, name)
                    applied += 1
                    break
        assert applied, op.__name__


def _report(run_status=2, run_err="error: CASE/case.toml:12: flow 'x': bad", check_status=2,
            check_err=None, outputs=()):
    side = {"stdout": "", "escaped": None}
    return {"run": {"status": run_status, "stderr": run_err, **side},
            "check": {"status": check_status,
                      "stderr": run_err if check_err is None else check_err, **side},
            "outputs": list(outputs)}


@pytest.mark.parametrize("report, mutant, problem", [
    ("hang", {}, "hang"),
    (_report(run_err="Traceback (most recent call last):\nerror: x"), {}, "not one"),
    (_report(run_err="error: unexpected KeyError: 'a'. " + INTERNAL), {}, "internal error"),
    (_report(run_err="error: flow 'x' is bad"), {}, "names no file"),
    (_report(run_err="error: CASE/case.toml: flow 'x' is bad"), {"line": 3}, "names no line"),
    (_report(0, "", 0, "", outputs=["flows.csv holds negative flows"]), {}, "negative"),
    (_report(0, "", 0, ""), {"refuse": True}, "outside the case folder was accepted"),
    (_report(0, "", 1, ""), {}, "run exits 0 but check exits 1"),
    (_report(0, "RuntimeWarning: overflow", 0, ""), {}, "stderr on success"),
    (_report(3), {}, "exit status 3"),
])
def test_the_judge_flags_each_bad_outcome(report, mutant, problem):
    o = judge(Mutant("demo", "case.toml", "test", **mutant), report)
    assert any(problem in p for p in o.problems), o.problems


def test_the_judge_passes_a_clean_error_and_a_sound_run():
    clean = judge(Mutant("demo", "case.toml", "test", line=12), _report())
    sound = judge(Mutant("demo", "case.toml", "test"), _report(0, "", 0, ""))
    assert (clean.problems, sound.problems) == ([], [])


def test_a_hang_is_stopped_and_a_memory_bomb_ends_as_an_error(tmp_path, monkeypatch):
    import flowgraph.cli
    monkeypatch.setattr(flowgraph.cli, "main", lambda argv: time.sleep(60))
    t0 = time.perf_counter()
    assert run_mutant(tmp_path, tmp_path / "out", 1.0) == "hang"
    assert time.perf_counter() - t0 < 10
    monkeypatch.setattr(flowgraph.cli, "main", lambda argv: len(bytearray(EXTRA_MEMORY + 2**30)))
    report = run_mutant(tmp_path, tmp_path / "out", 30.0)
    assert "MemoryError" in report["run"]["escaped"]


def test_toml_values_find_each_value_and_its_span():
    lines = ['[[flow]]', 'id = "a # b"  # note', 'quantity = 1e3', 'per = ["x", 0.5]',
             'costs = { system = 1 }', 'multi = [', '  1,', ']', 'flag = true']
    got = [(v.line, v.section, v.key, lines[v.line][v.start:v.end], v.kind)
           for v in toml_values(lines)]
    assert got == [(1, "flow", "id", '"a # b"', "string"),
                   (2, "flow", "quantity", "1e3", "number"),
                   (3, "flow", "per", '["x", 0.5]', "list"),
                   (4, "flow", "costs", "{ system = 1 }", "table"),
                   (8, "flow", "flag", "true", "bool")]


if __name__ == "__main__":                         # reproduce one mutant: SEED I FOLDER
    seed_, i_, target = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    target.parent.mkdir(parents=True, exist_ok=True)
    (target.parent / "outside.csv").write_text(f"id,kind\n{OUTSIDE_MARK},source\n")
    print(make_mutant(seed_, i_, target, target.parent / "outside.csv"))
