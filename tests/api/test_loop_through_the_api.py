"""The issue's loop with the API alone on the coach's side: add a coachee, start a
cycle, nominate raters; the raters answer through their emails' links; close; fetch the
same figures the dashboard shows."""

from datetime import timedelta

from api_support import Api
from factories import ITEMS
from support import Browser

from feedback.timeutil import today

SCORES = {"boss@example.org": 5, "p1@example.org": 4, "p2@example.org": 3, "p3@example.org": 2}


def answer(browser: Browser, link: str, score: int) -> None:
    data = {f"item-{key}": str(score) for key in ITEMS}
    response = browser.submit(link, {**data, "text-headline": "Steady.", "action": "submit"})
    assert response.status_code == 302, response.status_code


def test_a_script_with_a_token_runs_a_cycle(app, coach, runner, mailbox):
    secret = runner.invoke(
        args=["api-token", "create", "--coach", "coach@example.com", "--scope", "write"]
    ).stdout.strip()
    api = Api(app.test_client(), secret)
    coachee = api.post("/coachees", json={"name": "Robin Park", "email": "robin@example.com"})
    closes_on = (today() + timedelta(days=14)).isoformat()
    # One boss and three peers, no subordinates: the minimums say so.
    minimums = {"min_boss": 1, "min_peers": 3, "min_subordinates": 0, "min_raters": 4}
    cycle = api.post(
        f"/coachees/{coachee.json['id']}/cycles", json={"closes_on": closes_on, **minimums}
    )
    assert cycle.status_code == 201
    cycle_id = cycle.json["id"]
    raters = [
        {"email": email, "group": "boss" if email.startswith("boss") else "peer"}
        for email in SCORES
    ]
    assert api.post(f"/cycles/{cycle_id}/nominations", json={"raters": raters}).status_code == 201

    people = Browser(app.test_client())
    answer(people, mailbox.link_for("robin@example.com").rstrip("/") + "/self", 4)
    for email, score in SCORES.items():
        answer(people, mailbox.link_for(email), score)

    progress = api.get(f"/cycles/{cycle_id}/progress").json["groups"]
    assert progress["peer"] == {"invited": 3, "answered": 3, "bounced": 0}
    assert api.get(f"/cycles/{cycle_id}/results").status_code == 409
    assert api.post(f"/cycles/{cycle_id}/close").status_code == 200
    results = api.get(f"/cycles/{cycle_id}/results").json["results"]
    first = results["statements"][0]
    assert first["self"] == 4 and first["boss_mean"] == 5 and first["peer_mean"] == 3
    assert first["others_mean"] == 3.5 and first["others_n"] == 4
    assert api.post(f"/cycles/{cycle_id}/release").status_code == 200
