"""Bearer tokens of API clients: stored hashed, each with scopes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import g, request

from evaluation.accounts.models import SCOPES, ApiClient, hash_token  # noqa: F401 - SCOPES: the API speaks of them
from evaluation.api.errors import ApiError
from evaluation.db import takes_write_lock, utcnow, writing_apart
from evaluation.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def current_client() -> ApiClient:
    return g.api_client


def require_scope(*scopes: str) -> Callable[[F], F]:
    """401 without a valid token; 403 unless the client holds one of ``scopes``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            kind, _, token = header.partition(" ")
            if kind.lower() != "bearer" or not token.strip():
                raise ApiError(
                    401, "unauthorized", "send the client's token as 'Authorization: Bearer <token>'"
                )
            client = db.session.scalar(
                sa.select(ApiClient).where(ApiClient.token_hash == hash_token(token.strip()))
            )
            if client is None or client.revoked_dt is not None:
                raise ApiError(401, "unauthorized", "the token is not valid or has been revoked")
            if not any(client.has_scope(s) for s in scopes):
                raise ApiError(
                    403,
                    "insufficient_scope",
                    f"this client lacks the scope {' or '.join(scopes)}",
                    scope=" ".join(scopes),
                )
            now = utcnow()
            if client.last_used_dt is None or now - client.last_used_dt > timedelta(minutes=5):
                # coarse, so reads do not write on every request; a read records it beside its own transaction
                if takes_write_lock():
                    client.last_used_dt = now
                else:
                    with writing_apart(db.engine) as connection:
                        connection.execute(
                            sa.update(ApiClient).where(ApiClient.id == client.id).values(last_used_dt=now)
                        )
            g.api_client = client
            return view(*args, **kwargs)

        wrapped._openapi_scopes = scopes  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
