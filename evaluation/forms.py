"""Forms shared by every package."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """Just the CSRF token, for buttons that change state."""
