"""Nominations sent at the same moment keep the cap and never answer 500 (issue 14, item 2).

The app is served over real HTTP by a threaded server; each coachee tab is its own
cookie jar with its own CSRF token, and all of them post at once (a barrier). On
PostgreSQL (FEEDBACK_TEST_DATABASE_URL) the same tests run against the server.
"""

import urllib.parse

from http_support import Tab, all_at_once
from sqlalchemy import func, select

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.raters import services as raters
from feedback.raters.models import Invite


def _invite_count(app, cycle_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Invite).where(Invite.cycle_id == cycle_id)
        )
        db.session.remove()
        return count


def _nominate_directly(app, cycle_id: int, count: int) -> None:
    with app.test_request_context():
        cycle = db.session.get(Cycle, cycle_id)
        nominations = [raters.Nomination(f"early{n}@example.com", "peer") for n in range(count)]
        created, _ = raters.nominate(cycle, nominations)
        assert len(created) == count
        db.session.commit()
        db.session.remove()


def test_simultaneous_pastes_keep_the_cap_of_60(app, open_cycle, serve):
    cycle_id = open_cycle["cycle_id"]
    _nominate_directly(app, cycle_id, 55)
    served = serve(app)
    path = urllib.parse.urlsplit(open_cycle["portal"]).path.rstrip("/") + "/raters"
    tabs = [Tab(served.url + path) for _ in range(12)]
    results = all_at_once(tabs, lambda tab: [f"late{tab}.{n}@example.com, peer" for n in range(5)])
    assert all(status in (302, 422) for status, _page in results), [s for s, _ in results]
    assert _invite_count(app, cycle_id) == raters.MAX_RATERS_PER_CYCLE
    refused = sum(page.count("a cycle can have at most 60 raters") for _status, page in results)
    assert refused == 12 * 5 - 5


def test_simultaneous_nominations_of_one_address_make_one_invite_and_no_error(
    app, open_cycle, serve
):
    served = serve(app)
    path = urllib.parse.urlsplit(open_cycle["portal"]).path.rstrip("/") + "/raters"
    tabs = [Tab(served.url + path) for _ in range(10)]
    results = all_at_once(tabs, lambda _tab: ["same@example.com, peer, Sam"])
    statuses = sorted(status for status, _page in results)
    assert statuses == [302] + [422] * 9
    for status, page in results:
        if status == 422:
            assert "same@example.com is already invited" in page
    assert _invite_count(app, open_cycle["cycle_id"]) == 1


def test_a_duplicate_that_slips_past_the_lock_gets_the_same_message(
    app, open_cycle, serve, monkeypatch
):
    # A writer that does not take the cycle's lock: the unique key refuses its second
    # invite, and the nomination is tried again and refused like a sequential one.
    monkeypatch.setattr(raters, "lock_cycle", lambda _cycle: None)
    served = serve(app)
    path = urllib.parse.urlsplit(open_cycle["portal"]).path.rstrip("/") + "/raters"
    tabs = [Tab(served.url + path) for _ in range(10)]
    results = all_at_once(tabs, lambda _tab: ["same@example.com, peer, Sam"])
    assert sorted(status for status, _page in results) == [302] + [422] * 9
    assert _invite_count(app, open_cycle["cycle_id"]) == 1
