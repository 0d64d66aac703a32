"""The Case: a network with its scenarios, headline figures, plugin settings and file origins.

What `flowgraph run` and every plugin work on. It is read from a case folder by io (plain
data) and holds one Solver, so the base and every scenario of the case share their
factorisations; results are solved once and kept.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CaseFileError, FlowgraphError, ModelError
from ..io.casefile import Origins, read_case
from ..io.casekeys import FIGURE_KEYS
from ..io.casesave import write_case
from ..io.paths import CaseFolder
from ..model.network import Network
from ..model.scenario import Scenario
from ..model.schema import is_free
from ..solvers.sampling import FigureModel
from ..solvers.solver import Solver
from .figures import evaluate_figures


@dataclass
class Figure:
    """A headline figure of a case: an expression over a result, its unit, published value."""

    name: str
    expr: str
    unit: str = ""
    published: float | None = None
    scenario: str | None = None
    note: str = ""
    origin: str | None = None

    def to_record(self) -> dict:
        rec = {"name": self.name, "expr": self.expr}
        for key in FIGURE_KEYS[2:]:
            v = getattr(self, key)
            if v not in (None, ""):
                rec[key] = v
        return rec


@dataclass
class Case:
    """A network with its scenarios, headline figures and plugin sections (case.toml)."""

    network: Network
    scenarios: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    sections: dict = field(default_factory=dict)
    path: Path | None = None
    section_origins: dict = field(default_factory=dict)
    #: folders besides the case's own that the files it names may be in (fg.load(allow=))
    allow: tuple = ()
    origins: Origins | None = None
    #: the file the case was read from (case.toml, a workbook, a flat table)
    file: Path | None = None
    #: scenario name -> (where it is given, where each of its edits is given)
    scenario_origins: dict = field(default_factory=dict)

    def __post_init__(self):
        self.allow = CaseFolder.of(self.path, self.allow).allow
        self.figures = [f if isinstance(f, Figure) else Figure(**f) for f in self.figures]
        self.solver = Solver(self.network, strict=bool(self.network.meta.get("strict", True)))
        self._results: dict = {}

    def __repr__(self) -> str:
        return (f"<Case '{self.name}': {len(self.network.node_frame())} nodes, "
                f"{len(self.network.flow_frame())} flows, {len(self.scenarios)} scenarios, "
                f"{len(self.figures)} figures>")

    @property
    def name(self) -> str:
        return self.network.name

    def section(self, name: str) -> dict:
        """A plugin's section of case.toml ({} if absent)."""
        return self.sections.get(name, {})

    def origin(self, section: str | None = None, key: str | None = None) -> str | None:
        """The file:line of a key of a section, of the section's header, or the case
        file, for messages."""
        if key is not None and self.origins is not None and section in self.section_origins:
            if f"{section}.{key}" in self.origins.lines:       # a table of its own
                return self.origins(f"{section}.{key}")
            return self.origins.key(section, 0, key)
        if section is not None and section in self.section_origins:
            return self.section_origins[section]
        if self.file is not None:
            return str(self.file)
        return str(self.path / "case.toml") if self.path is not None else None

    def folder(self, section: str, key: str) -> CaseFolder:
        """Where a file named by `key` of the case's [section] is looked for: the case
        folder (or an allowed one); names leading elsewhere are refused, naming the key."""
        return CaseFolder.of(self.path, self.allow).named(f"[{section}] {key}",
                                                          self.origin(section, key))

    def scenario(self, name: str) -> Scenario:
        try:
            return self.scenarios[name]
        except KeyError:
            known = ", ".join(self.scenarios) or "none"
            raise ModelError(f"case '{self.name}' has no scenario '{name}' (scenarios: {known})",
                             origin=self.origin()) from None

    def network_for(self, scenario: str | None = None) -> Network:
        """The base network, or a new network with the named scenario applied."""
        if scenario in (None, "base"):
            return self.network
        try:
            return self.network.apply(self.scenario(scenario))
        except FlowgraphError as exc:
            self._place(exc, scenario)
            raise

    def _place(self, exc: FlowgraphError, scenario: str) -> None:
        """An error applying a scenario names where its edit is given (a workbook's edits
        cell), or where the scenario is when the error names no place."""
        where, edits = self.scenario_origins.get(scenario, (None, []))
        k = getattr(exc, "edit", 0) - 1
        place = edits[k] if 0 <= k < len(edits) else (where if exc.origin is None else None)
        if place is not None:
            exc.origin = place
            exc.args = (f"{place}: {exc}",)

    def result(self, scenario: str | None = None):
        """The solved result of the base or a scenario (solved once, then kept).

        A case whose [case] table says `strict = false` is solved as far as its data go:
        flows nothing determines are left unknown (NaN) instead of raising (a park network
        whose exchanges are mostly unquantified, for example)."""
        key = scenario or "base"
        if key not in self._results:
            net = self.network_for(scenario)
            try:
                self._results[key] = self.solver.solve(net, scenario=key)
            except FlowgraphError as exc:       # a record an edit added has no line of its own
                if key != "base":
                    self._place(exc, scenario)
                raise
        return self._results[key]

    def solve(self, network: Network | None = None, **options):
        """Solve the base network afresh, or another network derived from it (an edited
        copy), with the case's solver, so that it reuses the case's factorisations."""
        return self.solver.solve(network if network is not None else self.network, **options)

    def figure_values(self, results=None) -> list[dict]:
        """Every headline figure: name, value, unit, published, deviation, scenario, expr;
        on `results` (Result by scenario name) instead of the solved ones if given."""
        return evaluate_figures(self, results=results)

    def figure_model(self) -> FigureModel:
        """The figures as the sampling engine takes them (solvers.sampling.FigureModel)."""
        return FigureModel(self.figures, self.network_for,
                           lambda results: self.figure_values(results), self.figure_values)

    def save(self, path, tables: bool | str = "auto") -> Path:
        """Write the case as a folder (case.toml plus CSV tables when large), or as a
        workbook when `path` ends in .xlsx, with the files its sections name in its folder
        (an index system, a checklist...)."""
        source = CaseFolder.of(self.path, self.allow) if self.path is not None else None
        if is_workbook(path):
            from ..io.bookwrite import write_workbook
            return write_workbook(self.network, path, scenarios=list(self.scenarios.values()),
                                  figures=[f.to_record() for f in self.figures],
                                  sections=self.sections, source=source)
        return write_case(self.network, path, scenarios=list(self.scenarios.values()),
                          figures=[f.to_record() for f in self.figures],
                          sections=self.sections, tables=tables, source=source)


def is_workbook(path) -> bool:
    """Whether `path` names an Excel workbook (.xlsx, .xlsm)."""
    return Path(path).suffix.lower() in (".xlsx", ".xlsm")


def load_case(path, allow=()) -> Case:
    """Read a case folder (or its case.toml), a case workbook (.xlsx) or a flat flows table
    (.csv) as a Case; the files it names must be in its folder or in one of the `allow`
    folders."""
    if is_workbook(path):
        from ..io.workbook import read_workbook
        data = read_workbook(path, allow)
    elif Path(path).suffix.lower() == ".csv":
        from ..io.flat import read_flat
        data = read_flat(path, allow)
    else:
        data = read_case(path, allow)
    _check_sections(data)
    seen: dict = {}
    for fig in data.figures:            # a figure names a scenario of the case, or none
        if fig["name"] in seen:         # figure('x') and summary.json read figures by name
            raise CaseFileError(f"figure '{fig['name']}' is given twice (first at "
                                f"{seen[fig['name']]}): give each figure its own name",
                                origin=fig.get("origin"))
        seen[fig["name"]] = fig.get("origin")
        name = fig.get("scenario")
        if name not in (None, "base") and name not in data.scenarios:
            raise CaseFileError(f"figure '{fig['name']}': scenario {name!r} is not a scenario "
                                f"of the case (scenarios: {', '.join(data.scenarios) or 'none'})",
                                origin=fig.get("origin"))
    return Case(data.network, data.scenarios, data.figures, data.sections, data.path,
                data.section_origins, data.folder.allow, data.origins, data.file,
                data.scenario_origins)


#: sections the application itself reads (periods, sweeps)
APP_SECTIONS = ("time", "sweep")


def _check_sections(data) -> None:
    """A section named like an installed plugin's, or the application's, but not it (a
    misspelling, [valustream]) is refused: it would be read by nothing, silently. Other
    sections are kept (a plugin not installed here, a table of the user's own)."""
    from .registry import available
    unsure = [n for n in data.sections if n not in APP_SECTIONS and not is_free(n)]
    if not unsure:                              # no plugin need be loaded to know
        return
    plugins = available()
    known = [*APP_SECTIONS, *(p.section for p in plugins.values() if p.section)]
    for name in unsure:
        if name in known:
            continue
        close = [plugins[name].section] if name in plugins and plugins[name].section else \
            difflib.get_close_matches(str(name), known, n=1, cutoff=0.8)   # [evaluate]
        if close:
            raise CaseFileError(f"[{name}] is not a section any part of flowgraph reads; did "
                                f"you mean [{close[0]}]? (a section of your own takes the "
                                f"prefix x_)", origin=data.section_origins.get(name))


def save_case(obj, path, tables: bool | str = "auto") -> Path:
    """Write a Case or a bare Network as a case folder, or as a workbook when `path` ends
    in .xlsx; returns the case.toml (or workbook) path."""
    if isinstance(obj, Case):
        return obj.save(path, tables=tables)
    if is_workbook(path):
        from ..io.bookwrite import write_workbook
        return write_workbook(obj, path)
    return write_case(obj, path, tables=tables)
