"""How the command fails: one line on stderr and exit status 2, never a traceback; a bug of
ours says so (the traceback with --debug); a closed pipe ends quietly; the examples of
`flowgraph --help` run."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph import cli

ROOT = Path(__file__).resolve().parent.parent


def test_an_unexpected_error_is_one_line_asking_for_a_report(monkeypatch, capsys, tmp_path):
    def broken(args):
        raise KeyError("carried in")

    monkeypatch.setattr(cli, "cmd_check", broken)
    assert cli.main(["check", str(ROOT / "cases" / "demo")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: unexpected KeyError: 'carried in'") and "report" in err
    with pytest.raises(KeyError):
        cli.main(["check", str(ROOT / "cases" / "demo"), "--debug"])


def test_a_flowgraph_error_is_one_line_naming_file_and_line(capsys, tmp_path):
    case = fg.load(ROOT / "cases" / "demo")
    case.save(tmp_path / "case")
    text = (tmp_path / "case" / "case.toml").read_text(encoding="utf-8")
    text = text.replace('target = "landfill"', 'target = "landfil"', 1)
    (tmp_path / "case" / "case.toml").write_text(text, encoding="utf-8")
    assert cli.main(["run", str(tmp_path / "case"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert re.search(r"case\.toml:\d+: flow '.*' refers to unknown node 'landfil'", err)
    assert not (tmp_path / "out").exists()                    # nothing half-written


def test_a_closed_pipe_ends_quietly():
    done = subprocess.run(f"{shlex.quote(sys.executable)} -m flowgraph.cli check "
                          f"{shlex.quote(str(ROOT / 'cases' / 'pvc_carbide'))} | head -1",
                          shell=True, capture_output=True, text=True, timeout=300)
    assert done.stdout.startswith("case: ") and done.stderr == ""


def test_the_examples_of_the_help_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)                   # the examples write where they stand
    for line in cli.EPILOG.splitlines():
        line = line.strip()
        if not line.startswith("flowgraph ") or "<" in line or " view " in line:
            continue
        args = shlex.split(line.split("   ")[0])[1:]
        args = [str(ROOT / a) if a.startswith("cases/") else a for a in args]
        assert cli.main(args) == 0, (line, capsys.readouterr().err)


def test_run_says_which_flows_a_non_strict_case_leaves_undetermined(tmp_path, capsys):
    assert cli.main(["run", str(ROOT / "cases" / "kalundborg"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"note: 13 flow\(s\) are undetermined \(the case says strict = false\)", out)


def test_every_error_class_is_documented():
    import inspect

    import flowgraph.errors as errors
    from flowgraph.plugins.evaluation.exceptions import EvaluationError, InconsistentJudgementError
    from flowgraph.solvers.reconciliation import ReconciliationError
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, errors.FlowgraphError) and c is not errors.FlowgraphError]
    classes += [EvaluationError, InconsistentJudgementError, ReconciliationError]
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    missing = [c.__name__ for c in classes if f"`{c.__name__}`" not in page]
    assert not missing, f"docs/errors.md does not describe {missing}"
