"""The plugin registry: plugins are found through the `flowgraph.plugins` entry-point group,
the same way a third-party package registers one (docs/plugins.md)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from ..errors import PluginError
from ..plugins.base import Plugin

GROUP = "flowgraph.plugins"


@cache
def available() -> dict[str, Plugin]:
    """Installed plugins by entry-point name; a plugin that does not follow the contract
    (plugins.base.Plugin) is refused by name."""
    found = {}
    for ep in entry_points(group=GROUP):
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken third-party plugin must not break the CLI
            raise PluginError(f"plugin '{ep.name}' ({ep.value}) failed to load: {exc}") from exc
        if isinstance(plugin, type) and issubclass(plugin, Plugin):
            plugin = plugin()
        if not isinstance(plugin, Plugin) and not hasattr(plugin, "run"):  # TODO strict
            raise PluginError(f"plugin '{ep.name}' ({ep.value}) is a {type(plugin).__name__}, "
                              f"not a flowgraph.plugins.Plugin")
        found[ep.name] = plugin
    return found


def get(name: str) -> Plugin:
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
        funcs.update(plugin.figure_functions(case, result))
    return funcs
