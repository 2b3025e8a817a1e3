"""On SQLite, a closed cycle's drafts are gone from the files, not only from the rows
(issue 14, item 6): the write-ahead log kept old versions of an invite row, the rater's
email beside their draft and its comments, until they happened to be overwritten."""

from pathlib import Path

from security_support import answers
from sqlalchemy import text
from support import csrf_token

from feedback.extensions import db

SECRET_COMMENT = "Zebra-unicorn-draft-7731 says the coachee shouts in meetings"


def _files(database: Path) -> dict[str, bytes]:
    return {
        path.name: path.read_bytes()
        for path in (database, Path(f"{database}-wal"))
        if path.exists()
    }


def test_the_pragmas_are_on(app, sqlite_file):
    with app.app_context():
        assert db.session.scalar(text("PRAGMA secure_delete")) == 1
        assert 0 < db.session.scalar(text("PRAGMA journal_size_limit")) <= 4 * 1024 * 1024


def test_a_submitted_draft_is_gone_from_the_files_once_the_cycle_closes(
    app, sqlite_file, open_cycle, rater_link, browser, coach_browser
):
    page = browser.get(rater_link)
    saved = browser.post(
        rater_link,
        data={
            "csrf_token": csrf_token(page.text),
            "action": "save",
            **answers(change=SECRET_COMMENT),
        },
    )
    assert saved.status_code == 302, saved.text
    page = browser.get(rater_link)
    submitted = browser.post(
        rater_link,
        data={
            "csrf_token": csrf_token(page.text),
            "action": "submit",
            **answers(change="Kinder words, on second thought."),
        },
    )
    assert submitted.status_code == 302, submitted.text
    url = f"/cycles/{open_cycle['cycle_id']}"
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302
    for name, content in _files(sqlite_file).items():
        assert SECRET_COMMENT.encode() not in content, name
    wal = Path(f"{sqlite_file}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
