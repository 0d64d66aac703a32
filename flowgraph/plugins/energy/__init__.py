"""The energy plugin: energy-efficiency evaluation of a plant (GB/T 2589, the PVC standard).

Reads the [energy] section of a case (see settings.py), computes the comprehensive energy
consumption within the boundary, the grade, the good-practice checklist and the improvement
measures, and reports them in the sections of clause 9.2. `flowgraph energy CASE --out DIR`
runs it alone; `flowgraph run` runs it when the case has an [energy] section.
"""

from __future__ import annotations

import math

from ...errors import ExpressionError
from ...methods.comprehensive_energy import SYSTEMS, comprehensive_energy
from ...model import units
from ...model.report import Report
from .checklist import STATUSES, evaluate_checklist, load_rules
from .clauses import sections
from .evaluation import Evaluation, _grade_of, evaluate
from .settings import Settings

__all__ = ["EnergyPlugin", "Evaluation", "Settings", "evaluate", "plugin"]


class EnergyPlugin:
    """Energy-efficiency evaluation: comprehensive energy, grade, checklist, report."""

    name = "energy"
    section = "energy"
    summary = ("energy-efficiency evaluation: comprehensive energy consumption (GB/T 2589) per "
               "unit of product, grade, good-practice checklist, clause 9.2 report")
    example = ("examples:\n  flowgraph energy cases/pvc_carbide --out out/pvc_energy\n"
               "  flowgraph energy cases/pvc_carbide --boundary production --electricity 0.329")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scenario", help="evaluate this scenario of the case")
        parser.add_argument("--boundary", nargs="+", choices=SYSTEMS,
                            help="systems inside the boundary (default: the case's, else all)")
        parser.add_argument("--electricity",
                            help="'equivalent' (0.1229 kgce/kWh), 'case', or an equal value "
                                 "in kgce/kWh")
        parser.add_argument("--no-working-media", dest="working_media", action="store_const",
                            const=False, default=None,
                            help="do not count energy-consuming working media")
        parser.add_argument("--route", help="production route of the grade table")
        parser.add_argument("--variant", help="product variant of the grade table")

    def run(self, case, scenario: str | None = None, **options) -> Report:
        embedded = bool(options.pop("embedded", False))
        options = _cli_options(options)
        ev = evaluate(case, scenario, **options)
        figs = ev.figures()
        a = ev.account
        text = (f"{case.name} [{scenario or 'base'}]: {a.per_unit:,.2f} {a.unit_label}, "
                f"{a.total_tce:,.6g} tce/{a.period} within {' + '.join(a.boundary)}")
        if ev.grade is not None:
            g = ev.grade
            text += (f"; {g.label} ({g.route}, {g.variant}); gap to benchmark "
                     f"{g.gap_to_benchmark:+,.2f} {g.unit} ({g.gap_tce('benchmark'):+,.6g} "
                     f"tce/{a.period})")
        if "checklist_met" in figs:
            text += (f"; checklist {figs['checklist_met']} met, {figs['checklist_not_met']} not "
                     f"met, {figs['checklist_not_applicable']} not applicable")
        return Report("energy", tables=ev.tables(), figures=figs, summary=text,
                      sections=sections(ev, embedded=embedded),
                      title=f"Energy-efficiency evaluation: {case.name} [{scenario or 'base'}]")

    def figure_functions(self, case, result) -> dict:
        """Functions case figures may call, on the result of the figure's scenario."""

        def _account(boundary=None, electricity=None, working_media=None, product=None):
            s = Settings.from_case(case, boundary=boundary, electricity=electricity,
                                   working_media=working_media, product=product)
            return s, comprehensive_energy(result, **s.energy_options())

        def energy_intensity(boundary=None, electricity=None, working_media=None, product=None):
            """kgce per unit of product within the boundary."""
            return _account(boundary, electricity, working_media, product)[1].per_unit

        def energy_total(unit="tce", boundary=None, electricity=None, working_media=None):
            """Comprehensive energy per period in `unit` (tce, kgce, GJ, ...)."""
            acc = _account(boundary, electricity, working_media)[1]
            return acc.total_kgce * units.factor("kgce", unit)

        def energy_carrier(carrier, boundary=None, electricity=None, working_media=None):
            """kgce per unit of product of one carrier (net of exports)."""
            acc = _account(boundary, electricity, working_media)[1]
            if carrier not in acc.by_carrier.index:
                raise ExpressionError(f"energy_carrier(): no carrier '{carrier}' crosses the "
                                      f"boundary; crossing: {', '.join(acc.by_carrier.index)}")
            return float(acc.by_carrier.at[carrier, "kgce_per_unit"])

        def _grade(boundary=None, electricity=None, working_media=None):
            s, acc = _account(boundary, electricity, working_media)
            g = _grade_of(acc, s, case)
            if g is None:
                raise ExpressionError("energy grade: the case's [energy] section names no "
                                      "product flow or grade table row")
            return g

        def energy_level(boundary=None, electricity=None, working_media=None):
            """Grade level reached (1 best), NaN when the value fails the limit."""
            g = _grade(boundary, electricity, working_media)
            return float(g.level) if g.level is not None else math.nan

        def energy_grade(boundary=None, electricity=None, working_media=None):
            """'level N' or 'fails the limit'."""
            return _grade(boundary, electricity, working_media).label

        def energy_gap(to="benchmark", unit="kgce/t", boundary=None, electricity=None,
                       working_media=None):
            """value - limit of benchmark, baseline or 'level N', in kgce/t or tce/yr."""
            g = _grade(boundary, electricity, working_media)
            if unit in ("tce/yr", "tce"):
                return g.gap_tce(to)
            return g.gap(to) * units.factor(g.unit, unit)

        def energy_checklist(status="met"):
            """How many checklist items have `status` (met, not met, not applicable)."""
            if status not in STATUSES:
                raise ExpressionError(f"energy_checklist(): status must be one of "
                                      f"{', '.join(STATUSES)}")
            s = Settings.from_case(case)
            _, rules = load_rules(s.checklist or "pvc", folder=case.path)
            table = evaluate_checklist(result, rules, route=s.route, operations=s.operations,
                                       carriers=s.carriers)
            return float((table["status"] == status).sum())

        return {"energy_intensity": energy_intensity, "energy_total": energy_total,
                "energy_carrier": energy_carrier, "energy_level": energy_level,
                "energy_grade": energy_grade, "energy_gap": energy_gap,
                "energy_checklist": energy_checklist}


def _cli_options(options: dict) -> dict:
    """Command-line values as settings: an electricity equal value given as text -> number."""
    out = {k: v for k, v in options.items() if v is not None}
    e = out.get("electricity")
    if isinstance(e, str) and e not in ("equivalent", "case"):
        try:
            out["electricity"] = float(e)
        except ValueError:
            pass      # a string with units ('0.305 kgce/kWh') is parsed by the solver
    return out


plugin = EnergyPlugin()
