"""The functions [[figure]] expressions of a case may call: comprehensive energy, grade and
checklist of the result of the figure's scenario, under the case's [energy] options or the
ones a call gives.

Each takes `settings(**given)`: the case's Settings with the given options on top."""

from __future__ import annotations

import math

from ...errors import ExpressionError
from ...methods.comprehensive_energy import comprehensive_energy
from ...model import units
from .checklist import STATUSES, evaluate_checklist, load_rules
from .evaluation import grade_of


def figure_functions(case, result, settings) -> dict:
    """Every energy function, bound to `case` and `result`."""
    return {**account_functions(result, settings), **grade_functions(case, result, settings),
            "energy_checklist": checklist_function(case, result, settings)}


def account_functions(result, settings) -> dict:
    """energy_intensity, energy_total and energy_carrier."""

    def account(boundary=None, electricity=None, working_media=None, product=None):
        s = settings(boundary=boundary, electricity=electricity, working_media=working_media,
                     product=product)
        return comprehensive_energy(result, **s.energy_options())

    def energy_intensity(boundary=None, electricity=None, working_media=None, product=None):
        """kgce per unit of product within the boundary."""
        return account(boundary, electricity, working_media, product).per_unit

    def energy_total(unit="tce", boundary=None, electricity=None, working_media=None):
        """Comprehensive energy per period in `unit` (tce, kgce, GJ, ...)."""
        return account(boundary, electricity, working_media).total_kgce * \
            units.factor("kgce", unit)

    def energy_carrier(carrier, boundary=None, electricity=None, working_media=None):
        """kgce per unit of product of one carrier (net of exports)."""
        acc = account(boundary, electricity, working_media)
        if carrier not in acc.by_carrier.index:
            raise ExpressionError(f"energy_carrier(): no carrier '{carrier}' crosses the "
                                  f"boundary; crossing: {', '.join(acc.by_carrier.index)}")
        return float(acc.by_carrier.at[carrier, "kgce_per_unit"])

    return {"energy_intensity": energy_intensity, "energy_total": energy_total,
            "energy_carrier": energy_carrier}


def grade_functions(case, result, settings) -> dict:
    """energy_level, energy_grade and energy_gap."""

    def grade(boundary=None, electricity=None, working_media=None):
        s = settings(boundary=boundary, electricity=electricity, working_media=working_media)
        g = grade_of(comprehensive_energy(result, **s.energy_options()), s, case)
        if g is None:
            raise ExpressionError("energy grade: the case's [energy] section names no "
                                  "product flow or grade table row")
        return g

    def energy_level(boundary=None, electricity=None, working_media=None):
        """Grade level reached (1 best), NaN when the value fails the limit."""
        g = grade(boundary, electricity, working_media)
        return float(g.level) if g.level is not None else math.nan

    def energy_grade(boundary=None, electricity=None, working_media=None):
        """'level N' or 'fails the limit'."""
        return grade(boundary, electricity, working_media).label

    def energy_gap(to="benchmark", unit="kgce/t", boundary=None, electricity=None,
                   working_media=None):
        """value - limit of benchmark, baseline or 'level N', in kgce/t or tce/yr."""
        g = grade(boundary, electricity, working_media)
        if unit in ("tce/yr", "tce"):
            return g.gap_tce(to)
        return g.gap(to) * units.factor(g.unit, unit)

    return {"energy_level": energy_level, "energy_grade": energy_grade,
            "energy_gap": energy_gap}


def checklist_function(case, result, settings):
    """energy_checklist."""

    def energy_checklist(status="met"):
        """How many checklist items have `status` (met, not met, not applicable)."""
        if status not in STATUSES:
            raise ExpressionError(f"energy_checklist(): status must be one of "
                                  f"{', '.join(STATUSES)}")
        s = settings()
        if not s.checklist:
            raise ExpressionError("energy_checklist(): the case's [energy] section sets "
                                  "checklist = '' (no checklist)")
        _, rules = load_rules(s.checklist, folder=case.folder("energy", "checklist"))
        table = evaluate_checklist(result, rules, route=s.route, operations=s.operations,
                                   carriers=s.carriers)
        return float((table["status"] == status).sum())

    return energy_checklist
