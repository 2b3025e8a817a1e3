"""Nominating many raters at once (one INSERT for the invites, one for their invitations,
addresses checked by a compiled pattern): the same rules and the same results as one by
one."""

import pytest
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from feedback.coaching import voice
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.mail.models import OutboxMessage
from feedback.raters.models import Invite
from feedback.raters.services import (
    MAX_RATERS_PER_CYCLE,
    Nomination,
    nominate,
    normalise_email,
    parse_nominations,
)
from feedback.vocabulary import InviteState

ADDRESSES = [
    "Rater.One@Example.COM",
    "first.last+tag@sub.example.org",
    "o'brien@example.ie",
    "a!#$%&'*+/=?^_`{|}~-z@example.com",
    "x@example",  # no dot in the domain
    "x@localhost",
    "x@example.test",  # a special-use domain
    "x@-example.com",
    "x@example-.com",
    "x@exa_mple.com",
    "x@example..com",
    "x@.example.com",
    "x@example.com.",
    ".x@example.com",
    "x.@example.com",
    "x..y@example.com",
    "x@y@example.com",
    "@example.com",
    "x@",
    '"quoted"@example.com',
    "josé@example.com",
    "x@bücher.de",
    "x@xn--bcher-kva.de",
    "x@123.123.123.123",
    "x@[127.0.0.1]",
    "x@example.c",
    "x@example.123",
    "l" * 64 + "@example.com",
    "l" * 65 + "@example.com",
    "a@" + ".".join(["d" * 63] * 3) + "." + "e" * 61 + ".com",
    "a@" + ".".join(["d" * 63] * 3) + "." + "e" * 57 + ".com",
    "l" * 64 + "@" + ".".join(["d" * 60] * 3) + ".com",
    "l" * 64 + "@" + ".".join(["d" * 60] * 3) + ".co",
    "x@" + "d" * 64 + ".com",
    "l" * 242 + "@example.com",  # 254 characters, the longest accepted
    "l" * 243 + "@example.com",
    "L" * 242 + "@EXAMPLE.COM",
]


def email_validator_says(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("address", ADDRESSES)
def test_addresses_are_accepted_and_refused_as_email_validator_does(address):
    expected = email_validator_says(address)
    if expected is None:
        with pytest.raises(ValueError, match="is not an email address"):
            normalise_email(address)
    else:
        assert normalise_email(address) == expected
        assert normalise_email(f"  {address} ") == expected


def test_a_pasted_list_reports_each_bad_line():
    nominations, problems = parse_nominations(
        "A@Example.com, peers, Ann\nnot-an-address, peer\nb@example, boss\nc@example.org, boss"
    )
    assert [n.email for n in nominations] == ["a@example.com", "c@example.org"]
    assert [(p.line_number, p.message) for p in problems] == [
        (2, "“not-an-address” is not an email address"),
        (3, "“b@example” is not an email address"),
    ]


def _cycle(app, cycle_id) -> Cycle:
    return db.session.get(Cycle, cycle_id)


def test_a_long_list_keeps_every_rule_and_queues_one_invitation_each(app, open_cycle, coach):
    cycle_id = open_cycle["cycle_id"]
    with app.app_context():
        voice.save(coach, "invite", subject="A few minutes for Casey?", body="Please answer.")
        cycle = _cycle(app, cycle_id)
        nominate(cycle, [Nomination("first@example.org", "peer", "First")])
        db.session.commit()

        wanted = [Nomination(f"r{n}@example.org", "peer", f"Rater {n}") for n in range(70)]
        wanted[3] = Nomination("first@example.org", "boss")  # already invited
        wanted[5] = Nomination("casey@example.com", "peer")  # the coachee
        wanted[7] = Nomination("r6@example.org", "boss")  # twice in the list
        cycle = _cycle(app, cycle_id)
        created, refused = nominate(cycle, wanted)

        accepted = [n for n in wanted if n.email not in {"first@example.org", "casey@example.com"}]
        accepted = [n for i, n in enumerate(accepted) if i != 5]  # r6 a second time
        assert [i.email for i in created] == [n.email for n in accepted][: MAX_RATERS_PER_CYCLE - 1]
        assert [(i.group, i.name) for i in created[:2]] == [
            ("peer", "Rater 0"),
            ("peer", "Rater 1"),
        ]
        assert all(i.id and i.state is InviteState.PENDING and i.link_key for i in created)
        assert len({i.link_key for i in created}) == len(created)
        assert [why for _n, why in refused[:3]] == [
            "first@example.org is already invited",
            "that is your own address; the self-assessment is yours",
            "r6@example.org is already invited",
        ]
        assert {why for _n, why in refused[3:]} == {
            f"a cycle can have at most {MAX_RATERS_PER_CYCLE} raters"
        }
        assert len(created) + len(refused) == len(wanted)

        messages = db.session.execute(
            select(OutboxMessage.invite_id, OutboxMessage.to_address, OutboxMessage.subject)
            .where(OutboxMessage.kind == "invite")
            .order_by(OutboxMessage.id)
        ).all()
        assert [(m.invite_id, m.to_address) for m in messages[1:]] == [
            (i.id, i.email) for i in created
        ]
        assert {m.subject for m in messages} == {"A few minutes for Casey?"}
        db.session.commit()
        count = db.session.scalar(
            select(func.count()).select_from(Invite).where(Invite.cycle_id == cycle_id)
        )
        assert count == MAX_RATERS_PER_CYCLE


def test_nominations_that_wait_for_the_coach_queue_no_mail(app, open_cycle):
    with app.app_context():
        cycle = _cycle(app, open_cycle["cycle_id"])
        queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        created, refused = nominate(
            cycle,
            [Nomination(f"w{n}@example.org", "peer") for n in range(3)],
            wait_for_coach=True,
        )
        assert not refused
        assert [i.state for i in created] == [InviteState.AWAITING] * 3
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == queued


def test_a_pasted_group_may_be_written_in_the_coachees_language(app):
    """A coachee who reads the portal in German, French or Spanish writes the group in
    it: the glossary's words and the common others are read as the group."""
    lines = "\n".join(
        [
            "a@example.com, Führungskraft",
            "b@example.com, Kollegen",
            "c@example.com, mitarbeitende",
            "d@example.com, Partnerin",
            "e@example.com, responsable",
            "f@example.com, collègues",
            "g@example.com, Collaborateurs",
            "h@example.com, partenaire",
            "i@example.com, jefa",
            "j@example.com, compañeros",
            "k@example.com, colaboradores",
            "l@example.com, socios",
            "m@example.com, Kollege der Woche",
        ]
    )
    with app.test_request_context():
        nominations, problems = parse_nominations(lines)
    assert [n.group for n in nominations] == [
        "boss", "peer", "subordinate", "partner",
        "boss", "peer", "subordinate", "partner",
        "boss", "peer", "subordinate", "partner",
    ]  # fmt: skip
    assert [p.line_number for p in problems] == [13]


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_the_groups_a_refusal_suggests_are_read_as_those_groups(app, language):
    """An unknown group is refused with the groups named in the page's language, and
    each name suggested, pasted back, is read as its group."""
    with app.test_request_context(headers={"Accept-Language": language}):
        _nominations, problems = parse_nominations("a@example.com, stranger")
        suggested = problems[0].message.rsplit(" ", 4)[-4:]
        names = [name.rstrip(",") for name in suggested]
        lines = "\n".join(f"r{n}@example.com, {name}" for n, name in enumerate(names))
        nominations, problems = parse_nominations(lines)
    assert not problems
    assert [n.group for n in nominations] == ["boss", "peer", "subordinate", "partner"]
