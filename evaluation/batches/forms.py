from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class NewBatchForm(FlaskForm):
    name = StringField(_l("Batch name"), validators=[DataRequired(), Length(max=200)])
    rubric_version = SelectField(_l("Rubric"), choices=[], validators=[DataRequired()])
    policy = SelectField(_l("Composition policy"), choices=[], validators=[DataRequired()])
    opens = DateTimeLocalField(_l("Scoring opens (Beijing time)"), validators=[Optional()])
    closes = DateTimeLocalField(_l("Scoring closes (Beijing time)"), validators=[Optional()])
    category = SelectField(_l("Category"), choices=[], validators=[Optional()])
    department = SelectField(_l("Department"), choices=[], validators=[Optional()])
    contract = SelectField(
        _l("Under the contract (the agency sees the batch)"), choices=[], validators=[Optional()]
    )
    appeals_only = BooleanField(_l("Only cases re-reviewed after an accepted appeal"))
    sample_size = IntegerField(
        _l("Random sample of at most (empty: all that match)"),
        validators=[Optional(), NumberRange(min=1, max=100000)],
    )
    sample_seed = StringField(
        _l("Sample seed (recorded; the same seed gives the same sample)"),
        validators=[Optional(), Length(max=128)],
    )


class WindowForm(FlaskForm):
    closes = DateTimeLocalField(_l("Scoring closes (Beijing time)"), validators=[DataRequired()])


class SeatDeadlineForm(FlaskForm):
    """A substitute's deadline, or a reopened seat's."""

    deadline = DateTimeLocalField(_l("New deadline (Beijing time)"), validators=[DataRequired()])


REASON_MAX = 2000


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the case leaves the batch"), validators=[DataRequired(), Length(max=REASON_MAX)]
    )
