"""The administrator's user form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, Length

from evaluation.accounts.models import Role
from evaluation.forms import optional_email_field
from evaluation.labels import lazy_label


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = optional_email_field()
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[SelectChoice(r.value, lazy_label(r)) for r in Role],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    department = SelectField(_l("Department (for department users)"), choices=[], default="")
    agency = SelectField(_l("Agency (for agency users)"), choices=[], default="")
    active = BooleanField(_l("Active (may log in)"), default=True)
