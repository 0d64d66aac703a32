"""Reading the text of a file a case names: UTF-8 (a byte-order mark is dropped), and an
error naming the file and the line of the first byte that is not UTF-8 or of why it
cannot be read, never a UnicodeDecodeError or OSError."""

from __future__ import annotations

from pathlib import Path

from ..errors import CaseFileError


def read_text(path, error: type[Exception] = CaseFileError) -> str:
    """The text of the file at `path`; `error` (a FlowgraphError class) names the file
    (and the line) when it cannot be read as UTF-8."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})", origin=str(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        where = f"{path}:{line}"
        raise error(f"{where}: byte 0x{raw[exc.start]:02x} is not UTF-8 text; save the file "
                    f"as UTF-8", origin=where) from None
