"""What every page shares: the user loader, template filters, navigation and error pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import format_datetime, get_locale, gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from evaluation.accounts.models import Role, User
from evaluation.extensions import db, login_manager
from evaluation.labels import label
from evaluation.text import UserError

# (endpoint, label, roles that see it), in menu order.
NAVIGATION: list[tuple[str, Any, tuple[Role, ...]]] = [
    ("main.dashboard", lazy_gettext("Overview"), tuple(Role)),
    ("cases.index", lazy_gettext("Cases"), (Role.ORGANIZER,)),
    ("batches.index", lazy_gettext("Batches"), (Role.ORGANIZER, Role.AGENCY)),
    ("batches.my_seats", lazy_gettext("My reviews"), (Role.MEMBER,)),
    ("panels.profile", lazy_gettext("My profile"), (Role.MEMBER,)),
    ("panels.index", lazy_gettext("Panel members"), (Role.ORGANIZER,)),
    ("rubrics.index", lazy_gettext("Rubrics"), (Role.ORGANIZER,)),
    ("results.index", lazy_gettext("Our results"), (Role.DEPARTMENT,)),
    ("procurement.index", lazy_gettext("Procurement"), (Role.ORGANIZER, Role.AGENCY)),
    ("admin.users", lazy_gettext("Users"), (Role.ADMIN,)),
]

ERROR_TITLES = {
    400: lazy_gettext("Bad request"),
    403: lazy_gettext("Access denied"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Method not allowed"),
    413: lazy_gettext("Upload too large"),
    429: lazy_gettext("Too many attempts"),
    500: lazy_gettext("Something went wrong"),
}
ERROR_HINTS = {
    400: lazy_gettext("The request could not be understood. Go back and try again."),
    403: lazy_gettext("You do not have permission to see this page."),
    404: lazy_gettext("The page you asked for does not exist or has been removed."),
    405: lazy_gettext("This address does not accept that kind of request."),
    413: lazy_gettext("The file is larger than the platform accepts."),
    429: lazy_gettext("Too many attempts in a short time. Wait a minute and try again."),
    500: lazy_gettext("An unexpected error occurred. It has been logged; please try again later."),
}


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def local_zone() -> ZoneInfo:
    """The zone dates are shown and entered in (Asia/Shanghai unless configured)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def from_local(value: datetime | None) -> datetime | None:
    """A naive date-time typed by a user (a datetime-local input) as the aware UTC value we store."""
    return None if value is None else value.replace(tzinfo=local_zone()).astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    """A stored UTC value as the naive local date-time a datetime-local input shows."""
    return None if value is None else value.astimezone(local_zone()).replace(tzinfo=None)


def local_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A stored UTC timestamp shown in the configured zone (Asia/Shanghai by default)."""
    return "" if value is None else format_datetime(value, fmt)


def localized(zh: str | None, en: str | None) -> str:
    """The text in the user's language, falling back to the other one."""
    locale = get_locale()
    if locale is not None and locale.language == "en":
        return en or zh or ""
    return zh or en or ""


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.filters["label"] = label
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["loc"] = localized

    @app.context_processor
    def _navigation() -> dict[str, Any]:
        items = []
        if current_user.is_authenticated:
            items = [(endpoint, label) for endpoint, label, roles in NAVIGATION if current_user.has_role(*roles)]
        return {"navigation": items}

    def _render_error(code: int, description: str | None = None, slug: str | None = None) -> Any:
        if wants_json():
            return jsonify(error={"status": code, "code": slug or f"http_{code}",
                                  "message": str(description or ERROR_TITLES.get(code, ""))}), code
        return render_template(
            "errors/error.html", code=code, title=ERROR_TITLES.get(code, ERROR_TITLES[500]),
            hint=description or ERROR_HINTS.get(code, ERROR_HINTS[500]),
        ), code

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        return _render_error(400, gettext("The form has expired or was not sent from this site. "
                                          "Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        code = error.code or 500
        slug = (error.name or "").lower().replace(" ", "_") or None
        description = error.description if wants_json() and code == 413 else None
        return _render_error(code if code in ERROR_TITLES else 500 if code >= 500 else code, description, slug)

    @app.errorhandler(500)
    def _server_error(error: Exception) -> Any:
        db.session.rollback()
        return _render_error(500)


def explain(exc: UserError) -> str:
    """The refusal in the reader's language, its placeholders filled."""
    return gettext(exc.message, **exc.params)
