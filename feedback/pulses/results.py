"""A closed pulse beside its baseline, per statement: others' figure and each group's,
as the cycle showed them and as the pulse shows them, through the guard and the rule
across time (:func:`feedback.analysis.pulse_shown`). Nothing here decides what is
hidden: it calls the engine and keeps the answers."""

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import analysis
from ..extensions import db
from ..ratings.frames import ratings_frame
from ..ratings.results import cycle_report, rules_for
from ..vocabulary import GROUP_LABELS, RATER_GROUPS, InviteState
from .models import Pulse, PulseInvite, PulseResponse, PulseScore

#: Why a pulse's figures are fewer than its answers, in the coach's words.
WHY_POOLED = _l(
    "Only others' overall figure is shown here: some raters answered the cycle but not "
    "the pulse, or the other way round, in numbers so small that a group's figure set "
    "beside the cycle's would show their answer by difference."
)
WHY_HIDDEN = _l(
    "Nothing of the pulse is shown here: too few raters answered both, or too few left "
    "or joined, to set its figure beside the cycle's without showing someone's answer "
    "by difference."
)
WHY_TOO_FEW = _l("Too few raters answered this statement in the pulse to show a figure.")
#: The row of every rater pooled.
ALL_RATERS = _l("All raters")
#: Why nothing is compared while the cycle is reopened.
NOT_CLOSED_NOW = _l("The cycle is not closed now, so there is nothing to compare with.")


@dataclass
class Figure:
    """A mean and how many answered, or None where it is not shown."""

    mean: float | None
    n: int | None

    @property
    def shown(self) -> bool:
        """Whether there is a figure to show."""
        return self.mean is not None


@dataclass
class GroupRow:
    """One group (or others pooled) on one statement: the cycle, the pulse, the change."""

    label: str
    baseline: Figure
    pulse: Figure
    #: The rater group, or None for all raters pooled.
    group: str | None = None

    @property
    def change(self) -> float | None:
        """Pulse minus cycle, where both are shown."""
        if self.baseline.shown and self.pulse.shown:
            return self.pulse.mean - self.baseline.mean
        return None


@dataclass
class StatementResult:
    """One re-checked statement: others pooled, then each group shown in both."""

    key: str
    text: str
    others: GroupRow
    groups: list[GroupRow] = field(default_factory=list)
    why: str | None = None


@dataclass
class PulseResults:
    """What the coach sees of a closed pulse."""

    statements: list[StatementResult]
    #: "What has changed?", shuffled: (text, group label or None).
    changed: list[tuple[str, str | None]]
    #: Raters who answered, in all (never who).
    answered: int
    #: Set when there is nothing to compare with (the cycle was reopened meanwhile).
    unavailable: str | None = None


def _figure(row: pd.Series | None, prefix: str, allowed: bool = True) -> Figure:
    if row is None or not allowed:
        return Figure(None, None)
    mean, n = row.get(f"{prefix}_mean"), row.get(f"{prefix}_n")
    if mean is None or pd.isna(mean):
        return Figure(None, None)
    return Figure(float(mean), int(n))


def pulse_frame(pulse: Pulse) -> pd.DataFrame:
    """The pulse's answers in the analysis's long format (rater_id: the random response
    id; competency: the statement's competency title)."""
    cycle = pulse.cycle
    competency = {item.key: item.competency.title for item in cycle.questionnaire.items}
    rows = db.session.execute(
        select(PulseResponse.id, PulseResponse.group, PulseScore.item_key, PulseScore.score)
        .join(PulseScore, PulseScore.response_id == PulseResponse.id)
        .where(PulseResponse.pulse_id == pulse.id)
        .order_by(PulseScore.item_key, PulseResponse.id)
    ).all()
    frame = pd.DataFrame(rows, columns=["rater_id", "group", "item_key", "score"]).astype(
        {"score": "float64"}
    )
    frame.insert(0, "coachee_id", str(cycle.coachee_id))
    frame["competency"] = frame["item_key"].map(competency)
    order = {key: i for i, key in enumerate(pulse.statements)}
    return frame.sort_values("item_key", key=lambda s: s.map(order), kind="stable")


def _answer_counts(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Raters who answered each statement, per group (not "Don't know")."""
    answered = frame[frame["score"].notna() & (frame["group"] != "self")]
    return (
        answered.groupby(["item_key", "group"])["rater_id"]
        .nunique()
        .unstack(fill_value=0)
        .reindex(index=keys, columns=list(RATER_GROUPS), fill_value=0)
    )


def _respondents(frame: pd.DataFrame) -> dict[str, int]:
    others = frame[frame["group"] != "self"].drop_duplicates("rater_id")
    counts = others["group"].value_counts()
    return {group: int(counts.get(group, 0)) for group in RATER_GROUPS}


def _answered_invites(pulse: Pulse, from_cycle: bool) -> dict[str, int]:
    rows = db.session.execute(
        select(PulseInvite.group).where(
            PulseInvite.pulse_id == pulse.id,
            PulseInvite.state == InviteState.SUBMITTED,
            PulseInvite.from_cycle.is_(from_cycle),
        )
    ).scalars()
    counts = pd.Series(list(rows), dtype=object).value_counts()
    return {group: int(counts.get(group, 0)) for group in RATER_GROUPS}


def who_answered_both(pulse: Pulse, baseline: dict[str, int]) -> tuple[dict, dict]:
    """Per group, the cycle's respondents who did not answer the pulse (``left``) and
    the pulse's respondents who had not answered the cycle (``joined``), from the
    invites (who answered, never what). A rater asked again whose cycle answer is not
    in the results (held back after a reopen) counts as joined."""
    returning = _answered_invites(pulse, True)
    added = _answered_invites(pulse, False)
    left = {g: max(baseline[g] - returning[g], 0) for g in RATER_GROUPS}
    joined = {g: added[g] + max(returning[g] - baseline[g], 0) for g in RATER_GROUPS}
    return left, joined


def _respondents_of(pulse: Pulse) -> set[tuple[str, str]]:
    """Who answered ``pulse``, as (address, group): the invitations, never the answers."""
    rows = db.session.execute(
        select(PulseInvite.email, PulseInvite.group).where(
            PulseInvite.pulse_id == pulse.id, PulseInvite.state == InviteState.SUBMITTED
        )
    ).all()
    return {(email, group) for email, group in rows}


def who_answered_both_pulses(earlier: Pulse, pulse: Pulse) -> tuple[dict, dict]:
    """Per group, who answered ``earlier`` and not ``pulse`` (``left``), and the other
    way round (``joined``), matched by address. An erased address matches nothing, so
    after the retention every rater counts as changed: the rule then errs on the side
    of showing less."""
    before, after = _respondents_of(earlier), _respondents_of(pulse)
    left = Counter(group for _, group in before - after)
    joined = Counter(group for _, group in after - before)
    return dict(left), dict(joined)


def _earlier_pulses(pulse: Pulse) -> list[Pulse]:
    """The closed pulses on the same cycle that began before ``pulse``: their results
    were shown too, so ``pulse`` is set beside each of them as beside the cycle."""
    return list(
        db.session.scalars(
            select(Pulse).where(
                Pulse.cycle_id == pulse.cycle_id,
                Pulse.id != pulse.id,
                Pulse.created_at <= pulse.created_at,
                Pulse.closed_at.is_not(None),
            )
        )
    )


def _combined(verdicts: list[pd.DataFrame]) -> pd.DataFrame:
    """One verdict per statement that passes every comparison: the guard's showing
    where each comparison leaves it whole, else others' overall figure alone where
    each comparison allows that, else nothing."""
    first = verdicts[0].copy()
    for key in first.index:
        if all(v.loc[key, "across_time"] is None for v in verdicts):
            continue
        alone = all(bool(v.loc[key, "others_alone"]) for v in verdicts)
        first.loc[key, list(RATER_GROUPS)] = False
        first.loc[key, "others"] = alone
        first.loc[key, "across_time"] = (
            analysis.POOLED_ACROSS_TIME if alone else analysis.HIDDEN_ACROSS_TIME
        )
    return first


def _seed(pulse: Pulse) -> int:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"pulse-comments-{pulse.id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def pulse_results(pulse: Pulse) -> PulseResults | None:
    """The closed pulse beside its baseline; None while the pulse is not closed."""
    if not pulse.is_closed:
        return None
    cycle = pulse.cycle
    report = cycle_report(cycle)
    keys = list(pulse.statements)
    frame = pulse_frame(pulse)
    answered = int(frame["rater_id"].nunique()) if len(frame) else 0
    if report is None:
        return PulseResults(
            [],
            [],
            answered,
            unavailable=str(NOT_CLOSED_NOW),
        )
    rules = rules_for(cycle)
    baseline_ratings = ratings_frame(cycle)
    left, joined = who_answered_both(pulse, _respondents(baseline_ratings))
    items = report.results.items.set_index("item_key")
    if len(frame):
        pulse_items = analysis.item_stats(frame, rules).set_index("item_key")
        counts = _answer_counts(frame, keys)
        verdicts = [
            analysis.pulse_shown(
                _answer_counts(baseline_ratings, keys), counts, left, joined, rules
            ),
            *(
                analysis.pulse_shown(
                    _answer_counts(pulse_frame(earlier), keys),
                    counts,
                    *who_answered_both_pulses(earlier, pulse),
                    rules,
                )
                for earlier in _earlier_pulses(pulse)
            ),
        ]
        decision = _combined(verdicts)
    else:
        pulse_items, decision = None, None
    statements = []
    for key in keys:
        base = items.loc[key] if key in items.index else None
        after = None
        if pulse_items is not None and key in pulse_items.index:
            after = pulse_items.loc[key]
        verdict = decision.loc[key] if decision is not None else None
        others = GroupRow(
            str(ALL_RATERS),
            _figure(base, "others"),
            _figure(after, "others", verdict is not None and bool(verdict["others"])),
        )
        groups = [
            GroupRow(
                GROUP_LABELS[group],
                _figure(base, group),
                _figure(after, group, verdict is not None and bool(verdict[group])),
                group,
            )
            for group in RATER_GROUPS
        ]
        reason = verdict["across_time"] if verdict is not None else None
        why = {
            analysis.POOLED_ACROSS_TIME: WHY_POOLED,
            analysis.HIDDEN_ACROSS_TIME: WHY_HIDDEN,
        }.get(reason)
        if why is None and not others.pulse.shown:
            why = WHY_TOO_FEW
        statements.append(
            StatementResult(
                key=key,
                text=report.item_texts.get(key, key),
                others=others,
                groups=[g for g in groups if g.baseline.shown or g.pulse.shown],
                why=why,
            )
        )
    return PulseResults(statements, _changed(pulse, frame, rules, answered), answered)


def _changed(pulse: Pulse, frame: pd.DataFrame, rules, answered: int) -> list:
    """The answers to "What has changed?", shuffled, labelled only where the guard
    allows; none unless at least k raters answered the pulse in all."""
    if answered < rules.min_group_size:
        return []
    texts = db.session.execute(
        select(PulseResponse.group, PulseResponse.changed).where(
            PulseResponse.pulse_id == pulse.id, PulseResponse.changed != ""
        )
    ).all()
    if not texts:
        return []
    comments = pd.DataFrame(
        {
            "group": [t.group for t in texts],
            "question_key": "changed",
            "text": [t.changed for t in texts],
        }
    )
    shuffled = analysis.shuffle_comments(
        comments, analysis.comment_groups(frame, rules), seed=_seed(pulse)
    )
    return [
        (text, None if label is None or pd.isna(label) else GROUP_LABELS[label])
        for text, label in zip(shuffled["text"], shuffled["group_label"], strict=True)
    ]
