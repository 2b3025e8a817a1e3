"""SQLite's writers wait in line on a lock file beside the database (a rater's submit
does): the turn is kept until the transaction ends, whether it commits or rolls back,
and the next writer gets it as soon as it is given back."""

import fcntl
import threading
from pathlib import Path

import pytest
from security_support import answers
from support import csrf_token

from feedback import database
from feedback.extensions import db


@pytest.fixture
def line_file(app) -> Path:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's files only")
        return Path(db.engine.url.database + database.WRITERS_LINE_SUFFIX)


def _turn_is_free(line_file: Path) -> bool:
    """Whether another writer could take the turn now (without waiting for it)."""
    with open(line_file, "ab") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(probe, fcntl.LOCK_UN)
        return True


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_writer_keeps_its_turn_until_its_transaction_ends(app, line_file, end):
    with app.app_context():
        database.wait_in_line_to_write()
        database.wait_in_line_to_write()  # a second call in the same transaction: no wait
        assert not _turn_is_free(line_file)
        getattr(db.session, end)()
        assert _turn_is_free(line_file)


def test_the_next_writer_gets_its_turn_when_the_first_is_done(app, line_file):
    order = []
    started = threading.Event()

    def second_writer():
        with app.app_context():
            started.set()
            database.wait_in_line_to_write()
            order.append("second in")
            db.session.rollback()

    with app.app_context():
        database.wait_in_line_to_write()
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert started.wait(5)
        thread.join(0.3)  # it waits as long as the first keeps the turn
        assert thread.is_alive()
        order.append("first done")
        db.session.commit()
    thread.join(5)
    assert not thread.is_alive()
    assert order == ["first done", "second in"]
    assert _turn_is_free(line_file)


def test_a_raters_submit_waits_in_line_and_gives_the_turn_back(
    app, line_file, open_cycle, rater_link, browser, monkeypatch
):
    taken = []
    real_flock = fcntl.flock

    def flock(file, operation):
        if file.name == str(line_file):
            taken.append(operation)
        return real_flock(file, operation)

    monkeypatch.setattr(database.fcntl, "flock", flock)
    page = browser.get(rater_link)
    submitted = browser.post(
        rater_link,
        data={"csrf_token": csrf_token(page.text), "action": "submit", **answers()},
    )
    assert submitted.status_code == 302, submitted.text
    assert taken == [fcntl.LOCK_EX]
    assert _turn_is_free(line_file)
