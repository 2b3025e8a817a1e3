"""What the cycle's life records besides the cycle itself."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class CycleNote(db.Model):
    """A note that goes at most once per cycle (to the coach: every group has enough
    answers; the cycle closed). The unique key makes "queue it once" hold even when
    several workers look at the same cycle at the same moment."""

    __tablename__ = "cycle_notes"
    __table_args__ = (UniqueConstraint("cycle_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    #: groups_ready, cycle_closed or nominations_waiting.
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
