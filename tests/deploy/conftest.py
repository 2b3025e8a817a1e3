"""Fixtures of the deployment tests (deploy/, `feedback check`, the [server] extra)."""

from redis_support import redis_url  # noqa: F401  (tests marked redis)
