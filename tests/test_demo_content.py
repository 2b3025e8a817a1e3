"""The demo reads like real feedback, and its links work on the port it serves: every
rater's comments are their own (none repeats another's word for word), the word panes
show words about the person, and `feedback demo --port N` prints and mails links to
port N (issue 17, item 6)."""

from collections import Counter

from sqlalchemy import select

from feedback.coaching.models import Cycle
from feedback.demo import BEST, CHANGE, HEADLINES, KEEP, RATERS, seed_demo
from feedback.extensions import db
from feedback.ratings.results import cycle_report
from feedback.vocabulary import CycleState


def test_every_list_has_an_answer_for_every_rater():
    for texts in (KEEP, CHANGE, BEST, HEADLINES):
        assert len(set(texts)) == len(texts) >= len(RATERS)


def test_no_comment_repeats_word_for_word_and_the_panes_are_meaningful(app):
    with app.test_request_context():
        seed_demo()
        cycle = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.CLOSED))
        report = cycle_report(cycle)
    texts = [row["text"] for rows in report.comments_by_question.values() for row in rows]
    texts += report.results.others_headlines
    assert len(texts) > 30
    repeated = [text for text, count in Counter(texts).items() if count > 1]
    assert repeated == []
    shown = {word for words in report.word_lists.values() for word in words}
    for meaningless in ("afternoon", "last", "month", "long", "two", "one"):
        assert meaningless not in shown
    assert {"listen", "credit"} & shown  # what others keep saying about Alex


def test_demo_port_is_in_every_printed_and_mailed_link(empty_app, tmp_path):
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["demo", "--no-serve", "--port", "5123"])
    assert result.exit_code == 0, result.output
    assert "Sign in at http://127.0.0.1:5123/login" in result.output
    mail = "\n".join(
        path.read_text(errors="replace") for path in (tmp_path / "mail").rglob("*.eml")
    )
    assert "http://127.0.0.1:5123/p/" in mail
    assert ":5000" not in mail and "http://localhost/" not in mail
