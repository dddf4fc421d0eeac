from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length

from evaluation.appeals.operations import TEXT_MAX


class AppealForm(FlaskForm):
    reason = TextAreaField(_l("Grounds of the appeal"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    recontact_record = TextAreaField(
        _l("Renewed contact with the citizen"),
        description=_l("When and how the department contacted the citizen again, and what came of it."),
        validators=[DataRequired(), Length(max=TEXT_MAX)],
    )


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("accept", _l("Accept: the case is re-reviewed by a new panel")),
            SelectChoice("reject", _l("Reject: the assessment stands")),
        ],
        validators=[DataRequired()],
    )
    note = TextAreaField(
        _l("Reason for the decision"),
        description=_l("The department reads it."),
        validators=[DataRequired(), Length(max=TEXT_MAX)],
    )
