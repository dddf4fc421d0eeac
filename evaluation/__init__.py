"""评议 — the third-party evaluation platform for unsatisfied cases.

This package stays light on purpose: importing one of its pure modules (``evaluation.agreement``,
``evaluation.privacy``) must not load Flask or SQLAlchemy, so an auditor's notebook can use them alone.
The application factory lives in :mod:`evaluation.app`; ``flask --app evaluation …`` and
``from evaluation import create_app`` still find it here, loaded on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from evaluation.app import create_app

        return create_app
    raise AttributeError(f"module 'evaluation' has no attribute {name!r}")
