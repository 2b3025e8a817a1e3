"""Stage five's decision matrix: the options, the criteria with a weight each, every
option scored against every criterion, and the options ranked by their weighted score.
Services flush; the calling view commits."""

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import delete, select

from ..coaching.models import Coachee
from ..errors import NotFound
from ..extensions import db
from .models import Criterion, Option, OptionScore

#: The scale of weights and scores.
POINTS = (1, 2, 3, 4, 5)
#: At most this many options and criteria: a matrix that helps decide stays small.
MAX_OPTIONS, MAX_CRITERIA = 8, 10
#: The longest option or criterion name, and what the coachee learnt about an option.
MAX_NAME, MAX_LEARNT = 200, 4000


class DecisionError(ValueError):
    """Something that cannot be saved; the message is for the user."""


@dataclass(frozen=True)
class Ranked:
    """One option's place: its weighted score out of the most it could have, and
    whether every criterion is scored."""

    option: Option
    total: int
    most: int
    complete: bool

    @property
    def share(self) -> float:
        """The weighted score as a share of the most possible, 0 to 1."""
        return self.total / self.most if self.most else 0.0


@dataclass(frozen=True)
class Matrix:
    """The coachee's matrix as it stands."""

    options: list[Option]
    criteria: list[Criterion]
    scores: dict[tuple[int, int], int]

    def ranking(self) -> list[Ranked]:
        """The options, best weighted score first (ties in the order they were added).
        An option's total counts only the criteria it is scored on; the most it could
        have counts them all, so a missing score never flatters an option."""
        most = sum(c.weight for c in self.criteria) * max(POINTS)
        ranked = []
        for option in self.options:
            given = [
                (c.weight, self.scores[(option.id, c.id)])
                for c in self.criteria
                if (option.id, c.id) in self.scores
            ]
            ranked.append(
                Ranked(
                    option,
                    sum(w * s for w, s in given),
                    most,
                    len(given) == len(self.criteria),
                )
            )
        return sorted(ranked, key=lambda r: -r.total)


def matrix_of(coachee: Coachee) -> Matrix:
    """``coachee``'s options, criteria and scores."""
    options = list(
        db.session.scalars(
            select(Option).where(Option.coachee_id == coachee.id).order_by(Option.id)
        )
    )
    criteria = list(
        db.session.scalars(
            select(Criterion).where(Criterion.coachee_id == coachee.id).order_by(Criterion.id)
        )
    )
    rows = db.session.execute(
        select(OptionScore.option_id, OptionScore.criterion_id, OptionScore.score).where(
            OptionScore.option_id.in_([o.id for o in options])
        )
    ).all()
    return Matrix(options, criteria, {(o, c): s for o, c, s in rows})


def _name(name: str, what: str) -> str:
    name = name.strip()
    if not name:
        raise DecisionError(
            gettext("please name the option")
            if what == "option"
            else gettext("please name the criterion")
        )
    if len(name) > MAX_NAME:
        raise DecisionError(gettext("a name holds at most %(most)s characters", most=MAX_NAME))
    return name


def add_option(coachee: Coachee, *, name: str, learnt: str = "") -> Option:
    """A realistic opportunity and what the coachee learnt about it.

    Raises:
        DecisionError: no name, too long, or already the most options.
    """
    name = _name(name, "option")
    if len(learnt) > MAX_LEARNT:
        raise DecisionError(
            gettext("what you learnt holds at most %(most)s characters", most=MAX_LEARNT)
        )
    if len(matrix_of(coachee).options) >= MAX_OPTIONS:
        raise DecisionError(gettext("at most %(most)s options; remove one first", most=MAX_OPTIONS))
    option = Option(coachee_id=coachee.id, name=name, learnt=learnt.strip())
    db.session.add(option)
    db.session.flush()
    return option


def add_criterion(coachee: Coachee, *, name: str, weight: int) -> Criterion:
    """A criterion of the decision and its weight, 1 to 5.

    Raises:
        DecisionError: no name, too long, a weight off the scale, or already the most.
    """
    name = _name(name, "criterion")
    if weight not in POINTS:
        raise DecisionError(gettext("a weight is 1 to 5"))
    if len(matrix_of(coachee).criteria) >= MAX_CRITERIA:
        raise DecisionError(
            gettext("at most %(most)s criteria; remove one first", most=MAX_CRITERIA)
        )
    criterion = Criterion(coachee_id=coachee.id, name=name, weight=weight)
    db.session.add(criterion)
    db.session.flush()
    return criterion


def remove(coachee: Coachee, kind: str, row_id: int) -> None:
    """Remove one of ``coachee``'s options or criteria (``kind``), with its scores.

    Raises:
        NotFound: not one of theirs.
    """
    model = {"option": Option, "criterion": Criterion}.get(kind)
    if model is None:
        raise NotFound(f"no {kind} {row_id}")
    row = model.of(coachee.id, row_id, kind)
    column = OptionScore.option_id if kind == "option" else OptionScore.criterion_id
    db.session.execute(delete(OptionScore).where(column == row_id))
    db.session.delete(row)
    db.session.flush()


def save_scores(coachee: Coachee, scores: dict[tuple[int, int], int | None]) -> None:
    """Set the scores of (option id, criterion id) pairs; None clears one.

    Raises:
        DecisionError: a pair that is not the coachee's, or a score off the scale.
    """
    matrix = matrix_of(coachee)
    options = {o.id for o in matrix.options}
    criteria = {c.id for c in matrix.criteria}
    for (option_id, criterion_id), score in scores.items():
        if option_id not in options or criterion_id not in criteria:
            raise DecisionError(gettext("a score for an option or criterion that is not here"))
        if score is not None and score not in POINTS:
            raise DecisionError(gettext("a score is 1 to 5"))
    for (option_id, criterion_id), score in scores.items():
        row = db.session.get(OptionScore, (option_id, criterion_id))
        if score is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(OptionScore(option_id=option_id, criterion_id=criterion_id, score=score))
        else:
            row.score = score
    db.session.flush()
