"""E-mail that leaves only after the transaction commits (DESIGN §4): operations queue messages on the session;
the session's after_commit sends them and a rollback drops them, so nobody is told of what never happened.

Messages are templates (``templates/<package>/emails/<name>.txt`` and ``.html``) rendered through Flask-Babel
once per language, Chinese first, into one message: members read Chinese, and the English follows for those
who prefer it. Links are absolute, built from ``EVALUATION_BASE_URL`` and the URL map (``external_url``), so a
job with no request makes the same links as a page."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_mail import Message
from markupsafe import Markup

from evaluation.extensions import db, mail
from evaluation.text import Reason

log = logging.getLogger(__name__)
QUEUE = "outgoing_mail"
LANGUAGES = ("zh_CN", "en")  # the order a bilingual message reads in
_MUTED: ContextVar[bool] = ContextVar("mail_muted", default=False)


def queue(recipient: str, subject: str, body: str, html: str | None = None) -> None:
    """Send ``body`` (and its ``html`` twin) to ``recipient`` once the current transaction commits."""
    if _MUTED.get():
        return
    db.session.info.setdefault(QUEUE, []).append((recipient, subject, body, html))


@contextmanager
def muted() -> Iterator[None]:
    """Drop what is queued inside the block: history played back after the fact (the demo's past month) is
    nobody's news now."""
    token = _MUTED.set(True)
    try:
        yield
    finally:
        _MUTED.reset(token)


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` as the configured base URL serves it, with or without a request."""
    base = urlsplit(current_app.config["EVALUATION_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def queue_template(recipient: str, template: str, subject: Reason, **context: Any) -> None:
    """Queue the message ``template`` (its .txt and .html) in every language, Chinese first; ``subject`` is a
    message id with its parameters, translated into each."""
    subjects, texts, htmls = [], [], []
    for locale in LANGUAGES:
        with force_locale(locale):
            subjects.append(gettext(subject[0], **subject[1]))
            texts.append(render_template(f"{template}.txt", **context).strip())
            # Our own autoescaping template rendered it: already safe to embed.
            htmls.append(Markup(render_template(f"{template}.html", **context)))  # noqa: S704
    html = render_template("emails/_bilingual.html", parts=htmls, subject=subjects[0])
    queue(recipient, " / ".join(subjects), "\n\n— — —\n\n".join(texts) + "\n", html)


def _send_all(session: sa.orm.Session) -> None:
    messages = session.info.pop(QUEUE, [])
    for recipient, subject, body, html in messages:
        try:
            mail.send(
                Message(
                    subject=subject,
                    recipients=[recipient],
                    body=body,
                    html=html,
                    sender=current_app.config["MAIL_DEFAULT_SENDER"],
                )
            )
        except Exception as exc:  # a mail server outage must not undo a committed decision
            log.warning("mail to a member could not be sent (%s): %s", type(exc).__name__, exc)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _after_commit(session: sa.orm.Session) -> None:
    # Releasing a savepoint fires after_commit too, while the real transaction may still roll back: wait.
    if session.info.get(QUEUE) and not session.in_nested_transaction():
        _send_all(session)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _after_rollback(session: sa.orm.Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outer transaction, not a savepoint
        session.info.pop(QUEUE, None)
