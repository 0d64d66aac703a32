"""Node labels of the graph view: short enough to read at the default zoom, and their size on
the canvas estimated beforehand so the layouts can keep them apart.

vis-network draws node labels on a canvas in Arial (Liberation Sans, metric-compatible, on
Linux); the widths below are Arial's advance widths in thousandths of an em. Characters
outside the table count as an average Latin letter, CJK ideographs as a full em.
"""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache

import numpy as np

#: the node label font size on the canvas (px at zoom 1)
FONT = 14
#: label lines are this many font sizes apart (vis-network: the font size), plus LEAD px
LINE = 1.05
LEAD = 7.0
#: a label wraps at this many characters and keeps at most LINES lines
WRAP = 16
LINES = 3
#: estimates are widened by this much: fonts differ a little between systems
MARGIN = 1.08

_WIDTHS = {
    " ": 278, "!": 278, '"': 355, "#": 556, "$": 556, "%": 889, "&": 667, "'": 191,
    "(": 333, ")": 333, "*": 389, "+": 584, ",": 278, "-": 333, ".": 278, "/": 278,
    ":": 278, ";": 278, "<": 584, "=": 584, ">": 584, "?": 556, "@": 1015, "[": 278,
    "]": 278, "_": 556, "|": 260, "~": 584, "…": 1000, "→": 1000, "·": 278,
    "a": 556, "b": 556, "c": 500, "d": 556, "e": 556, "f": 278, "g": 556, "h": 556,
    "i": 222, "j": 222, "k": 500, "l": 222, "m": 833, "n": 556, "o": 556, "p": 556,
    "q": 556, "r": 333, "s": 500, "t": 278, "u": 556, "v": 500, "w": 722, "x": 500,
    "y": 500, "z": 500, "A": 667, "B": 667, "C": 722, "D": 722, "E": 667, "F": 611,
    "G": 778, "H": 722, "I": 278, "J": 500, "K": 667, "L": 556, "M": 833, "N": 722,
    "O": 778, "P": 667, "Q": 778, "R": 722, "S": 667, "T": 611, "U": 722, "V": 667,
    "W": 944, "X": 667, "Y": 667, "Z": 611,
}
_WIDTHS.update({d: 556 for d in "0123456789"})


def char_width(ch: str) -> float:
    """Advance width of one character in em."""
    w = _WIDTHS.get(ch)
    if w is not None:
        return w / 1000.0
    if "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uff00" <= ch <= "\uffef":
        return 1.0                                         # CJK, Hangul, full-width forms
    return 0.6


def text_width(line: str, size: float = FONT) -> float:
    """Estimated width in px of one line of text at `size` px."""
    return MARGIN * size * sum(char_width(c) for c in line)


def label_size(label: str, size: float = FONT) -> tuple[float, float]:
    """Estimated (width, height) in px of a multi-line label."""
    lines = label.split("\n") if label else [""]
    return max(text_width(x, size) for x in lines), len(lines) * LINE * size + LEAD


def sizes(labels, size: float = FONT) -> tuple[np.ndarray, np.ndarray]:
    """Widths and heights of many labels."""
    wh = np.array([label_size(x, size) for x in labels], dtype=float).reshape(-1, 2)
    return wh[:, 0], wh[:, 1]


def short_label(text: str, width: int = WRAP, lines: int = LINES) -> str:
    """A label on at most `lines` lines of about `width` characters. A name that takes more
    than two lines loses what follows its first ';' or ': ' (outside brackets), then its
    bracketed parts, when that brings it to two lines; one still over `lines` lines loses
    the end of its last line (an ellipsis). The full name stays in the tooltip and panel."""
    text = " ".join(str(text).split())
    if len(text) <= width and all(c < "\u2e80" for c in text):
        return text                                         # one line as it is (fast)
    return _short(text, width, lines)


@lru_cache(maxsize=65536)
def _short(text: str, width: int, lines: int) -> str:
    shorter = [text, _head(text)]
    shorter.append(_no_brackets(shorter[-1]))
    wrapped = [_wrap(t, width) for t in shorter]
    pick = next((w for w in wrapped if len(w) <= 2),
                next((w for w in wrapped if len(w) <= lines), wrapped[-1]))
    if len(pick) > lines:
        cut = pick[lines - 1][:width - 1]
        if " " in cut[width // 2:]:
            cut = cut[:cut.rindex(" ")]                     # at a word's end
        pick = pick[:lines - 1] + [cut.rstrip(" ,;:(-") + "…"]
    return "\n".join(pick) or text


def _wrap(text: str, width: int) -> list[str]:
    """The wrapping of `text` at about `width` characters (a CJK character counts two) with
    the fewest lines, then the narrowest."""
    if not text:
        return []
    wide = sum(char_width(c) >= 1.0 for c in text)
    weight = (len(text) + wide) / len(text)
    best = None
    for w in range(width - 3, width + 3):
        lines = textwrap.wrap(text, max(4, int(w / weight)), break_long_words=wide > 0,
                              break_on_hyphens=True)
        key = (len(lines), max(text_width(x) for x in lines))
        if best is None or key < best[0]:
            best = (key, lines)
    return best[1]


def _head(text: str) -> str:
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and (ch == ";" or (ch == ":" and text[i + 1:i + 2] == " ")) and i >= 6:
            return text[:i].strip()
    return text


def _no_brackets(text: str) -> str:
    out = re.sub(r"\s*[(\[][^()\[\]]*[)\]]", "", text).strip(" ,;")
    return out if len(out) >= 4 else text
