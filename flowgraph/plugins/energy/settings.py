"""The [energy] section of a case file: what is evaluated, against which table, by which rules.

OPTIONS is the plugin's options schema (every key the section may hold); Settings is the
evaluation's view of the resolved options, checked against the case."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import CaseFileError, UnitError, name_list
from ...methods.comprehensive_energy import SYSTEMS
from ...model import units
from ..base import Option
from .inventory import read_equipment, read_meter_kinds, read_meters, read_supplying_plant

ELECTRICITY_HELP = "'equivalent' (0.1229 kgce/kWh), 'case', or an equal value in kgce/kWh"


def electricity_convention(value):
    """'equivalent', 'case', or an equal value as a number of kgce/kWh (given as a number or
    as text with units such as '0.305 kgce/kWh')."""
    if value in ("equivalent", "case"):
        return value
    if isinstance(value, bool):
        raise TypeError(ELECTRICITY_HELP)
    try:
        return float(value)
    except ValueError:
        pass                    # text with units
    try:
        return units.per_unit(value, "kgce", "kWh", "electricity equal value")
    except UnitError as exc:
        raise ValueError(f"{ELECTRICITY_HELP} ({exc})") from None


OPTIONS = (
    Option("product", str, None, "flow id of the product the energy is per", cli=False),
    Option("boundary", list, list(SYSTEMS), "systems inside the boundary (any of "
           f"{', '.join(SYSTEMS)})", choices=SYSTEMS, metavar="SYSTEM"),
    Option("electricity", electricity_convention, "equivalent", ELECTRICITY_HELP),
    Option("working_media", bool, True, "count energy-consuming working media"),
    Option("grade_product", str, "PVC resin", "product row of the grade table", cli=False),
    Option("route", str, "calcium carbide", "production route of the grade table"),
    Option("variant", str, "general-purpose", "product variant of the grade table"),
    Option("grade_table", str, None, "extra grade-table rows (CSV path relative to the case)",
           cli=False),
    Option("coefficients", dict, None, "standard-coal coefficient by carrier (kgce per "
           "carrier unit, or text with units), overriding all else", cli=False, data=True),
    Option("checklist", str, "pvc", "shipped checklist name or a .toml path relative to the "
           "case ('' for none)", cli=False),
    Option("operations", dict, None, "operation = [node ids] for the checklist rules",
           cli=False, data=True),
    Option("carriers", dict, None, "rule carrier name = [carrier names of the case]",
           cli=False, data=True),
    Option("measures", list, [], "scenarios of the case evaluated as improvement measures",
           cli=False),
    Option("equal_values", list, [], "electricity equal values (kgce/kWh) shown as a "
           "sensitivity", cli=False),
    Option("statement", str, "", "the evaluator's statement (clause 9.2 a)", cli=False),
    Option("electricity_carriers", list, [], "more carrier names that are electricity",
           cli=False),
    Option("media_carriers", list, [], "more carrier names that are working media", cli=False),
    Option("meter", list, None, "metering points ([[energy.meter]]: flow, level 1-3, metered)",
           cli=False, data=True),
    Option("equipment", list, None, "key energy-using equipment ([[energy.equipment]]: id, "
           "kind, rated_efficiency, rated_power, model)", cli=False, data=True),
    Option("meter_kinds", dict, None, "carrier name = GB 17167 energy kind, beyond the "
           "shipped names", cli=False, data=True),
    Option("supplying_plant", dict, None, "appendix A.3: the supplying power plant (name, "
           "coal_rate, source, correct_media)", cli=False, data=True),
)


@dataclass
class Settings:
    """Options of an energy-efficiency evaluation (OPTIONS says what each one is), with the
    lists as tuples and the tables as dicts."""

    product: str | None
    grade_product: str
    route: str
    variant: str
    boundary: tuple
    electricity: object
    working_media: bool
    coefficients: dict
    checklist: str
    grade_table: str | None
    measures: tuple
    equal_values: tuple
    operations: dict
    carriers: dict
    statement: str
    electricity_carriers: tuple
    media_carriers: tuple
    #: clause 8 (inventory.py): metering points, equipment, GB 17167 kinds, supplying plant
    meter: object = None
    equipment: object = None
    meter_kinds: dict | None = None
    supplying_plant: dict | None = None

    @classmethod
    def from_options(cls, case, options: dict) -> Settings:
        """Settings from the resolved options (EnergyPlugin.resolve), checked against the case:
        the tables are tables, the measures are scenarios, the product is a flow."""
        where = case.origin("energy")
        raw = dict(options)
        for key in ("coefficients", "operations", "carriers"):
            if raw[key] is None:
                raw[key] = {}
            elif not isinstance(raw[key], dict):
                raise CaseFileError(f"[energy] {key}: give a table ([energy.{key}]), not "
                                    f"{raw[key]!r}", origin=where)
        for key in ("boundary", "measures", "equal_values", "electricity_carriers",
                    "media_carriers"):
            raw[key] = tuple(raw[key])
        missing = [m for m in raw["measures"] if m not in case.scenarios]
        if missing:
            raise CaseFileError(f"[energy]: measure(s) {name_list(missing)} are not scenarios of "
                                f"the case (scenarios: {', '.join(case.scenarios) or 'none'})",
                                origin=where)
        if raw["product"] is not None and raw["product"] not in case.network.flow_frame().index:
            raise CaseFileError(f"[energy]: product '{raw['product']}' is not a flow of the case",
                                origin=where)
        raw["meter"] = read_meters(case, raw["meter"])
        raw["equipment"] = read_equipment(case, raw["equipment"])
        raw["meter_kinds"] = read_meter_kinds(case, raw["meter_kinds"])
        raw["supplying_plant"] = read_supplying_plant(case, raw["supplying_plant"])
        if raw["supplying_plant"] and raw["electricity"] != "equivalent":
            raise CaseFileError(f"[energy]: electricity = {raw['electricity']!r} and "
                                f"[energy.supplying_plant] both set the electricity "
                                f"coefficient; give one", origin=raw["supplying_plant"]["origin"])
        return cls(**raw)

    def energy_options(self) -> dict:
        """Keyword arguments of comprehensive_energy."""
        plant = self.supplying_plant or {}
        return {"product": self.product, "boundary": self.boundary,
                "electricity": plant.get("coal_rate", self.electricity),
                "working_media": self.working_media,
                "coefficients": {**plant.get("media", {}), **self.coefficients},
                "electricity_carriers": self.electricity_carriers,
                "media_carriers": self.media_carriers}
