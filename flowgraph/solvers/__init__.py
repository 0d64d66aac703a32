"""The numerics: balance (quantities), propagation (value), reconciliation, sampling; the
Solver that owns the factorisations of a network structure, and the Result snapshot."""

from .result import Result, compare
from .solver import Solver

__all__ = ["Result", "Solver", "compare"]
