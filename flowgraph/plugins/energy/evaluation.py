"""An energy-efficiency evaluation of a case: comprehensive energy, grade, checklist, measures.

Everything the report of clause 9.2 shows is computed here, as numbers and DataFrames; the
report module only lays it out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ...errors import placed
from ...methods.comprehensive_energy import CLASSES, EnergyAccount, comprehensive_energy
from ...methods.energy_grades import Grade, grade, grade_table
from . import clause8 as clause_8
from .checklist import MET, NA, NOT_MET, evaluate_checklist, load_rules
from .settings import Settings


@dataclass
class Evaluation:
    """The evaluation of one scenario (base by default) of a case."""

    case: object
    settings: Settings
    scenario: str | None
    account: EnergyAccount
    grade: Grade | None
    checklist: pd.DataFrame | None
    checklist_meta: dict = field(default_factory=dict)

    @classmethod
    def compute(cls, case, settings: Settings, scenario: str | None = None) -> Evaluation:
        """Evaluate the base (or a scenario) of `case` with `settings`."""
        result = case.result(scenario)
        with placed(case.origin("energy", "boundary")):
            account = comprehensive_energy(result, **settings.energy_options())
        checklist, meta = None, {}
        if settings.checklist:
            with placed(case.origin("energy", "checklist")):
                meta, rules = load_rules(settings.checklist,
                                         folder=case.folder("energy", "checklist"))
            checklist = evaluate_checklist(result, rules, route=settings.route,
                                           operations=settings.operations,
                                           carriers=settings.carriers)
        return cls(case, settings, scenario, account, grade_of(account, settings, case),
                   checklist, meta)

    @property
    def result(self):
        return self.case.result(self.scenario)

    # -- headline figures ------------------------------------------------------------------
    def figures(self) -> dict:
        """Headline figures by name (summary.json): energy, level, gaps, checklist counts."""
        a, g = self.account, self.grade
        out = {"energy_kgce_per_t": a.per_unit, "energy_total_tce": a.total_tce}
        if g is not None:
            out.update({
                "energy_level": g.level if g.level is not None else math.nan,
                "energy_grade": g.label,
                "gap_to_benchmark_kgce_per_t": g.gap_to_benchmark,
                "gap_to_baseline_kgce_per_t": g.gap_to_baseline,
                "gap_to_benchmark_tce_per_yr": g.gap_tce("benchmark"),
                "gap_to_baseline_tce_per_yr": g.gap_tce("baseline")})
        if self.checklist is not None:
            counts = self.checklist["status"].value_counts()
            out.update({"checklist_met": int(counts.get(MET, 0)),
                        "checklist_not_met": int(counts.get(NOT_MET, 0)),
                        "checklist_not_applicable": int(counts.get(NA, 0))})
        out.update(self.clause8.figures())
        return out

    @cached_property
    def clause8(self) -> clause_8.Clause8:
        """Doc 003 clause 8: metering coverage, equipment, compliance (clause8.py)."""
        return clause_8.compute(self)

    # -- tables ----------------------------------------------------------------------------
    @cached_property
    def measures(self) -> pd.DataFrame:
        """Each improvement-measure scenario: its energy, the saving and the level reached."""
        rows = []
        base = self.account
        for name in self.settings.measures:
            acc = comprehensive_energy(self.case.result(name), **self.settings.energy_options())
            g = self._grade(acc)
            meta = self.case.scenario(name).meta
            rows.append({"measure": name, "clause": meta.get("clause", ""),
                         "description": meta.get("description", ""),
                         "energy_kgce_per_t": acc.per_unit,
                         "saving_kgce_per_t": base.per_unit - acc.per_unit,
                         "saving_tce_per_yr": base.total_tce - acc.total_tce,
                         "grade": g.label if g is not None else ""})
        return pd.DataFrame(rows, columns=["measure", "clause", "description", "energy_kgce_per_t",
                                           "saving_kgce_per_t", "saving_tce_per_yr",
                                           "grade"]).set_index("measure")

    @cached_property
    def suggestions(self) -> pd.DataFrame:
        """The checklist items not met, with the measure each suggests."""
        if self.checklist is None:
            return pd.DataFrame(columns=["clause", "requirement", "measure"])
        c = self.checklist
        return c.loc[c["status"] == NOT_MET, ["clause", "system", "requirement", "measure"]]

    @cached_property
    def variants(self) -> pd.DataFrame:
        """The same result under other boundaries and conventions (sensitivity, annex)."""
        s = self.settings
        opts = s.energy_options()
        cases = [("as evaluated", {})]
        systems = list(s.boundary)
        for k in range(1, len(systems)):
            cases.append((f"boundary: {' + '.join(systems[:k])}", {"boundary": systems[:k]}))
        for v in s.equal_values:
            cases.append((f"electricity at equal value {v} kgce/kWh", {"electricity": v}))
        cases.append(("working media not counted", {"working_media": False}))
        rows = []
        for label, change in cases:
            acc = comprehensive_energy(self.result, **{**opts, **change})
            g = self._grade(acc)
            rows.append({"variant": label, "boundary": " + ".join(acc.boundary),
                         "electricity": acc.conventions["electricity"],
                         "working_media": acc.conventions["working_media"],
                         "total_tce": acc.total_tce, "kgce_per_t": acc.per_unit,
                         "grade": g.label if g is not None else ""})
        return pd.DataFrame(rows).set_index("variant")

    @cached_property
    def documentation(self) -> pd.DataFrame:
        """Clause 7.1: the documents an evaluation needs, and what the flowsheet provides."""
        r = self.result
        nodes = r.nodes
        inner = nodes[~nodes["kind"].isin(["source", "sink"])]
        res = r.residuals
        closed = res[res["closed"]]
        worst = float(closed["residual"].abs().max()) if len(closed) else 0.0
        spec = r.flows["spec"].value_counts()
        with_measures = []
        if "measures" in r.network.node_frame().columns:
            m = r.network.node_frame()["measures"]
            with_measures = [i for i, v in m.items() if isinstance(v, (list, tuple)) and v]
        a = self.account
        rows = [
            ("7.1.1", "process flow, technology, capacity, output",
             f"flowsheet of {len(inner)} centres and utilities, {len(r.flows)} flows; output "
             f"{a.product_quantity:,.6g} {a.product_unit} per {a.period}" if a.product else
             f"flowsheet of {len(inner)} centres and utilities, {len(r.flows)} flows"),
            ("7.1.2", "material and energy balance tables or network diagram",
             f"{len(closed)} balances closed at {closed['node'].nunique()} nodes, largest "
             f"residual {worst:.3g} (annex)"),
            ("7.1.3", "main energy-using equipment and measures",
             f"{len(with_measures)} nodes list measures: {', '.join(with_measures)}"
             if with_measures else "no node lists its equipment measures"),
            ("7.1.4", "unit energy consumption and comprehensive energy",
             f"{len(a.by_carrier)} carriers cross the boundary (table in f)"),
            ("7.1.5", "energy metering",
             f"{int(spec.get('quantity', 0))} flows given, {int(spec.get('per', 0))} by unit "
             f"consumption, {int(spec.get('share', 0))} by transfer coefficient, "
             f"{int(spec.get('unknown', 0))} closed by balances"),
        ]
        return pd.DataFrame(rows, columns=["clause", "document", "provided by the flowsheet"]
                            ).set_index("clause")

    @cached_property
    def data_collected(self) -> pd.DataFrame:
        """Every flow crossing the boundary with how its quantity is known and its coefficient."""
        f = self.account.flows
        spec = self.result.flows["spec"].reindex(f.index).map(
            {"quantity": "given", "per": "unit consumption", "share": "transfer coefficient",
             "unknown": "balance"})
        out = f[["direction", "carrier", "class", "source", "target", "quantity", "unit",
                 "coefficient_kgce_per_unit", "coefficient_source", "kgce"]].copy()
        out.insert(6, "how known", spec)
        order = pd.Categorical(out["class"], categories=CLASSES, ordered=True)
        return out.assign(_o=order, _k=-out["kgce"].abs()).sort_values(
            ["_o", "_k"], kind="stable").drop(columns=["_o", "_k"])

    def tables(self) -> dict:
        """Every table of the evaluation by name (written as CSV)."""
        a = self.account
        out = {"flows": a.flows, "by_carrier": a.by_carrier, "by_node": a.by_node,
               "by_system": a.by_system, "variants": self.variants,
               "documentation": self.documentation}
        if self.grade is not None:
            out["grade"] = self.grade.table()
        if self.checklist is not None:
            out["checklist"] = self.checklist
        if len(self.settings.measures):
            out["measures"] = self.measures
        out.update(self.clause8.tables())
        return out

    def _grade(self, account: EnergyAccount) -> Grade | None:
        return grade_of(account, self.settings, self.case)


def grade_of(account: EnergyAccount, settings: Settings, case) -> Grade | None:
    """The grade of an account by the settings' row of the grade table (and the case's extra
    rows); None without a product or grade-table row."""
    if not settings.grade_product or not account.product or not math.isfinite(account.per_unit):
        return None
    extra = None
    if settings.grade_table:
        path = settings.grade_table
        extra = case.folder("energy", "grade_table").resolve(path)
    table = grade_table(extra) if extra is not None else None
    return grade(account.per_unit, product=settings.grade_product, route=settings.route,
                 variant=settings.variant, output=account.product_quantity, table=table)
