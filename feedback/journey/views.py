"""The journey's pages: the coach's (behind the sign-in) and the coachee's (behind the
portal link of any of their cycles; a link sees only its own coachee's journey)."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..coaching.models import Coachee, Cycle
from ..coaching.services import coachee_of, cycle_for_portal_token
from ..database import commit
from ..timeutil import today
from ..web import format_day
from . import decision, gaps, review, services, summary
from .forms import (
    AnswersForm,
    AspectForm,
    CriterionForm,
    HomeworkForm,
    OptionForm,
    OwnQuestionForm,
    SessionNoteForm,
    SkillGapForm,
    StepForm,
    SuccessCriterionForm,
)
from .models import STEP_STATUSES
from .stages import KEEP_STAGE, OUT_THERE_STAGE, SELECT_STAGE, START_STAGE

#: The coach's pages.
bp = Blueprint("journey", __name__, url_prefix="/coachees/<int:coachee_id>/journey")
#: The coachee's pages, behind the portal link.
portal_bp = Blueprint("portal_journey", __name__, url_prefix="/p/<token>/journey")


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page of ``bp`` is the coach's."""


#: What the flash says when a step moves, by its new status.
STEP_MOVED = {
    "planned": lambda: _("The step is planned."),
    "doing": lambda: _("The step is under way."),
    "done": lambda: _("The step is done."),
}
#: What the flash says when a row leaves the decision matrix, by its kind.
REMOVED = {
    "option": _l("The option is removed."),
    "criterion": _l("The criterion is removed."),
}
#: How a service's refusal is put at the field, by what was refused.
REFUSED = {
    "Not added": lambda problem: _("Not added: %(problem)s.", problem=problem),
    "Not saved": lambda problem: _("Not saved: %(problem)s.", problem=problem),
}


def _problems(form) -> str:
    return " ".join(str(m) for messages in form.errors.values() for m in messages) or _(
        "Please check the form."
    )


# The coach's pages ---------------------------------------------------------------------


def _overview(coachee: Coachee, note_form: SessionNoteForm, status: int = 200):
    return render_template(
        "journey/coach_journey.html",
        coachee=coachee,
        journey=services.journey_of(coachee),
        notes=services.session_notes_of(coachee),
        steps=services.steps_of(coachee),
        note_form=note_form,
        today=today(),
    ), status


@bp.get("/")
def show_journey(coachee_id: int):
    """The six stages with their homework, the session notes and the first steps."""
    return _overview(coachee_of(current_user, coachee_id), SessionNoteForm())


@bp.post("/notes")
def add_session_note(coachee_id: int):
    """Keep the private notes of a session (never shown to the coachee)."""
    coachee = coachee_of(current_user, coachee_id)
    form = SessionNoteForm()
    if form.validate_on_submit():
        try:
            services.add_session_note(
                coachee,
                held_on=form.held_on.data,
                discussed=form.discussed.data,
                agreed=form.agreed.data or "",
            )
        except services.JourneyError as exc:
            form.held_on.errors = [*form.held_on.errors, _("Not saved: %(problem)s.", problem=exc)]
        else:
            commit()
            flash(_("The session note is kept."), "success")
            return redirect(url_for("journey.show_journey", coachee_id=coachee.id))
    flash(_("Not saved: %(problem)s", problem=_problems(form)), "error")
    return _overview(coachee, form, 400)


def _stage_page(coachee: Coachee, stage_key: str, status: int = 200, **forms):
    view = services.stage_of(coachee, stage_key)
    homework = forms.get("homework_form") or HomeworkForm(obj=view.homework, formdata=None)
    return render_template(
        "journey/coach_stage.html",
        coachee=coachee,
        view=view,
        answers=services.answers_for(coachee),
        reused=services.reused_answers(coachee) if view.stage.number == 1 else {},
        seen=services.seen_for(coachee, view),
        steps=services.steps_of(coachee) if stage_key == START_STAGE else None,
        statuses=STEP_STATUSES,
        homework_form=homework,
        question_form=forms.get("question_form") or OwnQuestionForm(formdata=None),
        step_form=forms.get("step_form") or StepForm(formdata=None),
        **_matrix_context(coachee, stage_key, forms),
        **_gaps_context(coachee, stage_key, forms),
        **_options_context(coachee, stage_key, forms),
        today=today(),
    ), status


@bp.get("/<stage_key>")
def show_stage(coachee_id: int, stage_key: str):
    """One stage: its questions (hide one, add one), the homework and the answers."""
    return _stage_page(coachee_of(current_user, coachee_id), stage_key)


@bp.post("/<stage_key>/homework")
def open_homework(coachee_id: int, stage_key: str):
    """Open the stage for the coachee to answer in the portal."""
    coachee = coachee_of(current_user, coachee_id)
    form = HomeworkForm()
    if form.validate_on_submit():
        try:
            services.open_homework(
                coachee, stage_key, note=form.note.data or "", due_on=form.due_on.data
            )
        except services.JourneyError as exc:
            form.due_on.errors = [*form.due_on.errors, _("Not saved: %(problem)s.", problem=exc)]
        else:
            commit()
            flash(
                _(
                    "The stage is open in %(name)s's portal, due on %(day)s.",
                    name=coachee.first_name,
                    day=format_day(form.due_on.data),
                ),
                "success",
            )
            return redirect(
                url_for("journey.show_stage", coachee_id=coachee.id, stage_key=stage_key)
            )
    flash(_("Not opened: %(problem)s", problem=_problems(form)), "error")
    return _stage_page(coachee, stage_key, 400, homework_form=form)


@bp.post("/<stage_key>/questions")
def add_own_question(coachee_id: int, stage_key: str):
    """Add the coach's own question to the stage, for this coachee only."""
    coachee = coachee_of(current_user, coachee_id)
    form = OwnQuestionForm()
    if form.validate_on_submit():
        try:
            services.add_own_question(coachee, stage_key, form.text.data)
        except services.JourneyError as exc:
            form.text.errors = [*form.text.errors, _("Not added: %(problem)s.", problem=exc)]
        else:
            commit()
            flash(_("Your question is added."), "success")
            return redirect(
                url_for("journey.show_stage", coachee_id=coachee.id, stage_key=stage_key)
            )
    flash(_("Not added: %(problem)s", problem=_problems(form)), "error")
    return _stage_page(coachee, stage_key, 400, question_form=form)


def _hide_or_show(coachee_id: int, stage_key: str, question_key: str, hidden: bool):
    coachee = coachee_of(current_user, coachee_id)
    services.set_hidden(coachee, stage_key, question_key, hidden)
    commit()
    flash(
        _("The question is hidden from this coachee.")
        if hidden
        else _("The question is asked again."),
        "success",
    )
    return redirect(url_for("journey.show_stage", coachee_id=coachee.id, stage_key=stage_key))


@bp.post("/<stage_key>/questions/<question_key>/hide")
def hide_question(coachee_id: int, stage_key: str, question_key: str):
    """Stop asking this coachee one question (CSRF is checked app-wide)."""
    return _hide_or_show(coachee_id, stage_key, question_key, True)


@bp.post("/<stage_key>/questions/<question_key>/show")
def show_question(coachee_id: int, stage_key: str, question_key: str):
    """Ask this coachee a hidden question again."""
    return _hide_or_show(coachee_id, stage_key, question_key, False)


#: What the journey's services raise for input they refuse (the message is for the user).
_REFUSALS = (services.JourneyError, gaps.GapError, decision.DecisionError, review.ReviewError)


@dataclass(frozen=True)
class _Entry:
    """A kind of row the coach and the coachee add through a form: a first step, an
    entry of stage three's lists, a skill gap, an opportunity, a matrix criterion, a
    success criterion."""

    #: The keyword under which a stage page takes the form back, with its problems.
    form_key: str
    make_form: Callable[[Coachee], FlaskForm]
    save: Callable[[Coachee, FlaskForm], object]
    #: The field that shows the service's refusal.
    problem_at: str
    refused: str = "Not added"

    def add(self, coachee: Coachee) -> tuple[FlaskForm, bool]:
        """Validate the posted form and save what it holds, then commit: the form and
        True. False when nothing is saved, with the service's reason (:data:`_REFUSALS`)
        at the field, so the caller gives the page back with the form and a 400."""
        form = self.make_form(coachee)
        if not form.validate_on_submit():
            return form, False
        try:
            self.save(coachee, form)
        except _REFUSALS as exc:
            field = getattr(form, self.problem_at)
            field.errors = [*field.errors, REFUSED[self.refused](exc)]
            return form, False
        commit()
        return form, True


def _gap_form(coachee: Coachee, formdata=True) -> SkillGapForm:
    form = SkillGapForm() if formdata else SkillGapForm(formdata=None)
    form.goal_id.choices = [("", _("None"))] + [
        (str(goal.id), goal.goal) for goal in gaps.goals_for(coachee)
    ]
    return form


STEP = _Entry(
    "step_form",
    lambda coachee: StepForm(),
    lambda coachee, form: services.add_step(coachee, step=form.step.data, due_on=form.due_on.data),
    "due_on",
    "Not saved",
)
ASPECT = _Entry(
    "aspect_form",
    lambda coachee: AspectForm(),
    lambda coachee, form: gaps.add_aspect(coachee, kind=form.kind.data, text=form.text.data),
    "text",
)
GAP = _Entry(
    "gap_form",
    _gap_form,
    lambda coachee, form: gaps.add_gap(
        coachee,
        gap=form.gap.data,
        plan=form.plan.data or "",
        goal_id=int(form.goal_id.data) if form.goal_id.data else None,
    ),
    "gap",
)
OPTION = _Entry(
    "option_form",
    lambda coachee: OptionForm(),
    lambda coachee, form: decision.add_option(
        coachee, name=form.name.data, learnt=form.learnt.data or ""
    ),
    "name",
)
CRITERION = _Entry(
    "criterion_form",
    lambda coachee: CriterionForm(),
    lambda coachee, form: decision.add_criterion(
        coachee, name=form.name.data, weight=form.weight.data
    ),
    "name",
)
SUCCESS = _Entry(
    "success_form",
    lambda coachee: SuccessCriterionForm(),
    lambda coachee, form: review.add_criterion(
        coachee, criterion=form.criterion.data, review_on=form.review_on.data
    ),
    "review_on",
)


def _coach_adds(coachee_id: int, entry: _Entry, stage_key: str, added: LazyString):
    """The coach adds an ``entry`` on the stage's page: back to it with ``added``, or
    the page again with the form's problems (a 400)."""
    coachee = coachee_of(current_user, coachee_id)
    form, saved = entry.add(coachee)
    if saved:
        flash(str(added), "success")
        return redirect(url_for("journey.show_stage", coachee_id=coachee.id, stage_key=stage_key))
    flash(_("Not added: %(problem)s", problem=_problems(form)), "error")
    return _stage_page(coachee, stage_key, 400, **{entry.form_key: form})


def _coach_removes(coachee_id: int, remove: Callable[[Coachee], object], stage_key: str, removed):
    """The coach takes a row off the stage (``remove``), and is back on its page."""
    coachee = coachee_of(current_user, coachee_id)
    remove(coachee)
    commit()
    flash(str(removed), "success")
    return redirect(url_for("journey.show_stage", coachee_id=coachee.id, stage_key=stage_key))


def _set_status(coachee: Coachee, step_id: int) -> None:
    status = request.form.get("status", "")
    if status not in STEP_STATUSES:
        abort(400, _("Choose planned, doing or done."))
    services.set_step_status(coachee, step_id, status)
    commit()
    flash(STEP_MOVED[status](), "success")


@bp.post("/steps")
def add_step(coachee_id: int):
    """A first step of stage six, added by the coach."""
    return _coach_adds(coachee_id, STEP, START_STAGE, _l("The step is added."))


@bp.post("/steps/<int:step_id>/status")
def set_step_status(coachee_id: int, step_id: int):
    """Move a step to planned, doing or done."""
    coachee = coachee_of(current_user, coachee_id)
    _set_status(coachee, step_id)
    return redirect(url_for("journey.show_stage", coachee_id=coachee.id, stage_key=START_STAGE))


@bp.get("/summary")
def show_summary(coachee_id: int):
    """The printable summary, as the coachee sees it once shared."""
    coachee = coachee_of(current_user, coachee_id)
    return render_template(
        "journey/summary.html",
        summary=summary.summary_of(coachee),
        shared=summary.is_shared(coachee),
        audience="coach",
        token=None,
        today=today(),
    )


def _share(coachee_id: int, shared: bool):
    coachee = coachee_of(current_user, coachee_id)
    summary.share(coachee, shared)
    commit()
    flash(
        _("%(name)s can now open and print the summary in the portal.", name=coachee.first_name)
        if shared
        else _("The summary is no longer in the portal."),
        "success",
    )
    return redirect(url_for("journey.show_summary", coachee_id=coachee.id))


@bp.post("/summary/share")
def share_summary(coachee_id: int):
    """Share the summary in the coachee's portal."""
    return _share(coachee_id, True)


@bp.post("/summary/unshare")
def unshare_summary(coachee_id: int):
    """Take the summary back from the coachee's portal."""
    return _share(coachee_id, False)


# The decision matrix, for both ---------------------------------------------------------


def _matrix_context(coachee: Coachee, stage_key: str, forms: dict) -> dict:
    """What a stage page needs to show the decision matrix and the success criteria
    (stage five only)."""
    if stage_key != SELECT_STAGE:
        return {"matrix": None}
    return {
        "matrix": decision.matrix_of(coachee),
        "points": decision.POINTS,
        "option_form": forms.get("option_form") or OptionForm(formdata=None),
        "criterion_form": forms.get("criterion_form") or CriterionForm(formdata=None),
        "success_criteria": review.criteria_of(coachee),
        "success_form": forms.get("success_form") or SuccessCriterionForm(formdata=None),
        "look_back_errors": forms.get("look_back_errors", {}),
    }


#: What a post to the matrix may change: add a row (these entries), or "scores".
MATRIX_ENTRIES = {"options": OPTION, "criteria": CRITERION, "success": SUCCESS}
MATRIX_CHANGES = (*MATRIX_ENTRIES, "scores")


def _change_matrix(coachee: Coachee, change: str) -> dict | None:
    """Apply one change to the matrix (CSRF is checked app-wide and by the forms);
    None when it is saved and committed, else the forms to show again with their
    problems (a 400). An unknown change is a 404."""
    if change not in MATRIX_CHANGES:
        abort(404)
    entry = MATRIX_ENTRIES.get(change)
    if entry is not None:
        form, saved = entry.add(coachee)
        return None if saved else {entry.form_key: form}
    # The scores: one select per option and criterion, "score-<option>-<criterion>".
    if not AnswersForm().validate_on_submit():
        abort(400, _("The form has expired; please reload the page and try again."))
    matrix = decision.matrix_of(coachee)
    scores: dict[tuple[int, int], int | None] = {}
    for option in matrix.options:
        for criterion in matrix.criteria:
            raw = request.form.get(f"score-{option.id}-{criterion.id}", "").strip()
            if raw and raw not in {str(p) for p in decision.POINTS}:
                abort(400, _("Each score is 1 to 5, or left blank."))
            scores[(option.id, criterion.id)] = int(raw) if raw else None
    decision.save_scores(coachee, scores)
    commit()
    return None


@bp.post("/matrix/<change>")
def change_matrix(coachee_id: int, change: str):
    """Add an option, a criterion or a success criterion, or save the scores (the
    coach, in a session)."""
    coachee = coachee_of(current_user, coachee_id)
    forms = _change_matrix(coachee, change)
    if forms is None:
        flash(_("The decision matrix is saved."), "success")
        return redirect(
            url_for("journey.show_stage", coachee_id=coachee.id, stage_key=SELECT_STAGE)
        )
    flash(_("Not saved: %(problem)s", problem=_problems(next(iter(forms.values())))), "error")
    return _stage_page(coachee, SELECT_STAGE, 400, **forms)


@bp.post("/matrix/<kind>/<int:row_id>/remove")
def remove_from_matrix(coachee_id: int, kind: str, row_id: int):
    """Take an option or a criterion, with its scores, off the matrix."""
    return _coach_removes(
        coachee_id,
        lambda coachee: decision.remove(coachee, kind, row_id),
        SELECT_STAGE,
        REMOVED.get(kind),
    )


# The skill gaps of stage three, for both ------------------------------------------------


def _gaps_context(coachee: Coachee, stage_key: str, forms: dict) -> dict:
    """What a stage page needs to show the keep / change / in-the-way lists and the
    skill gaps (stage three only)."""
    if stage_key != KEEP_STAGE:
        return {"gaps": None}
    return {
        "gaps": gaps.gaps_of(coachee),
        "gap_form": forms.get("gap_form") or _gap_form(coachee, formdata=False),
        "aspects": gaps.aspects_of(coachee),
        "aspect_form": forms.get("aspect_form") or AspectForm(formdata=None),
    }


@bp.post("/aspects")
def add_aspect(coachee_id: int):
    """An entry of stage three's lists, written by the coach."""
    return _coach_adds(coachee_id, ASPECT, KEEP_STAGE, _l("The entry is added."))


@bp.post("/aspects/<int:aspect_id>/remove")
def remove_aspect(coachee_id: int, aspect_id: int):
    """Take an entry off stage three's lists."""
    return _coach_removes(
        coachee_id,
        lambda coachee: gaps.remove_aspect(coachee, aspect_id),
        KEEP_STAGE,
        _l("The entry is removed."),
    )


@bp.post("/gaps")
def add_gap(coachee_id: int):
    """A skill gap of stage three, written by the coach."""
    return _coach_adds(coachee_id, GAP, KEEP_STAGE, _l("The gap is added."))


@bp.post("/gaps/<int:gap_id>/remove")
def remove_gap(coachee_id: int, gap_id: int):
    """Take a skill gap off stage three."""
    return _coach_removes(
        coachee_id,
        lambda coachee: gaps.remove_gap(coachee, gap_id),
        KEEP_STAGE,
        _l("The gap is removed."),
    )


# Stage four's realistic opportunities: the matrix's options, typed once ----------------


def _options_context(coachee: Coachee, stage_key: str, forms: dict) -> dict:
    """What stage four's page needs to list the opportunities, which stage five's
    decision matrix scores (the same rows: typed once)."""
    if stage_key != OUT_THERE_STAGE:
        return {"options": None}
    return {
        "options": decision.matrix_of(coachee).options,
        "out_there_option_form": forms.get("option_form") or OptionForm(formdata=None),
    }


@bp.post("/options")
def add_option(coachee_id: int):
    """A realistic opportunity of stage four, written by the coach."""
    return _coach_adds(
        coachee_id,
        OPTION,
        OUT_THERE_STAGE,
        _l("The opportunity is added; stage five's matrix scores it."),
    )


@bp.post("/options/<int:option_id>/remove")
def remove_option(coachee_id: int, option_id: int):
    """Take an opportunity (and its scores in the matrix) off stage four."""
    return _coach_removes(
        coachee_id,
        lambda coachee: decision.remove(coachee, "option", option_id),
        OUT_THERE_STAGE,
        _l("The opportunity is removed."),
    )


# The coachee's pages -------------------------------------------------------------------


def _portal_coachee(token: str) -> tuple[Cycle, Coachee]:
    cycle = cycle_for_portal_token(token)
    return cycle, cycle.coachee


@portal_bp.get("/")
def portal_journey(token: str):
    """The stages the coach has opened for the coachee, with their due dates."""
    coachee = _portal_coachee(token)[1]
    opened = [view for view in services.journey_of(coachee) if view.homework is not None]
    return render_template(
        "journey/portal_journey.html",
        coachee=coachee,
        token=token,
        opened=opened,
        shared=summary.is_shared(coachee),
        steps=services.steps_of(coachee),
        today=today(),
    )


def _portal_stage(
    token: str,
    coachee: Coachee,
    view: services.StageView,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    forms: dict | None = None,
    status: int = 200,
):
    answers = services.answers_for(coachee)
    return render_template(
        "journey/portal_stage.html",
        coachee=coachee,
        token=token,
        view=view,
        questions=services.asked_questions(coachee, view),
        reused=services.reused_answers(coachee) if view.stage.number == 1 else {},
        seen=services.seen_for(coachee, view),
        values=answers if values is None else values,
        errors=errors or {},
        form=AnswersForm(formdata=None),
        max_answer=services.MAX_ANSWER,
        steps=services.steps_of(coachee) if view.stage.key == START_STAGE else None,
        statuses=STEP_STATUSES,
        step_form=(forms or {}).get("step_form") or StepForm(formdata=None),
        **_matrix_context(coachee, view.stage.key, forms or {}),
        **_gaps_context(coachee, view.stage.key, forms or {}),
        **_options_context(coachee, view.stage.key, forms or {}),
        today=today(),
    ), status


def _opened_stage(coachee: Coachee, stage_key: str) -> services.StageView:
    view = services.stage_of(coachee, stage_key)
    if view.homework is None:
        abort(404, _("Your coach has not opened this stage for you yet."))
    return view


def _coachee_adds(token: str, entry: _Entry, stage_key: str, added: LazyString):
    """The coachee adds an ``entry`` on a stage the coach has opened to them: back to
    it with ``added``, or the page again with the form's problems (a 400)."""
    coachee = _portal_coachee(token)[1]
    view = _opened_stage(coachee, stage_key)
    form, saved = entry.add(coachee)
    if saved:
        flash(str(added), "success")
        return redirect(url_for("portal_journey.portal_stage", token=token, stage_key=stage_key))
    flash(_("Not added: %(problem)s", problem=_problems(form)), "error")
    return _portal_stage(token, coachee, view, forms={entry.form_key: form}, status=400)


def _coachee_removes(token: str, remove: Callable[[Coachee], object], stage_key: str, removed):
    """The coachee takes one of their rows off an opened stage (``remove``)."""
    coachee = _portal_coachee(token)[1]
    _opened_stage(coachee, stage_key)
    remove(coachee)
    commit()
    flash(str(removed), "success")
    return redirect(url_for("portal_journey.portal_stage", token=token, stage_key=stage_key))


@portal_bp.route("/<stage_key>", methods=["GET", "POST"])
def portal_stage(token: str, stage_key: str):
    """The stage's homework: answer, save a draft, hand it in."""
    cycle, coachee = _portal_coachee(token)
    view = _opened_stage(coachee, stage_key)
    if request.method == "GET":
        return _portal_stage(token, coachee, view)
    if view.submitted:
        abort(409, _("This homework is already handed in; your coach can open it again."))
    if not AnswersForm().validate_on_submit():
        abort(400, _("The form has expired; please reload the page and try again."))
    keys = [q.key for q in services.asked_questions(coachee, view)]
    seen = services.seen_for(coachee, view)
    if seen is not None:
        keys += seen.reflection_keys
    values = {key: request.form.get(f"answer-{key}", "") for key in keys}
    errors = {
        key: _(
            "Please keep this to %(most)s characters (%(now)s now).",
            most=services.MAX_ANSWER,
            now=len(text),
        )
        for key, text in values.items()
        if len(text) > services.MAX_ANSWER
    }
    action = request.form.get("action", "save")
    if not errors:
        services.save_answers(coachee, stage_key, values, submit=action == "submit", cycle=cycle)
        commit()
        if action == "submit":
            flash(_("Handed in. Your coach is told and will read your answers."), "success")
            return redirect(url_for("portal_journey.portal_journey", token=token))
        flash(_("Saved as a draft. You can come back to finish later."), "success")
        return redirect(url_for("portal_journey.portal_stage", token=token, stage_key=stage_key))
    flash(_("Not saved: please shorten the answers marked below."), "error")
    return _portal_stage(token, coachee, view, values=values, errors=errors, status=400)


@portal_bp.post("/steps")
def portal_add_step(token: str):
    """A first step added by the coachee (stage six must be open to them)."""
    return _coachee_adds(token, STEP, START_STAGE, _l("Your step is added."))


@portal_bp.post("/steps/<int:step_id>/status")
def portal_step_status(token: str, step_id: int):
    """The coachee moves one of their steps to planned, doing or done."""
    coachee = _portal_coachee(token)[1]
    _opened_stage(coachee, START_STAGE)
    _set_status(coachee, step_id)
    return redirect(url_for("portal_journey.portal_stage", token=token, stage_key=START_STAGE))


@portal_bp.post("/matrix/<change>")
def portal_change_matrix(token: str, change: str):
    """The coachee adds an option, a criterion or a success criterion, or saves the
    scores."""
    coachee = _portal_coachee(token)[1]
    view = _opened_stage(coachee, SELECT_STAGE)
    forms = _change_matrix(coachee, change)
    if forms is None:
        flash(_("Your decision matrix is saved."), "success")
        return redirect(url_for("portal_journey.portal_stage", token=token, stage_key=SELECT_STAGE))
    flash(_("Not saved: %(problem)s", problem=_problems(next(iter(forms.values())))), "error")
    return _portal_stage(token, coachee, view, forms=forms, status=400)


@portal_bp.post("/matrix/<kind>/<int:row_id>/remove")
def portal_remove_from_matrix(token: str, kind: str, row_id: int):
    """The coachee takes an option or a criterion off their matrix."""
    return _coachee_removes(
        token,
        lambda coachee: decision.remove(coachee, kind, row_id),
        SELECT_STAGE,
        REMOVED.get(kind),
    )


@portal_bp.post("/success/<int:criterion_id>/look-back")
def portal_look_back(token: str, criterion_id: int):
    """On or after the review date, the coachee writes how it turned out."""
    coachee = _portal_coachee(token)[1]
    view = _opened_stage(coachee, SELECT_STAGE)
    if not AnswersForm().validate_on_submit():
        abort(400, _("The form has expired; please reload the page and try again."))
    text = request.form.get("look_back", "")
    try:
        review.look_back(coachee, criterion_id, text)
    except review.ReviewError as exc:
        problem = _("Not saved: %(problem)s.", problem=exc)
        flash(problem, "error")
        errors = {criterion_id: (problem, text)}
        return _portal_stage(token, coachee, view, forms={"look_back_errors": errors}, status=400)
    commit()
    flash(_("Your look back is kept beside the criterion."), "success")
    return redirect(url_for("portal_journey.portal_stage", token=token, stage_key=SELECT_STAGE))


@portal_bp.get("/summary")
def portal_summary(token: str):
    """The coachee's printable summary, once the coach has shared it."""
    coachee = _portal_coachee(token)[1]
    if not summary.is_shared(coachee):
        abort(404, _("Your coach has not shared a summary of your journey yet."))
    return render_template(
        "journey/summary.html",
        summary=summary.summary_of(coachee),
        shared=True,
        audience="coachee",
        token=token,
        today=today(),
    )


@portal_bp.post("/gaps")
def portal_add_gap(token: str):
    """The coachee writes down a skill gap (stage three must be open to them)."""
    return _coachee_adds(token, GAP, KEEP_STAGE, _l("Your gap is added."))


@portal_bp.post("/gaps/<int:gap_id>/remove")
def portal_remove_gap(token: str, gap_id: int):
    """The coachee takes one of their gaps off stage three."""
    return _coachee_removes(
        token,
        lambda coachee: gaps.remove_gap(coachee, gap_id),
        KEEP_STAGE,
        _l("The gap is removed."),
    )


@portal_bp.post("/options")
def portal_add_option(token: str):
    """The coachee writes down a realistic opportunity (stage four must be open)."""
    return _coachee_adds(
        token,
        OPTION,
        OUT_THERE_STAGE,
        _l("Your opportunity is added; stage five's matrix scores it."),
    )


@portal_bp.post("/options/<int:option_id>/remove")
def portal_remove_option(token: str, option_id: int):
    """The coachee takes one of their opportunities off stage four."""
    return _coachee_removes(
        token,
        lambda coachee: decision.remove(coachee, "option", option_id),
        OUT_THERE_STAGE,
        _l("The opportunity is removed."),
    )


@portal_bp.post("/aspects")
def portal_add_aspect(token: str):
    """The coachee adds an entry to a stage-three list (the stage must be open)."""
    return _coachee_adds(token, ASPECT, KEEP_STAGE, _l("Your entry is added."))


@portal_bp.post("/aspects/<int:aspect_id>/remove")
def portal_remove_aspect(token: str, aspect_id: int):
    """The coachee takes one of their entries off stage three's lists."""
    return _coachee_removes(
        token,
        lambda coachee: gaps.remove_aspect(coachee, aspect_id),
        KEEP_STAGE,
        _l("The entry is removed."),
    )
