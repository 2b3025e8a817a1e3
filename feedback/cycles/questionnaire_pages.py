"""The coach's questionnaire pages: their questionnaires, the editor (new from the
default, from one of theirs or from scratch; edit, which saves a new version once a
cycle uses the old one), the preview of the rater's form and the TOML download."""

from datetime import timedelta
from types import SimpleNamespace

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..coaching.questionnaires import (
    KeyTaken,
    SavedMeanwhile,
    in_use,
    own_questionnaires,
    owned_questionnaire,
    save_questionnaire,
)
from ..database import commit
from ..i18n import page_language
from ..questionnaires import default_questionnaire
from ..questionnaires.editing import blank_draft, check, draft_from_form, draft_of, slug
from ..questionnaires.models import Questionnaire
from ..questionnaires.schema import MAX_SCALE_POINTS, MIN_SCALE_POINTS, TRANSLATION_LANGUAGES
from ..questionnaires.store import spec_of, stored_or_unsaved
from ..questionnaires.writer import to_toml
from ..ratings.forms import answer_form
from ..timeutil import today
from ..vocabulary import GROUP_LABELS

bp = Blueprint("questionnaires", __name__, url_prefix="/questionnaires")
#: The name the preview puts in place of the coachee's.
SAMPLE_NAME = "Alex"


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here is the coach's."""


@bp.get("/")
def list_questionnaires():
    """The default and the coach's own questionnaires, and where to start a new one."""
    own = own_questionnaires(current_user)
    return render_template(
        "questionnaires/list.html",
        default=default_questionnaire(),
        own=own,
        used={q.id: in_use(q) for q in own},
    )


def _languages_changed(draft) -> bool:
    """Apply the editor's "add a translation" or "remove" button, if one was pressed
    (the page is shown again with the change, nothing saved): whether one was."""
    if code := request.form.get("add_language"):
        draft.with_language(code)
        return True
    if code := request.form.get("remove_language"):
        draft.without_language(code)
        return True
    return False


def _source(key: str | None):
    """The spec a new questionnaire starts from: the default, one of the coach's, or
    none (from scratch)."""
    if not key:
        return None
    if key == default_questionnaire().key:
        return default_questionnaire()
    return spec_of(owned_questionnaire(current_user, key))


def _editor(draft, *, questionnaire: Questionnaire | None, errors=None, general=None):
    return render_template(
        "questionnaires/edit.html",
        draft=draft.with_blank_rows(),
        addable=[code for code in TRANSLATION_LANGUAGES if code not in draft.translations],
        questionnaire=questionnaire,
        used=questionnaire is not None and in_use(questionnaire),
        errors=errors or {},
        general=general or [],
        point_choices=range(MIN_SCALE_POINTS, MAX_SCALE_POINTS + 1),
    )


@bp.route("/new", methods=["GET", "POST"])
def new_questionnaire():
    """A new questionnaire: a copy of ``?from=KEY`` (the default or one of the coach's)
    or, without it, from scratch."""
    if request.method == "GET":
        source = _source(request.args.get("from"))
        if source is None:
            draft = blank_draft(page_language())
        else:
            draft = draft_of(source)
            draft.key = ""
            draft.title = _("Copy of %(title)s", title=source.title)[:200]
        return _editor(draft, questionnaire=None)
    draft = draft_from_form(request.form)
    if _languages_changed(draft):
        return _editor(draft, questionnaire=None)
    taken = {q.key for q in own_questionnaires(current_user)} | {default_questionnaire().key}
    key = draft.key or slug(draft.title, taken, "questionnaire").replace("_", "-")
    checked = check(draft, key=key, version=1)
    if checked.spec is not None:
        try:
            saved = save_questionnaire(checked.spec, current_user)
        except KeyTaken as exc:
            checked.errors["key"] = [str(exc)[0].upper() + str(exc)[1:] + "."]
        except SavedMeanwhile as exc:
            checked.general.append(str(exc)[0].upper() + str(exc)[1:] + ".")
        else:
            commit()
            flash(_("“%(title)s” is saved.", title=saved.questionnaire.title), "success")
            return redirect(url_for(".edit_questionnaire", key=saved.questionnaire.key))
    return _editor(draft, questionnaire=None, errors=checked.errors, general=checked.general), 400


@bp.route("/<key>", methods=["GET", "POST"])
def edit_questionnaire(key: str):
    """Edit the latest version; saving a change to a version a cycle uses makes the
    next version (past cycles keep theirs)."""
    questionnaire = owned_questionnaire(current_user, key)
    if request.method == "GET":
        return _editor(draft_of(spec_of(questionnaire)), questionnaire=questionnaire)
    draft = draft_from_form(request.form)
    draft.key = questionnaire.key
    if _languages_changed(draft):
        return _editor(draft, questionnaire=questionnaire)
    checked = check(draft, key=questionnaire.key, version=questionnaire.version)
    if checked.spec is None:
        return _editor(
            draft, questionnaire=questionnaire, errors=checked.errors, general=checked.general
        ), 400
    try:
        saved = save_questionnaire(checked.spec, current_user)
    except SavedMeanwhile as exc:
        general = [str(exc)[0].upper() + str(exc)[1:] + "."]
        return _editor(draft, questionnaire=questionnaire, general=general), 409
    commit()
    stored = saved.questionnaire
    if saved.outcome == "unchanged":
        flash(_("Nothing changed."), "info")
    else:
        flash(
            _(
                "Saved as version %(version)s. New cycles use it; cycles started before keep "
                "the version they started on.",
                version=stored.version,
            ),
            "success",
        )
    return redirect(url_for(".edit_questionnaire", key=stored.key))


@bp.get("/<key>/preview")
def preview(key: str):
    """The rater's form as raters see it, with a sample name; nothing can be sent."""
    questionnaire = (
        stored_or_unsaved(default_questionnaire())
        if key == default_questionnaire().key
        else owned_questionnaire(current_user, key)
    )
    coachee = SimpleNamespace(
        name=f"{SAMPLE_NAME} Sample", first_name=SAMPLE_NAME, coach=current_user
    )
    cycle = SimpleNamespace(
        coachee=coachee,
        min_group_size=3,
        boss_exempt=True,
        closes_on=today() + timedelta(days=21),
    )
    return render_template(
        "ratings/form.html",
        form=answer_form(questionnaire, "rater"),
        cycle=cycle,
        invite=SimpleNamespace(group="peer"),
        questionnaire=questionnaire,
        audience="rater",
        name=SAMPLE_NAME,
        group_label=GROUP_LABELS["peer"],
        submitted=False,
        can_decline=False,
        preview=True,
    )


@bp.get("/<key>/export.toml")
def export(key: str):
    """The latest version as a TOML file (``feedback questionnaire import`` takes it)."""
    if key == default_questionnaire().key:
        spec = default_questionnaire()
    else:
        spec = spec_of(owned_questionnaire(current_user, key))
    return Response(
        to_toml(spec),
        mimetype="application/toml",
        headers={"Content-Disposition": f'attachment; filename="{spec.key}.toml"'},
    )
