"""Errors of the evaluation plugin: PluginErrors (so FlowgraphErrors), which the CLI reports
cleanly."""

from __future__ import annotations

from ...errors import PluginError


class EvaluationError(PluginError):
    """An index system, grade table or evaluation section that cannot be used as written."""


class InconsistentJudgementError(EvaluationError):
    """A pairwise comparison matrix whose consistency ratio exceeds the accepted limit."""

    def __init__(self, message: str, *, cr: float, name: str | None = None, **kw):
        self.cr = cr
        self.name = name
        super().__init__(message, **kw)
