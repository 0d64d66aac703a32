"""Writing an export file whole or not at all: to a temporary file beside the target that
replaces it only when complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path) -> Callable:
    """`with replacing(path) as tmp: write(tmp)`: `path` is replaced by what was written
    only when the block ends without an error; otherwise nothing is left behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
