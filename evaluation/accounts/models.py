"""Users, their roles, and the API clients of the main system."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from evaluation.crypto import EncryptedText
from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model

if TYPE_CHECKING:
    from evaluation.org.models import Department
    from procurement.models import Agency


class Role(StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"
    MEMBER = "member"
    DEPARTMENT = "department"
    AGENCY = "agency"


class UserRole(Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_type(Role), primary_key=True)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_dt: Mapped[datetime | None]
    # Part of every session and remember-me cookie of the user (get_id); a new one ends them all at once.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=lambda: secrets.token_hex(16))

    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    department: Mapped[Department | None] = relationship()
    agency: Mapped[Agency | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login: an inactive user cannot log in
        return self.active

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    @classmethod
    def organizer_addresses(cls) -> sa.Select[str | None]:
        """The e-mail addresses of the active organizers: who hears of what waits for the office."""
        return (
            sa.select(cls.email)
            .join(UserRole, UserRole.user_id == cls.id)
            .where(UserRole.role == Role.ORGANIZER, cls.active.is_(True), cls.email.is_not(None))
        )

    @classmethod
    def department_readers(cls, department_ids: list[int]) -> sa.Select[User]:
        """The active department users of these departments who have an e-mail address."""
        return (
            sa.select(cls)
            .join(UserRole, UserRole.user_id == cls.id)
            .where(
                UserRole.role == Role.DEPARTMENT,
                cls.department_id.in_(department_ids),
                cls.active.is_(True),
                cls.email.is_not(None),
            )
        )

    def has_role(self, *roles: Role | str) -> bool:
        return any(Role(r) in self.roles for r in roles)

    def add_role(self, role: Role | str) -> None:
        if not self.has_role(role):
            self.role_rows.append(UserRole(role=Role(role)))

    def get_id(self) -> str:
        """What the session and the remember-me cookie keep: the id with the current session token."""
        return f"{self.id}.{self.session_token}"

    def end_sessions(self) -> None:
        """Every session and remember-me cookie of this user stops working (logout, a new password,
        deactivation)."""
        self.session_token = secrets.token_hex(16)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def set_unusable_password(self) -> None:
        """No password matches until one is set (through a mailed link)."""
        self.password_hash = "!"  # noqa: S105 - not a hash: check_password_hash never accepts it
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


# What an API client may be allowed to do.
SCOPES = ("cases:write", "departments:write", "assessments:read")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClient(Model):
    """A machine client (the main case system): a hashed bearer token with scopes, and an optional webhook."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    webhook_url: Mapped[str | None] = mapped_column(sa.String(2000))
    # Kept recoverable (encrypted, not hashed): the platform signs every webhook body with it.
    webhook_secret: Mapped[str | None] = mapped_column(EncryptedText)
    # After a rotation, the secret before it still signs (beside the new one) until the grace period ends.
    previous_webhook_secret: Mapped[str | None] = mapped_column(EncryptedText)
    previous_secret_until_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_dt: Mapped[datetime | None]
    revoked_dt: Mapped[datetime | None]

    @staticmethod
    def new_token() -> str:
        return "evk_" + secrets.token_urlsafe(32)

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @staticmethod
    def new_webhook_secret() -> str:
        """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the previous one in its grace."""
        found = [self.webhook_secret] if self.webhook_secret else []
        if (
            self.previous_webhook_secret
            and self.previous_secret_until_dt
            and now < self.previous_secret_until_dt
        ):
            found.append(self.previous_webhook_secret)
        return found


class TokenPurpose(StrEnum):
    INVITATION = "invitation"  # a pool member's first password: the account is made when it is used
    RESET = "reset"  # a new password for an existing account


class AccountToken(Model):
    """A single-use link that sets a password: an invitation to the platform or a reset. Only its hash is
    stored; it expires, and it can be revoked (a new one for the same person revokes the old)."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_type(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    expires_dt: Mapped[datetime]
    used_dt: Mapped[datetime | None]
    revoked_dt: Mapped[datetime | None]

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    def is_open(self, now: datetime) -> bool:
        return self.used_dt is None and self.revoked_dt is None and now < self.expires_dt
