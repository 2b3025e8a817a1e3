"""Coach accounts: creation and authentication."""

from sqlalchemy import select

from ..extensions import db
from ..vocabulary import name_too_long
from .models import Coach

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256

#: Checked when the email is unknown, so both cases cost the same time.
_DUMMY = Coach(email="", name="")
_DUMMY.set_password("not a real password")


def create_coach(*, email: str, name: str, password: str) -> Coach:
    """A new coach; raises ValueError for a taken email or a weak password."""
    email = email.strip().lower()
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValueError(
            f"the password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    if not name.strip():
        raise ValueError("the name must not be empty")
    if problem := name_too_long(name):
        raise ValueError(problem)
    if coach_by_email(email) is not None:
        raise ValueError(f"a coach with email {email} exists already")
    coach = Coach(email=email, name=name.strip())
    coach.set_password(password)
    db.session.add(coach)
    db.session.flush()
    return coach


def coach_by_email(email: str) -> Coach | None:
    """The coach with this email, case-insensitively."""
    return db.session.scalar(select(Coach).where(Coach.email == email.strip().lower()))


def authenticate(email: str, password: str) -> Coach | None:
    """The coach if the password matches; None otherwise, in the same time either way."""
    coach = coach_by_email(email)
    if coach is None:
        _DUMMY.check_password(password)
        return None
    return coach if coach.check_password(password) else None
