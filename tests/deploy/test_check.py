"""`feedback check`: one line per thing a production instance is missing or has wrong,
with what to do; exit 1 when there is any, 0 when there is none, 2 for bad usage
(issue 15, item 6). Each finding is tested from a healthy instance with one thing
changed."""

import secrets

import pytest
from click.testing import CliRunner
from deploy_support import stamp
from redis_support import free_port, unreachable_redis_url
from sqlalchemy import MetaData, text

from feedback.__main__ import cli
from feedback.extensions import db


def healthy() -> dict:
    """Settings with nothing to find (with WEB_CONCURRENCY=1 and a migrated database)."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BASE_URL": "https://feedback.example.org",
        "MAIL_BACKEND": "smtp",
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture
def check(app, make_app, monkeypatch):
    """``check(**settings)``: build an instance from the healthy settings changed by
    ``settings`` on the test database (its tables made by ``app``, at the migrations'
    head unless ``revision`` says otherwise) and run `feedback check`: the exit code and
    the lines it printed."""
    monkeypatch.setenv("WEB_CONCURRENCY", "1")

    def run(*, revision: str | None = "heads", **settings) -> tuple[int, list[str]]:
        instance = make_app(**{**healthy(), **settings})
        if revision:
            stamp(instance, revision)
        result = instance.test_cli_runner().invoke(args=["check"])
        with instance.app_context():
            db.engine.dispose()
        return result.exit_code, result.stdout.splitlines()

    return run


def test_a_healthy_instance_has_nothing_to_report(check):
    code, lines = check()
    assert code == 0, lines
    assert lines == ["All well: nothing found missing or wrong for production."]


def one_finding(result: tuple[int, list[str]], *words: str) -> str:
    code, lines = result
    assert code == 1, lines
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0]
    return lines[0]


def test_no_secret_key(check):
    line = one_finding(check(SECRET_KEY=None), "FEEDBACK_SECRET_KEY is not set", "secret_key")
    assert "secrets.token_urlsafe(48)" in line  # what to do


@pytest.mark.parametrize(
    "key",
    [
        "change-me-to-something-long-and-random-please",
        "our-very-SECRET-session-signing-key-2024!",
        "example" * 6,
    ],
)
def test_a_placeholder_secret_key(check, key):
    one_finding(check(SECRET_KEY=key), "FEEDBACK_SECRET_KEY is a placeholder")


@pytest.mark.parametrize("key", ["short0Ke!y", "ab" * 30])
def test_a_weak_secret_key(check, key):
    one_finding(check(SECRET_KEY=key), "FEEDBACK_SECRET_KEY is weak")


def test_a_base_url_on_http(check):
    line = one_finding(check(BASE_URL="http://feedback.example.org"), "FEEDBACK_BASE_URL")
    assert "https://" in line


def test_the_file_mail_backend(check):
    one_finding(check(MAIL_BACKEND="file"), "FEEDBACK_MAIL_BACKEND is file", "smtp")


def test_the_development_mailbox(check):
    one_finding(check(DEV_MAILBOX=True), "FEEDBACK_DEV_MAILBOX is on")


@pytest.mark.parametrize("workers", [None, "4"])
def test_memory_counts_when_several_workers_are_likely(check, monkeypatch, database_url, workers):
    if workers is None:
        monkeypatch.delenv("WEB_CONCURRENCY")
    else:
        monkeypatch.setenv("WEB_CONCURRENCY", workers)
    code, lines = check()
    assert code == 1
    memory = [line for line in lines if line.startswith("FEEDBACK_RATELIMIT_STORAGE_URI")]
    assert len(memory) == 1, lines
    assert "memory://" in memory[0]
    assert "redis://" in memory[0]  # what to do
    # SQLite is the other thing several processes do not share well.
    assert len(lines) == (2 if database_url.startswith("sqlite") else 1), lines


def test_sqlite_when_several_processes_are_likely(check, monkeypatch, tmp_path):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    code, lines = check(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'one.sqlite3'}")
    assert code == 1
    sqlite = [line for line in lines if line.startswith("FEEDBACK_DATABASE_URL is SQLite")]
    assert len(sqlite) == 1, lines
    assert "PostgreSQL" in sqlite[0]
    assert "one.sqlite3" in sqlite[0]


def test_an_unreachable_redis(check):
    store = unreachable_redis_url().replace("redis://", "redis://:hunter22@")
    line = one_finding(check(RATELIMIT_STORAGE_URI=store), "FEEDBACK_RATELIMIT_STORAGE_URI")
    assert "does not answer" in line
    assert "nobody can sign in" in line
    assert "hunter22" not in line


@pytest.mark.redis
def test_a_reachable_redis_with_several_workers(check, monkeypatch, database_url, redis_url):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    code, lines = check(RATELIMIT_STORAGE_URI=redis_url)
    if database_url.startswith("sqlite"):  # the one finding left: SQLite
        assert code == 1
        assert [line.split(" ")[0] for line in lines] == ["FEEDBACK_DATABASE_URL"], lines
    else:
        assert code == 0, lines
        assert lines[0].startswith("All well")


def test_a_database_behind_the_migrations(check):
    one_finding(check(revision="0008"), "at 0008, not at the code's", "Run `feedback db upgrade`")


def test_a_database_without_tables(check, app):
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        db.engine.dispose()
    one_finding(check(revision=None), "no tables", "feedback db upgrade")


def test_a_database_migrated_by_newer_code(check, app):
    stamp(app, "heads")
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    one_finding(check(revision=None), "f00dfeed", "newer version")


def test_a_database_that_does_not_answer(check):
    url = f"postgresql+psycopg://mirror:hunter22@127.0.0.1:{free_port()}/mirror"
    line = one_finding(
        check(SQLALCHEMY_DATABASE_URI=url, revision=None), "FEEDBACK_DATABASE_URL", "not answer"
    )
    assert "hunter22" not in line


def test_every_finding_at_once_one_line_each(check, monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY")
    code, lines = check(
        SECRET_KEY=None,
        BASE_URL="http://127.0.0.1:5000",
        MAIL_BACKEND="file",
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://u:p@127.0.0.1:{free_port()}/x",
        revision=None,
    )
    assert code == 1
    assert [line.split(" ")[0].rstrip(":") for line in lines] == [
        "FEEDBACK_SECRET_KEY",
        "FEEDBACK_BASE_URL",
        "FEEDBACK_MAIL_BACKEND",
        "FEEDBACK_RATELIMIT_STORAGE_URI",
        "FEEDBACK_DATABASE_URL",
    ]


def test_bad_usage_exits_2(app, monkeypatch):
    assert app.test_cli_runner().invoke(args=["check", "--no-such-option"]).exit_code == 2
    # A setting that cannot be used at all stops every command with its name.
    monkeypatch.setenv("FEEDBACK_BASE_URL", "ftp://feedback.example.org")
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    assert "FEEDBACK_BASE_URL" in result.output
