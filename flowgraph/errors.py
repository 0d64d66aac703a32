"""Every error a user can cause is a FlowgraphError that names what is wrong and where.

Messages name the node, the flow, and the file and line the item came from (when it came
from a case file), so a user can go straight to the offending line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class FlowgraphError(Exception):
    """Base of all errors caused by user input or by a model that cannot be solved."""

    def __init__(self, message: str, *, nodes: Iterable = (), flows: Iterable = (),
                 origin: str | None = None, key: str | None = None):
        """key: the attribute of the record at fault (a reader points to its line)."""
        self.nodes = list(nodes)
        self.flows = list(flows)
        if origin is not None and not isinstance(origin, str):   # a Path; NaN of a frame
            origin = None if origin != origin else str(origin)
        self.origin = origin or None
        self.key = key
        if origin and origin not in message:
            message = f"{origin}: {message}"
        super().__init__(message)

    def place(self, where: str | None) -> None:
        """Name `where` (file:line) in the message, if the error names no place yet."""
        if self.origin is None and where:
            self.origin = where
            self.args = (f"{where}: {self}",)


@contextmanager
def placed(where: str | None) -> Iterator[None]:
    """Errors raised inside name `where` when their own message names no place (a method
    knows the node or flow at fault; the caller knows the case line it came from)."""
    try:
        yield
    except FlowgraphError as exc:
        exc.place(where)
        raise


class ModelError(FlowgraphError):
    """The network as given is malformed: unknown node, duplicate id, bad share, bad value."""


class UnitError(ModelError):
    """A unit that does not parse or has the wrong dimension for its carrier."""


class CaseFileError(FlowgraphError):
    """A case file or table that does not parse or does not follow the case format."""


class BalanceError(FlowgraphError):
    """The balance equations cannot be solved as stated."""


class UnderdeterminedError(BalanceError):
    """Some flows are fixed by no specification and no balance."""


class InconsistentError(BalanceError):
    """More equations than unknowns, and the data contradict each other."""

    def __init__(self, message: str, *, residuals=None, **kw):
        self.residuals = residuals
        super().__init__(message, **kw)


class SingularError(BalanceError):
    """A block of the system has no unique solution, typically a closed loop with no exit."""


class NegativeFlowError(BalanceError):
    """The balances force a flow below zero: what is fixed to leave a node (or go into its
    stock) exceeds what enters it. `values` maps each such flow id to its computed quantity."""

    def __init__(self, message: str, *, values=None, **kw):
        self.values = dict(values or {})
        super().__init__(message, **kw)


class StockError(BalanceError):
    """A stock carried over periods would fall below zero: more leaves it than it holds, or
    a stock series falls faster than its cohorts leave."""


class NonFiniteError(FlowgraphError):
    """A computed quantity or propagated value is infinite or NaN: it overflows the range
    of floating-point numbers (about 1.8e308)."""


class AllocationError(FlowgraphError):
    """Value flow cannot be allocated at a node (no output carries the allocation key)."""


class ExpressionError(FlowgraphError):
    """A formula of the safe expression language is malformed or uses an unknown name."""


class PluginError(FlowgraphError):
    """A plugin is missing or failed on its input."""


def name_list(items: Iterable, limit: int = 8) -> str:
    """Quote items for a message, at most `limit` of them: 'a', 'b' and 3 more."""
    items = [str(i) for i in items]
    shown = ", ".join(f"'{i}'" for i in items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown
