"""Account operations: they flush, the caller commits."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from evaluation.accounts import links
from evaluation.accounts.models import SCOPES, ApiClient, Role, User, hash_token
from evaluation.audit.operations import record
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.org.models import Department
from evaluation.text import N_, UserError


class AccountError(ValueError):
    """Bad input for an account operation; the message is meant for the person who gave it."""


@functools.cache
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def authenticate(username: str, password: str, address: str | None = None) -> User | None:
    """The user if the username and password match an active account, else None (never says which failed).
    Both are audited, with the client's address; a failure names the account only if it exists (what was typed
    as a username may be someone's password).

    An unknown username costs the same password hashing as a known one, so the time taken tells nothing."""
    user: User | None = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_decoy_hash(), password)
        record("account.login_failed", "user", "unknown", {"address": address})
        return None
    if not user.check_password(password) or not user.active:
        record("account.login_failed", "user", user.id, {"address": address, "inactive": not user.active})
        return None
    user.last_login_dt = utcnow()
    record("account.login", "user", user.id, {"address": address}, actor_id=user.id)
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
    problem = links.password_problem(password, username)
    if problem is not None:
        raise AccountError(problem)
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
    secret = ApiClient.new_webhook_secret() if webhook_url else None
    client = ApiClient(
        name=name,
        token_hash=hash_token(token),
        scopes=list(dict.fromkeys(scopes)),
        webhook_url=webhook_url,
        webhook_secret=secret,
    )
    db.session.add(client)
    db.session.flush()
    record(
        "api_client.created",
        "api_client",
        client.id,
        {"name": name, "scopes": client.scopes, "webhook": bool(webhook_url)},
    )
    return client, token, secret


def rotate_webhook_secret(name: str, grace_hours: int) -> tuple[str, datetime]:
    """A new webhook secret for client ``name``; the old one signs beside it for ``grace_hours``. Flushes."""
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.name == name))
    if client is None or client.revoked_dt is not None:
        raise AccountError(f"no active client named {name!r}")
    if not client.webhook_url:
        raise AccountError(f"client {name!r} has no webhook")
    if grace_hours < 0:
        raise AccountError("the grace period cannot be negative")
    until = utcnow() + timedelta(hours=grace_hours)
    client.previous_webhook_secret, client.previous_secret_until_dt = client.webhook_secret, until
    client.webhook_secret = ApiClient.new_webhook_secret()
    db.session.flush()
    record("api_client.secret_rotated", "api_client", client.id, {"name": name, "grace_hours": grace_hours})
    return client.webhook_secret, until


def revoke_client(name: str) -> ApiClient:
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.name == name))
    if client is None:
        raise AccountError(f"no client named {name!r}")
    if client.revoked_dt is not None:
        raise AccountError(f"client {name!r} was already revoked")
    client.revoked_dt = utcnow()
    db.session.flush()
    record("api_client.revoked", "api_client", client.id, {"name": name})
    return client


def save_user(user: User | None, values: dict[str, Any], by: int | None) -> User:
    """Create (``user`` None: no password yet, a link to set one is mailed) or update a user from the
    administrator's page. Role and visibility changes are audited."""
    username = values["username"].strip()
    clash = db.session.scalar(sa.select(User.id).where(User.username == username))
    if clash is not None and (user is None or clash != user.id):
        raise UserError(N_("A user named %(name)s exists already."), field="username", name=username)
    roles = {Role(r) for r in values["roles"]}
    if not roles:
        raise UserError(N_("Choose at least one role."), field="roles")
    department = db.session.get(Department, values["department_id"]) if values.get("department_id") else None
    agency_id = values.get("agency_id") or None
    if Role.DEPARTMENT in roles and department is None:
        raise UserError(N_("A department user needs a department."), field="department")
    if Role.AGENCY in roles and agency_id is None:
        raise UserError(N_("An agency user needs an agency."), field="agency")
    if user is None and not values.get("email"):
        raise UserError(
            N_("A new user needs an e-mail address, for the link that sets the password."), field="email"
        )
    if user is not None and user.id == by and (not values.get("active", True) or Role.ADMIN not in roles):
        raise UserError(N_("You cannot deactivate your own account or take your own administrator role."))
    created = user is None
    if user is None:
        user = User()
        user.set_unusable_password()  # the first password is set through the mailed link
        db.session.add(user)
    before = {
        "roles": sorted(user.roles),
        "department": user.department_id,
        "agency": user.agency_id,
        "active": user.active,
    }
    user.username, user.display_name = username, values["display_name"].strip()
    user.email = values.get("email") or None
    user.department, user.agency_id = department, agency_id
    active = values.get("active", True)
    if user.active and not active:
        user.end_sessions()  # a deactivated user is logged out everywhere, now
    user.active = active
    user.role_rows = [row for row in user.role_rows if row.role in roles]
    for role in sorted(roles):
        user.add_role(role)
    db.session.flush()
    after = {
        "roles": sorted(user.roles),
        "department": user.department_id,
        "agency": user.agency_id,
        "active": user.active,
    }
    if created or after != before:
        record(
            "user.created" if created else "user.changed",
            "user",
            user.id,
            {"before": before, "after": after},
            actor_id=by,
        )
    if created:
        links.send_reset(user, by)
    return user
