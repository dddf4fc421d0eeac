from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class NoticeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    start = DateField(_l("First day"), validators=[DataRequired()])
    end = DateField(_l("Last day"), validators=[DataRequired()])
    intro = TextAreaField(
        _l("Opening words"),
        description=_l("What the notice says before its figures: its purpose, the period's main findings."),
        validators=[Optional(), Length(max=4000)],
    )


class TypicalForm(FlaskForm):
    typical = SelectMultipleField(
        _l("Typical cases"),
        choices=[],
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
    )
