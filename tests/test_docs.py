"""The Python examples of README.md and docs/ run as written: documentation that cannot rot.

Each file's ```python blocks run in order in one namespace, in a scratch folder that sees the
repository's cases/ (so `fg.load("cases/...")` works and nothing is written into the tree)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
#: examples written for realism, shortened here so the suite stays quick
SHORTER = {"draws=1000": "draws=20"}


def _with_examples():
    return [p for p in DOCS if BLOCK.search(p.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("path", _with_examples(), ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_run(path, tmp_path, monkeypatch):
    (tmp_path / "cases").symlink_to(ROOT / "cases")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    text = path.read_text(encoding="utf-8")
    for match in BLOCK.finditer(text):
        code = match.group(1)
        for long, short in SHORTER.items():
            code = code.replace(long, short)
        line = text[:match.start()].count("\n") + 2
        # compile with the block's first line so a failure points at the doc's own line
        exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)
