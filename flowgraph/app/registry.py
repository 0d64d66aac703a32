"""The plugin registry: plugins are found through the `flowgraph.plugins` entry-point group,
the same way a third-party package registers one (docs/plugins.md)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from ..errors import PluginError
from ..plugins.base import Plugin

GROUP = "flowgraph.plugins"


@cache
def _scan() -> tuple[dict, dict]:
    """(plugins by entry-point name, problems by name): a plugin that fails to load or does
    not follow the contract (plugins.base.Plugin) is set aside with what is wrong, so that a
    broken third-party plugin never breaks the others or the command line."""
    found, problems = {}, {}
    for ep in entry_points(group=GROUP):
        try:
            plugin = ep.load()
        except Exception as exc:  # whatever a third-party import raises
            problems[ep.name] = f"plugin '{ep.name}' ({ep.value}) failed to load: {exc}"
            continue
        if isinstance(plugin, type) and issubclass(plugin, Plugin):
            plugin = plugin()
        if not isinstance(plugin, Plugin):
            problems[ep.name] = (f"plugin '{ep.name}' ({ep.value}) is a "
                                 f"{type(plugin).__name__}, not a flowgraph.plugins.Plugin")
            continue
        found[ep.name] = plugin
    return found, problems


def available() -> dict[str, Plugin]:
    """Installed plugins that load and follow the contract, by entry-point name."""
    return _scan()[0]


def broken() -> dict[str, str]:
    """Installed plugins that could not be used, with what is wrong with each."""
    return _scan()[1]


def get(name: str) -> Plugin:
    """The plugin called `name`; PluginError saying why if it is broken or not installed."""
    plugins = available()
    if name in broken():
        raise PluginError(broken()[name])
    if name not in plugins:
        raise PluginError(f"no plugin '{name}' is installed (installed: "
                          f"{', '.join(sorted(plugins)) or 'none'})")
    return plugins[name]


def figure_functions(case, result) -> dict:
    """Figure functions of every installed plugin, bound to `case` and `result`."""
    funcs: dict = {}
    for plugin in available().values():
        funcs.update(plugin.figure_functions(case, result))
    return funcs
