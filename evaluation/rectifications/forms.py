from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from evaluation.rectifications.operations import TEXT_MAX


class ReportForm(FlaskForm):
    report = TextAreaField(
        _l("Rectification report"),
        description=_l(
            "What the department has done about the case, and what it changed so it does not recur."
        ),
        validators=[DataRequired(), Length(max=TEXT_MAX)],
    )


class ReviewForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("accept", _l("Accept the report")),
            SelectChoice("return", _l("Return it: something is missing")),
        ],
        validators=[DataRequired()],
    )
    note = TextAreaField(_l("Note to the department"), validators=[Optional(), Length(max=TEXT_MAX)])
