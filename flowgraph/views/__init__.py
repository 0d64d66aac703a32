"""Interactive HTML views and reports."""
