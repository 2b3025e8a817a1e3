"""Errors that services raise and the web layer turns into answers (see
:mod:`feedback.web`): services never call ``abort``."""


class NotFound(LookupError):
    """Nothing of that id for this person: another coach's coachee, a revoked link, a
    goal of another cycle. Pages answer 404, commands exit with status 2."""
