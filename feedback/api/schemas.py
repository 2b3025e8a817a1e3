"""The API's requests and answers as pydantic models: they validate what comes in and
are the OpenAPI document's schemas (:mod:`.spec`), so the document cannot drift from
what the API accepts."""

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from ..questionnaires import default_questionnaire
from ..raters.services import DEFAULT_MINIMUM_IN_ALL, DEFAULT_MINIMUMS, MAX_RATERS_PER_CYCLE
from ..vocabulary import RATER_GROUPS

RaterGroup = Literal[RATER_GROUPS]  # type: ignore[valid-type]


def _no_nul(value: str) -> str:
    """Text without NUL characters, which PostgreSQL cannot store."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


class Body(BaseModel):
    """A request body: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- problems


class FieldError(BaseModel):
    """One field at fault in a request."""

    field: str = Field(description="Where: `body.email`, `query.format`, …")
    message: str
    code: str = Field(description="The validator's code for the error, e.g. `missing`.")


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="For a request that is not valid: one entry per field."
    )


# ---------------------------------------------------------------- coachees

#: A language the service speaks, by code: English, German, French, Spanish.
Language = Literal["en", "de", "fr", "es"]


class CoacheeIn(Body):
    """A new coachee."""

    name: str = Field(min_length=1, max_length=120)
    email: EmailStr = Field(max_length=254)
    language: Language | None = Field(
        default=None,
        description="The language of the coachee's portal and emails; none: the coach's.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = _no_nul(value)
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class CoacheeChange(Body):
    """A coachee's corrected name or address; a new address sends each open cycle's
    portal link there (the old link stops working)."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    email: EmailStr | None = Field(default=None, max_length=254)
    language: Language | None = Field(
        default=None,
        description="The language of the coachee's portal and emails; null: the coach's. "
        "Left out: kept.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else CoacheeIn._name(value)


class Coachee(BaseModel):
    """A coachee of the coach whose token asks."""

    id: int
    name: str
    email: str
    language: Language | None = Field(
        description="The language of the coachee's portal and emails; null: the coach's."
    )
    added_at: dt.datetime
    cycle_ids: list[int]


class CoacheeList(BaseModel):
    """The coach's coachees, by name."""

    coachees: list[Coachee]


class CoacheeExport(BaseModel):
    """The coachee's own data (the pages' “download their data”): who they are, their
    cycles, whom they asked and their self-assessment; never raters' answers."""

    model_config = ConfigDict(extra="allow")

    exported_at: str
    coachee: dict
    coach: dict
    cycles: list[dict]
    not_included: str


# ---------------------------------------------------------------- cycles

#: A cycle's minimum raters, as the new-cycle page names them.
MINIMUMS = ("min_boss", "min_peers", "min_subordinates", "min_raters")


def _minimum(default: int, what: str):
    return Field(
        default=default,
        ge=0,
        le=MAX_RATERS_PER_CYCLE,
        description=f"The fewest {what} the cycle asks for (0: none); it never lowers "
        "the anonymity threshold.",
    )


class CycleIn(Body):
    """A new cycle; the coachee is sent their portal link."""

    closes_on: dt.date = Field(description="The last day answers are taken (within a year).")
    questionnaire: str = Field(
        default=default_questionnaire().key,
        min_length=1,
        max_length=200,
        description="The key of the shipped questionnaire (the default) or of one of the "
        "coach's own; the cycle uses its latest version.",
    )
    welcome_note: str = Field(default="", max_length=2000)
    language: Language = Field(
        default="en",
        description="The language raters are invited in unless the coachee picks another "
        "for one of them; the questionnaire must be written in it.",
    )
    boss_exempt: bool = Field(
        default=True,
        description="Show the boss's answers even when the boss is alone in the group "
        "(boss raters are told so on their form).",
    )

    approve_nominations: bool = Field(
        default=False,
        description="The coachee's nominations wait for the coach's approval before "
        "they are invited (nominations made through the API are the coach's own and "
        "are invited at once).",
    )
    min_boss: int = _minimum(DEFAULT_MINIMUMS["boss"], "bosses")
    min_peers: int = _minimum(DEFAULT_MINIMUMS["peer"], "peers")
    min_subordinates: int = _minimum(DEFAULT_MINIMUMS["subordinate"], "subordinates")
    min_raters: int = _minimum(DEFAULT_MINIMUM_IN_ALL, "raters in all")

    _note = field_validator("welcome_note")(_no_nul)

    def minimums(self) -> dict[str, int]:
        """The minimums as the cycle stores them."""
        return {name: getattr(self, name) for name in MINIMUMS}


class Close(Body):
    """Closing a cycle. One with fewer answers than its minimums closes only when
    `below_minimum` says the coach means it (the page's box)."""

    below_minimum: bool = False


class Reopen(Body):
    """Reopening a closed cycle. The results hide until it closes again; late answers
    join them only where they single nobody out; what was released to the coachee stays
    as it was until the coach releases the new results. `understood` says the coach
    read this, as on the page."""

    closes_on: dt.date
    understood: Literal[True]


class KeepResults(Body):
    """Keeping a closed cycle's results as they were: the late answers that wait are
    deleted and never shown."""

    understood: Literal[True]


class Cycle(BaseModel):
    """A cycle: its state, deadline and dates."""

    id: int
    coachee_id: int
    state: Literal["open", "closed"]
    questionnaire: str = Field(description="The questionnaire's key and version, in words.")
    questionnaire_key: str
    questionnaire_version: int
    closes_on: dt.date
    past_deadline: bool = Field(
        description="Open, but the deadline has passed: it takes no more answers and "
        "closes on the next scheduled round."
    )
    welcome_note: str
    language: Language = Field(description="The language raters are invited in by default.")
    min_group_size: int
    boss_exempt: bool
    approve_nominations: bool
    min_boss: int
    min_peers: int
    min_subordinates: int
    min_raters: int
    started_at: dt.datetime
    closed_at: dt.datetime | None
    released_at: dt.datetime | None


class CycleList(BaseModel):
    """A coachee's cycles, oldest first."""

    cycles: list[Cycle]


class Done(BaseModel):
    """What a step did, in words for a person."""

    message: str


# ---------------------------------------------------------------- raters


class NominationIn(BaseModel):
    """One rater to invite."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=254)
    group: RaterGroup
    name: str = Field(default="", max_length=120)
    #: The language of the rater's emails and form; none: the cycle's.
    language: Language | None = None

    _name = field_validator("name")(_no_nul)


class NominationsIn(Body):
    """Raters to invite; each gets their invitation by email."""

    raters: list[NominationIn] = Field(min_length=1, max_length=60)


NominationState = Literal["awaiting", "invited", "bounced", "removed"]


class Nomination(BaseModel):
    """A rater who was nominated. Whether they answered is never shown (the coachee
    and the coach see counts per group only): `state` is `awaiting` (the coach's
    approval), `invited` (whatever the rater did since), `bounced`, or `removed` (taken
    off the list; the address and name are erased)."""

    id: int
    email: str
    name: str
    group: RaterGroup
    language: Language = Field(
        description="The language of the rater's emails and form: their own, else the cycle's."
    )
    state: NominationState
    bounced: bool


class Approve(Body):
    """Which waiting nominations to approve: those of `ids`, or, without `ids`, all."""

    ids: list[Annotated[int, Field(gt=0, le=2**31 - 1)]] | None = Field(
        default=None, min_length=1, max_length=MAX_RATERS_PER_CYCLE
    )


class Approved(BaseModel):
    """The nominations approved (their invitations are on the way) and what the list
    still lacks for the cycle's minimums."""

    approved: list[Nomination]
    still_missing: str | None = Field(
        description="In words, e.g. `2 more peers`; null when the minimums are met."
    )


class Correction(Body):
    """A nominee's corrected address or group (either, or both). The nominee is taken
    off the list (their link stops working) and the corrected one invited with a fresh
    link."""

    email: EmailStr | None = Field(default=None, max_length=254)
    group: RaterGroup | None = None


class Refusal(BaseModel):
    """A nomination that was not made, and why."""

    email: str
    group: RaterGroup
    reason: str


class NominationList(BaseModel):
    """A cycle's nominations, by group and name."""

    nominations: list[Nomination]


class NominationResult(BaseModel):
    """The invites made and the nominations refused."""

    invited: list[Nomination]
    refused: list[Refusal]


class GroupProgress(BaseModel):
    """One group's counts."""

    invited: int
    answered: int
    bounced: int


class Progress(BaseModel):
    """How many were asked and answered, per group; never who."""

    cycle_id: int
    state: Literal["open", "closed"]
    groups: dict[RaterGroup, GroupProgress]


# ---------------------------------------------------------------- results


class Figures(BaseModel):
    """One row of the results for a statement or a competency, as the dashboard and
    the gap CSV show it; a figure the anonymity guard hides is null."""

    model_config = ConfigDict(extra="allow")

    competency: str
    item_key: str | None = None
    statement: str | None = None
    self: float | None
    others_mean: float | None
    others_n: int | None
    others_sd: float | None
    gap: float | None
    rwg: float | None
    category: str | None


class Agreement(BaseModel):
    """The overall self–other agreement (Brutus, Fleenor & Taylor)."""

    self_overall: float | None
    others_overall: float | None
    others_n: int | None
    difference: float | None
    direction: str | None
    level: str | None
    category: str | None
    explanation: str | None


class Comment(BaseModel):
    """An open answer, in the shuffled order of the dashboard; labelled with its group
    only where that group is shown."""

    text: str
    group: str | None


class Question(BaseModel):
    """An open question and its answers."""

    key: str
    question: str
    comments: list[Comment]


class Results(BaseModel):
    """A closed cycle's results: exactly the figures of the dashboard."""

    min_group_size: int
    boss_exempt: bool
    shown_groups: list[str] = Field(description="Groups with a figure on the dashboard.")
    shown_statements: dict[str, int] = Field(
        description="On how many statements each rater group is shown on its own."
    )
    held_answers: int = Field(description="Late answers that wait (see the dashboard).")
    agreement: Agreement | None
    competencies: list[Figures]
    statements: list[Figures]
    strengths: list[str] = Field(description="Statement keys, highest others' mean first.")
    development_areas: list[str]
    blind_spots: list[str]
    hidden_strengths: list[str]
    self_headline: str | None
    others_headlines: list[str]
    comments: list[Question]
    words: dict[str, list[str]] = Field(description="The word panes: open, blind, hidden.")


class CycleResults(BaseModel):
    """A cycle's results; `results` is null when the cycle closed without answers."""

    cycle_id: int
    closed_at: dt.datetime
    results: Results | None


# ---------------------------------------------------------------- pulses


class PulseIn(Body):
    """A pulse on a closed cycle: one to three of its statements asked again, with
    "What has changed?", of every rater who answered the cycle and of the raters
    added here."""

    statements: list[str] = Field(
        min_length=1, max_length=3, description="Statement (item) keys of the cycle."
    )
    closes_on: dt.date | None = Field(
        default=None, description="The last day answers are taken; default: in two weeks."
    )
    raters: list[NominationIn] = Field(
        default_factory=list,
        max_length=60,
        description="Raters to ask besides those who answered the cycle.",
    )


class PulseGroupProgress(BaseModel):
    """One group's counts in a pulse."""

    asked: int
    answered: int
    bounced: int


class Pulse(BaseModel):
    """A pulse: what it asks, until when, and how many answered per group (never who).
    `state` is `open`, `past_deadline` (it closes within minutes) or `closed` (its
    results show)."""

    id: int
    cycle_id: int
    statements: list[str]
    closes_on: dt.date
    state: Literal["open", "past_deadline", "closed"]
    created_at: dt.datetime
    closed_at: dt.datetime | None
    groups: dict[RaterGroup, PulseGroupProgress]


class PulseList(BaseModel):
    """A cycle's pulses, newest first."""

    pulses: list[Pulse]


class PulseFigure(BaseModel):
    """A mean and how many rated, both null where not shown."""

    mean: float | None
    n: int | None


class PulseRow(BaseModel):
    """One group (or `all` raters) on one statement: the cycle, the pulse, the change."""

    group: RaterGroup | Literal["all"]
    baseline: PulseFigure
    pulse: PulseFigure
    change: float | None = Field(description="Pulse minus cycle, where both are shown.")


class PulseStatement(BaseModel):
    """One statement asked again."""

    key: str
    statement: str
    rows: list[PulseRow]
    why: str | None = Field(description="Why figures are left out, in plain words.")


class PulseResults(BaseModel):
    """A closed pulse beside the cycle it re-checks, exactly as the pulse's page shows
    it: what the anonymity guard and the rule across time leave out is null or absent."""

    pulse_id: int
    closed_at: dt.datetime
    answered: int = Field(description="Raters who answered the pulse, in all.")
    statements: list[PulseStatement]
    changed: list[Comment] = Field(description='The answers to "What has changed?".')
    unavailable: str | None = Field(
        description="Set when there is nothing to compare with (the cycle was reopened)."
    )


# ---------------------------------------------------------------- tokens


class Token(BaseModel):
    """An API token (its secret is shown only once, when it is made)."""

    id: int
    name: str
    scope: Literal["read", "write"]
    prefix: str = Field(description="The secret's first characters.")
    created_at: dt.datetime
    current: bool = Field(description="Whether this request was made with it.")


class TokenList(BaseModel):
    """The coach's live tokens, newest first."""

    tokens: list[Token]


class ExportFormat(StrEnum):
    """The report's formats through the API."""

    csv = "csv"
    xlsx = "xlsx"
    html = "html"


# ---------------------------------------------------------------- webhooks

WebhookEvent = Literal[
    "cycle.closed",
    "cycle.results_ready",
    "cycle.released",
    "invite.bounced",
    "nomination.pending_approval",
    "pulse.closed",
]


class WebhookIn(Body):
    """A URL to tell about the coach's cycles: https to a host on the public internet
    (never one inside the server's network), or http to this machine."""

    url: str = Field(min_length=1, max_length=2000)
    events: list[WebhookEvent] = Field(min_length=1, max_length=6)


class Delivery(BaseModel):
    """One event sent (or being sent) to an endpoint."""

    id: int
    message_id: str = Field(description="The `webhook-id` header, the same on every attempt.")
    event: WebhookEvent
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status: int | None = Field(description="The receiver's HTTP status last time.")
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class Webhook(BaseModel):
    """A registered endpoint (its secret is shown only when it is made)."""

    id: int
    url: str
    events: list[WebhookEvent]
    created_at: dt.datetime
    last_delivery: Delivery | None


class WebhookCreated(Webhook):
    """A new endpoint with its signing secret, shown this once."""

    secret: str = Field(description="Verify each delivery's `webhook-signature` with it.")


class WebhookList(BaseModel):
    """The coach's endpoints."""

    webhooks: list[Webhook]


class DeliveryList(BaseModel):
    """An endpoint's latest deliveries, newest first."""

    deliveries: list[Delivery]
