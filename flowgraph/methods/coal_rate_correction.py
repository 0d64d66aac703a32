"""Appendix A.3 of doc 003 (GB/T 2589-2020 table A.3): electricity and energy-consuming working
media by the actual coal rate of the supplying power plant.

Electricity at its equal value (等价值) is the supplying plant's coal rate b (kgce/kWh) instead of
the equivalent value 0.1229. The working-media coefficients of table A.3 are computed at a
reference coal rate b0 = 0.404 kgce/kWh (the table's note, flowgraph/data/energy_clause8.toml);
the note recommends correcting them by last year's actual rate:

    k_medium(b) = k_A3 * b / b0
"""

from __future__ import annotations

import math

from ..errors import ModelError, UnitError
from ..io.toml import shipped_toml
from ..model import units
from ..model.carriers import default_carriers

#: rows of the shipped coefficient table that are table A.3 working media
MEDIA_SOURCE = "table A.3"


def reference() -> tuple[float, str]:
    """The reference coal rate b0 of table A.3 (kgce/kWh) and where it is stated."""
    a3 = shipped_toml("energy_clause8.toml")["a3"]
    return units.per_unit(a3["reference_coal_rate"], "kgce", "kWh", "reference coal rate"), \
        a3["source"]


def coal_rate(value, what: str = "coal rate") -> float:
    """A coal rate in kgce/kWh from a number (kgce/kWh) or text with units
    ('305 gce/kWh'); refused unless finite and positive."""
    try:
        b = units.per_unit(value, "kgce", "kWh", what) if isinstance(value, str) \
            else float(value)
    except (TypeError, ValueError, UnitError) as exc:
        raise ModelError(f"{what} {value!r}: give kgce/kWh as a number or text with units "
                         f"such as '0.305 kgce/kWh' ({exc})") from None
    if isinstance(value, bool) or not math.isfinite(b) or b <= 0:
        raise ModelError(f"{what} {value!r} must be a positive number of kgce/kWh")
    return b


def corrected_media(carrier_names, b: float) -> dict:
    """{case carrier name: corrected coefficient as text with units} for each name that is a
    table A.3 working medium (by name or alias); other names are left out."""
    b0, _ = reference()
    table = {}
    for row in default_carriers():
        if MEDIA_SOURCE not in row["source"]:
            continue
        for alias in [row["name"], *filter(None, row["aliases"].split("|"))]:
            table.setdefault(alias.casefold(), row)
    out = {}
    for name in carrier_names:
        row = table.get(str(name).casefold())
        if row is None:
            continue
        k = units.per_unit(row["tce"], "kgce", row["unit"], str(name))
        out[str(name)] = f"{k * b / b0!r} kgce/{row['unit']}"
    return out
