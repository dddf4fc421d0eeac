from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional


class PeriodForm(FlaskForm):
    """A period and the filters of a ranking (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    start = DateField(_l("First day"), name="from", validators=[Optional()])
    end = DateField(_l("Last day"), name="to", validators=[Optional()])
    kind = SelectField(_l("Department kind"), choices=[], validators=[Optional()])
    district = SelectField(_l("District"), choices=[], validators=[Optional()])
    category = SelectField(_l("Category"), choices=[], validators=[Optional()])
