"""`pip install 'mirror360[server]'` brings what README's deployment runs, and the
documented FEEDBACK_RATELIMIT_STORAGE_URI=redis://… works: every command runs with it,
Redis up or not (issue 15, item 2: every command, `feedback db upgrade` included, used
to exit with a configuration error because the redis package was missing)."""

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from redis_support import unreachable_redis_url

ROOT = Path(__file__).resolve().parents[2]


def extras() -> dict[str, list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["optional-dependencies"]


def test_the_server_extra_brings_gunicorn_psycopg_and_the_redis_client():
    server = " ".join(extras()["server"])
    for package in ("gunicorn", "mirror360[postgres]", "limits[redis]"):
        assert package in server
    assert any("mirror360[server]" in item for item in extras()["test"])  # so CI has it
    for module in ("gunicorn", "psycopg", "redis"):  # and the test environment has it
        importlib.import_module(module)


def test_every_command_works_with_a_redis_uri_while_redis_is_down(
    empty_app, database_url, tmp_path
):
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("FEEDBACK_")},
        "FEEDBACK_DATABASE_URL": database_url,
        "FEEDBACK_RATELIMIT_STORAGE_URI": unreachable_redis_url(),
        "FEEDBACK_SECRET_KEY": "x" * 64,
        "FEEDBACK_MAIL_FILE_DIR": str(tmp_path / "mail"),
    }
    feedback = str(Path(sys.executable).parent / "feedback")
    for command in (["db", "upgrade"], ["mail", "send"], ["retention", "apply", "--days", "30"]):
        result = subprocess.run(  # noqa: S603
            [feedback, *command],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, (command, result.stderr[-2000:])


def test_without_the_redis_package_the_app_says_what_to_install(make_app, monkeypatch):
    monkeypatch.setitem(sys.modules, "redis.backoff", None)  # as if not installed
    with pytest.raises(ValueError, match=r"pip install 'mirror360\[server\]'") as raised:
        make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    assert str(raised.value).startswith("FEEDBACK_RATELIMIT_STORAGE_URI:")
