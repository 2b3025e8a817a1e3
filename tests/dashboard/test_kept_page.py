"""A closed cycle's dashboard page is kept once rendered (feedback/cycles/kept_page.py):
a view shows the kept page with its own CSRF token, byte for byte what rendering the
template gives, and a page whose content changed (the plan's goals, a release, the
language, a renamed coach or coachee, a bounce) is rendered again, never shown stale;
a page kept for one coach is never served to another."""

import re
from datetime import timedelta

import pytest
from dashboard_support import ITEMS
from support import Browser, csrf_token, sign_in

from feedback.accounts.models import Coach
from feedback.accounts.services import create_coach
from feedback.coaching.models import Cycle
from feedback.cycles import dashboard, kept_page
from feedback.extensions import db
from feedback.raters.models import Invite
from feedback.timeutil import today
from feedback.vocabulary import InviteState

TOKEN = re.compile(r'(name="csrf_token" value=")([^"]+)(")')


def _views(coach_browser, cycle_id: int, monkeypatch) -> tuple[str, str]:
    """The page as a view shows it (from what is kept, after a first view kept it),
    and as rendering the whole template gives it, with the same CSRF token."""
    url = f"/cycles/{cycle_id}"
    coach_browser.get(url)
    with monkeypatch.context() as patch:
        rendered = []
        patch.setattr(
            kept_page,
            "render_template",
            lambda *a, **k: rendered.append(1) or pytest.fail("the kept page was drawn again"),
        )
        kept = coach_browser.get(url)
    assert kept.status_code == 200
    with monkeypatch.context() as patch:
        patch.setattr(dashboard, "kept_page", lambda _context: None)
        whole = coach_browser.get(url)
    assert whole.status_code == 200
    # The same session's token: only its timestamp part may differ between requests.
    token = csrf_token(kept.text)
    return kept.text, TOKEN.sub(lambda m: m.group(1) + token + m.group(3), whole.text)


def test_the_kept_page_is_the_rendered_page_with_the_requests_token(
    closed_cycle, coach_browser, monkeypatch
):
    cycle_id = closed_cycle["cycle_id"]
    coach_browser.get("/")  # the close's flash message goes
    kept, whole = _views(coach_browser, cycle_id, monkeypatch)
    assert kept == whole
    assert "figure-competencies" in kept
    # The token is this request's: signing out with it works.
    assert coach_browser.post("/logout", data={"csrf_token": csrf_token(kept)}).status_code == 302


def test_another_session_gets_its_own_token(app, closed_cycle, coach_browser):
    url = f"/cycles/{closed_cycle['cycle_id']}"
    coach_browser.get("/")
    first = coach_browser.get(url).text
    other = Browser(app.test_client())
    sign_in(other, "coach@example.com")
    second = other.get(url).text
    assert csrf_token(first) != csrf_token(second)
    assert other.post("/logout", data={"csrf_token": csrf_token(second)}).status_code == 302
    # The first session's token is not the second's: it is refused there.
    again = Browser(app.test_client())
    sign_in(again, "coach@example.com")
    refused = again.post("/logout", data={"csrf_token": csrf_token(first)})
    assert refused.status_code == 400


def test_a_change_on_the_page_is_shown_at_once(closed_cycle, coach_browser, monkeypatch):
    cycle_id = closed_cycle["cycle_id"]
    url = f"/cycles/{cycle_id}"
    coach_browser.get("/")
    before, _ = _views(coach_browser, cycle_id, monkeypatch)
    assert "No goals yet." in before

    goal = {
        "item_key": ITEMS[0],
        "goal": "Let people finish.",
        "success_criteria": "Peers say so.",
        "review_on": (today() + timedelta(days=60)).isoformat(),
    }
    assert coach_browser.submit(f"{url}/plan", goal).status_code == 302
    coach_browser.get("/")  # the plan's flash message goes
    kept, whole = _views(coach_browser, cycle_id, monkeypatch)
    assert "Let people finish." in kept and "No goals yet." not in kept
    assert kept == whole

    assert "Release the report" in kept
    assert coach_browser.submit(f"{url}/release", {}, page=url).status_code == 302
    coach_browser.get("/")
    kept, whole = _views(coach_browser, cycle_id, monkeypatch)
    assert "Release the report" not in kept and "released to" in kept
    assert kept == whole

    response = coach_browser.submit("/settings/language", {"language": "de"}, page="/settings")
    assert response.status_code in (200, 302), response.status_code
    coach_browser.get("/")
    kept, whole = _views(coach_browser, cycle_id, monkeypatch)
    assert 'lang="de"' in kept
    assert kept == whole


def test_a_page_with_a_message_to_flash_is_rendered_whole(closed_cycle, coach_browser, monkeypatch):
    url = f"/cycles/{closed_cycle['cycle_id']}"
    coach_browser.get("/")
    coach_browser.get(url)  # kept
    goal = {
        "item_key": ITEMS[0],
        "goal": "Let people finish.",
        "success_criteria": "Peers say so.",
        "review_on": (today() + timedelta(days=60)).isoformat(),
    }
    response = coach_browser.submit(f"{url}/plan", goal)
    assert response.status_code == 302
    page = coach_browser.get(url).text  # the plan's message shows here, once
    assert 'class="flash' in page
    assert 'class="flash' not in coach_browser.get(url).text


def _drawn_again(browser, url: str, monkeypatch) -> str:
    """The page as a view shows it, failing unless the view drew it anew (what was kept
    no longer fits it)."""
    drawn = []
    original = kept_page.render_template
    with monkeypatch.context() as patch:
        patch.setattr(
            kept_page,
            "render_template",
            lambda *a, **k: drawn.append(1) or original(*a, **k),
        )
        page = browser.get(url)
    assert page.status_code == 200
    assert drawn, "the page kept before was shown"
    return page.text


def test_a_page_kept_for_one_coach_is_never_served_to_another(
    app, closed_cycle, coach_browser, monkeypatch
):
    cycle_id = closed_cycle["cycle_id"]
    url = f"/cycles/{cycle_id}"
    coach_browser.get("/")
    assert "Clara Coach" in coach_browser.get(url).text  # kept for Clara
    with app.app_context():
        create_coach(email="other@example.com", name="Otto Other", password="another-password")
        db.session.commit()
    other = Browser(app.test_client())
    sign_in(other, "other@example.com", "another-password")
    assert other.get(url).status_code == 404
    # Were the same report ever shown to another coach (a shared cycle, a bug in the
    # ownership check), the coach is in the fingerprint: the page is drawn for them.
    monkeypatch.setattr(dashboard, "cycle_of", lambda _coach, cid: db.session.get(Cycle, cid))
    other.get("/")
    page = _drawn_again(other, url, monkeypatch)
    assert "Otto Other" in page and "Clara Coach" not in page
    kept, whole = _views(other, cycle_id, monkeypatch)
    assert kept == whole
    # And back: Clara's own page again, never Otto's.
    page = _drawn_again(coach_browser, url, monkeypatch)
    assert "Clara Coach" in page and "Otto Other" not in page


def test_the_coach_renamed_the_coachee_renamed_and_a_bounce_show_at_once(
    app, closed_cycle, coach_browser, monkeypatch
):
    cycle_id = closed_cycle["cycle_id"]
    url = f"/cycles/{cycle_id}"
    coach_browser.get("/")
    coach_browser.get(url)  # kept
    with app.app_context():
        db.session.scalars(db.select(Coach)).one().name = "Clara Renamed"
        db.session.commit()
    page = _drawn_again(coach_browser, url, monkeypatch)
    assert "Clara Renamed" in page and "Clara Coach" not in page

    with app.app_context():
        coachee_id = db.session.get(Cycle, cycle_id).coachee_id
    response = coach_browser.submit(
        f"/coachees/{coachee_id}/edit",
        {"name": "Morgan Lee", "email": "casey@example.com", "language": "en"},
    )
    assert response.status_code == 302, response.text
    coach_browser.get("/")  # the edit's flash message goes
    page = _drawn_again(coach_browser, url, monkeypatch)
    assert "360 for Morgan Lee" in page and "Casey" not in page.split("<h1>", 1)[1]

    def bounced_cells(page: str) -> list[str]:
        table = page.split("Answers per group", 1)[1].split("</table>", 1)[0]
        return re.findall(r'<td class="num">(\d*)</td></tr>', table)

    kept, _ = _views(coach_browser, cycle_id, monkeypatch)
    assert set(bounced_cells(kept)) == {""}
    # An invitation's bounce reported after the close (mail's reports come late).
    with app.app_context():
        db.session.add(
            Invite(
                cycle_id=cycle_id, group="peer", email="late@example.com", state=InviteState.BOUNCED
            )
        )
        db.session.commit()
    assert "1" in bounced_cells(_drawn_again(coach_browser, url, monkeypatch))
    kept, whole = _views(coach_browser, cycle_id, monkeypatch)
    assert kept == whole
    assert "1" in bounced_cells(kept)  # the peers' "Bounced" cell
