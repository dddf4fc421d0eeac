"""Account operations: they flush, the caller commits."""

from __future__ import annotations

import sqlalchemy as sa

from evaluation.accounts.models import Role, User
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.org.models import Department


class AccountError(ValueError):
    """Bad input for an account operation; the message is meant for the person who gave it."""


def authenticate(username: str, password: str) -> User | None:
    """The user if the username and password match an active account, else None (never says which failed)."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_dt = utcnow()
    return user


def create_user(username: str, password: str, roles: list[str], department_code: str | None = None,
                display_name: str | None = None, email: str | None = None) -> User:
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
