from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from evaluation.forms import optional_email_field
from evaluation.labels import lazy_label
from procurement.credit_code import reason
from procurement.models import AgencyStatus


def _credit_code(_form: Any, field: Any) -> None:
    """The standard's own check, in the user's words: which character is wrong and why."""
    found = reason(field.data or "")
    if found is not None:
        raise ValidationError(_(found[0], **found[1]))


class AgencyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(
        _l("Unified social credit code"), validators=[DataRequired(), Length(max=30), _credit_code]
    )
    qualifications = TextAreaField(
        _l("Qualifications"),
        description=_l("Registrations, certifications, evaluation staff and experience."),
        validators=[Optional(), Length(max=4000)],
    )
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=32)])
    email = optional_email_field()
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    status = SelectField(
        _l("Status"), choices=[SelectChoice(s.value, lazy_label(s)) for s in AgencyStatus], default="active"
    )
    status_reason = TextAreaField(_l("Reason for the status"), validators=[Optional(), Length(max=2000)])
    status_until = DateField(_l("Until (empty: until lifted)"), validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.status.data != AgencyStatus.ACTIVE.value and not (self.status_reason.data or "").strip():
            self.status_reason.errors = [
                *self.status_reason.errors,
                _("Say why the agency is suspended or blacklisted."),
            ]
            return False
        return valid
