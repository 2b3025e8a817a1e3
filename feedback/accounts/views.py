"""Login, logout and the coach's settings (their API tokens)."""

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, select

from .. import i18n
from ..database import commit
from ..extensions import db, login_manager
from ..security import CACHEABLE_ENDPOINTS, limit_login
from . import tokens
from .forms import BROWSER_LANGUAGE, ApiTokenForm, LanguageForm, LoginForm, RevokeTokenForm
from .models import Coach
from .services import authenticate

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.localize_callback = str  # the lazy text, in the language of the request


#: The signed-in coach, asked on every request: built once, so that SQLAlchemy keeps
#: its cache key (``session.get`` built its statement anew each time).
_COACH = select(Coach).where(Coach.id == bindparam("coach_id"))


@login_manager.user_loader
def _load_coach(user_id: str) -> Coach | None:
    """The coach of a session ``<id>:<session_key>``; None once they signed out."""
    coach_id, _, key = user_id.partition(":")
    coach = (
        db.session.scalars(_COACH, {"coach_id": int(coach_id)}).first()
        if coach_id.isdigit()
        else None
    )
    if (
        coach is None
        or not key
        or not hmac.compare_digest(key.encode(), coach.session_key.encode())
    ):
        return None
    return coach


@bp.before_app_request
def _speak_the_coachs_language() -> None:
    """A signed-in coach's requests are in the coach's language (their setting, else
    the browser's), unless a view says whose page it is (a rater's form, a coachee's
    portal), which it does later with ``i18n.use``. Asked before any view or template
    runs, so a page never changes language half-way; files (static, plotly.js), the
    JSON API and visitors without a session load no one."""
    if request.endpoint in CACHEABLE_ENDPOINTS or "_user_id" not in session:
        return
    if (request.blueprint or "").partition(".")[0] == "api":
        return  # the JSON API's messages stay English (i18n.select_locale)
    if current_user.is_authenticated:
        i18n.use(current_user.language)


def _safe_next(target: str | None) -> str:
    """Follow ``next`` only to a path on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("coaching.list_coachees")


@bp.route("/login", methods=["GET", "POST"])
@limit_login
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("coaching.list_coachees"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        coach = authenticate(form.email.data, form.password.data)
        if coach is not None:
            session.clear()  # a new session at login
            login_user(coach)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        flash(_("That email and password do not match an account."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out and forget the session; copies of the cookie stop working too."""
    current_user.end_sessions()
    commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/settings")
@login_required
def show_settings():
    """The coach's settings: the language of their pages, their API tokens."""
    return _settings_page(ApiTokenForm())


def _settings_page(
    form: ApiTokenForm,
    *,
    secret: str | None = None,
    status: int = 200,
    language_form: LanguageForm | None = None,
):
    if language_form is None:
        language_form = LanguageForm(
            formdata=None, language=current_user.language or BROWSER_LANGUAGE
        )
    return render_template(
        "accounts/settings.html",
        form=form,
        language_form=language_form,
        revoke_form=RevokeTokenForm(),
        tokens=tokens.tokens_of(current_user),
        secret=secret,
    ), status


@bp.post("/settings/language")
@login_required
def save_language():
    """Keep the language of the coach's pages (none: follow the browser)."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return _settings_page(ApiTokenForm(formdata=None), language_form=form, status=400)
    current_user.language = form.language.data or None
    commit()
    i18n.use(current_user.language)  # the message below is already in the new language
    flash(_("Your pages are now in the language you chose."), "success")
    return redirect(url_for("accounts.show_settings"))


@bp.post("/settings/api-tokens")
@login_required
def create_api_token():
    """Make a token and show its secret on this one page, never again."""
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _settings_page(form, status=400)
    try:
        _token, secret = tokens.create_token(
            current_user, name=form.name.data or "", scope=form.scope.data
        )
    except ValueError as exc:
        abort(400, str(exc))
    commit()
    return _settings_page(ApiTokenForm(formdata=None), secret=secret)


@bp.post("/settings/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    """Revoke one of the coach's tokens; it stops working at once."""
    token = tokens.token_of(current_user, token_id)
    if not RevokeTokenForm().validate_on_submit():
        abort(400, _("The form has expired; please try again."))
    if tokens.revoke_token(token):
        commit()
        flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("accounts.show_settings"))
