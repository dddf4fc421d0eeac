"""Access checks reused by every view: a role gate, and object guards that abort 404/403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from evaluation.accounts.models import Role
from evaluation.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M")


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Require a logged-in user holding at least one of ``roles``; 403 otherwise."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def get_or_403(model: type[M], ident: Any, can: Callable[[M], bool] | None = None) -> M:
    """Load one object or 404; then 403 unless ``can(obj)`` allows the current user to reach it.

    Views never trust the role alone: every object a page shows goes through a predicate on the object.
    """
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    if can is not None and not can(obj):
        abort(403)
    return obj
