"""Circular-economy value-flow evaluation (doc 001): cost statement, index systems, AHP
weights, composite index and grade.

- the value-flow cost statement of each situation (positive cost: raw material, energy;
  negative cost: waste treatment; value-flow cost, revenue, net profit), read off the
  propagation, side by side with the differences (statement.py);
- index systems as data: a TOML tree of indicators whose formulas are arithmetic over named
  aggregates of a result (indexsystem.py, indexfile.py, formula.py, aggregates.py);
- AHP weights from pairwise comparison matrices (ahp.py: `ahp_weights`);
- the composite index P and its grade from a grade table (grades.py);
- `flowgraph evaluate CASE --out DIR`, and `flowgraph run` for a case with [evaluation].

Method and file formats: docs/methods/evaluation.md.
"""

from __future__ import annotations

from ...errors import ExpressionError, PluginError
from ...model import units
from ...model.report import Report
from ..base import Plugin
from .aggregates import Aggregate, AggregateValues, default_aggregates
from .ahp import AHPResult, ahp_weights, random_index
from .config import OPTIONS, SECTION, EvaluationConfig, case_aggregates, configure
from .exceptions import EvaluationError, InconsistentJudgementError
from .formula import Formula
from .grades import GradeTable, grade_table
from .indexfile import load_index_system
from .indexsystem import IndexSystem
from .pages import build_report
from .scoring import evaluate_case, score_result

__all__ = ["AHPResult", "Aggregate", "AggregateValues", "EvaluationConfig", "EvaluationError",
           "Formula", "GradeTable", "InconsistentJudgementError", "IndexSystem",
           "ahp_weights", "default_aggregates", "evaluate", "evaluate_case", "grade_table",
           "load_config", "load_index_system", "plugin", "random_index"]


class EvaluationPlugin(Plugin):
    """The `evaluate` command and the [evaluation] section of a case."""

    name = "evaluate"
    summary = ("circular-economy value-flow evaluation: cost statement, index system with AHP "
               "weights, composite index P and grade per scenario")
    section = SECTION
    example = ("examples:\n  flowgraph evaluate cases/glyphosate --out out/glyphosate/evaluate\n"
               "  flowgraph evaluate cases/glyphosate --weights table1,table8")
    options = OPTIONS
    section_error = EvaluationError
    #: a comparison of the situations [evaluation] names: --scenario would not narrow it
    scenarios = False

    def run(self, case, options: dict, *, scenario=None, embedded: bool = False) -> Report:
        """The evaluation report of the case (every configured situation; `scenario` from
        `flowgraph run --scenario` does not narrow a comparison)."""
        config = configure(case, options)
        return build_report(case, config, evaluate_case(case, config))

    def figure_functions(self, case, result) -> dict:
        """aggregate(name, unit=None), indicator_value(code, column='actual', weights=None),
        composite_index(weights=None) and grade_level(weights=None) for case figures."""

        def aggregate(name, unit=None):
            aggs = case_aggregates(case, self.resolve(case)["aggregates"])
            if name not in aggs:
                raise ExpressionError(f"aggregate(): no aggregate '{name}'; known: "
                                      f"{', '.join(sorted(aggs))}")
            value = AggregateValues(result, aggs)[name]
            return value * units.factor(aggs[name].unit, unit) if unit else value

        def scored(weights):
            config = load_config(case, weights=weights, require_system=False)
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


def load_config(case, *, require_system: bool = True, **given) -> EvaluationConfig | None:
    """The case's evaluation settings; options `given` (weights, index_system,
    accept_inconsistent) override its [evaluation] section."""
    return configure(case, plugin.resolve(case, given), require_system)


def evaluate(case, **given) -> Report:
    """Evaluate every situation of a case; returns the Report (tables, figures, page blocks).
    Options as `flowgraph evaluate` takes them: weights, index_system, accept_inconsistent."""
    return plugin.report(case, **given)
