"""Reading TOML: case files, index systems, checklists and the shipped data tables.

One place for the tomllib/tomli choice, the "not valid TOML" error that names the file, and
the line numbers of table headers that let later errors name the line."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from ..errors import CaseFileError
from .text import read_text

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

_HEADER = re.compile(r"\s*\[\[?\s*([A-Za-z_.\-0-9]+)\s*\]\]?")
_HEADER_LINE = re.compile(r"\s*\[\[?\s*[A-Za-z_.\-0-9]+\s*\]\]?\s*(#.*)?$")


def read_toml(path, error: type[Exception] = CaseFileError) -> tuple[dict, str]:
    """The parsed tables and the text of the TOML file at `path`; invalid TOML raises
    `error` (a FlowgraphError subclass) naming the file (and the line)."""
    text = read_text(path, error)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}", origin=str(path)) from None


@cache
def shipped_toml(name: str) -> dict:
    """A TOML file shipped in flowgraph/data/, parsed once per process (do not mutate)."""
    path = resources.files("flowgraph") / "data" / name
    return tomllib.loads(path.read_text(encoding="utf-8"))


def header_lines(text: str) -> dict[str, list[int]]:
    """Line numbers of each [name] and [[name]] header, in order, by name: the k-th
    [[node]] of a file is at header_lines(text)["node"][k]."""
    out: dict[str, list[int]] = {}
    for i, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            out.setdefault(m.group(1), []).append(i)
    return out


def key_line(text: str, header: str | None, k: int, key: str) -> int | None:
    """The line of `key = ...` in the k-th [header] or [[header]] table of a TOML text
    (header None: the keys before the first table); None if it is not written there."""
    lines = text.splitlines()
    first = 0
    if header is not None:
        starts = header_lines(text).get(header, [])
        if k >= len(starts):
            return None
        first = starts[k]          # the header's 1-based line is the index of the next line
    pattern = re.compile(rf"\s*([\"']?){re.escape(key)}\1\s*=")
    for i in range(first, len(lines)):
        if _HEADER_LINE.match(lines[i]):
            return None
        if pattern.match(lines[i]):
            return i + 1
    return None
