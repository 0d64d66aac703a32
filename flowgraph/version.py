"""The version of flowgraph (one place; the package face re-exports it)."""

__version__ = "0.1.0"
