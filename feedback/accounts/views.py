"""Login and logout."""

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..database import commit
from ..extensions import db, login_manager
from ..security import limit_login
from .forms import LoginForm
from .models import Coach
from .services import authenticate

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see this page."


@login_manager.user_loader
def _load_coach(user_id: str) -> Coach | None:
    """The coach of a session ``<id>:<session_key>``; None once they signed out."""
    coach_id, _, key = user_id.partition(":")
    coach = db.session.get(Coach, int(coach_id)) if coach_id.isdigit() else None
    if (
        coach is None
        or not key
        or not hmac.compare_digest(key.encode(), coach.session_key.encode())
    ):
        return None
    return coach


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
        flash("That email and password do not match an account.", "error")
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
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))
