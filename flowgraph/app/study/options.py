"""What a sweep is asked to do, read one way: the `[sweep]` section of a case, then the
keywords of `fg.sweep` (or the command line), through the plugins' options schema
(plugins/base.py): unknown keys are refused with "did you mean" and the file:line.

    [sweep]
    scenarios = "all"            # or ["base", "more recycling"]
    draws = 500                  # Monte Carlo over the [uncertainty] inputs
    seed = 7
    chunk = 50                   # runs per chunk (default: a few seconds of work)
    target = "unit_cost"         # the figure of the tornado chart (default: the first)
    keep = { flows = ["pigment"], columns = ["quantity", "cost"] }

    [sweep.grid]                 # parameter = its options; the runs are their product
    "flow:ore:price" = [250, 300, 350]
    "carrier:electricity:price" = [0.6, 0.7, 0.8]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ModelError
from ...io.paths import CaseFolder
from ...io.toml import key_line, read_toml
from ...model.schema import suggestion as _did_you_mean
from ...plugins.base import Option, Plugin
from ...plugins.montecarlo import whole_number
from ...solvers.batch import COLUMNS
from . import params as P

#: columns of the runs table a figure cannot be called (they hold the run's identity)
FIXED_COLUMNS = ("run", "chunk", "kind", "scenario", "draw", "status", "error")


def scenario_names(value):
    """'all', or scenario names (a list, or text with commas)."""
    if isinstance(value, str):
        return "all" if value.strip() == "all" else \
            [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError("give 'all' or a list of scenario names")


def grid_table(value):
    """A table of parameter -> options (a list of numbers, or one number)."""
    if not isinstance(value, dict):
        raise ValueError("give a table of parameter = [options]")
    return {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in value.items()}


def keep_table(value):
    """A list of flow ids, or a table of figures, flows and columns."""
    if isinstance(value, (list, tuple)):
        return {"flows": list(value)}
    if isinstance(value, dict):
        return dict(value)
    raise ValueError("give a list of flows or a table {figures, flows, columns}")


def positive(value) -> int:
    """A whole number >= 1."""
    if isinstance(value, bool) or not float(value).is_integer() or value < 1:
        raise ValueError("give a whole number >= 1")
    return int(value)


class SweepSettings(Plugin):
    """The [sweep] section's schema (read by Plugin.resolve; never run as a plugin)."""

    name = "sweep"
    section = "sweep"
    options = (
        Option("scenarios", scenario_names, None, "'all' or scenario names"),
        Option("grid", grid_table, None, "parameter = [options]", cli=False),
        Option("draws", int, None, "Monte Carlo draws"),
        Option("seed", whole_number, None, "random seed (a whole number >= 0)"),
        Option("chunk", positive, None, "runs per chunk"),
        Option("keep", keep_table, None, "what each run stores", cli=False),
        Option("target", str, None, "figure of the tornado chart"),
    )


SETTINGS = SweepSettings()


@dataclass
class Keep:
    """What each run stores: headline figures (values of the runs table) and columns of
    chosen flows (the flows table)."""

    figures: list
    flows: list = field(default_factory=list)
    columns: list = field(default_factory=lambda: ["quantity"])


def resolve(case, given: dict) -> dict:
    """The options: the case's [sweep] section, then the keywords given (None: not given)."""
    return SETTINGS.resolve(case, given)


def origin(case, key: str) -> str | None:
    return case.origin("sweep", key) if "sweep" in case.sections else None


def scenario_axis(case, value) -> list | None:
    """The scenario names of the sweep ('base' for the base), or None for no scenario axis."""
    if value is None:
        return None
    names = ["base", *case.scenarios] if value == "all" else list(value)
    known = ["base", *case.scenarios]
    for name in names:
        if name not in known:
            raise ModelError(f"sweep: case '{case.name}' has no scenario '{name}'"
                             f"{_did_you_mean(name, known)} (scenarios: "
                             f"{', '.join(known)})", origin=origin(case, "scenarios"))
    if len(set(names)) != len(names):
        raise ModelError(f"sweep: scenarios named twice in {names}",
                         origin=origin(case, "scenarios"))
    return names


def grid_axis(case, grid, where: dict | None = None) -> list:
    """[(parameter, [values])]: each parameter checked against the network, each value a
    number in its domain; `where` gives the file:line of a parameter's key."""
    if not grid:
        return []
    out, seen = [], set()
    for key, options in grid.items():
        at = (where or {}).get(key) or _grid_line(case, key)
        inp = P.parse(key, case.network, at)
        if not options:
            raise ModelError(f"grid parameter '{key}' has no options", origin=at)
        if (inp.kind, inp.id, inp.attribute) in seen:
            raise ModelError(f"grid parameter '{key}' is given twice", origin=at)
        seen.add((inp.kind, inp.id, inp.attribute))
        out.append((inp, [P.check_value(inp, v, at) for v in options]))
    return out


def _grid_line(case, key) -> str | None:
    if getattr(case, "origins", None) is None or not isinstance(key, str):
        return origin(case, "grid")
    line = key_line(case.origins.text, "sweep.grid", 0, key)
    return f"{case.origins.file}:{line}" if line else origin(case, "grid")


def read_grid_file(case, name) -> tuple[dict, dict]:
    """A grid TOML file (parameter = [options] at its top level), found inside the case
    folder or an allowed one; (grid, file:line of each key)."""
    path = Path(name)
    if not path.is_absolute() and path.exists():      # a name given from where one stands
        path = path.resolve()
    resolved = CaseFolder.of(case.path, case.allow).named("--grid", None).resolve(path)
    if not resolved.is_file():
        raise ModelError(f"--grid {name}: no such file ({resolved})")
    data, text = read_toml(resolved, ModelError)
    grid = data.get("grid", data) if set(data) == {"grid"} else data
    header = "grid" if grid is not data else None
    where = {}
    for key in grid:
        line = key_line(text, header, 0, key)
        where[key] = f"{resolved}:{line}" if line else str(resolved)
    try:
        return grid_table(grid), where
    except ValueError as exc:
        raise ModelError(f"{resolved}: {exc}", origin=str(resolved)) from None


def keep_spec(case, value, explicit_figures: bool = False) -> Keep:
    """What each run stores, checked by name: figures of the case evaluated on the base
    (default: all of them), flows of the network, flows columns."""
    at = origin(case, "keep")
    value = dict(value or {})
    unknown = [k for k in value if k not in ("figures", "flows", "columns")]
    if unknown:
        raise ModelError(f"keep: unknown key '{unknown[0]}'"
                         f"{_did_you_mean(unknown[0], ['figures', 'flows', 'columns'])} "
                         f"(figures, flows, columns)", origin=at)
    names = [f.name for f in case.figures]
    excluded = _on_scenarios(case)
    figures = value.get("figures", "all")
    figures = [n for n in names if n not in excluded] if figures == "all" \
        else _as_list(figures)
    for name in figures:
        if name in excluded:
            raise ModelError(f"keep: figure '{name}' is evaluated on a scenario (or uses one "
                             f"that is); a sweep evaluates figures on each run's own result: "
                             f"sweep the scenario instead (scenarios=[...])", origin=at)
        if name not in names:
            raise ModelError(f"keep: the case has no figure '{name}'"
                             f"{_did_you_mean(name, names)}", origin=at)
        if name in FIXED_COLUMNS:
            raise ModelError(f"keep: a figure called '{name}' clashes with the column of "
                             f"that name of the runs table", origin=at)
    flows = [_flow(case.network, f, at) for f in _as_list(value.get("flows", []))]
    columns = _as_list(value.get("columns", ["quantity"]))
    for col in columns:
        if col not in COLUMNS:
            raise ModelError(f"keep: flows have no column '{col}'{_did_you_mean(col, COLUMNS)} "
                             f"(columns: {', '.join(COLUMNS)})", origin=at)
    return Keep(figures, flows, columns)


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def _flow(net, ident, at):
    return P.target_id("flow", ident, net, "keep", at)


def _on_scenarios(case) -> set:
    """Figures evaluated on a scenario, and figures that call figure() of one of them."""
    out = {f.name for f in case.figures if f.scenario not in (None, "base")}
    grew = True
    while grew:
        grew = False
        for f in case.figures:
            called = set(re.findall(r"figure\(\s*['\"]([^'\"]+)['\"]", f.expr))
            if f.name not in out and called & out:
                out.add(f.name)
                grew = True
    return out
