"""Account operations: they flush, the caller commits."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from evaluation.accounts.models import SCOPES, ApiClient, Role, User, hash_token
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.org.models import Department


class AccountError(ValueError):
    """Bad input for an account operation; the message is meant for the person who gave it."""


def authenticate(username: str, password: str) -> User | None:
    """The user if the username and password match an active account, else None (never says which failed)."""
    user: User | None = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_dt = utcnow()
    return user


def create_user(
    username: str,
    password: str,
    roles: list[str],
    department_code: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    username = username.strip()
    if not username:
        raise AccountError("the username is empty")
    if not roles:
        raise AccountError("give at least one --role")
    known = {r.value for r in Role}
    unknown = [r for r in roles if r not in known]
    if unknown:
        raise AccountError(f"unknown role {unknown[0]!r}; choose from {', '.join(sorted(known))}")
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"a user named {username!r} already exists")
    if len(password) < 8:
        raise AccountError("the password must have at least 8 characters")
    department = None
    if department_code:
        department = db.session.scalar(sa.select(Department).where(Department.code == department_code))
        if department is None:
            raise AccountError(f"unknown department {department_code!r}")
    if Role.DEPARTMENT.value in roles and department is None:
        raise AccountError("a department user needs --department CODE")
    user = User(username=username, display_name=display_name or username, email=email, department=department)
    user.set_password(password)
    for role in roles:
        user.add_role(role)
    db.session.add(user)
    db.session.flush()
    return user


def create_client(name: str, scopes: list[str], webhook_url: str | None) -> tuple[ApiClient, str, str | None]:
    """A new API client; returns it with its token and webhook secret, which exist in clear only here."""
    name = name.strip()
    if not name:
        raise AccountError("the client name is empty")
    if not scopes:
        raise AccountError(f"give at least one scope ({', '.join(SCOPES)})")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise AccountError(f"unknown scope {unknown[0]!r}; choose from {', '.join(SCOPES)}")
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        raise AccountError("the webhook must be an http:// or https:// URL")
    if db.session.scalar(sa.select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise AccountError(f"a client named {name!r} already exists")
    token = ApiClient.new_token()
    secret = "whsec_" + secrets.token_urlsafe(32) if webhook_url else None
    client = ApiClient(
        name=name,
        token_hash=hash_token(token),
        scopes=list(dict.fromkeys(scopes)),
        webhook_url=webhook_url,
        webhook_secret=secret,
    )
    db.session.add(client)
    db.session.flush()
    return client, token, secret


def revoke_client(name: str) -> ApiClient:
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.name == name))
    if client is None:
        raise AccountError(f"no client named {name!r}")
    if client.revoked_dt is not None:
        raise AccountError(f"client {name!r} was already revoked")
    client.revoked_dt = utcnow()
    db.session.flush()
    return client
