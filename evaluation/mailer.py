"""E-mail that leaves only after the transaction commits (DESIGN §4): operations queue messages on the session;
the session's after_commit sends them and a rollback drops them, so nobody is told of what never happened."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_mail import Message

from evaluation.extensions import db, mail

log = logging.getLogger(__name__)
QUEUE = "outgoing_mail"


def queue(recipient: str, subject: str, body: str) -> None:
    """Send ``body`` to ``recipient`` once the current transaction commits."""
    db.session.info.setdefault(QUEUE, []).append((recipient, subject, body))


def _send_all(session: sa.orm.Session) -> None:
    messages = session.info.pop(QUEUE, [])
    for recipient, subject, body in messages:
        try:
            mail.send(Message(subject=subject, recipients=[recipient], body=body,
                              sender=current_app.config["MAIL_DEFAULT_SENDER"]))
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
