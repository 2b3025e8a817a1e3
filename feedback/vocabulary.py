"""The product's words, in one place (README "How it works"): the rater groups and how the coach
reads them, and the states of cycles and invites.

Everything here is plain Python, so the models, the forms, the pages, the emails and
the analysis all name a group or a state the same way.
"""

import enum

#: The coachee's own answers.
SELF = "self"
#: Rater groups, in the order the coach reads them.
RATER_GROUPS = ("boss", "peer", "subordinate", "partner")
#: Every group an answer can come from.
GROUPS = (SELF, *RATER_GROUPS)
#: Rater groups pooled by the anonymity guard are shown under this name.
OTHER = "other"

#: Each group as the coach, the coachee and the reports name it.
GROUP_LABELS = {
    SELF: "Self",
    "boss": "Boss",
    "peer": "Peers",
    "subordinate": "Subordinates",
    "partner": "Partners",
    OTHER: "Other raters",
}

#: Words accepted for each group in pasted lists, besides the group's own name.
GROUP_SYNONYMS = {
    "boss": "boss",
    "bosses": "boss",
    "manager": "boss",
    "peer": "peer",
    "peers": "peer",
    "colleague": "peer",
    "subordinate": "subordinate",
    "subordinates": "subordinate",
    "report": "subordinate",
    "direct report": "subordinate",
    "partner": "partner",
    "partners": "partner",
    "client": "partner",
    # German, French and Spanish, as a coachee who reads the portal in them writes the
    # groups (the words of the glossary, singular and plural, and the common others).
    "führungskraft": "boss",
    "führungskräfte": "boss",
    "vorgesetzte": "boss",
    "vorgesetzter": "boss",
    "chef": "boss",
    "chefin": "boss",
    "responsable": "boss",
    "jefe": "boss",
    "jefa": "boss",
    "kollege": "peer",
    "kollegin": "peer",
    "kollegen": "peer",
    "kolleginnen": "peer",
    "pair": "peer",
    "pairs": "peer",
    "collègue": "peer",
    "collègues": "peer",
    "colega": "peer",
    "colegas": "peer",
    "compañero": "peer",
    "compañera": "peer",
    "compañeros": "peer",
    "mitarbeitende": "subordinate",
    "mitarbeiter": "subordinate",
    "mitarbeiterin": "subordinate",
    "collaborateur": "subordinate",
    "collaboratrice": "subordinate",
    "collaborateurs": "subordinate",
    "collaboratrices": "subordinate",
    "colaborador": "subordinate",
    "colaboradora": "subordinate",
    "colaboradores": "subordinate",
    "partnerin": "partner",
    "kunde": "partner",
    "kundin": "partner",
    "partenaire": "partner",
    "partenaires": "partner",
    "socio": "partner",
    "socia": "partner",
    "socios": "partner",
    "cliente": "partner",
}


class CycleState(enum.StrEnum):
    """A cycle collects answers while open; its results show once it is closed. A
    cycle is opened as it is created, so no cycle is ever stored as a draft."""

    OPEN = "open"
    CLOSED = "closed"


class CycleStateError(Exception):
    """A change that the cycle's state does not allow (closing a closed cycle, …)."""


class InviteState(enum.StrEnum):
    """awaiting (the coach's approval) → pending → sent → opened → submitted | declined
    | bounced; removed: taken off the list by the coachee or the coach before
    answering."""

    AWAITING = "awaiting"
    PENDING = "pending"
    SENT = "sent"
    OPENED = "opened"
    SUBMITTED = "submitted"
    DECLINED = "declined"
    BOUNCED = "bounced"
    REMOVED = "removed"


#: The longest name of a person (coach, coachee, rater) the columns hold. A longer
#: name is refused with a message, never cut.
NAME_MAX_LENGTH = 120


def name_too_long(name: str) -> str | None:
    """Why ``name`` (stripped) cannot be stored, or None when it fits."""
    length = len(name.strip())
    if length > NAME_MAX_LENGTH:
        from flask_babel import gettext  # here: the vocabulary itself needs no Flask

        return gettext(
            "the name has %(length)s characters; please shorten it to %(most)s",
            length=length,
            most=NAME_MAX_LENGTH,
        )
    return None


#: States in which a rater can still answer.
ANSWERABLE = (InviteState.PENDING, InviteState.SENT, InviteState.OPENED)
