"""Fixtures of the dashboard tests; their helpers live in dashboard_support.py, which
the tests import by that name (every folder's conftest would be "conftest")."""

from dashboard_support import _fresh_cache, closed_cycle  # noqa: F401
