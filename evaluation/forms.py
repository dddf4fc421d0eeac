"""Forms shared by every package."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField
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


class AmountField(DecimalField):
    """A decimal typed by a person: "NaN", "Infinity" and their like are refused in our words (WTForms' own
    DecimalField lets them through to its validators, and a signalling NaN breaks NumberRange)."""

    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and valuelist[0] not in ("", None):
            try:
                value = Decimal(str(valuelist[0]).strip().replace(",", ""))
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite():
                self.data = None
                raise ValueError(_l("Enter a number."))
        super().process_formdata([str(valuelist[0]).strip().replace(",", "")] if valuelist else valuelist)
