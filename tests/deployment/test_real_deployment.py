"""The whole deployment on 127.0.0.1, under the faults of a real one (issue 15, item 7).

Started here: a PostgreSQL cluster of the test's own, Redis for the sign-in counts, a
real SMTP server (aiosmtpd, in this process) that answers slowly, two gunicorn masters
with two workers each (``gunicorn -c gunicorn.conf.py wsgi:app``) and two
``feedback mail work`` workers. A coach's cycle (the CLI) gets 50 raters nominated
through the coachee's portal form; each rater waits for their invitation, opens the
link in it and answers the form over HTTP, reading the form from one app process and
posting it to the other, as behind a load balancer. Meanwhile:

1. the mail worker sending the invitations is killed with SIGKILL while the server
   holds back its answer to a message it has received;
2. PostgreSQL restarts (``pg_ctl restart -m fast``) while raters submit and the other
   worker sends the rest of the invitations;
3. a gunicorn worker serving a rater is killed with SIGKILL.

A client retries a request that failed as a person would (wait, reload the form, send
again; a few tries). Asserted: every rater's answers stored exactly once and whole;
every message at the SMTP server exactly once (by Message-ID) and every invitation
delivered; no client ever saw a 500 (a 503 with Retry-After is allowed while the
database is away); each fault recovered from within a minute. The measurements are
printed (``pytest -rP``).
"""

from __future__ import annotations

import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from deployment_support import (
    BIN,
    HOST,
    ROOT,
    Browser,
    Delivered,
    Postgres,
    Processes,
    Reply,
    Seen,
    Service,
    SmtpServer,
    children,
    connection_owner,
    free_port,
    redis_command,
    start_redis,
    unavailable,
    wait_until,
)
from support import csrf_token

from feedback.questionnaires import default_questionnaire

pytestmark = [
    pytest.mark.deployment,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses Linux's /proc"),
]

RATERS = 50
#: The SMTP server answers each message this many seconds after its content arrived.
MAIL_REPLY_AFTER = 0.2
#: The time the issue allows a fault until everything works again.
RECOVERY = 60.0
#: How often a client sends a request that failed (a GET), or reloads the form and
#: sends it again (a submit), before it gives up.
GET_TRIES = 6
SUBMIT_TRIES = 5
#: Raters answering at once.
CONCURRENT_RATERS = 10
COACH = "coach@example.com"
COACH_PASSWORD = "correct horse battery"
COACHEE = "casey@example.com"
OUTBOX_ID = re.compile(r"<outbox-(\d+)\.")
#: Outbox messages still to be sent or being sent, that are due.
UNSETTLED = (
    "SELECT id FROM outbox_messages WHERE state = 'sending'"
    " OR (state = 'queued' AND next_attempt_at <= (now() AT TIME ZONE 'utc'))"
)
#: A link's token in a path, left out of what the test prints (as from the app's logs).
LINK_TOKEN = re.compile(r"/([rp])/([^/]+)")
#: What the form's page says once the rater's answers are in (issue 15, item 4).
ARRIVED = "Your answers arrived"
LINK = re.compile(r"http://[^\s<>\"']+")
ITEMS = [item.key for item in default_questionnaire().items]
GROUPS = ("peer", "subordinate", "partner")


def rater_address(n: int) -> str:
    """Rater n's email address."""
    return f"rater{n:02d}@example.org"


def scores_of(n: int) -> dict[str, int | None]:
    """Rater n's answer to every statement: its own pattern, one "Don't know"."""
    return {key: None if i == n % len(ITEMS) else (n + i) % 5 + 1 for i, key in enumerate(ITEMS)}


def texts_of(n: int) -> dict[str, str]:
    """Rater n's open answers; the headline says whose they are (for the checks)."""
    return {"keep": f"Keep listening, says rater {n:02d}.", "headline": f"Rater {n:02d}, once."}


def form_of(n: int) -> dict[str, str]:
    """The form rater n posts (without its CSRF token)."""
    data = {
        f"item-{key}": "na" if score is None else str(score) for key, score in scores_of(n).items()
    }
    data.update({f"text-{key}": text for key, text in texts_of(n).items()})
    data["action"] = "submit"
    return data


# ---------------------------------------------------------------- the deployment


@dataclass
class App:
    """One gunicorn master serving the app on ``port``."""

    master: Service
    port: int


@dataclass
class Deployment:
    """The running deployment, and what the clients saw of it."""

    processes: Processes
    postgres: Postgres
    smtp: SmtpServer
    redis_port: int
    env: dict[str, str]
    apps: list[App]
    workers: list[Service]
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    finished: int = 0  #: raters whose submit went through (as their browser saw it)
    stopping: threading.Event = field(default_factory=threading.Event)

    def feedback(self, *args: str) -> str:
        """Run a ``feedback`` command against the deployment; its output."""
        done = subprocess.run(  # noqa: S603 - our own console script
            [str(BIN / "feedback"), *args],
            cwd=self.processes.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, f"feedback {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def healthy(self) -> bool:
        """Whether every app process answers its health check with 200."""
        probe = Browser("health probe", self.seen, self.lock, timeout=5)
        return all(probe.request(app.port, "/healthz").status == 200 for app in self.apps)

    def mail(self) -> list[Delivered]:
        """Every message the SMTP server accepted, in order."""
        return self.smtp.recorder.messages()

    def mail_to(self, address: str) -> list[Delivered]:
        """The messages to ``address``."""
        return [m for m in self.mail() if address in m.recipients]

    def query(self, sql: str) -> list[tuple]:
        """The rows of ``sql`` (a fixed query), read as the app's role."""
        with self.postgres.connect() as connection:
            return connection.execute(sql).fetchall()


def _programs() -> None:
    """Skip (fail in CI) when something the deployment needs is missing."""
    for program in ("gunicorn", "feedback"):
        if not (BIN / program).exists():
            unavailable(f"{program} is not installed here (pip install -e '.[server]')")
    for module, package in (("psycopg", "psycopg"), ("redis", "redis")):
        try:
            __import__(module)
        except ImportError:
            unavailable(f"the Python package {package} is missing (pip install -e '.[server]')")


def _environment(database_url: str, smtp_port: int, redis_port: int, base_port: int) -> dict:
    """The settings every process of the deployment gets (README, Settings)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDBACK_")}
    env.update(
        {
            "FEEDBACK_DATABASE_URL": database_url,
            "FEEDBACK_SECRET_KEY": os.urandom(32).hex(),
            "FEEDBACK_BASE_URL": f"http://{HOST}:{base_port}",
            "FEEDBACK_MAIL_BACKEND": "smtp",
            "FEEDBACK_SMTP_HOST": HOST,
            "FEEDBACK_SMTP_PORT": str(smtp_port),
            "FEEDBACK_SMTP_TIMEOUT": "10",
            "FEEDBACK_MAIL_SEND_AFTER_REQUEST": "false",
            "FEEDBACK_MAIL_BACKGROUND": "false",
            "FEEDBACK_RATELIMIT_STORAGE_URI": f"redis://{HOST}:{redis_port}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture
def deployment(tmp_path: Path):
    """Everything started on 127.0.0.1 and free ports; everything stopped afterwards."""
    _programs()
    processes = Processes(tmp_path)
    postgres = Postgres()
    smtp: SmtpServer | None = None
    try:
        postgres.start()
        processes.extra_logs["postgresql"] = postgres.log
        redis_port = start_redis(processes)
        smtp = SmtpServer(reply_after=MAIL_REPLY_AFTER)
        ports = [free_port(), free_port()]
        env = _environment(postgres.url, smtp.port, redis_port, ports[0])
        deployment = Deployment(processes, postgres, smtp, redis_port, env, [], [])
        deployment.feedback("db", "upgrade")
        deployment.feedback(
            "create-coach", "--email", COACH, "--name", "Clara Coach", "--password", COACH_PASSWORD
        )
        for index, port in enumerate(ports):
            master = processes.start(
                f"gunicorn-{index + 1}",
                [
                    str(BIN / "gunicorn"),
                    "-c",
                    str(ROOT / "gunicorn.conf.py"),
                    "--chdir",
                    str(ROOT),
                    "--workers",
                    "2",
                    "--bind",
                    f"{HOST}:{port}",
                    "--access-logfile",
                    "-",
                    "--error-logfile",
                    "-",
                    "wsgi:app",
                ],
                env=env,
                cwd=ROOT,
            )
            deployment.apps.append(App(master, port))
        for index in range(2):
            deployment.workers.append(
                processes.start(
                    f"mail-worker-{index + 1}",
                    [str(BIN / "feedback"), "mail", "work", "--interval", "0.5"],
                    env=env,
                    cwd=tmp_path,
                )
            )
        wait_until(deployment.healthy, 120, "both app processes answer /healthz with 200")
        deployment.seen.clear()  # the probes while gunicorn started
        yield deployment
    except BaseException as exc:
        if not isinstance(exc, pytest.skip.Exception):
            print(processes.tails())
        raise
    finally:
        processes.stop_all()
        if smtp is not None:
            smtp.stop()
        postgres.stop()


# ---------------------------------------------------------------- people


def _pause(reply: Reply, attempt: int) -> float:
    """How long a person waits before trying again: what Retry-After says, or a moment
    that grows, at most 5 s."""
    retry_after = reply.headers.get("Retry-After", "")
    if retry_after.isdigit():
        return min(float(retry_after), 5.0)
    return min(0.5 * 2**attempt, 5.0)


class Stopped(Exception):
    """The test is over (it failed elsewhere): a client stops where it is."""


def _sleep(d: Deployment, seconds: float) -> None:
    """Wait, unless the test is over."""
    if d.stopping.wait(seconds):
        raise Stopped


def _get(d: Deployment, browser: Browser, port: int, path: str) -> Reply:
    """GET a page, reloading a few times while it fails."""
    for attempt in range(GET_TRIES):
        reply = browser.request(port, path)
        if reply.status == 200:
            return reply
        _sleep(d, _pause(reply, attempt))
    raise AssertionError(f"{browser.who}: GET {path} failed {GET_TRIES} times: {reply}")


def _wait_for_mail(d: Deployment, address: str, seconds: float) -> str:
    """The link in the first message to ``address``, once it has arrived."""
    wait_until(lambda: d.stopping.is_set() or d.mail_to(address), seconds, f"an email to {address}")
    if d.stopping.is_set():
        raise Stopped
    return urlsplit(LINK.search(d.mail_to(address)[0].text).group(0)).path


def _nominate(d: Deployment) -> None:
    """The coachee follows the link in their email and pastes 50 raters."""
    portal = _wait_for_mail(d, COACHEE, 60)
    coachee = Browser("coachee", d.seen, d.lock)
    page = _get(d, coachee, d.apps[0].port, f"{portal}raters")
    lines = [
        f"{rater_address(n)}, {'boss' if n == 0 else GROUPS[n % 3]}, Rater {n:02d}"
        for n in range(RATERS)
    ]
    reply = coachee.request(
        d.apps[1].port,
        f"{portal}raters",
        {"csrf_token": csrf_token(page.text), "raters": "\n".join(lines)},
    )
    assert reply.status == 302, f"nominations: {reply.status} {reply.error} {reply.text[:500]}"


def _rater(d: Deployment, n: int) -> str:
    """Rater n: waits for the invitation, opens the form on one app process, answers
    for a moment, sends it to the other. After a failed submit they wait, reload the
    form and send it again; a reload without the form must say that the answers
    arrived. What they saw in the end: "thanks after N submits", or "arrived on
    reload after N submits" (the submit had gone through, its answer was lost)."""
    path = _wait_for_mail(d, rater_address(n), 180)
    browser = Browser(f"rater {n:02d}", d.seen, d.lock)
    read_on, send_to = d.apps[n % 2].port, d.apps[(n + 1) % 2].port
    rng = random.Random(n)
    for attempt in range(1, SUBMIT_TRIES + 1):
        page = _get(d, browser, read_on, path)
        if 'name="item-' not in page.text:
            assert attempt > 1, f"rater {n}: no form at the first visit:\n{page.text[:500]}"
            assert ARRIVED in page.text, f"rater {n}: a reload without the form:\n{page.text}"
            outcome = f"arrived on reload after {attempt - 1} submits"
            break
        _sleep(d, rng.uniform(0.3, 1.5))
        reply = browser.request(send_to, path, {"csrf_token": csrf_token(page.text), **form_of(n)})
        location = reply.headers.get("Location", "")
        if reply.status == 302 and location.rstrip("/").endswith("/thanks"):
            _get(d, browser, read_on, urlsplit(location).path)
            outcome = f"thanks after {attempt} submits"
            break
        _sleep(d, _pause(reply, attempt))
    else:
        raise AssertionError(f"rater {n}: the submit failed {SUBMIT_TRIES} times")
    with d.lock:
        d.finished += 1
    return outcome


# ---------------------------------------------------------------- faults


def _kill_the_sending_mail_worker(d: Deployment) -> tuple[float, int]:
    """SIGKILL to the worker whose message the SMTP server has received and not yet
    answered; when it happened and how many messages had arrived by then."""
    recorder = d.smtp.recorder
    recorder.hold_next()
    try:
        wait_until(lambda: recorder.held_peer is not None, 30, "a message held at the server")
        _, peer_port = recorder.held_peer
        pid = connection_owner(peer_port, d.smtp.port, [w.pid for w in d.workers])
        assert pid is not None, "no mail worker holds the held message's connection"
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
    finally:
        recorder.release()
    victim = next(w for w in d.workers if w.pid == pid)
    victim.process.wait(timeout=10)
    return killed_at, len(d.mail())


def _kill_a_busy_gunicorn_worker(d: Deployment, app: App) -> int:
    """SIGKILL to a worker of ``app`` that holds a client's connection (within 10 s;
    else any of its workers); its pid."""
    workers = children(app.master.pid)
    assert len(workers) == 2, f"gunicorn-{app.port} has workers {workers}"
    deadline = time.monotonic() + 10
    victim = None
    while victim is None and time.monotonic() < deadline:
        victim = connection_owner(app.port, None, workers)
        if victim is None:
            time.sleep(0.005)
    victim = victim or workers[0]
    os.kill(victim, signal.SIGKILL)
    return victim


# ---------------------------------------------------------------- the test


def test_fifty_raters_through_faults_lose_nothing_and_get_no_email_twice(deployment):
    d = deployment
    try:
        _scenario(d)
    except BaseException:
        print(d.processes.tails())
        raise


def _scenario(d: Deployment) -> None:
    started = time.monotonic()
    created = d.feedback(
        "cycle",
        "create",
        "--coach",
        COACH,
        "--coachee-name",
        "Casey Doe",
        "--coachee-email",
        COACHEE,
        "--json",
    )
    assert '"cycle_id"' in created, created
    _nominate(d)
    total_mail = RATERS + 1  # the coachee's portal link and one invitation per rater

    pool = ThreadPoolExecutor(CONCURRENT_RATERS, thread_name_prefix="rater")
    try:
        raters = [pool.submit(_rater, d, n) for n in range(RATERS)]

        # 1. A mail worker killed mid-batch.
        wait_until(lambda: len(d.mail()) >= 6, 90, "five invitations delivered")
        mail_killed_at, delivered_at_kill = _kill_the_sending_mail_worker(d)
        assert delivered_at_kill < total_mail, "the kill did not land mid-batch"

        # 2. PostgreSQL restarted while raters submit and the other worker sends.
        wait_until(lambda: len(d.mail()) >= 26, 90, "26 messages delivered after the kill")
        assert len(d.mail()) < total_mail and d.finished < RATERS, "too late for the restart"
        restart_at = time.monotonic()
        d.postgres.restart()
        restart_took = time.monotonic() - restart_at
        database_recovery = wait_until(d.healthy, RECOVERY, "healthy after the restart")
        database_recovery += restart_took

        # 3. A gunicorn worker killed while raters submit.
        wait_until(lambda: d.finished >= 30, 120, "30 raters submitted")
        assert d.finished < RATERS, "too late for the gunicorn kill"
        app = d.apps[0]
        victim = _kill_a_busy_gunicorn_worker(d, app)
        gunicorn_killed_at = time.monotonic()
        worker_recovery = wait_until(
            lambda: len(set(children(app.master.pid)) - {victim}) == 2 and d.healthy(),
            RECOVERY,
            "gunicorn started a new worker and the app answers",
        )

        _done, pending = wait_for_futures(raters, timeout=120)
        assert not pending, f"{len(pending)} raters still busy after 120 s"
        outcomes = [future.result() for future in raters]  # raises a rater's failure
        raters_done_after = time.monotonic() - gunicorn_killed_at
    except BaseException:
        d.stopping.set()  # clients still waiting give up
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)

    # Every message delivered, and every outcome recorded, within a minute of the kill.
    left = RECOVERY - (time.monotonic() - mail_killed_at)
    wait_until(lambda: len(d.mail()) >= total_mail, max(left, 0.1), "every message delivered")
    mail_recovery = time.monotonic() - mail_killed_at
    left = RECOVERY - (time.monotonic() - mail_killed_at)
    wait_until(
        lambda: not d.query(UNSETTLED),
        max(left, 0.1),
        "every message's outcome recorded",
    )

    # The coach signs in on one process and reads the dashboard on the other; the
    # sign-in was counted in Redis, which both processes share.
    coach = Browser("coach", d.seen, d.lock)
    page = _get(d, coach, d.apps[0].port, "/login")
    reply = coach.request(
        d.apps[0].port,
        "/login",
        {"csrf_token": csrf_token(page.text), "email": COACH, "password": COACH_PASSWORD},
    )
    assert reply.status == 302, f"sign-in: {reply.status} {reply.error}"
    dashboard = _get(d, coach, d.apps[1].port, "/")
    assert "Casey Doe" in dashboard.text
    redis_keys = redis_command(d.redis_port, "DBSIZE")

    # ------------------------------------------------------------ what the test saw
    mail = d.mail()
    ids = Counter(m.message_id for m in mail)
    recipients = Counter(r for m in mail for r in m.recipients)
    outbox = d.query(
        "SELECT id, state, kind, next_attempt_at > (now() AT TIME ZONE 'utc') FROM outbox_messages"
    )
    delivered_ids = {int(OUTBOX_ID.match(i).group(1)) for i in ids}
    states = Counter(state for id_, state, _, _ in outbox if id_ in delivered_ids)
    later = Counter(kind for id_, state, kind, _ in outbox if id_ not in delivered_ids)
    invites = dict(d.query("SELECT state, count(*) FROM invites GROUP BY state"))
    answers = d.query(
        "SELECT r.id, q.key, a.text FROM responses r"
        " JOIN open_answers a ON a.response_id = r.id"
        " JOIN open_questions q ON q.id = a.question_id"
        " WHERE r.\"group\" <> 'self' AND r.submitted"
    )
    ratings = d.query(
        "SELECT r.id, i.key, ra.score FROM responses r"
        " JOIN ratings ra ON ra.response_id = r.id JOIN items i ON i.id = ra.item_id"
        " WHERE r.\"group\" <> 'self'"
    )
    responses = d.query("SELECT count(*) FROM responses WHERE \"group\" <> 'self'")[0][0]
    failures = [s for s in d.seen if s.status == 0]
    # The first submit the app took after the restart began, and when the last trouble
    # a client had after each fault (and before the next) was over.
    submit_after_restart = min(
        s.began + s.took - restart_at
        for s in d.seen
        if s.method == "POST" and s.status == 302 and s.began >= restart_at
    )
    trouble = [s for s in d.seen if s.status not in (200, 302)]

    def over_after(fault_at: float, next_fault_at: float) -> float:
        ends = [s.began + s.took for s in trouble if fault_at <= s.began + s.took < next_fault_at]
        return max(ends, default=fault_at) - fault_at

    http_500 = [s for s in d.seen if s.status >= 500 and s.status != 503]
    bare_503 = [s for s in d.seen if s.status == 503 and not s.retry_after and s.path != "/healthz"]
    print(
        f"deployment test: {RATERS} raters in {time.monotonic() - started:.0f} s"
        f"\n  answers stored: {responses} responses ({len(ratings)} ratings)"
        f"; raters saw: {dict(sorted(Counter(outcomes).items()))}"
        f"\n  mail: {len(mail)} messages, {len(ids)} Message-IDs; outbox of those {dict(states)},"
        f" not due yet {dict(later)};"
        f" invites {invites}"
        f"\n  mail worker killed with {delivered_at_kill} of {total_mail} delivered;"
        f" every message delivered {mail_recovery:.1f} s after the kill"
        f"\n  PostgreSQL restart took {restart_took:.1f} s; both apps healthy"
        f" {database_recovery:.1f} s after it began, the first submit taken after"
        f" {submit_after_restart:.1f} s, the last client's trouble over after"
        f" {over_after(restart_at, gunicorn_killed_at):.1f} s"
        f"\n  gunicorn worker {victim} killed; a new one forked and the app answering after"
        f" {worker_recovery:.1f} s; the last client's trouble over after"
        f" {over_after(gunicorn_killed_at, math.inf):.1f} s;"
        f" last rater done {raters_done_after:.1f} s after the kill"
        f"\n  HTTP: {len(d.seen)} requests, statuses"
        f" {dict(sorted(Counter(s.status for s in d.seen).items()))},"
        f" {len(failures)} without an answer"
        f" ({dict(Counter(s.error.split(':')[0] for s in failures))})"
        f"\n  Redis keys after the coach's sign-in: {redis_keys}"
        "\n  what went wrong for clients (seconds from the start):"
        f" mail worker killed at {mail_killed_at - started:.1f},"
        f" PostgreSQL restarted at {restart_at - started:.1f},"
        f" gunicorn worker killed at {gunicorn_killed_at - started:.1f}"
    )
    for s in trouble:
        path = LINK_TOKEN.sub(r"/\1/…", s.path)
        print(
            f"    {s.began - started:6.1f} +{s.took:4.1f} s  {s.who:12}  {s.method:4}"
            f" {path:14} {s.status or s.error}"
        )

    # Every rater's answers, exactly once and whole (their headline says whose).
    assert responses == RATERS
    headline_of = {rid: text for rid, key, text in answers if key == "headline"}
    assert Counter(headline_of.values()) == Counter(texts_of(n)["headline"] for n in range(RATERS))
    rater_of = {rid: int(text.split()[1].rstrip(",")) for rid, text in headline_of.items()}
    stored: dict[str, dict[str, int | None]] = {}
    for rid, key, score in ratings:
        stored.setdefault(rid, {})[key] = score
    for rid, n in rater_of.items():
        assert stored.get(rid) == scores_of(n), f"rater {n}'s ratings"
    assert {(rater_of[rid], key, text) for rid, key, text in answers} == {
        (n, key, text) for n in range(RATERS) for key, text in texts_of(n).items()
    }
    assert invites == {"submitted": RATERS}

    # Every email delivered exactly once.
    assert set(ids.values()) == {1}, [i for i, count in ids.items() if count > 1]
    assert recipients == Counter([COACHEE, *(rater_address(n) for n in range(RATERS))])
    assert set(states) <= {"sent", "uncertain"} and states["uncertain"] <= 1, states
    # Whatever was not sent was not due yet (the coach's delayed note, README).
    assert all(
        state == "queued" and later for id_, state, _, later in outbox if id_ not in delivered_ids
    ), outbox

    # No working link in any log (the access logs included), faults or not.
    tokens = {LINK_TOKEN.search(urlsplit(LINK.search(m.text).group(0)).path).group(0) for m in mail}
    assert len(tokens) == total_mail
    for name, log in d.processes.logs().items():
        text = log.read_text(errors="replace")
        assert not [t for t in tokens if t in text], f"a link's token in the log of {name}"

    # Every process but the killed worker lived through it all.
    survivors = [w for w in d.workers if w.process.poll() is None]
    assert len(survivors) == 1, "the other mail worker died"
    assert all(app.master.process.poll() is None for app in d.apps), "a gunicorn master died"

    # No server error seen by anyone; the recovery within a minute.
    assert not http_500, http_500
    unexpected = [s for s in d.seen if s.status not in (0, 200, 302, 503)]
    assert not unexpected, unexpected  # e.g. a 400: a form one process could not read
    assert not bare_503, bare_503
    assert mail_recovery < RECOVERY
    assert database_recovery < RECOVERY
    assert worker_recovery < RECOVERY
    assert submit_after_restart < RECOVERY
    assert redis_keys is not None and redis_keys.startswith(":") and redis_keys != ":0"
