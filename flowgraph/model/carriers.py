"""Carriers: what a flow carries (a material, an energy carrier, water, an emission).

A carrier knows its unit and its conversion factors per unit (standard coal, CO2, price,
energy content, density, element composition) and, from them, the weight each of its flows
has in each balance layer. Defaults come from data/carriers.csv (GB/T 2589-2020 appendix A).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources

from ..errors import UnitError
from . import units
from .schema import allowed, declared
from .values import (
    Place,
    check_choice,
    check_text,
    checked_number,
    names_list,
    number_table,
    unit_text,
)

KINDS = allowed("carrier", "kind")

#: balance layers a carrier takes part in when it does not say
DEFAULT_LAYERS = {"material": ("mass",), "water": ("mass",), "emission": ("mass",),
                  "energy": ("energy",)}
#: cost category of a carrier's purchase cost when it does not say; water follows
#: GB/T 2589 and the source papers, which count it among energy-consuming working media
DEFAULT_COST_CATEGORY = {"material": "material", "emission": "material",
                         "energy": "energy", "water": "energy"}


#: unit of a carrier declared without one: the base unit of the layer its kind counts in
DEFAULT_UNIT = {"material": "t", "water": "t", "emission": "t", "energy": "GJ"}
#: factors per carrier unit: the numerator each is expressed in
PER_UNIT = {"price": "CNY", "tce": "tce", "co2": "t", "energy_content": "GJ"}


@dataclass
class Carrier:
    """A carrier and its factors; every factor is a plain number per carrier unit."""

    name: str
    kind: str = "material"
    unit: str | None = None              # None: DEFAULT_UNIT of the kind
    label: str | None = None
    price: float | None = None           # CNY per unit
    tce: float | None = None             # tce per unit
    co2: float | None = None             # t CO2 per unit
    density: float | None = None         # t per m3
    energy_content: float | None = None  # GJ per unit
    composition: dict[str, float] = field(default_factory=dict)
    layers: tuple[str, ...] | None = None
    cost_category: str | None = None
    inferred: bool = False               # declared by flowgraph, not by the user
    origin: str | None = None            # file:line it was declared at
    extra: dict = field(default_factory=dict)   # x_ attributes of the user's own
    #: the unit was not given: the default of the kind (said in unit errors)
    unit_defaulted: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self):
        place = Place(f"carrier '{self.name}'", origin=self.origin)
        table = declared("carrier")
        self.kind = check_choice(self.kind, table["kind"], place)
        if self.unit is None:
            self.unit, self.unit_defaulted = DEFAULT_UNIT[self.kind], True
        self.unit = unit_text(check_text(self.unit, "unit", place), place)
        for attr, numerator in PER_UNIT.items():
            setattr(self, attr, self._factor(attr, numerator, self.unit, place))
        self.density = self._factor("density", "t", "m**3", place)
        self.composition = number_table(self.composition or {}, table["composition"], place)
        if sum(self.composition.values()) > 1.0 + 1e-9:
            raise place.error(f"mass fractions sum to {sum(self.composition.values()):g} > 1")
        if self.layers is not None:
            self.layers = names_list(self.layers, "layers", place)
        for attr in ("label", "cost_category"):
            if getattr(self, attr) is not None:
                setattr(self, attr, check_choice(getattr(self, attr), table[attr], place))

    def _factor(self, attr: str, numerator: str, per: str, place: Place) -> float | None:
        """A factor as a checked number of `numerator` per `per` (None: not given)."""
        value = getattr(self, attr)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = units.per_unit(value, numerator, per, attr)
            except UnitError as exc:
                raise place.error(str(exc), UnitError) from None
        return checked_number(value, declared("carrier")[attr], place, per)

    # -- derived -------------------------------------------------------------------------
    @property
    def balance_layers(self) -> tuple[str, ...]:
        """Layers the carrier's flows count in: its own list, or mass/energy by kind, plus
        one layer per element of its composition when it counts in mass."""
        base = self.layers if self.layers is not None else DEFAULT_LAYERS[self.kind]
        extra = tuple(e for e in self.composition if e not in base) if "mass" in base else ()
        return tuple(base) + extra

    @property
    def category(self) -> str:
        """The cost category of the carrier's purchase cost."""
        return self.cost_category or DEFAULT_COST_CATEGORY[self.kind]

    def mass_factor(self, unit: str) -> float | None:
        """Tonnes per `unit` of this carrier, or None if the carrier has no mass in it."""
        dim = units.dimension(unit)
        if dim == "mass":
            return units.factor(unit, "t")
        if dim == "volume" and self.density is not None:
            return units.factor(unit, "m**3") * self.density
        return None

    def energy_factor(self, unit: str) -> float | None:
        """GJ per `unit` of this carrier, or None if it has no known energy content."""
        if units.dimension(unit) == "energy":
            return units.factor(unit, "GJ")
        if self.energy_content is not None:
            return units.factor(unit, self.unit) * self.energy_content
        return None

    def weights(self, unit: str) -> dict[str, float]:
        """Weight of one `unit` of this carrier in each balance layer it counts in.

        A default layer the unit cannot be converted to is left out (oxygen in m3 without a
        density counts in no layer; `flowgraph check` lists such carriers); a layer the user
        listed explicitly must convert, else UnitError.
        """
        out: dict[str, float] = {}
        for layer in self.balance_layers:
            if layer == "mass":
                w = self.mass_factor(unit)
            elif layer == "energy":
                w = self.energy_factor(unit)
            else:
                m = self.mass_factor(unit)
                w = None if m is None else m * self.composition.get(layer, 0.0)
            if w is None and self.layers is None:
                continue
            if w is None:
                raise UnitError(
                    f"carrier '{self.name}' counts in the {layer} layer but '{unit}' cannot be "
                    f"converted to it (give density or energy_content, or set layers)",
                    origin=self.origin)
            out[layer] = w
        return out

    def check_unit(self, unit: str, where: str) -> None:
        """A flow's unit must measure what the carrier's unit measures."""
        if units.dimension(unit) != units.dimension(self.unit):
            said = f", the default unit of {self.kind} carriers: declare the carrier's unit" \
                if self.unit_defaulted else ""
            raise UnitError(f"{where}: unit '{unit}' is a {units.dimension(unit)}, but carrier "
                            f"'{self.name}' is measured in '{self.unit}' "
                            f"({units.dimension(self.unit)}{said})")

    def to_record(self) -> dict:
        """The carrier as a plain dict of its non-empty user-facing fields (for saving)."""
        rec = {}
        for f in fields(self):
            if f.name in ("inferred", "origin", "extra", "unit_defaulted"):
                continue
            v = getattr(self, f.name)
            if v is None or v == {}:
                continue
            rec[f.name] = list(v) if isinstance(v, tuple) else v
        return {**rec, **self.extra}

    def with_changes(self, **changes) -> Carrier:
        """A copy with some fields changed (factors re-validated)."""
        return replace(self, **changes)


@cache
def _table() -> dict[str, dict]:
    path = resources.files("flowgraph") / "data" / "carriers.csv"
    out: dict[str, dict] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[row["name"].casefold()] = row
            for alias in filter(None, row["aliases"].split("|")):
                out.setdefault(alias.casefold(), row)
    return out


def table_carrier(name: str) -> Carrier | None:
    """The carrier of data/carriers.csv called `name` (or an alias), named as asked; else None."""
    row = _table().get(name.casefold())
    if row is None:
        return None
    return Carrier(name=name, kind=row["kind"], unit=row["unit"],
                   tce=row["tce"] or None, energy_content=row["energy_content"] or None,
                   density=float(row["density"]) if row["density"] else None, inferred=True)


def default_carriers() -> list[dict]:
    """The shipped coefficient table as records: name, kind, unit, tce, source, note."""
    seen, out = set(), []
    for row in _table().values():
        if row["name"] not in seen:
            seen.add(row["name"])
            out.append(dict(row))
    return out


def infer_carrier(name: str, unit: str | None) -> Carrier:
    """A carrier used before it was declared: from the data table, else from the flow's unit."""
    found = table_carrier(name)
    if found is not None:
        return found
    if unit is None:
        return Carrier(name=name, inferred=True)
    dim = units.dimension(unit)
    kind = {"mass": "material", "energy": "energy", "volume": "material"}.get(dim)
    if kind is None:
        raise UnitError(f"carrier '{name}' is not declared and its unit '{unit}' "
                        f"({dim}) says nothing about what it is: declare it with add_carrier")
    return Carrier(name=name, kind=kind, unit=unit, inferred=True)
