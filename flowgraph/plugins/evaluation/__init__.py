"""Circular-economy value-flow evaluation (doc 001): cost statement, index systems, AHP
weights, composite index and grade.

- the value-flow cost statement of each situation (positive cost: raw material, energy;
  negative cost: waste treatment; value-flow cost, revenue, net profit), read off the
  propagation, side by side with the differences (statement.py);
- index systems as data: a TOML tree of indicators whose formulas are arithmetic over named
  aggregates of a result (indexsystem.py, formula.py, aggregates.py);
- AHP weights from pairwise comparison matrices (ahp.py: `ahp_weights`);
- the composite index P and its grade from a grade table (grades.py);
- `flowgraph evaluate CASE --out DIR`, and `flowgraph run` for a case with [evaluation].

Method and file formats: docs/methods/evaluation.md.
"""

from __future__ import annotations

from ...errors import ExpressionError, PluginError
from ...model import units
from .aggregates import Aggregate, AggregateValues, default_aggregates
from .ahp import AHPResult, ahp_weights, random_index
from .config import EvaluationConfig, default_config, load_config
from .exceptions import EvaluationError, InconsistentJudgementError
from .formula import Formula
from .grades import GradeTable, grade_table
from .indexsystem import IndexSystem, load_index_system
from .scoring import evaluate_case, score_result

__all__ = ["AHPResult", "Aggregate", "AggregateValues", "EvaluationConfig", "EvaluationError",
           "Formula", "GradeTable", "InconsistentJudgementError", "IndexSystem",
           "ahp_weights", "default_aggregates", "evaluate", "evaluate_case", "grade_table",
           "load_config", "load_index_system", "plugin", "random_index"]


def evaluate(case, *, weights=None, index_system=None, accept_inconsistent: bool = False):
    """Evaluate every situation of a case; returns the Report (tables, figures, page)."""
    from .pages import build_report
    config = load_config(case, weights=weights, index_system=index_system,
                         accept_inconsistent=accept_inconsistent)
    return build_report(case, config, evaluate_case(case, config))


class EvaluationPlugin:
    """The `evaluate` command and the [evaluation] section of a case."""

    name = "evaluation"
    summary = ("circular-economy value-flow evaluation: cost statement, index system with AHP "
               "weights, composite index P and grade per scenario")
    section = "evaluation"
    example = ("examples:\n  flowgraph evaluate cases/glyphosate --out out/glyphosate/evaluate\n"
               "  flowgraph evaluate cases/glyphosate --weights table1,table8")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--weights", help="weight sets to score with, comma-separated; the "
                                              "first is the headline (default: the case's)")
        parser.add_argument("--index-system", help="index system TOML file instead of the "
                                                   "case's (relative to the case folder)")
        parser.add_argument("--accept-inconsistent", action="store_true",
                            help="accept AHP comparison matrices whose consistency ratio "
                                 "exceeds the limit (0.1)")

    def run(self, case, scenario=None, *, weights=None, index_system=None,
            accept_inconsistent: bool = False, **_):
        """The evaluation report of the case (every configured situation; `scenario` from
        `flowgraph run --scenario` does not narrow a comparison)."""
        return evaluate(case, weights=weights, index_system=index_system,
                        accept_inconsistent=accept_inconsistent)

    def figure_functions(self, case, result) -> dict:
        """aggregate(name, unit=None), indicator_value(code, column='actual', weights=None),
        composite_index(weights=None) and grade_level(weights=None) for case figures."""

        def aggregate(name, unit=None):
            aggs, _ = default_config(case)
            if name not in aggs:
                raise ExpressionError(f"aggregate(): no aggregate '{name}'; known: "
                                      f"{', '.join(sorted(aggs))}")
            value = AggregateValues(result, aggs)[name]
            return value * units.factor(aggs[name].unit, unit) if unit else value

        def scored(weights):
            config = load_config(case, weights=[weights] if weights else None,
                                 require_system=False)
            if config is None:
                raise PluginError(f"case '{case.name}' has no index system: indicator_value(), "
                                  f"composite_index() and grade_level() need an [evaluation] "
                                  f"section")
            _, table, p, grades = score_result(config, result)
            return config.headline, table, p, grades

        def indicator_value(code, column="actual", weights=None):
            ws, table, _, _ = scored(weights)
            if code not in table.index:
                raise ExpressionError(f"indicator_value(): no indicator '{code}' (leaves: "
                                      f"{', '.join(table.index)})")
            col = column if column in ("actual", "index", "benchmark") else f"{column} {ws}"
            if col not in table.columns:
                raise ExpressionError("indicator_value(): column must be actual, index, benchmark, "
                                      "weight or score")
            return float(table.at[code, col])

        def composite_index(weights=None):
            ws, _, p, _ = scored(weights)
            return p[ws]

        def grade_level(weights=None):
            ws, _, _, grades = scored(weights)
            return grades[ws].level if grades[ws] else float("nan")

        return {"aggregate": aggregate, "indicator_value": indicator_value,
                "composite_index": composite_index, "grade_level": grade_level}


plugin = EvaluationPlugin()
