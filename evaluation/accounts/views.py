from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from evaluation.accounts import links
from evaluation.accounts.forms import LocaleForm, LoginForm, PasswordForm
from evaluation.accounts.models import TokenPurpose, User
from evaluation.accounts.operations import authenticate
from evaluation.db import utcnow
from evaluation.extensions import db, limiter
from evaluation.text import UserError
from evaluation.web import explain, keep_on_refusal, mark
from panels import pool

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return current_app.config["EVALUATION_LOGIN_LIMIT"]


def _account_key() -> str:
    """Throttle per account too: many addresses guessing one user's password are slowed like one."""
    return "account:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "", request.remote_addr)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.dashboard"))
        keep_on_refusal()  # the failure's audit event stands, though the answer is a 401
        flash(_("The username or password is incorrect."), "error")
        return render_template("evaluation/accounts/login.html", form=form), 401
    status = 400 if form.is_submitted() else 200
    return render_template("evaluation/accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Ends every session of the user, on every device, and their remember-me cookies."""
    current_user.end_sessions()  # the edge commits it with the redirect
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.post("/locale")
def set_locale() -> Response:
    """The language switch in the header: kept on the account when logged in, else in the session."""
    form = LocaleForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
    return redirect(_safe_next(request.form.get("next")) or url_for("main.dashboard"))


@bp.get("/account")
@login_required
def account() -> str:
    form = LocaleForm(locale=current_user.locale or "zh_CN")
    return render_template("evaluation/accounts/account.html", form=form)


@bp.route("/account/password/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def password(token: str) -> Any:
    """The page an invitation or a reset e-mail links to: set a password, then go to one's own pages."""
    try:
        link = links.open_link(token)
    except links.LinkError as exc:
        return render_template("evaluation/accounts/password.html", error=explain(exc), form=None), 400
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("evaluation/accounts/password.html", form=form, link=link), (
            400 if form.is_submitted() else 200
        )
    try:
        if link.purpose == TokenPurpose.INVITATION:
            user = pool.open_account(link, form.password.data)
        else:
            user = db.get_or_404(User, link.user_id)
            links.use(link, user, form.password.data)
    except links.LinkError as exc:
        return render_template("evaluation/accounts/password.html", error=explain(exc), form=None), 400
    except UserError as exc:
        mark(form, exc)
        return render_template("evaluation/accounts/password.html", form=form, link=link), 400
    if current_user.is_authenticated:
        logout_user()
    login_user(user)
    user.last_login_dt = utcnow()
    flash(_("Your password is set. Welcome, %(name)s.", name=user.display_name), "success")
    return redirect(url_for(links.landing(user)))
