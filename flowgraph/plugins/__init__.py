"""Plugins: named analyses on top of the core, registered through the `flowgraph.plugins`
entry-point group, the same way a third-party package registers one (docs/plugins.md).

The contract is flowgraph.plugins.base: a Plugin subclass with a name, a summary, an options
schema and `run(case, options, scenario=None, embedded=False)` returning a Report (plain
data, flowgraph.model.report); the application layer finds plugins (app.registry), reads
their options and renders their reports.
"""

from ..model.report import Report
from .base import CaseLike, Option, Plugin

__all__ = ["CaseLike", "Option", "Plugin", "Report"]
