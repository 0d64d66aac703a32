"""The symbiosis plugin's data: the substitution catalogue, parameters, size classes and
energy technologies, read from flowgraph/data (or a case's own files) and checked, so that
no coefficient lives in code. Errors name the file and line."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from ...errors import CaseFileError, UnitError
from ...io.toml import shipped_toml
from ...model import units
from ...model.schema import suggestion
from ...numbers import finite_number

CATALOGUE_FILE = "symbiosis_substitutions.csv"
PARAMETERS_FILE = "symbiosis_parameters.toml"
SIZE_CLASSES_FILE = "symbiosis_size_classes.csv"
ENERGY_FILE = "symbiosis_energy.toml"

CATALOGUE_COLUMNS = ("waste", "waste_aliases", "waste_unit", "replaces", "replaces_aliases",
                     "input_unit", "ratio", "mode", "treatment_cost", "disposal_cost",
                     "input_price", "input_co2", "disposal_co2", "source", "note")
NUMERIC = ("ratio", "treatment_cost", "disposal_cost", "input_price", "input_co2",
           "disposal_co2")


def _data_path(name: str):
    return resources.files("flowgraph") / "data" / name


def merge(base: dict, override: dict | None, where: str = "", origin: str | None = None) -> dict:
    """`base` with `override` laid over it, tables merged key by key (copies, not views).
    Every value given must have the shape of the one it replaces (a table, a number, a
    text): a misspelt key, a text for a number, or a number that is NaN or infinite is a
    CaseFileError naming the key. A new entry of a table of named entries (a fuel, a
    technology) is checked against the keys its siblings have."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        name = f"{where}.{key}" if where else str(key)
        _conform(base, key, value, name, origin)
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value, name, origin)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _conform(base: dict, key, value, name: str, origin) -> None:
    like = base.get(key)
    if like is None:
        entries = [v for v in base.values() if isinstance(v, dict)]
        if entries and len(entries) == len(base) and isinstance(value, dict):
            known = set().union(*entries)      # a new named entry: its siblings' keys
            like = {k: next(e[k] for e in entries if k in e) for k in known}
            bad = sorted(set(value) - known)
            if bad:
                raise CaseFileError(f"{name}: unknown key(s) {', '.join(map(repr, bad))}"
                                    f"{_close(bad[0], known)}", origin=origin)
            for k, v in value.items():
                _conform(like, k, v, f"{name}.{k}", origin)
            return
        raise CaseFileError(f"{name}: unknown key{_close(str(key), base)}; known: "
                            f"{', '.join(map(str, base))}", origin=origin)
    if isinstance(like, dict) != isinstance(value, dict):
        raise CaseFileError(f"{name} must be {'a table' if isinstance(like, dict) else 'a value'}"
                            f", not {value!r}", origin=origin)
    number = isinstance(like, (int, float)) and not isinstance(like, bool)
    if number and like is not None:
        if finite_number(value) is None:
            raise CaseFileError(f"{name} = {value!r} must be a finite number (like the "
                                f"default {like!r})", origin=origin)
        if isinstance(like, int) and not float(value).is_integer():
            raise CaseFileError(f"{name} = {value!r} must be a whole number", origin=origin)
    elif isinstance(like, str) and not isinstance(value, (str, int, float)):
        raise CaseFileError(f"{name} = {value!r} must be a text (like {like!r})", origin=origin)


def _close(key: str, known) -> str:
    return suggestion(key, [str(k) for k in known])


def parameters(override: dict | None = None, origin: str | None = None) -> dict:
    """The plugin's parameters (distance, transport modes, GHG scopes, keystone rule), with a
    case's [symbiosis] values laid over the shipped defaults."""
    return merge(shipped_toml(PARAMETERS_FILE), override, "[symbiosis]", origin)


def energy_data(override: dict | None = None, origin: str | None = None) -> dict:
    """Fuels, technologies and prices of the vintage-stock model, with a case's
    [symbiosis.energy] values laid over the shipped defaults."""
    return merge(shipped_toml(ENERGY_FILE), override, "[symbiosis.energy]", origin)


def size_classes(path=None) -> pd.DataFrame:
    """Efficiency and emission factor of coal units by capacity class (DOMAIN.md section 7)."""
    path = path or _data_path(SIZE_CLASSES_FILE)
    frame = pd.read_csv(str(path))
    frame["max_mw"] = frame["max_mw"].fillna(np.inf)
    return frame.sort_values("min_mw").reset_index(drop=True)


def size_class_efficiency(capacity_mw, classes: pd.DataFrame | None = None) -> np.ndarray:
    """Effective electric efficiency of the size class each capacity falls in (vectorised)."""
    classes = size_classes() if classes is None else classes
    cap = np.atleast_1d(np.asarray(capacity_mw, dtype=float))
    idx = np.searchsorted(classes["min_mw"].to_numpy(), cap, side="right") - 1
    idx = np.clip(idx, 0, len(classes) - 1)
    return classes["electric_efficiency"].to_numpy()[idx]


@dataclass
class Catalogue:
    """Substitutions: a waste, by-product or surplus (by name or alias) and the purchased
    input it can replace, with the replacement ratio (input units per waste unit), transport
    mode, treatment and disposal costs, default input price, and avoided CO2."""

    frame: pd.DataFrame
    path: str

    def names(self, column: str) -> dict:
        """Casefolded name or alias -> canonical name, for 'waste' or 'replaces'."""
        out: dict = {}
        for name, aliases in zip(self.frame[column], self.frame[f"{column}_aliases"]):
            out.setdefault(name.casefold(), name)
            for alias in filter(None, str(aliases or "").split("|")):
                out.setdefault(alias.strip().casefold(), name)
        return out

    def canonical(self, carriers, column: str) -> np.ndarray:
        """For each carrier name, the catalogue's canonical name (column 'waste' or
        'replaces'), or None when the catalogue does not know it."""
        lookup = self.names(column)
        return np.array([lookup.get(str(c).casefold()) for c in carriers], dtype=object)


def load_catalogue(path=None) -> Catalogue:
    """Read and check a substitution catalogue (default: the shipped one)."""
    path = str(path or _data_path(CATALOGUE_FILE))
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"{path}: cannot read the substitution catalogue: {exc}",
                            origin=path) from None
    missing = [c for c in CATALOGUE_COLUMNS if c not in frame.columns]
    if missing:
        raise CaseFileError(f"{path}: the substitution catalogue lacks column(s) "
                            f"{', '.join(missing)}", origin=path)
    for col in NUMERIC:
        values = pd.to_numeric(frame[col].replace("", "0"), errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise CaseFileError(f"{path}:{i + 2}: {col} '{frame[col].iloc[i]}' is not a number "
                                f">= 0", origin=f"{path}:{i + 2}")
        frame[col] = values.astype(float)
    zero = frame["ratio"] <= 0
    if zero.any():
        i = int(np.flatnonzero(zero.to_numpy())[0])
        raise CaseFileError(f"{path}:{i + 2}: ratio must be > 0", origin=f"{path}:{i + 2}")
    for col in ("waste_unit", "input_unit"):
        for i, unit in enumerate(frame[col]):
            try:
                units.parse_unit(unit)
            except UnitError as exc:
                raise CaseFileError(f"{path}:{i + 2}: {col}: {exc}", origin=f"{path}:{i + 2}") \
                    from None
    for name_col, unit_col in (("waste", "waste_unit"), ("replaces", "input_unit")):
        units_of = frame.groupby(name_col)[unit_col].nunique()
        mixed = units_of[units_of > 1]
        if len(mixed):
            name = mixed.index[0]
            rows = (frame[name_col] == name).to_numpy()
            i = int(np.flatnonzero(rows)[1])
            found = ", ".join(sorted(set(frame.loc[rows, unit_col])))
            raise CaseFileError(f"{path}:{i + 2}: '{name}' is measured in more than one "
                                f"{unit_col} ({found}); one unit per {name_col} keeps the "
                                f"allocation's constraints in one unit", origin=f"{path}:{i + 2}")
    frame["line"] = np.arange(len(frame)) + 2
    return Catalogue(frame, path)
