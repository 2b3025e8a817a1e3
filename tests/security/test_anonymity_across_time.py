"""Anonymity across time (DESIGN §3 "Across time"; issue 13, part 2).

The attack: close a cycle with seven raters, reopen it, let one more peer answer,
close again; the difference between the two showings would be that one peer's
answers. Late answers now wait until they make sets of at least k per statement and
shown group: one late peer changes nothing shown; with k of them, they all join.
"""

import factories
from factories import ITEMS
from sqlalchemy import func, select

from feedback.coaching.models import Cycle
from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.raters import services as raters
from feedback.ratings.answers import Answers
from feedback.ratings.held import held_answers
from feedback.ratings.models import Response
from feedback.ratings.results import cycle_report
from feedback.timeutil import today

SEVEN = {"boss": 1, "peer": 3, "subordinate": 3}


def answer(invites, first_score: int) -> None:
    """Each invite answers, scores spread over the scale, a comment of its own."""
    for n, invite in enumerate(invites):
        scores = {item: 1 + (first_score + n + i) % 5 for i, item in enumerate(ITEMS)}
        raters.submit(invite, Answers(scores=scores, texts={"keep": f"Comment {first_score + n}"}))


def close_and_show(cycle: Cycle):
    """Close ``cycle`` and return what the coach sees: the statements' figures and the
    comments, and what waits."""
    lifecycle.close_cycle(cycle)
    db.session.commit()
    report = cycle_report(cycle)
    comments = sorted(c["text"] for part in report.comments_by_question.values() for c in part)
    return report.results.items, comments, held_answers(cycle)


def reopen(cycle: Cycle) -> None:
    lifecycle.reopen_cycle(cycle, closes_on=today())
    db.session.commit()


def held_responses(cycle: Cycle) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Response)
        .where(Response.cycle_id == cycle.id, Response.held.is_(True))
    )


def test_one_late_peer_waits_and_k_late_peers_join(app):
    with app.test_request_context():
        cycle = factories.cycle()
        factories.self_assessment(cycle, 4)
        answer(factories.invites(cycle, SEVEN), 0)
        first, first_comments, waiting = close_and_show(cycle)
        assert waiting is None and first["peer_n"].eq(3).all()

        # One more peer: nothing shown moves, and the dashboard says why.
        reopen(cycle)
        answer(factories.invites(cycle, {"peer": 1}), 10)
        second, second_comments, waiting = close_and_show(cycle)
        assert second.equals(first) and second_comments == first_comments
        assert waiting.count == 1 and waiting.by_group == {"peer": 1}
        (shortfall,) = waiting.shortfalls
        assert shortfall.groups == ("peer",) and shortfall.late_n == (1,)
        assert shortfall.reason == "too few"
        assert shortfall.statements == len(ITEMS) and shortfall.in_comments
        assert held_responses(cycle) == 1

        # A second late peer: still fewer than k = 3 late answers.
        reopen(cycle)
        answer(factories.invites(cycle, {"peer": 1}), 20)
        third, _, waiting = close_and_show(cycle)
        assert third.equals(first) and waiting.count == 2

        # The third: the three late peers join together, the difference between the
        # showings is a set of three.
        reopen(cycle)
        answer(factories.invites(cycle, {"peer": 1}), 30)
        fourth, fourth_comments, waiting = close_and_show(cycle)
        assert waiting is None and held_responses(cycle) == 0
        assert fourth["peer_n"].eq(6).all() and not fourth.equals(first)
        assert len(fourth_comments) == len(first_comments) + 3


def test_the_coach_keeps_the_results_as_they_were(app):
    with app.test_request_context():
        cycle = factories.cycle()
        factories.self_assessment(cycle, 4)
        answer(factories.invites(cycle, SEVEN), 0)
        first, _, _ = close_and_show(cycle)
        reopen(cycle)
        answer(factories.invites(cycle, {"subordinate": 2}), 10)
        _, _, waiting = close_and_show(cycle)
        assert waiting.count == 2
        assert lifecycle.keep_results(cycle) == 2
        db.session.commit()
        assert held_answers(cycle) is None and held_responses(cycle) == 0

        # The two deleted answers never count: one more subordinate after the next
        # reopen is alone again, and waits.
        reopen(cycle)
        answer(factories.invites(cycle, {"subordinate": 1}), 20)
        again, _, waiting = close_and_show(cycle)
        assert again.equals(first) and waiting.count == 1


def test_a_first_close_shows_every_answer(app):
    with app.test_request_context():
        cycle = factories.cycle()
        factories.self_assessment(cycle, 4)
        answer(factories.invites(cycle, {"boss": 1, "peer": 1, "partner": 2}), 0)
        assert held_responses(cycle) == 4  # every rater's answers wait for a close
        items, _, waiting = close_and_show(cycle)
        assert waiting is None and held_responses(cycle) == 0
        assert items["others_n"].eq(4).all()
