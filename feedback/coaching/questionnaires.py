"""The questionnaires a coach may start a cycle on: the shipped default and their own.

A coach's questionnaire is saved from a spec (imported from TOML or edited in the
browser) by :func:`save_questionnaire`, which keeps the rule of versions: a stored
version never changes. Saving a changed questionnaire makes the next version, which
new cycles use, and past cycles keep theirs. (Replacing a version no cycle uses yet
would save numbers, but the answer forms and the ids of the statements are cached per
stored version, and SQLite may give a new row the id of one just deleted.) Keys are
unique across coaches. Services flush; the caller commits.
"""

from dataclasses import dataclass, replace

from flask_babel import gettext
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Coach
from ..errors import NotFound
from ..extensions import db
from ..i18n import page_language
from ..questionnaires import QuestionnaireSpec, default_questionnaire
from ..questionnaires.models import Questionnaire
from ..questionnaires.store import add_version, latest_version, spec_of, stored_questionnaire
from . import audit
from .models import Cycle


class KeyTaken(ValueError):
    """The key belongs to the shipped questionnaire or to another coach."""


class SavedMeanwhile(ValueError):
    """Another request stored the same key and version at the same moment."""


@dataclass(frozen=True)
class Saved:
    """What saving did: ``questionnaire`` is the stored version, ``outcome`` one of
    "new" (a new key), "unchanged" or "new version" (the versions before it stay, for
    the cycles that use them)."""

    questionnaire: Questionnaire
    outcome: str


def in_use(questionnaire: Questionnaire) -> bool:
    """Whether a cycle (open or closed) uses this version."""
    return bool(
        db.session.scalar(select(exists().where(Cycle.questionnaire_id == questionnaire.id)))
    )


def save_questionnaire(spec: QuestionnaireSpec, coach: Coach) -> Saved:
    """Store ``spec`` as ``coach``'s questionnaire, keeping every version a cycle uses.

    Raises KeyTaken when the key is the shipped questionnaire's or another coach's,
    SavedMeanwhile when another request stored that version at the same moment.
    """
    if spec.key == default_questionnaire().key:
        raise KeyTaken(
            f'the key "{spec.key}" belongs to the shipped questionnaire; choose another key'
        )
    latest = latest_version(spec.key)
    if latest is None:
        return Saved(_add(spec, coach), "new")
    if latest.coach_id != coach.id:
        whose = "the shipped questionnaire" if latest.coach_id is None else "another questionnaire"
        raise KeyTaken(f'the key "{spec.key}" belongs to {whose}; choose another key')
    if replace(spec, version=latest.version) == spec_of(latest):
        return Saved(latest, "unchanged")
    version = max(latest.version + 1, spec.version)
    return Saved(_add(replace(spec, version=version), coach), "new version")


def _add(spec: QuestionnaireSpec, coach: Coach) -> Questionnaire:
    """Store ``spec`` for ``coach``, and say so in the coach's audit trail; the
    database's unique key settles a race."""
    try:
        with db.session.begin_nested():
            stored = add_version(spec, coach_id=coach.id)
    except IntegrityError:
        raise SavedMeanwhile(
            f'"{spec.key}" was saved at the same moment by another request; '
            "open it again and repeat the change"
        ) from None
    audit.record(coach, "questionnaire", detail=f"{spec.key}, version {stored.version}")
    return stored


def own_questionnaires(coach: Coach) -> list[Questionnaire]:
    """The latest version of each of ``coach``'s questionnaires, by title."""
    rows = db.session.scalars(
        select(Questionnaire)
        .where(Questionnaire.coach_id == coach.id)
        .order_by(Questionnaire.key, Questionnaire.version.desc())
    )
    latest: dict[str, Questionnaire] = {}
    for row in rows:
        latest.setdefault(row.key, row)
    return sorted(latest.values(), key=lambda q: (q.title.lower(), q.key))


def questionnaire_choices(coach: Coach) -> list[tuple[str, str]]:
    """(key, label) of every questionnaire ``coach`` may start a cycle on, the default
    first."""
    default = default_questionnaire()
    language = page_language()
    default_title = getattr(default.translations.get(language), "title", default.title)
    choices = [(default.key, gettext("%(title)s (the default)", title=default_title))]
    for q in own_questionnaires(coach):
        title = (q.translated(language) or {}).get("title") or q.title
        choices.append(
            (
                q.key,
                gettext(
                    "%(title)s (%(points)s-point scale, version %(version)s)",
                    title=title,
                    points=q.scale_points,
                    version=q.version,
                ),
            )
        )
    return choices


def questionnaire_for_cycle(coach: Coach, key: str | None) -> Questionnaire:
    """The version of ``key`` a new cycle of ``coach`` uses: the latest. No key (or the
    default's key) is the shipped default. Raises NotFound for a key that is not the
    default's nor one of ``coach``'s (another coach's questionnaire is refused alike)."""
    if key is None or key == default_questionnaire().key:
        return stored_questionnaire()
    latest = latest_version(key)
    if latest is None or latest.coach_id != coach.id:
        raise NotFound(f'no questionnaire "{key}" of yours')
    return latest


def owned_questionnaire(coach: Coach, key: str) -> Questionnaire:
    """The latest version of ``coach``'s questionnaire ``key``; NotFound otherwise."""
    latest = latest_version(key)
    if latest is None or latest.coach_id != coach.id:
        raise NotFound(f'no questionnaire "{key}" of yours')
    return latest
