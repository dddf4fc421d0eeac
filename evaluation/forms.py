"""Forms shared by every package."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import Email, Length, Optional


class ConfirmForm(FlaskForm):
    """Just the CSRF token, for buttons that change state."""


def optional_email_field(**kwargs: Any) -> EmailField:
    """An e-mail address that may be left empty, refused in our own words when malformed (WTForms' own
    Chinese message mixes in English)."""
    return EmailField(
        _l("E-mail"),
        validators=[
            Optional(),
            Email(message=_l("Enter a valid e-mail address."), check_deliverability=False),
            Length(max=254),
        ],
        **kwargs,
    )
