"""No GET request writes anything (README "Anonymity"; mail scanners open links first,
and a page that is only read must not close a cycle or queue mail).

Every GET route of the URL map is requested, with every id, link and format the data
has, after every cycle's deadline has passed, by the signed-in coach and by an
anonymous visitor; not one INSERT, UPDATE or DELETE may reach the database, and every
table must read the same afterwards. The one exception is the audit trail's record of
a download the coach made (docs/architecture.md): an INSERT into ``audit_events`` of
an ``export``, and nothing else.
"""

import itertools
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import plotly
from security_support import ITEMS, build_world
from sqlalchemy import event, select, update
from support import Browser, sign_in

from feedback import links
from feedback.accounts.tokens import create_token
from feedback.coaching.audit import AuditEvent
from feedback.coaching.models import Cycle
from feedback.coaching.questionnaires import save_questionnaire
from feedback.cycles import lifecycle
from feedback.cycles.jobs import run_round
from feedback.extensions import db
from feedback.journey import services as journey
from feedback.journey.stages import stages
from feedback.plans import services as plans
from feedback.pulses import services as pulses
from feedback.pulses.models import Pulse, PulseInvite
from feedback.questionnaires import default_questionnaire
from feedback.raters import services as raters
from feedback.raters.models import Invite
from feedback.ratings.answers import Answers
from feedback.timeutil import today
from feedback.vocabulary import CycleState
from feedback.webhooks.services import create_endpoint

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "MERGE", "CREATE", "DROP", "ALTER")
#: The one write a GET may make: the audit trail's record of a download.
AUDIT_INSERT = "INSERT INTO audit_events"


def _snapshot() -> dict[str, list]:
    """Every row of every table but the audit trail, in a stable order."""
    tables = [table for table in db.metadata.sorted_tables if table.name != "audit_events"]
    return {
        table.name: sorted(map(repr, db.session.execute(select(table)).all())) for table in tables
    }


def _audit_rows() -> list[tuple]:
    return db.session.execute(select(AuditEvent.id, AuditEvent.action, AuditEvent.actor)).all()


def _token(link: str) -> str:
    return urlsplit(link).path.rstrip("/").split("/")[2]


def _world(app) -> dict:
    """A closed, released cycle with a plan and predictions, an open one with a saved
    draft, mail in the development mailbox; then every deadline passes."""
    world = build_world(app, "coach@example.com")
    with app.test_request_context():
        first = db.session.get(Cycle, world["cycle_id"])
        plans.save_predictions(first, {(first.questionnaire.competencies[0].key, "peer"): 4})
        lifecycle.release(first)
        goal = plans.add_goal(
            first,
            author="coach",
            item_key=ITEMS[0],
            goal="Listen first.",
            success_criteria="Peers say so.",
            review_on=today() + timedelta(days=30),
        )
        raters.save_draft(db.session.get(Invite, world["invite_id"]), Answers(scores={ITEMS[0]: 3}))
        coach = db.session.get(Cycle, world["cycle_id"]).coachee.coach
        _token, world["api_token"] = create_token(coach, scope="write")
        hook = create_endpoint(coach, url="https://crm.example.com/hook", events=["cycle.closed"])
        own = replace(default_questionnaire(), key="own-360", title="Own 360")
        world["questionnaire_key"] = save_questionnaire(own, coach).questionnaire.key
        for stage in stages():  # every stage of the journey open as homework, a step
            journey.open_homework(first.coachee, stage.key, note="", due_on=today())
        journey.add_step(first.coachee, step="Call Dana", due_on=today())
        pulse = pulses.create_pulse(first, [ITEMS[0]])  # a pulse with a saved draft
        pulse_invite = db.session.scalars(select(PulseInvite)).first()
        pulses.save_draft(pulse_invite, pulses.PulseAnswers({ITEMS[0]: 3}, "A draft."))
        world["pulse_id"] = pulse.id
        world["pulse_token"] = links.sign(links.PULSE_INVITE, pulse_invite.link_key)
        db.session.commit()
        world["goal_id"] = goal.id
        world["webhook_id"] = hook.id
    with app.app_context():
        run_round()  # write the mail out, while the deadlines are still ahead
        db.session.execute(update(Cycle).values(closes_on=today() - timedelta(days=1)))
        db.session.execute(update(Pulse).values(closes_on=today() - timedelta(days=1)))
        db.session.commit()
        assert db.session.get(Cycle, world["open_cycle_id"]).state is CycleState.OPEN
    return world


def _values(app, world: dict) -> dict[str, list]:
    """The values every URL argument can take, by argument name."""
    mail = sorted(path.name for path in Path(app.config["MAIL_FILE_DIR"]).glob("*.eml"))
    return {
        "cycle_id": [world["cycle_id"], world["open_cycle_id"]],
        "coachee_id": [world["coachee_id"]],
        "goal_id": [world["goal_id"]],
        "fmt": ["html", "csv", "xlsx"],
        "portal_token": [_token(world["portal"]), _token(world["open_portal"])],
        "rater_token": [_token(world["open_rater"]), _token(world["rater_links"][0])],
        "name": mail[:2],
        "version": [plotly.__version__],
        "filename": ["css/app.css", "favicon.svg"],
        "webhook_id": [world["webhook_id"]],
        "invite_id": [world["invite_id"]],
        "kind": ["invite", "reminder"],
        # The shipped questionnaire (never stored by a read), a coach's own, and none.
        "key": ["career-360", world["questionnaire_key"], "no-such-questionnaire"],
        "stage_key": [stage.key for stage in stages()],
        "pulse_id": [world["pulse_id"]],
        "pulse_token": [world["pulse_token"]],
    }


def _urls(app, values: dict[str, list]) -> tuple[list[str], list[str]]:
    """Every GET URL of the URL map with every combination of values; and the rules
    that could not be built (an argument this test does not know)."""
    adapter = app.url_map.bind("localhost")
    urls, unknown = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        names = sorted(rule.arguments)
        choices = []
        for name in names:
            key = name
            if name == "token":
                key = "portal_token" if rule.rule.startswith("/p/") else "rater_token"
                if rule.rule.startswith("/pulse/"):
                    key = "pulse_token"
            if key not in values:
                unknown.append(f"{rule.rule} ({name})")
                break
            choices.append(values[key])
        else:
            for combination in itertools.product(*choices):
                urls.append(
                    adapter.build(rule.endpoint, dict(zip(names, combination, strict=True)))
                )
    return urls, unknown


def test_no_get_request_writes_anything_even_with_every_deadline_past(app):
    world = _world(app)
    values = _values(app, world)
    assert len(values["name"]) == 2, "the development mailbox has mail to open"
    urls, unknown = _urls(app, values)
    assert not unknown, f"GET routes this test cannot fill in: {unknown}"
    assert len(urls) > 40

    coach_browser = Browser(app.test_client())
    sign_in(coach_browser, "coach@example.com", "long enough pw")
    visitor = Browser(app.test_client())

    statements: list[str] = []
    with app.app_context():
        before = _snapshot()
        audited_before = {row.id for row in _audit_rows()}

        def record(_conn, _cursor, statement, _params, _context, _many) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            errors = []
            api_headers = {"Authorization": f"Bearer {world['api_token']}"}
            for url in urls:
                for browser in (coach_browser, visitor):
                    response = browser.get(url)
                    if response.status_code >= 500:
                        errors.append((url, response.status_code))
                if url.startswith("/api/"):  # the API answers only a token, never a cookie
                    response = visitor.get(url, headers=api_headers)
                    if response.status_code >= 500:
                        errors.append((url, response.status_code))
            writes = [s for s in statements if s.lstrip().upper().startswith(WRITES)]
            audited = [s for s in writes if s.lstrip().startswith(AUDIT_INSERT)]
            assert not errors, errors
            assert statements, "the listener saw the pages' queries"
            assert audited, "the coach's downloads are in the audit trail"
            assert not [s for s in writes if s not in audited], writes[:5]
            db.session.remove()
            assert _snapshot() == before
            new = [row for row in _audit_rows() if row.id not in audited_before]
            assert new and {row.action for row in new} == {"export"}
            assert all(row.actor == "coach" or row.actor.startswith("api token ") for row in new)
            assert db.session.get(Cycle, world["open_cycle_id"]).state is CycleState.OPEN

            # The same listener does see a write: the coach closes the cycle (a POST).
            page = f"/cycles/{world['open_cycle_id']}"
            response = coach_browser.submit(f"{page}/close", {}, page=page)
            assert response.status_code == 302
            assert any(s.lstrip().upper().startswith("UPDATE") for s in statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
