"""Configuration read from the environment.

Every setting has a safe default for development; production sets at least ``SECRET_KEY``,
``DATABASE_URL`` and ``EVALUATION_PII_KEY``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105 - refused outside debug/testing


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting and why."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int, problems: list[str] | None) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        message = f"{name} must be a whole number, not {raw!r}"
        if problems is None:
            raise ConfigError(message) from None
        problems.append(message)
        return default


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` and ``postgresql://`` spellings and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: str, problems: list[str] | None = None) -> dict[str, Any]:
    """The settings from the environment. A malformed value raises ConfigError, or, given a ``problems`` list,
    is noted there and replaced by its default (the command line refuses later, only where it matters)."""
    env = os.environ
    default_db = "sqlite:///" + str(Path(instance_path) / "evaluation.db")
    return {
        "SECRET_KEY": env.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL", default_db)),
        # hide_parameters: an error logged by SQLAlchemy names its statement but not the values bound to it, so a
        # log line never carries a citizen's text or a token (the stored values are encrypted, but not all are).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # Mail (Flask-Mail reads these names).
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int("MAIL_PORT", 25, problems),
        # Seconds to wait for the mail server; a message that cannot leave is retried by the jobs worker.
        "EVALUATION_MAIL_TIMEOUT": _int("EVALUATION_MAIL_TIMEOUT", 10, problems),
        # Webhook deliveries (evaluation.publication.outbox): the first retry's wait (doubling, with full
        # jitter), the attempts before a message is dead, the answer's timeout and a delivery's lease.
        "EVALUATION_OUTBOX_BACKOFF_S": _int("EVALUATION_OUTBOX_BACKOFF_S", 30, problems),
        "EVALUATION_OUTBOX_MAX_ATTEMPTS": _int("EVALUATION_OUTBOX_MAX_ATTEMPTS", 12, problems),
        "EVALUATION_OUTBOX_TIMEOUT_S": _int("EVALUATION_OUTBOX_TIMEOUT_S", 10, problems),
        "EVALUATION_OUTBOX_LEASE_S": _int("EVALUATION_OUTBOX_LEASE_S", 60, problems),
        # Days after publication in which the evaluated department may appeal (申请复核).
        "EVALUATION_APPEAL_DAYS": _int("EVALUATION_APPEAL_DAYS", 10, problems),
        # Days after publication in which a department reports the rectification of an upheld case (整改).
        "EVALUATION_RECTIFICATION_DAYS": _int("EVALUATION_RECTIFICATION_DAYS", 30, problems),
        # Honoraria (劳务费) of experts and panel members by a tier table of the provincial shape (川财规〔2023〕6号):
        # "base hours, base yuan, yuan per further hour, daily cap, rest-day multiplier".
        "PROCUREMENT_HONORARIUM_TIERS": env.get("PROCUREMENT_HONORARIUM_TIERS", "4,500,100,1000,1.5"),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "评议平台 <noreply@localhost>"),
        "MAIL_SUPPRESS_SEND": _bool(env.get("MAIL_SUPPRESS_SEND")),
        # i18n: Chinese by default, dates shown in Beijing time, stored in UTC.
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": env.get("EVALUATION_TIMEZONE", "Asia/Shanghai"),
        "EVALUATION_LOCALES": ["zh_CN", "en"],
        "EVALUATION_PII_KEY": env.get("EVALUATION_PII_KEY"),
        # Keys the audit chain's HMAC and signs its checkpoints; kept out of the database.
        "EVALUATION_AUDIT_KEY": env.get("EVALUATION_AUDIT_KEY"),
        "EVALUATION_PAGE_SIZE": _int("EVALUATION_PAGE_SIZE", 50, problems),
        # A case goes to deliberation when its members' totals (0-100) spread wider than this.
        "EVALUATION_SPREAD_POINTS": _int("EVALUATION_SPREAD_POINTS", 30, problems),
        # Hours before a batch's deadline at which members with unsubmitted sheets are reminded.
        "EVALUATION_REMINDER_HOURS": env.get("EVALUATION_REMINDER_HOURS", "72,24,2"),
        # The API's body limit (1,000 cases with long texts fit); uploads of the web pages have their own.
        "EVALUATION_API_MAX_BYTES": _int("EVALUATION_API_MAX_BYTES", 32 * 1024 * 1024, problems),
        "MAX_CONTENT_LENGTH": _int("EVALUATION_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, problems),
        "EVALUATION_BASE_URL": env.get("EVALUATION_BASE_URL", "http://127.0.0.1:5000"),
        # How long a link that sets a password (an invitation to the platform, a reset) works.
        "EVALUATION_ACCOUNT_LINK_DAYS": _int("EVALUATION_ACCOUNT_LINK_DAYS", 7, problems),
        # Login throttling; production points this at Redis so all workers share the counters.
        "RATELIMIT_STORAGE_URI": env.get("EVALUATION_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("EVALUATION_RATELIMIT_ENABLED"), default=True),
        "EVALUATION_LOGIN_LIMIT": env.get("EVALUATION_LOGIN_LIMIT", "10 per minute"),
        # Session cookies: secure unless explicitly served over plain HTTP (the demo on 127.0.0.1).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("EVALUATION_SECURE_COOKIES"), default=True),
        "REMEMBER_COOKIE_SECURE": _bool(env.get("EVALUATION_SECURE_COOKIES"), default=True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=min(14, _int("EVALUATION_REMEMBER_DAYS", 14, problems))),
        # How many reverse proxies in front set X-Forwarded-For/-Proto/-Host (0: none, the app is reached directly).
        "EVALUATION_PROXY_HOPS": _int("EVALUATION_PROXY_HOPS", 0, problems),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    }


def problem(config: dict[str, Any], *, debug: bool) -> str | None:
    """Why the configuration would be unsafe in production (one line naming the setting), or None."""
    relaxed = debug or config.get("TESTING", False)
    if not relaxed and config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY:
        return (
            "SECRET_KEY is not set (it is the development key); set SECRET_KEY in the environment, for example "
            "to the output of `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    if not relaxed and not config.get("EVALUATION_PII_KEY"):
        return "EVALUATION_PII_KEY is not set; citizens' personal data cannot be encrypted without it"
    if not relaxed and not config.get("EVALUATION_AUDIT_KEY"):
        return (
            "EVALUATION_AUDIT_KEY is not set; the audit chain cannot be keyed without it (any long random "
            "string, kept outside the database)"
        )
    return None


def check(config: dict[str, Any], *, debug: bool) -> None:
    """Refuse a configuration that would be unsafe in production."""
    reason = problem(config, debug=debug)
    if reason is not None:
        raise ConfigError(reason)
