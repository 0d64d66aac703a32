"""The synergy plugin: energy-conservation and emission-reduction (ECER) technology systems.

Technologies are scenarios of a case (technology = true, a stage, optional declared links); the
plugin measures each one's effects by re-solving, finds single- and inter-technology synergy
(declared, structural, by interaction), classifies by doc 000's table 1, builds the value-flow
table (its table 2) and the 3-D view. `flowgraph synergy CASE --out DIR` runs it alone;
`flowgraph run` runs it when the case has a [synergy] section. From Python:

    from flowgraph.plugins.synergy import analyse
    a = analyse(case)          # a.value_flow, a.pairs, a.classes, a.figure_3d(), ...
"""

from __future__ import annotations

from ...errors import ExpressionError
from ...model.report import Report
from ..base import Plugin
from .analysis import SynergyAnalysis, synergy_analysis
from .classify import classify, load_rules
from .sections import report
from .settings import OPTIONS, Settings
from .technology import Technology, technologies

__all__ = ["SynergyAnalysis", "SynergyPlugin", "Settings", "Technology", "analyse", "classify",
           "load_rules", "plugin", "technologies"]


class SynergyPlugin(Plugin):
    """Technology synergy of a case's ECER technologies (doc 000's model)."""

    name = "synergy"
    section = "synergy"
    summary = ("technology synergy: effects of each technology by re-solving, single- and "
               "inter-technology synergy (declared, structural, interaction), good/general/poor "
               "classes, value-flow table, 3-D view")
    example = ("examples:\n  flowgraph synergy cases/pvc_carbide --out out/pvc_synergy\n"
               "  flowgraph synergy cases/pvc_carbide --factorial --class-basis interaction")
    options = OPTIONS

    def run(self, case, options: dict, *, scenario: str | None = None,
            embedded: bool = False) -> Report:
        return report(cached_analysis(case, options, scenario))

    def figure_functions(self, case, result) -> dict:
        """synergy(name): a headline figure of the case's synergy analysis (of the base)."""

        def synergy(name):
            figs = cached_analysis(case, self.resolve(case), None).figures
            if name not in figs:
                raise ExpressionError(f"synergy(): no figure '{name}'; figures: "
                                      f"{', '.join(sorted(figs))}")
            return figs[name]

        if not case.section("synergy") and not any(
                sc.meta.get("technology") for sc in case.scenarios.values()):
            return {}
        return {"synergy": synergy}


def analyse(case, scenario: str | None = None, **options) -> SynergyAnalysis:
    """The synergy analysis of the case's technologies on the base (or on `scenario`); options
    as in the [synergy] section, given here over it (factorial=True, class_basis=...)."""
    return synergy_analysis(case, plugin.resolve(case, options), scenario)


def cached_analysis(case, options: dict, scenario: str | None = None) -> SynergyAnalysis:
    """The analysis of a case, computed once per case object, options and scenario (kept on
    the case, so that `flowgraph run` evaluates figures and the report from one set of
    solves)."""
    key = (scenario or "base", repr(sorted(options.items())))
    store = vars(case).setdefault("_synergy_analyses", {})
    if key not in store:
        store[key] = synergy_analysis(case, options, scenario)
    return store[key]


plugin = SynergyPlugin()
