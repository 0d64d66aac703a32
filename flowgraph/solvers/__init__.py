"""Solvers: balance (quantities), propagate (value), mfca, energy; results and checks."""

from .result import Result, compare

__all__ = ["Result", "compare"]
