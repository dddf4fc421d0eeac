"""E-mail that leaves only after the transaction commits (DESIGN §4): operations queue messages on the session;
the session's after_commit sends them and a rollback drops them, so nobody is told of what never happened.

Messages are templates (``templates/<package>/emails/<name>.txt`` and ``.html``) rendered through Flask-Babel
once per language, Chinese first, into one message: members read Chinese, and the English follows for those
who prefer it. Links are absolute, built from ``EVALUATION_BASE_URL`` and the URL map (``external_url``), so a
job with no request makes the same links as a page."""

from __future__ import annotations

import json
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_mail import Connection, Message
from markupsafe import Markup

from evaluation import crypto, logfilter
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.jobs.models import Job, JobState
from evaluation.text import Reason

log = logfilter.logger(__name__)
QUEUE = "outgoing_mail"
LANGUAGES = ("zh_CN", "en")  # the order a bilingual message reads in
SEND_JOB = "mail.send"
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


class _TimedConnection(Connection):
    """Flask-Mail's connection, with a timeout: a mail server that does not answer holds no request for
    long (``EVALUATION_MAIL_TIMEOUT`` seconds)."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = float(current_app.config.get("EVALUATION_MAIL_TIMEOUT", 10))
        kind = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = kind(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def deliver(recipient: str, subject: str, body: str, html: str | None) -> None:
    """Send one message now; raises when the server refuses or does not answer."""
    message = Message(
        subject=subject,
        recipients=[recipient],
        body=body,
        html=html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    with _TimedConnection(current_app.extensions["mail"]) as connection:
        message.send(connection)


def _retry_later(recipient: str, subject: str, body: str, html: str | None, error: Exception) -> None:
    """A message that could not leave becomes a job the worker retries (with backoff, then marked failed and
    listed for the organizers); its content is sealed with the personal-data key, since it may carry a link
    that sets a password."""
    sealed = crypto.encrypt(json.dumps({"to": recipient, "subject": subject, "body": body, "html": html}))
    with db.engine.begin() as connection:  # the request's own transaction has already ended
        connection.execute(
            sa.insert(Job).values(
                kind=SEND_JOB,
                run_at_dt=utcnow() + timedelta(minutes=1),
                payload={"sealed": sealed.decode(), "to": recipient, "subject": subject},
                state=JobState.PENDING,
                attempts=0,
                last_error=f"{type(error).__name__}: {error}"[:500],
                created_dt=utcnow(),
            )
        )


def send_job(payload: dict[str, Any], now: Any) -> None:
    """The worker's retry of a message that could not leave at first."""
    message = json.loads(crypto.decrypt(payload["sealed"].encode()))
    deliver(message["to"], message["subject"], message["body"], message["html"])


def _send_all(session: sa.orm.Session) -> None:
    messages = session.info.pop(QUEUE, [])
    for recipient, subject, body, html in messages:
        try:
            deliver(recipient, subject, body, html)
        except Exception as exc:  # a mail server outage must not undo a committed decision
            log.warning("mail could not be sent (%s); the worker will retry it", type(exc).__name__)
            _retry_later(recipient, subject, body, html, exc)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _after_commit(session: sa.orm.Session) -> None:
    # Releasing a savepoint fires after_commit too, while the real transaction may still roll back: wait.
    if session.info.get(QUEUE) and not session.in_nested_transaction():
        _send_all(session)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _after_rollback(session: sa.orm.Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outer transaction, not a savepoint
        session.info.pop(QUEUE, None)
