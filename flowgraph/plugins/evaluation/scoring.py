"""Evaluate a case: aggregates, actual values, indices, scores, P and grade per situation."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .aggregates import AggregateValues
from .config import EvaluationConfig, ScenarioSpec


@dataclass
class Situation:
    """One evaluated situation: its result, aggregates, scored table, P and grade per set."""

    spec: ScenarioSpec
    result: object
    aggregates: AggregateValues
    table: pd.DataFrame            # one row per leaf: actual, index, weight/score per set
    p: dict                        # weight set -> P
    grades: dict                   # weight set -> Level or None

    @property
    def label(self) -> str:
        return self.spec.label


def score_result(config: EvaluationConfig, result):
    """Aggregates, scored table, P and grade per weight set of one solved result."""
    values = AggregateValues(result, config.aggregates)
    system = config.system
    converted = {name: values.in_units(name, system.units) for name in system.aggregate_names()}
    actuals = system.actual_values(converted)
    table, p = system.score(actuals, config.weight_sets, config.accept_inconsistent)
    grades = {s: config.grades.grade(v) for s, v in p.items()}
    return values, table, p, grades


def evaluate_situation(case, config: EvaluationConfig, spec: ScenarioSpec) -> Situation:
    result = case.result(spec.scenario)
    return Situation(spec, result, *score_result(config, result))


def evaluate_case(case, config: EvaluationConfig) -> list[Situation]:
    """Every situation of the configuration, in order."""
    return [evaluate_situation(case, config, spec) for spec in config.scenarios]


def index_table(config: EvaluationConfig, situations: list[Situation]) -> pd.DataFrame:
    """Doc 001's Table 8 layout: the tree, benchmark, then actual, index and score per
    situation for the headline weights, and weight and scores for the other sets."""
    system = config.system
    depth = system.depth()
    first = situations[0].table
    rows = []
    for code in first.index:
        path = system.path(code)
        row = {f"level {k + 1}": (path[k] if k < len(path) - 1 else "") for k in range(depth - 1)}
        row.update({"code": code, "name": first.at[code, "name"], "unit": first.at[code, "unit"],
                    "better": first.at[code, "better"], "benchmark": first.at[code, "benchmark"]})
        for s in situations:
            row[f"actual {s.label}"] = s.table.at[code, "actual"]
        for s in situations:
            row[f"index {s.label}"] = s.table.at[code, "index"]
        for ws in config.weight_sets:
            row[f"weight {ws}"] = first.at[code, f"weight {ws}"]
            for s in situations:
                row[f"score {s.label} ({ws})"] = s.table.at[code, f"score {ws}"]
        rows.append(row)
    total = {"code": "P", "name": "composite index P (sum of scores)"}
    for ws in config.weight_sets:
        total[f"weight {ws}"] = first[f"weight {ws}"].sum()
        for s in situations:
            total[f"score {s.label} ({ws})"] = s.p[ws]
    rows.append(total)
    return pd.DataFrame(rows).set_index("code")


def composite_table(config: EvaluationConfig, situations: list[Situation]) -> pd.DataFrame:
    """P, level and wording per situation and weight set."""
    rows = []
    for s in situations:
        for ws in config.weight_sets:
            lev = s.grades[ws]
            label = config.system.weight_sets[ws].label or ws
            rows.append({"situation": s.label, "weights": label, "P": s.p[ws],
                         "level": lev.level if lev else None,
                         "grade": lev.label if lev else "not graded",
                         "grade (zh)": lev.label_zh if lev else ""})
    return pd.DataFrame(rows).set_index(["situation", "weights"])
