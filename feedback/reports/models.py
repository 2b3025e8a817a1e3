"""What the coachee was shown: the released report, kept as it was released."""

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class ReleasedReport(db.Model):
    """The coachee's report as the coach released it, rendered once.

    A closed cycle can be reopened (more raters answer) and closed again; the coachee
    keeps seeing what was released until the coach releases the new results."""

    __tablename__ = "released_reports"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True
    )
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The report's sections as HTML (figures, tables, comments), without the page
    #: around them or the development plan, which stays live.
    html: Mapped[str] = mapped_column(Text)
    #: How many raters' answers the released results were made of; a later close that
    #: admits none (all late answers held) leaves nothing new to release. None: released
    #: before this was kept.
    answers_shown: Mapped[int | None]
