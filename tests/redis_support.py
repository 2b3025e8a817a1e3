"""A Redis for the tests marked ``redis``: the server at ``FEEDBACK_TEST_REDIS_URL``
(``bash scripts/test`` starts a throw-away one and exports it), wiped before each test.
Without it those tests skip, except in CI (``CI`` set), where they fail."""

import os
import socket

import pytest

TEST_REDIS_URL = "FEEDBACK_TEST_REDIS_URL"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unreachable_redis_url() -> str:
    """A redis:// URL on 127.0.0.1 where nothing listens."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def redis_url() -> str:
    """The test Redis's URL, its database emptied first."""
    url = os.environ.get(TEST_REDIS_URL, "").strip()
    if not url:
        reason = f"no Redis: {TEST_REDIS_URL} is not set (bash scripts/test starts one)"
        if in_ci():
            pytest.fail(f"CI is set, so the Redis tests must run: {reason}", pytrace=False)
        pytest.skip(reason)
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.flushdb()
    except redis.RedisError as error:
        pytest.fail(f"{TEST_REDIS_URL}={url} does not answer: {error}", pytrace=False)
    finally:
        client.close()
    return url
