"""The classification of doc 000's table 1: good / general / poor synergy of a technology from
its number of single-technology synergy types and whether it has inter-technology synergy.

The rule is data (flowgraph/data/synergy_rules.csv, or the case's own file named in [synergy]
rules): each row gives a range of the number of types, whether inter-technology synergy is
required ('yes'), excluded ('no') or irrelevant ('any'), the class and its score (used to
summarise a stage). The first matching row decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from ...errors import CaseFileError
from ...io.text import read_text

UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class Rule:
    min_types: int
    max_types: float
    inter: str
    klass: str
    score: float
    note: str = ""

    def matches(self, n_types: int, inter: bool) -> bool:
        if not self.min_types <= n_types <= self.max_types:
            return False
        return self.inter == "any" or (self.inter == "yes") == bool(inter)


def load_rules(path: str | None = None) -> list[Rule]:
    """The rule table: the shipped doc 000 table 1, or a CSV with the same columns."""
    if path is None:
        text = (resources.files("flowgraph") / "data" / "synergy_rules.csv").read_text(
            encoding="utf-8")
        origin = "flowgraph/data/synergy_rules.csv"
    else:
        p = Path(path)
        if not p.exists():
            raise CaseFileError(f"{p}: synergy rule table does not exist", origin=str(p))
        text, origin = read_text(p), str(p)
    from io import StringIO
    try:
        frame = pd.read_csv(StringIO(text), dtype={"inter_technology": str, "class": str},
                            keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise CaseFileError(f"{origin}: {exc}", origin=origin) from None
    need = {"min_types", "max_types", "inter_technology", "class", "score"}
    missing = need - set(frame.columns)
    if missing:
        raise CaseFileError(f"{origin}: missing column(s) {sorted(missing)}", origin=origin)
    rules = []
    for i, r in frame.iterrows():
        inter = str(r["inter_technology"]).strip().lower()
        if inter not in ("yes", "no", "any"):
            raise CaseFileError(f"{origin}:{i + 2}: inter_technology must be yes, no or any, "
                                f"not '{inter}'", origin=f"{origin}:{i + 2}")
        try:
            lo = int(r["min_types"])
            hi = math.inf if str(r["max_types"]).strip() == "" else float(r["max_types"])
            score = float(r["score"])
        except (TypeError, ValueError):
            raise CaseFileError(f"{origin}:{i + 2}: min_types, max_types and score must be "
                                f"numbers", origin=f"{origin}:{i + 2}") from None
        rules.append(Rule(lo, hi, inter, str(r["class"]), score, str(r.get("note", ""))))
    return rules


def classify(n_types: int, inter: bool, rules: list[Rule]) -> str:
    """The class of the first rule that matches, else 'unclassified'."""
    for rule in rules:
        if rule.matches(n_types, inter):
            return rule.klass
    return UNCLASSIFIED


def scores(rules: list[Rule]) -> dict:
    """Score of each class (first rule giving it)."""
    out: dict = {}
    for r in rules:
        out.setdefault(r.klass, r.score)
    return out


def stage_class(classes: list[str], rules: list[Rule]) -> tuple[float, str]:
    """A stage's mean score over its technologies and the class whose score is nearest (ties go
    to the better class): doc 000 calls its input stage (good, general) good and its output
    stage (good, poor) general, which this reproduces."""
    sc = scores(rules)
    vals = [sc[c] for c in classes if c in sc]
    if not vals:
        return math.nan, ""
    mean = sum(vals) / len(vals)
    best = min(sc.items(), key=lambda kv: (abs(kv[1] - mean), -kv[1]))
    return mean, best[0]
