"""The files a case names, resolved inside its folder.

A name given in a case ([tables] nodes, an index system, a checklist, a rule table...) is
relative to the case folder and must lead to a file inside it, or inside a folder the user
allowed explicitly (`fg.load(path, allow=[folder])`, `--allow DIR`). Absolute names, '..'
and symbolic links that lead elsewhere are refused by name before anything is read, so a
case cannot make flowgraph read (and echo in an error) a file the user did not mean to share.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import CaseFileError


@dataclass(frozen=True)
class CaseFolder:
    """The folder a case's file names resolve in and the folders the user allowed besides;
    `key` ('[tables] nodes') and `origin` (case.toml:line) say where a name was given."""

    root: Path
    allow: tuple[Path, ...] = ()
    key: str = ""
    origin: str | None = None

    @classmethod
    def of(cls, root, allow: Iterable = ()) -> CaseFolder:
        """The folder of a case at `root` (None: the current directory)."""
        return cls(Path(root if root is not None else ".").resolve(),
                   tuple(Path(a).resolve() for a in allow))

    def named(self, key: str, origin: str | None) -> CaseFolder:
        """The same folder, for a name given under `key` at `origin`."""
        return replace(self, key=key, origin=origin)

    def resolve(self, name) -> Path:
        """The absolute path `name` leads to; CaseFileError naming the key, the value and
        where it was given if it leads outside the case folder and the allowed folders."""
        if not isinstance(name, (str, os.PathLike)) or not str(name).strip():
            raise self._error(name, "is not a file name")
        given = Path(name)
        path = (self.root / given).resolve()
        if any(_within(path, f) for f in (self.root, *self.allow)):
            return path
        raise self._error(name, f"leads outside the case folder {self.root} "
                                f"{self._how(given)}")

    def contains(self, name) -> Path | None:
        """The file `name` leads to if it is one inside the case folder itself, else None
        (never raises: for finding the files a case names)."""
        if not isinstance(name, str) or not name.strip():
            return None
        path = (self.root / name).resolve()
        return path if _within(path, self.root) and path.is_file() else None

    def _how(self, given: Path) -> str:
        if given.is_absolute():
            return "(an absolute path)"
        plain = Path(os.path.normpath(self.root / given))
        if not _within(plain, self.root):
            return "(through '..')"
        link = next((p for p in [plain, *plain.parents] if p.is_symlink()), plain)
        return f"(through the symbolic link {link})"

    def _error(self, name, problem: str) -> CaseFileError:
        allow = "fg.load(case, allow=[folder]) or --allow FOLDER"
        return CaseFileError(f"{self.key or 'file'} = {str(name)!r} {problem}; name a file in "
                             f"the case folder, or allow its folder explicitly ({allow})",
                             origin=self.origin)


def inside(folder, name) -> Path:
    """`name` within `folder`: a CaseFolder confines it to the case (and the allowed
    folders); a plain folder (library use, a path the caller chose) is joined to it."""
    if isinstance(folder, CaseFolder):
        return folder.resolve(name)
    return Path(folder if folder is not None else ".") / name


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
