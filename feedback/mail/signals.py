"""What the mail package tells the domains, through blinker (Flask's signalling library).

Receivers run inside the sender's transaction, before the outcomes are committed, so
what an outcome means for a domain is saved together with the outcome. The sender
commits each message's outcome as soon as the server has answered it (with any others
heard since its last commit), so receivers hear a batch in small parts.
"""

from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()

#: Sent with ``outcomes`` (a list of :class:`Outcome`) after the sender has recorded
#: some outcomes, before it commits them; the sender is the app. The same outcome may
#: be heard twice when a commit's answer was lost, so receivers must be idempotent.
outcomes_recorded = _signals.signal("mail-outcomes-recorded")


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt to deliver one message.

    ``status`` is ``sent``, ``retry`` (it will be tried again), ``failed`` (given up)
    or ``uncertain`` (its content went to the server and no answer was recorded: it
    most likely arrived, and it is not sent again). ``refused_recipient`` says the
    failure lies with the recipient's address (a 5xx, an address no server would take,
    or the server refusing this message until we gave up), not with our side (an
    unreachable or closing server).
    """

    message_id: int
    kind: str
    invite_id: int | None
    cycle_id: int | None
    status: str
    refused_recipient: bool = False
