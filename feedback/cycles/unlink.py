"""Forget the order and the transactions in which raters' answers arrived.

A rater's submit changes their invite and adds their response in one transaction: that
keeps "exactly once" exact. The database itself, though, remembers more than the
columns say. On PostgreSQL every row version carries the id of the transaction that
wrote it (``xmin``), so the invite marked submitted and the response written with it
share one; and new rows are appended to the table's pages, so the physical order of
responses (what ``ctid``, a sequential scan or a plain ``pg_dump`` shows) is the order
of submission, and so is the order in which invites' new row versions were placed.
Splitting the submit into two transactions would not help: their ids would be
consecutive, and an answer could be lost between them.

So when a cycle closes, before anyone sees results, :func:`unlink_submission_order`
rewrites the cycle's rater responses under new random ids, in the order of those ids,
and rewrites every invite of the cycle in the order of nomination, all in the closing
transaction. Afterwards every response and every invite of the cycle carries the same
``xmin``, responses lie in random order and invites in the order they were nominated.

What this does not hide (see the README's Security section): the old row versions stay
in the table files until VACUUM reclaims them, and the write-ahead log (and any WAL
archive or point-in-time backup) keeps the original transactions. Someone with that
access while the cycle is open can watch answers arrive. SQLite's WAL file holds recent
transactions until a checkpoint in the same way.
"""

from sqlalchemy import delete, insert, select, update

from ..coaching.models import Cycle
from ..extensions import db
from ..raters.models import Invite
from ..ratings.models import OpenAnswer, Rating, Response, new_response_id
from ..vocabulary import SELF


def unlink_submission_order(cycle: Cycle) -> int:
    """Rewrite ``cycle``'s rater responses (new random ids, stored in id order) and its
    invites (in nomination order) in the current transaction; return how many
    responses were rewritten. The coachee's self-assessment is left as it is."""
    db.session.flush()
    old_ids = list(
        db.session.scalars(
            select(Response.id).where(Response.cycle_id == cycle.id, Response.group != SELF)
        )
    )
    if old_ids:
        _rewrite_responses(old_ids)
    for invite_id in db.session.scalars(
        select(Invite.id).where(Invite.cycle_id == cycle.id).order_by(Invite.id)
    ):
        db.session.execute(
            update(Invite)
            .where(Invite.id == invite_id)
            .values(state=Invite.state)
            .execution_options(synchronize_session=False)
        )
    return len(old_ids)


def _rewrite_responses(old_ids: list[str]) -> None:
    responses = db.session.execute(
        select(
            Response.id, Response.cycle_id, Response.group, Response.submitted, Response.held
        ).where(Response.id.in_(old_ids))
    ).all()
    ratings = db.session.execute(
        select(Rating.response_id, Rating.item_id, Rating.score).where(
            Rating.response_id.in_(old_ids)
        )
    ).all()
    answers = db.session.execute(
        select(OpenAnswer.response_id, OpenAnswer.question_id, OpenAnswer.text).where(
            OpenAnswer.response_id.in_(old_ids)
        )
    ).all()
    new_id = {old: new_response_id() for old in old_ids}

    # Forget the old objects first: they are about to be deleted under the ORM's feet.
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, Response | Rating | OpenAnswer):
            db.session.expunge(instance)
    db.session.execute(delete(Rating).where(Rating.response_id.in_(old_ids)))
    db.session.execute(delete(OpenAnswer).where(OpenAnswer.response_id.in_(old_ids)))
    db.session.execute(delete(Response).where(Response.id.in_(old_ids)))

    rows = sorted(
        (
            {
                "id": new_id[r.id],
                "cycle_id": r.cycle_id,
                "group": r.group,
                "submitted": r.submitted,
                "held": r.held,
            }
            for r in responses
        ),
        key=lambda row: row["id"],
    )
    _insert_in_order(Response, rows)
    _insert_in_order(
        Rating,
        sorted(
            (
                {"response_id": new_id[r.response_id], "item_id": r.item_id, "score": r.score}
                for r in ratings
            ),
            key=lambda row: (row["response_id"], row["item_id"]),
        ),
    )
    _insert_in_order(
        OpenAnswer,
        sorted(
            (
                {
                    "response_id": new_id[a.response_id],
                    "question_id": a.question_id,
                    "text": a.text,
                }
                for a in answers
            ),
            key=lambda row: (row["response_id"], row["question_id"]),
        ),
    )


def _insert_in_order(model, rows: list[dict]) -> None:
    """Insert ``rows`` in the list's order, which becomes their order on disk."""
    if rows:
        db.session.execute(insert(model), rows)
