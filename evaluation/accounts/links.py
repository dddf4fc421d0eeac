"""Links that set a password: a pool member's invitation to the platform and an administrator's password reset.

A link carries a random secret; only its hash is stored. It works once, until it expires
(``EVALUATION_ACCOUNT_LINK_DAYS``, 7 by default), and a new link for the same person revokes the old one.
Operations flush; the request commits; the mail leaves after the commit.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from evaluation.accounts.models import AccountToken, Role, TokenPurpose, User, hash_token
from evaluation.audit.operations import record
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.mailer import external_url, queue_template
from evaluation.text import N_, UserError

MIN_PASSWORD = 10


class LinkError(UserError):
    """The link cannot set a password (unknown, used, revoked, expired); says which."""

    status = 400


def link_days() -> int:
    return int(current_app.config.get("EVALUATION_ACCOUNT_LINK_DAYS", 7))


@functools.cache
def common_passwords() -> frozenset[str]:
    """The passwords people pick first: zxcvbn's list of 30,000 from public breaches and our own list of those
    common in China (``accounts/data/common_passwords_zh.txt``), lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    ours = (Path(__file__).parent / "data" / "common_passwords_zh.txt").read_text(encoding="utf-8")
    lines = (line.strip().lower() for line in ours.splitlines())
    return frozenset(FREQUENCY_LISTS["passwords"]) | {
        line for line in lines if line and not line.startswith("#")
    }


def password_problem(password: str, username: str) -> str | None:
    """Why a password is refused (a message id), or None."""
    if len(password) < MIN_PASSWORD:
        return N_("A password has at least 10 characters.")
    if password.strip().lower() == username.strip().lower():
        return N_("The password cannot be the username.")
    if password.lower() in common_passwords():
        return N_("This password is on the list of the most common ones; choose another.")
    return None


def issue(
    purpose: TokenPurpose,
    email: str,
    *,
    user: User | None = None,
    member_id: int | None = None,
    by: int | None = None,
    now: datetime | None = None,
) -> tuple[AccountToken, str]:
    """A new link for this person (revoking their open ones of the same purpose); returns it and its secret."""
    now = now or utcnow()
    same = [
        AccountToken.purpose == purpose,
        AccountToken.used_dt.is_(None),
        AccountToken.revoked_dt.is_(None),
    ]
    same.append(AccountToken.user_id == user.id if user is not None else AccountToken.member_id == member_id)
    for old in db.session.scalars(sa.select(AccountToken).where(*same)):
        old.revoked_dt = now
    secret = AccountToken.new_secret()
    token = AccountToken(
        purpose=purpose,
        token_hash=hash_token(secret),
        email=email,
        user=user,
        member_id=member_id,
        created_by_id=by,
        created_dt=now,
        expires_dt=now + timedelta(days=link_days()),
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke(purpose: TokenPurpose, *, user_id: int | None = None, member_id: int | None = None) -> int:
    """Revoke the person's open links of this purpose; returns how many."""
    who = AccountToken.user_id == user_id if user_id is not None else AccountToken.member_id == member_id
    tokens = db.session.scalars(
        sa.select(AccountToken).where(
            AccountToken.purpose == purpose,
            who,
            AccountToken.used_dt.is_(None),
            AccountToken.revoked_dt.is_(None),
        )
    )
    count = 0
    for token in tokens:
        token.revoked_dt = utcnow()
        count += 1
    db.session.flush()
    return count


def open_link(secret: str, now: datetime | None = None) -> AccountToken:
    """The link this secret stands for, if it can still be used; otherwise the reason it cannot."""
    now = now or utcnow()
    token = db.session.scalar(sa.select(AccountToken).where(AccountToken.token_hash == hash_token(secret)))
    if token is None:
        raise LinkError(N_("This link is not valid. Ask the office for a new one."))
    if token.used_dt is not None:
        raise LinkError(
            N_(
                "This link has already been used. Log in with your password, or ask the office for "
                "a new link."
            )
        )
    if token.revoked_dt is not None:
        raise LinkError(N_("This link was replaced by a newer one. Use the link in the latest e-mail."))
    if now >= token.expires_dt:
        raise LinkError(N_("This link has expired. Ask the office for a new one."))
    return token


def use(token: AccountToken, user: User, password: str, now: datetime | None = None) -> None:
    """Set ``user``'s password through the link, which is then spent."""
    problem = password_problem(password, user.username)
    if problem is not None:
        raise UserError(problem, field="password")
    user.set_password(password)
    user.active = True
    token.used_dt = now or utcnow()
    db.session.add(user)
    db.session.flush()
    record("account.password_set", "user", user.id, {"purpose": token.purpose.value})


def send_reset(user: User, by: int | None) -> None:
    """Mail the user a link to set a new password (Chinese first, both languages)."""
    if not user.email:
        raise UserError(N_("%(name)s has no e-mail address; add one first."), name=user.display_name)
    token, secret = issue(TokenPurpose.RESET, user.email, user=user, by=by)
    queue_template(
        user.email,
        "evaluation/accounts/emails/reset",
        (N_("Set your password"), {}),
        name=user.display_name,
        username=user.username,
        link=external_url("accounts.password", token=secret),
        expires=to_local(token.expires_dt).strftime("%Y-%m-%d %H:%M"),
    )
    record("account.reset_sent", "user", user.id, {}, actor_id=by)


def landing(user: User) -> str:
    """Where someone goes once their password is set: a member to their seats, anyone else to the overview."""
    return "batches.my_seats" if user.has_role(Role.MEMBER) else "main.dashboard"
