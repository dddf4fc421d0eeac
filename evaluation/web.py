"""What every page shares: the request's one transaction edge, the user loader, template filters, navigation
and error pages.

The edge (``init_app``): a request that answers below 400 commits once, after its view, in ``after_request``;
one that answers 400 or more rolls back. A view never commits. An operation that refuses raises a
``UserError``; its handler here rolls back and, on a page, flashes every reason in the reader's language and
redirects to where the view said (``refusal_to``) or back to the page the form was on; the API answers JSON
naming the reasons. A commit that loses a race (a unique key, a stale version) answers 409. We chose an
after-request commit and an error handler over a decorator on each view so that a new view cannot forget it:
the edge holds for every endpoint, pages and API alike.
"""

from __future__ import annotations

import hmac
import io
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    Request,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, get_locale, gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest, HTTPException

from evaluation import logfilter
from evaluation.accounts.models import Role, User
from evaluation.extensions import db, login_manager
from evaluation.labels import label
from evaluation.text import UserError

F = TypeVar("F", bound=Callable[..., Any])
log = logfilter.logger(__name__)
REFUSAL_TARGET = "refusal_target"

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
    ("appeals.index", lazy_gettext("Appeals"), (Role.ORGANIZER,)),
    ("rectifications.index", lazy_gettext("Rectifications"), (Role.ORGANIZER,)),
    ("standings.ranking", lazy_gettext("Ranking"), (Role.ORGANIZER,)),
    ("notices.index", lazy_gettext("Notices"), (Role.ORGANIZER,)),
    ("appraisal.index", lazy_gettext("Appraisal"), (Role.ORGANIZER,)),
    ("procurement.index", lazy_gettext("Procurement"), (Role.ORGANIZER, Role.AGENCY)),
    ("admin.users", lazy_gettext("Users"), (Role.ADMIN,)),
    ("admin.outbox", lazy_gettext("Deliveries"), (Role.ADMIN,)),
]

ERROR_TITLES = {
    400: lazy_gettext("Bad request"),
    403: lazy_gettext("Access denied"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Method not allowed"),
    413: lazy_gettext("Upload too large"),
    429: lazy_gettext("Too many attempts"),
    500: lazy_gettext("Something went wrong"),
    503: lazy_gettext("Temporarily unavailable"),
}
ERROR_HINTS = {
    400: lazy_gettext("The request could not be understood. Go back and try again."),
    403: lazy_gettext("You do not have permission to see this page."),
    404: lazy_gettext("The page you asked for does not exist or has been removed."),
    405: lazy_gettext("This address does not accept that kind of request."),
    413: lazy_gettext("The file is larger than the platform accepts."),
    429: lazy_gettext("Too many attempts in a short time. Wait a minute and try again."),
    500: lazy_gettext("An unexpected error occurred. It has been logged; please try again later."),
    503: lazy_gettext(
        "The platform cannot reach its database just now. Nothing you sent was saved; try again in a minute."
    ),
}


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user of a session or remember-me cookie, if it still holds: the user's current session token (a
    logout, a new password or a deactivation changes it) and an active account."""
    user_id, _, token = session_id.partition(".")
    if not user_id.isdigit() or not token:
        return None  # a session from before tokens, or forged
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def local_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A stored UTC timestamp shown in the configured zone (Asia/Shanghai by default)."""
    return "" if value is None else format_datetime(value, fmt)


SOURCE_NAMES = {
    "demo": lazy_gettext("Demo data"),
    "12345": lazy_gettext("12345 hotline"),
    "cd12345": lazy_gettext("12345 hotline"),
    "import": lazy_gettext("Imported file"),
}


def source_name(source: str | None) -> str:
    """The system a case came from, by name where we know it (the main system's own tag otherwise)."""
    return str(SOURCE_NAMES.get((source or "").lower(), source or ""))


def case_title(case: Any) -> str:
    """A case's title as the reader may see it, on lists where the page's own check has let them see the case:
    in clear for the organizer, without the reporter for the department of a confidential report, masked for
    everyone else."""
    from evaluation.privacy import mask_text

    if not case.title:
        return ""
    user = current_user if has_request_context() and current_user.is_authenticated else None
    if user is not None and user.has_role(Role.ORGANIZER):
        return str(case.title)
    remove = bool(case.confidential) and user is not None and user.has_role(Role.DEPARTMENT)
    return mask_text(case.title, remove=remove, name=case.citizen_name)


def localized(zh: str | None, en: str | None) -> str:
    """The text in the user's language, falling back to the other one."""
    locale = get_locale()
    if locale is not None and locale.language == "en":
        return en or zh or ""
    return zh or en or ""


MAX_PAGE = 1_000_000


def with_query(url: str) -> str:
    """``url`` with the current request's query string: a refused export goes back to its filtered page."""
    query = request.query_string.decode()
    return f"{url}?{query}" if query else url


def page_arg() -> int:
    """The ?page= of a list, as a page that exists in principle: not a number, below 1 or absurdly large
    (beyond what the database can take as an offset) reads as the nearest sensible page."""
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), MAX_PAGE)


def _is_outage(error: Exception) -> bool:
    """A lost or refused connection, as opposed to a statement the database refused (SQLite's "database is
    locked" after its busy timeout counts: the database cannot serve now)."""
    if getattr(error, "connection_invalidated", False) or isinstance(error, InterfaceError):
        return True
    text = str(getattr(error, "orig", error)).lower()
    return any(
        words in text
        for words in (
            "connection",
            "could not connect",
            "server closed",
            "database is locked",
            "unable to open",
        )
    )


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


class InMemoryUploads(Request):
    """Uploads are held in memory, never spooled to a temporary file: a spreadsheet of citizens' names and
    numbers is not written to disk in clear, and a body cut off at the size limit leaves no file open. The size
    limit (MAX_CONTENT_LENGTH, 20 MB by default) bounds what one request holds."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()


def init_app(app: Flask) -> None:
    app.request_class = InMemoryUploads
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["source_name"] = source_name
    app.jinja_env.filters["case_title"] = case_title
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["loc"] = localized

    @app.context_processor
    def _navigation() -> dict[str, Any]:
        items = []
        if has_request_context() and current_user.is_authenticated:  # e-mails render without a request
            items = [
                (endpoint, label) for endpoint, label, roles in NAVIGATION if current_user.has_role(*roles)
            ]
        return {"navigation": items}

    def _render_error(code: int, description: str | None = None, slug: str | None = None) -> Any:
        if wants_json():
            return jsonify(
                error={
                    "status": code,
                    "code": slug or f"http_{code}",
                    "message": str(description or ERROR_TITLES.get(code, "")),
                }
            ), code
        return render_template(
            "errors/error.html",
            code=code,
            title=ERROR_TITLES.get(code, ERROR_TITLES[500]),
            hint=description or ERROR_HINTS.get(code, ERROR_HINTS[500]),
        ), code

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        return _render_error(
            400,
            gettext("The form has expired or was not sent from this site. Reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        code = error.code or 500
        slug = (error.name or "").lower().replace(" ", "_") or None
        description = error.description if wants_json() and code == 413 else None
        if code == 413 and description is None and request.max_content_length:
            description = gettext(
                "The upload is larger than the %(mb)d MB the platform accepts. Split the file and upload the parts.",
                mb=max(1, round(request.max_content_length / (1024 * 1024))),
            )
        body, status = _render_error(
            code if code in ERROR_TITLES else 500 if code >= 500 else code, description, slug
        )
        # What the exception says in headers stays said: 405's Allow, 401's WWW-Authenticate, 429's Retry-After.
        keep = {"allow", "www-authenticate", "retry-after"}
        headers = [(k, v) for k, v in error.get_headers() if k.lower() in keep]
        return body, status, headers

    _guard_input_and_outages(app, _render_error)

    app.register_error_handler(UserError, _refused)
    # A race lost in a view's own flush (a unique key, a stale version) is the same answer as one lost at commit.
    app.register_error_handler(IntegrityError, _race_lost_in_flush)
    app.register_error_handler(StaleDataError, _race_lost_in_flush)
    # Registered first, so it runs last: after every other after_request hook has had its say.
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)

    @app.errorhandler(500)
    def _server_error(error: Exception) -> Any:
        db.session.rollback()
        return _render_error(500)


def _guard_input_and_outages(app: Flask, render_error: Callable[[int], Any]) -> None:
    """Text a database cannot store, refused up front; a database that cannot be reached, a 503."""

    @app.before_request
    def _no_nul_characters() -> None:
        """No database stores a NUL character in text (PostgreSQL refuses it outright): a query string or a form
        carrying one is a bad request, answered before anything reads it."""
        # The form only when the body is one: reading it here would read an API body before its own size limit.
        forms = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        sources = (request.args, request.form) if forms else (request.args,)
        if any("\x00" in value for values in sources for value in values.values()):
            raise BadRequest()

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unreachable(error: Exception) -> Any:
        """The database is down or unreachable: a 503 that says so, rendered without touching it."""
        if _is_outage(error):
            log.error("database unreachable: %s", error)
            with suppress(Exception):
                db.session.rollback()
            g._login_user = login_manager.anonymous_user()  # the page's header must not ask the database
            body, status = render_error(503)
            return body, status, [("Retry-After", "30")]
        raise error


def explain(exc: UserError) -> str:
    """The refusal in the reader's language, its placeholders filled (every reason, in one sentence each)."""
    return " ".join(explain_all(exc))


def explain_all(exc: UserError) -> list[str]:
    """Each of the refusal's reasons in the reader's language."""
    return [gettext(message, **params) for message, params in exc.reasons]


def mark(form: Any, exc: UserError) -> None:
    """Put a refusal beside the form field it names, or flash it when it names none the form has."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and not hasattr(field, "entries"):  # a list of lines has no single place to mark
        field.errors = [*field.errors, explain(exc)]
    else:
        for sentence in explain_all(exc):
            flash(sentence, "error")


def refusal_to(target: Callable[..., str]) -> Callable[[F], F]:
    """Where a page goes when its operation refuses: ``target`` gets the view's URL arguments and returns a URL.
    Without it, a refused page goes back to the page its form was on."""

    def decorator(view: F) -> F:
        setattr(view, REFUSAL_TARGET, target)
        return view

    return decorator


def _same_site(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _refusal_url() -> str:
    view = current_app.view_functions.get(request.endpoint or "")
    target = getattr(view, REFUSAL_TARGET, None)
    if target is not None:
        return target(**(request.view_args or {}))
    back = _same_site(request.referrer)
    # Never back to the very page that refused a GET: that would redirect to itself forever.
    if back and not (request.method == "GET" and back.split("?")[0] == request.path):
        return back
    return url_for("main.dashboard")


def _refused(exc: UserError) -> Any:
    db.session.rollback()
    if wants_json():
        return jsonify(
            error={
                "status": exc.status,
                "code": "refused",
                "message": explain(exc),
                "reasons": explain_all(exc),
                "field": exc.field,
            }
        ), exc.status
    for sentence in explain_all(exc):
        flash(sentence, "error")
    return redirect(_refusal_url())


def _lost_race() -> Response:
    message = gettext(
        "Someone else changed this at the same moment, so your change was not saved. "
        "Reload the page and try again."
    )
    if wants_json():
        response = jsonify(error={"status": 409, "code": "conflict", "message": message})
    else:
        response = Response(
            render_template("errors/error.html", code=409, title=gettext("Changed meanwhile"), hint=message),
            mimetype="text/html",
        )
    response.status_code = 409
    return response


def _race_lost_in_flush(_error: Exception) -> Response:
    # Rolled back before the answer is rendered: the page reads the user (and its locale) from the session,
    # which cannot be used until the failed flush is rolled back.
    db.session.rollback()
    session.pop("_flashes", None)  # the view's "saved" would be untrue
    return _lost_race()


def keep_on_refusal() -> None:
    """Commit what this request wrote even though it answers 4xx: a refusal that must leave a trace (a failed
    login's audit event). Never for a 5xx."""
    g.keep_on_refusal = True


def _finish(response: Response) -> Response:
    """The request's one commit: after a view that answered below 400 (or a refusal asked to be kept, see
    ``keep_on_refusal``); anything else rolls back."""
    if response.status_code >= 500 or (response.status_code >= 400 and not g.get("keep_on_refusal")):
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        session.pop("_flashes", None)  # the view's "saved" would be untrue
        return _lost_race()
    return response
