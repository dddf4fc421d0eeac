from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from evaluation.cases.models import CaseStatus, CaseType, Channel, ExclusionReason
from evaluation.labels import lazy_label

ALL = _l("All")


def _choices(enum_cls: type[StrEnum], blank: Any = ALL) -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(m.value, lazy_label(m)) for m in enum_cls]


class CaseFilterForm(FlaskForm):
    """GET filters of the case list; no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Text"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), choices=_choices(CaseStatus), validators=[Optional()])
    type = SelectField(_l("Type"), choices=_choices(CaseType), validators=[Optional()])
    channel = SelectField(_l("Channel"), choices=_choices(Channel), validators=[Optional()])
    department = SelectField(_l("Department"), choices=[], validators=[Optional()])
    district = SelectField(_l("District"), choices=[], validators=[Optional()])
    category = SelectField(_l("Category"), choices=[], validators=[Optional()])
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received until"), validators=[Optional()])


class BulkScreeningForm(FlaskForm):
    case_ids = SelectMultipleField(
        coerce=int, validate_choice=False, validators=[DataRequired(_l("Select at least one case."))]
    )
    action = SelectField(
        _l("Action"),
        validators=[DataRequired()],
        choices=[
            SelectChoice("eligible", _l("Mark eligible for review")),
            SelectChoice("exclude", _l("Exclude")),
            SelectChoice("back", _l("Back to received")),
            SelectChoice("add_to_batch", _l("Add to a draft batch")),
        ],
    )
    batch = SelectField(_l("Draft batch"), choices=[], validators=[Optional()])
    reason = SelectField(
        _l("Reason for exclusion"), choices=_choices(ExclusionReason, blank="—"), validators=[Optional()]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    next = HiddenField()


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV or Excel file"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx"], _l("Upload a .csv or .xlsx file."))],
    )


class ImportCommitForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class VerificationCallForm(FlaskForm):
    called = DateTimeLocalField(_l("Called at (Beijing time)"), validators=[DataRequired()])
    reached = BooleanField(_l("The citizen was reached"))
    account = TextAreaField(_l("What the citizen says now"), validators=[Optional(), Length(max=4000)])
