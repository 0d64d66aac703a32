"""The energy plugin: energy-efficiency evaluation of a plant (GB/T 2589, the PVC standard).

Reads the [energy] section of a case (its keys: settings.OPTIONS), computes the comprehensive
energy consumption within the boundary, the grade, the good-practice checklist and the
improvement measures, and reports them in the sections of clause 9.2. `flowgraph energy CASE
--out DIR` runs it alone; `flowgraph run` runs it when the case has an [energy] section.
"""

from __future__ import annotations

from ...model.report import Report
from ..base import Plugin
from .clauses import report
from .evaluation import Evaluation
from .functions import figure_functions
from .settings import OPTIONS, Settings

__all__ = ["EnergyPlugin", "Evaluation", "Settings", "evaluate", "plugin"]


class EnergyPlugin(Plugin):
    """Energy-efficiency evaluation: comprehensive energy, grade, checklist, report."""

    name = "energy"
    section = "energy"
    summary = ("energy-efficiency evaluation: comprehensive energy consumption (GB/T 2589) per "
               "unit of product, grade, good-practice checklist, clause 9.2 report")
    example = ("examples:\n  flowgraph energy cases/pvc_carbide --out out/pvc_energy\n"
               "  flowgraph energy cases/pvc_carbide --boundary production --electricity 0.329")
    options = OPTIONS

    def settings(self, case, **given) -> Settings:
        """The case's settings with `given` options on top (None = not given)."""
        return Settings.from_options(case, self.resolve(case, given))

    def run(self, case, options: dict, *, scenario: str | None = None,
            embedded: bool = False) -> Report:
        ev = Evaluation.compute(case, Settings.from_options(case, options), scenario)
        return report(ev, embedded=embedded)

    def figure_functions(self, case, result) -> dict:
        """Functions case figures may call, on the result of the figure's scenario."""
        return figure_functions(case, result, lambda **given: self.settings(case, **given))


plugin = EnergyPlugin()


def evaluate(case, scenario: str | None = None, **given) -> Evaluation:
    """The evaluation of the base (or a scenario) of `case`: its [energy] section with the
    `given` options (as `flowgraph energy` takes them) on top."""
    return Evaluation.compute(case, plugin.settings(case, **given), scenario)
