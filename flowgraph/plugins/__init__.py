"""Plugins: named analyses on top of the core, found through the `flowgraph.plugins`
entry-point group, the same way a third-party package would register one.

A plugin is an object with `name`, `summary` (one line) and `run(case, scenario=None,
**options)` returning a Report; optionally `section` (the case-file table that makes
`flowgraph run` include it; it is then called with `embedded=True`, meaning its sections join
a report that already shows the flow graph, Sankey diagrams and MFCA matrix),
`add_arguments(parser)` for its CLI options and `figure_functions(case, result)` giving
functions that case figures may call. A plugin ignores options it does not know.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from ..errors import PluginError
from ..model.report import Report

GROUP = "flowgraph.plugins"

__all__ = ["GROUP", "Report", "available", "figure_functions", "get"]


@cache
def available() -> dict:
    """Installed plugins by name."""
    found = {}
    for ep in entry_points(group=GROUP):
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken third-party plugin must not break the CLI
            raise PluginError(f"plugin '{ep.name}' ({ep.value}) failed to load: {exc}") from exc
        found[ep.name] = plugin
    return found


def get(name: str):
    """The plugin called `name`; PluginError naming the installed ones if there is none."""
    plugins = available()
    if name not in plugins:
        raise PluginError(f"no plugin '{name}' is installed (installed: "
                          f"{', '.join(sorted(plugins)) or 'none'})")
    return plugins[name]


def figure_functions(case, result) -> dict:
    """Figure functions of every installed plugin, bound to `case` and `result`."""
    funcs: dict = {}
    for plugin in available().values():
        provide = getattr(plugin, "figure_functions", None)
        if provide is not None:
            funcs.update(provide(case, result))
    return funcs
