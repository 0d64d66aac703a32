"""Probability distributions of uncertain inputs: normal, lognormal, triangular, uniform.

A distribution may leave its centre open (mean, median or mode None: the model's nominal
value) and give spreads relative to it ("5%"), so that `Normal(sd="5%")` means "the value
in the model, plus or minus 5 %". `resolve(nominal)` fixes every parameter to a number; a
resolved distribution samples (numpy Generator) and knows its mean and variance in closed
form, which the first-order propagation and the tests use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ModelError

KINDS = ("normal", "lognormal", "triangular", "uniform")


def _number(value, ref, what: str) -> float | None:
    """A number, or a percentage of `ref` ('5%')."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text.endswith("%"):
            raise ModelError(f"{what}: {value!r} is neither a number nor a percentage")
        if ref is None or not math.isfinite(ref):
            raise ModelError(f"{what}: {value!r} is relative, but there is no nominal value")
        try:
            return float(text[:-1]) / 100.0 * abs(ref)
        except ValueError:
            raise ModelError(f"{what}: {value!r} is not a percentage") from None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{what}: {value!r} is not a number") from None
    except OverflowError:
        raise ModelError(f"{what}: {value!r} is beyond the largest number (about "
                         f"1.8e308)") from None
    if not math.isfinite(out):
        raise ModelError(f"{what}: {value!r} is not finite")
    return out


def _centre(value, nominal, what):
    centre = _number(value, nominal, what) if value is not None else nominal
    if centre is None or not math.isfinite(centre):
        raise ModelError(f"{what}: no value given and the model has none to centre on")
    return float(centre)


@dataclass(frozen=True)
class Normal:
    """Normal with mean (default: the nominal value) and standard deviation sd."""

    mean: float | str | None = None
    sd: float | str | None = None
    kind = "normal"

    def resolve(self, nominal: float | None, what: str = "normal") -> Normal:
        m = _centre(self.mean, nominal, f"{what} mean")
        s = _number(self.sd, m, f"{what} sd")
        if s is None or s < 0:
            raise ModelError(f"{what}: sd must be given and >= 0")
        return replace(self, mean=m, sd=s)

    def sample(self, rng, n: int) -> np.ndarray:
        return rng.normal(self.mean, self.sd, n)

    @property
    def expectation(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        return self.sd ** 2


@dataclass(frozen=True)
class Lognormal:
    """Lognormal given by its arithmetic mean and sd, or by median and geometric standard
    deviation gsd (> 1; the value is within median / gsd .. median x gsd with 68 %)."""

    mean: float | str | None = None
    sd: float | str | None = None
    median: float | str | None = None
    gsd: float | None = None
    kind = "lognormal"

    def resolve(self, nominal: float | None, what: str = "lognormal") -> Lognormal:
        if self.gsd is not None:
            med = _centre(self.median, nominal, f"{what} median")
            g = _number(self.gsd, None, f"{what} gsd")
            if med <= 0 or g <= 1:
                raise ModelError(f"{what}: median must be > 0 and gsd > 1")
            mu, sigma = math.log(med), math.log(g)
        else:
            m = _centre(self.mean, nominal, f"{what} mean")
            s = _number(self.sd, m, f"{what} sd")
            if m <= 0 or s is None or s <= 0:
                raise ModelError(f"{what}: mean must be > 0 and sd given and > 0 (or median "
                                 f"and gsd)")
            sigma = math.sqrt(math.log1p((s / m) ** 2))
            mu = math.log(m) - sigma ** 2 / 2
        return _LogParams(mu, sigma)


@dataclass(frozen=True)
class _LogParams:
    """A resolved lognormal: log of the value is normal(mu, sigma)."""

    mu: float
    sigma: float
    kind = "lognormal"

    def resolve(self, nominal, what=""):
        return self

    def sample(self, rng, n: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, n)

    @property
    def expectation(self) -> float:
        return math.exp(self.mu + self.sigma ** 2 / 2)

    @property
    def variance(self) -> float:
        return math.expm1(self.sigma ** 2) * math.exp(2 * self.mu + self.sigma ** 2)

    def __str__(self) -> str:
        return f"lognormal(median {math.exp(self.mu):.6g}, gsd {math.exp(self.sigma):.4g})"


@dataclass(frozen=True)
class Triangular:
    """Triangular on [low, high] with mode (default: the nominal value); or rel = half
    width relative to the mode ('10%')."""

    low: float | str | None = None
    mode: float | str | None = None
    high: float | str | None = None
    rel: float | str | None = None
    kind = "triangular"

    def resolve(self, nominal: float | None, what: str = "triangular") -> Triangular:
        c = _centre(self.mode, nominal, f"{what} mode")
        lo, hi = _bounds(self.low, self.high, self.rel, c, what)
        if not lo <= c <= hi or lo == hi:
            raise ModelError(f"{what}: needs low <= mode <= high and low < high "
                             f"(got {lo:g}, {c:g}, {hi:g})")
        return Triangular(lo, c, hi)

    def sample(self, rng, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)

    @property
    def expectation(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, b, c = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high]; or rel = half width relative to the nominal value."""

    low: float | str | None = None
    high: float | str | None = None
    rel: float | str | None = None
    kind = "uniform"

    def resolve(self, nominal: float | None, what: str = "uniform") -> Uniform:
        centre = nominal if self.rel is not None else None
        lo, hi = _bounds(self.low, self.high, self.rel, centre, what)
        if not lo < hi:
            raise ModelError(f"{what}: needs low < high (got {lo:g}, {hi:g})")
        return Uniform(lo, hi)

    def sample(self, rng, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    @property
    def expectation(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12


def _bounds(low, high, rel, centre, what):
    if rel is not None:
        if low is not None or high is not None:
            raise ModelError(f"{what}: give rel or low and high, not both")
        if centre is None:
            raise ModelError(f"{what}: rel needs a nominal value to be relative to")
        half = _number(rel, centre, f"{what} rel")
        return centre - half, centre + half
    lo = _number(low, centre, f"{what} low")
    hi = _number(high, centre, f"{what} high")
    if lo is None or hi is None:
        raise ModelError(f"{what}: give low and high (or rel)")
    return lo, hi


CLASSES = {"normal": Normal, "lognormal": Lognormal, "triangular": Triangular,
           "uniform": Uniform}


def from_record(rec: dict, what: str = "distribution"):
    """A distribution from a case-file record: dist = name, then its parameters."""
    rec = dict(rec)
    name = rec.pop("dist", None)
    if not isinstance(name, str) or name not in CLASSES:
        raise ModelError(f"{what}: dist must be one of {', '.join(KINDS)}, not {name!r}")
    cls = CLASSES[name]
    fields = set(cls.__dataclass_fields__)
    unknown = set(rec) - fields
    if unknown:
        raise ModelError(f"{what}: {name} takes {', '.join(sorted(fields))}; unknown "
                         f"{', '.join(sorted(unknown))}")
    return cls(**rec)


def describe(dist) -> str:
    """A short text of a resolved distribution, for tables."""
    if isinstance(dist, Normal):
        return f"normal({dist.mean:.6g}, sd {dist.sd:.4g})"
    if isinstance(dist, Triangular):
        return f"triangular({dist.low:.6g}, {dist.mode:.6g}, {dist.high:.6g})"
    if isinstance(dist, Uniform):
        return f"uniform({dist.low:.6g}, {dist.high:.6g})"
    return str(dist)
