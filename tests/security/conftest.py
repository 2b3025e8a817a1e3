"""Fixtures of the security tests; their helpers live in security_support.py, which
the tests import by that name (every folder's conftest would be "conftest")."""

from redis_support import redis_url  # noqa: F401  (tests marked redis)
from security_support import rater_link, serve, sqlite_file  # noqa: F401
