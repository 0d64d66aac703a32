"""The [energy] section of a case file: what is evaluated, against which table, by which rules."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ...errors import CaseFileError, name_list
from ...methods.comprehensive_energy import SYSTEMS


@dataclass
class Settings:
    """Options of an energy-efficiency evaluation, from [energy] and the command line.

    product: flow id of the product; grade_product/route/variant: the row of the grade table;
    boundary: systems inside; electricity: 'equivalent', 'case' or an equal value (kgce/kWh);
    working_media: count energy-consuming working media; coefficients: {carrier: coefficient};
    checklist: shipped name ('pvc') or TOML path; grade_table: extra grade rows (CSV path);
    measures: scenario names evaluated as improvement measures; equal_values: electricity
    equal values shown as a sensitivity; operations / carriers: names for the checklist rules;
    statement: the evaluation statement (clause 9.2 a); electricity_carriers, media_carriers:
    more carrier names that are electricity or working media.
    """

    product: str | None = None
    grade_product: str = "PVC resin"
    route: str = "calcium carbide"
    variant: str = "general-purpose"
    boundary: tuple = SYSTEMS
    electricity: object = "equivalent"
    working_media: bool = True
    coefficients: dict = field(default_factory=dict)
    checklist: str | None = "pvc"
    grade_table: str | None = None
    measures: tuple = ()
    equal_values: tuple = ()
    operations: dict = field(default_factory=dict)
    carriers: dict = field(default_factory=dict)
    statement: str = ""
    electricity_carriers: tuple = ()
    media_carriers: tuple = ()

    @classmethod
    def from_case(cls, case, **overrides) -> Settings:
        """Settings from the case's [energy] section, then non-None `overrides`."""
        raw = dict(case.section("energy"))
        where = str(case.path / "case.toml") if case.path else case.name
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise CaseFileError(f"[energy]: unknown key(s) {name_list(sorted(unknown))}; known: "
                                f"{', '.join(sorted(known))}", origin=where)
        raw.update({k: v for k, v in overrides.items() if v is not None and k in known})
        if isinstance(raw.get("boundary"), str):
            raw["boundary"] = (raw["boundary"],)
        for key in ("boundary", "measures", "equal_values", "electricity_carriers",
                    "media_carriers"):
            if key in raw:
                raw[key] = tuple(raw[key])
        bad = [b for b in raw.get("boundary", ()) if b not in SYSTEMS]
        if bad:
            raise CaseFileError(f"[energy]: boundary {name_list(bad)} is not a system; use "
                                f"{', '.join(SYSTEMS)}", origin=where)
        missing = [m for m in raw.get("measures", ()) if m not in case.scenarios]
        if missing:
            raise CaseFileError(f"[energy]: measure(s) {name_list(missing)} are not scenarios of "
                                f"the case (scenarios: {', '.join(case.scenarios) or 'none'})",
                                origin=where)
        if raw.get("product") is not None and \
                raw["product"] not in case.network.flow_frame().index:
            raise CaseFileError(f"[energy]: product '{raw['product']}' is not a flow of the case",
                                origin=where)
        return cls(**raw)

    def energy_options(self) -> dict:
        """Keyword arguments of comprehensive_energy."""
        return {"product": self.product, "boundary": self.boundary,
                "electricity": self.electricity, "working_media": self.working_media,
                "coefficients": self.coefficients,
                "electricity_carriers": self.electricity_carriers,
                "media_carriers": self.media_carriers}
