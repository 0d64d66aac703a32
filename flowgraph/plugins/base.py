"""The plugin contract: what every analysis on top of the core declares and returns.

A plugin is an instance of a Plugin subclass with

- `name` (the command: `flowgraph NAME CASE`), `summary` (one line), `example` (--help text);
- `section`: the case-file table it reads ([energy], [synergy], ...); a case that has it makes
  `flowgraph run` include the plugin (then run with embedded=True: its blocks join a report
  that already shows the flow graph, Sankey diagrams and MFCA matrix);
- `options`: its options schema, a tuple of Option. Options are read one way: the defaults,
  then the case's section, then the command line (or keywords in Python), converted and
  checked against the schema; a key of the section that is not in the schema is refused
  by name ("did you mean ...?"), with the file and line of the section;
- `run(case, options, scenario=None, embedded=False) -> Report`: the analysis, returning a
  Report (flowgraph.model.report), plain data that the views render. A plugin never imports
  views, the application layer or the CLI; it receives the case (CaseLike below);
- optionally `figure_functions(case, result)`: functions case figures may call.

Plugins register through the `flowgraph.plugins` entry-point group (docs/plugins.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from ..errors import CaseFileError, PluginError
from ..model.report import Report
from ..model.schema import suggestion


class CaseLike(Protocol):
    """What a plugin may use of the case it runs on (flowgraph.app.case.Case)."""

    name: str
    network: Any
    scenarios: dict
    figures: list
    sections: dict
    path: Any
    allow: tuple
    origins: Any                # a case file's header lines (origins(kind, k)); None else
    scenario_origins: dict      # scenario name -> (where it is given, where its edits are)

    def section(self, name: str) -> dict: ...
    def origin(self, section: str | None = None, key: str | None = None) -> str | None: ...
    def folder(self, section: str, key: str) -> Any: ...
    def scenario(self, name: str) -> Any: ...
    def network_for(self, scenario: str | None = None) -> Any: ...
    def result(self, scenario: str | None = None) -> Any: ...
    def solve(self, network: Any, **options) -> Any: ...
    def figure_values(self, results=None) -> list: ...
    def figure_model(self) -> Any: ...


@dataclass(frozen=True)
class Option:
    """One option of a plugin: its key (in the case section and in Python; `--key-with-
    dashes` on the command line), type, default, help and allowed choices.

    type: str, int, float, bool, list (of str; `nargs='+'` on the command line), or any
    callable converting a value (raising ValueError or TypeError when it cannot). `cli`
    False keeps an option to the case file (structured data such as a table of inputs);
    `data` True marks a key that is the plugin's data rather than an option: accepted in the
    section as it is, checked by the plugin itself."""

    name: str
    type: Callable | type = str
    default: Any = None
    help: str = ""
    choices: tuple | None = None
    cli: bool = True
    data: bool = False
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def convert(self, value, where: str, origin: str | None, error=PluginError):
        """The value as this option's type; `error` (a FlowgraphError class) naming where it
        was given when it cannot be."""
        if value is None or self.data:
            return value
        try:
            value = _convert(self.type, value)
        except (TypeError, ValueError, OverflowError) as exc:   # OverflowError: 1e400-digit ints
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            raise error(f"{where} {shown} is not a valid {_type_name(self.type)}"
                        f"{': ' + str(exc) if str(exc) else ''}", origin=origin) from None
        items = value if isinstance(value, list) else [value]
        if self.choices is not None and any(v not in self.choices for v in items):
            bad = next(v for v in items if v not in self.choices)
            raise error(f"{where} {bad!r} is not one of {', '.join(map(str, self.choices))}",
                        origin=origin)
        return value


def _convert(kind, value):
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ValueError("give true or false")
    if kind is list:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise TypeError("give a list")
        return list(value)
    if kind in (int, float) and isinstance(value, bool):
        raise TypeError("give a number")
    if kind is str and isinstance(value, (bool, list, tuple, dict)):
        raise TypeError("give text")            # str() would make 'True' or '[...]' of it
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ValueError("give a whole number")
    return kind(value)


def _type_name(kind) -> str:
    return {str: "text", int: "whole number", float: "number", bool: "true/false",
            list: "list"}.get(kind, getattr(kind, "__name__", "value").replace("_", " "))


class Plugin:
    """Base class of every plugin (see the module docstring for the contract)."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    example: ClassVar[str] = ""
    section: ClassVar[str | None] = None
    options: ClassVar[tuple[Option, ...]] = ()
    #: whether the command takes --scenario (the plugin runs on a scenario of the case)
    scenarios: ClassVar[bool] = True
    #: the error raised for a bad key or value in the plugin's case-file section
    section_error: ClassVar[type] = CaseFileError

    def run(self, case: CaseLike, options: dict, *, scenario: str | None = None,
            embedded: bool = False) -> Report:
        raise NotImplementedError(f"plugin '{self.name}' does not implement run()")

    def figure_functions(self, case: CaseLike, result) -> dict:
        """Functions case figures may call, bound to `case` and `result` (none by default)."""
        return {}

    # -- options, read one way ------------------------------------------------------------
    def resolve(self, case: CaseLike, given: dict | None = None) -> dict:
        """The options: defaults, then the case's section, then `given` (None = not given),
        each converted and checked; unknown keys are refused by name."""
        schema = {o.name: o for o in self.options}
        out = {o.name: o.default for o in self.options}
        section = case.section(self.section) if self.section else {}
        origin = case.origin(self.section) if self.section else None
        unknown = [key for key in section if key not in schema]
        if unknown:
            raise self.section_error(
                f"[{self.section}]: unknown key(s) {', '.join(repr(k) for k in unknown)}"
                f"{_did_you_mean(unknown[0], schema)}; known: {', '.join(schema) or 'none'}",
                origin=origin)
        for key, value in section.items():
            out[key] = schema[key].convert(value, f"[{self.section}] {key}", origin,
                                           self.section_error)
        for key, value in (given or {}).items():
            if value is None:
                continue
            if key not in schema:
                raise PluginError(f"plugin '{self.name}': unknown option '{key}'"
                                  f"{_did_you_mean(key, schema)}; options: "
                                  f"{', '.join(schema) or 'none'}")
            out[key] = schema[key].convert(value, f"option {schema[key].flag}", None)
        return out

    def report(self, case: CaseLike, scenario: str | None = None, *, embedded: bool = False,
               **given) -> Report:
        """Resolve the options and run: the call for Python users and the application."""
        return self.run(case, self.resolve(case, given), scenario=scenario, embedded=embedded)

    def add_arguments(self, parser) -> None:
        """Command-line options from the schema (argparse); booleans as --x / --no-x."""
        import argparse
        for opt in self.options:
            if not opt.cli:
                continue
            kw: dict = {"dest": opt.name, "default": None, "help": _help(opt)}
            if opt.type is bool:
                kw["action"] = argparse.BooleanOptionalAction
            elif opt.type is list:
                kw.update(nargs="+", metavar=opt.metavar or "VALUE")
                if opt.choices:
                    kw["choices"] = opt.choices
            else:
                if opt.type in (int, float):
                    kw["type"] = opt.type
                if opt.choices:
                    kw["choices"] = opt.choices
                if opt.metavar:
                    kw["metavar"] = opt.metavar
            parser.add_argument(opt.flag, **kw)


def _help(opt: Option) -> str:
    text = opt.help
    if opt.default not in (None, "", [], ()) and opt.type is not bool:
        shown = ", ".join(map(str, opt.default)) if isinstance(opt.default, (list, tuple)) \
            else opt.default
        text += f" (default: {shown})"
    return text.replace("%", "%%")


def _did_you_mean(key: str, known) -> str:
    return suggestion(key, list(known))
