"""When a cycle closes, its drafts leave SQLite's write-ahead log too.

Closing (:func:`feedback.cycles.lifecycle.close_cycle`, by the coach, a command or the
deadline) sets the cycle's state; this listener asks the database layer for a
truncating checkpoint once that transaction commits
(:func:`feedback.database.erase_old_versions_after_commit`), wherever the close came
from. Retention and a coachee's erasure ask for the same directly.
"""

from sqlalchemy import event

from ..coaching.models import Cycle
from ..database import erase_old_versions_after_commit
from ..vocabulary import CycleState


@event.listens_for(Cycle.state, "set")
def _erase_after_close(_cycle, value, old_value, _initiator) -> None:
    """A cycle that becomes closed: checkpoint and truncate the log after the commit."""
    if value is CycleState.CLOSED and old_value is not CycleState.CLOSED:
        erase_old_versions_after_commit()
