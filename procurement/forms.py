from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from evaluation.forms import AmountField, optional_email_field
from evaluation.labels import lazy_label
from procurement.credit_code import reason
from procurement.expert_models import RelationKind
from procurement.models import AgencyStatus, ProcurementMethod


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


class ProjectForm(FlaskForm):
    code = StringField(_l("Project number"), validators=[DataRequired(), Length(max=64)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    budget = AmountField(
        _l("Budget (yuan)"),
        places=2,
        validators=[
            DataRequired(_l("Enter the budget.")),
            NumberRange(min=Decimal("0.01"), max=Decimal("1e11")),
        ],
    )
    method = SelectField(
        _l("Procurement method"), choices=[SelectChoice(m.value, lazy_label(m)) for m in ProcurementMethod]
    )
    price_weight = AmountField(
        _l("Price weight (points of 100)"),
        places=2,
        default=Decimal(30),
        description=_l("For services between 10 and 30 points."),
        validators=[InputRequired(_l("Enter the price weight.")), NumberRange(min=0, max=100)],
    )
    rubric_version = SelectField(_l("Technical rubric"), choices=[], validators=[Optional()])
    expert_count = IntegerField(
        _l("Experts on the panel"),
        default=5,
        description=_l("At least 5, and odd."),
        validators=[InputRequired(_l("Enter the number of experts.")), NumberRange(min=1, max=25)],
    )
    announce_date = DateField(_l("Announcement (planned)"), validators=[Optional()])
    bid_deadline = DateTimeLocalField(_l("Bid deadline and opening (Beijing time)"), validators=[Optional()])
    evaluation_date = DateField(_l("Evaluation (planned)"), validators=[Optional()])


class BidForm(FlaskForm):
    agency = SelectField(_l("Agency"), choices=[], validators=[DataRequired(_l("Choose the agency."))])
    price = AmountField(
        _l("Price (yuan)"),
        places=2,
        validators=[
            DataRequired(_l("Enter the price.")),
            NumberRange(min=Decimal("0.01"), max=Decimal("1e11")),
        ],
    )
    submitted = DateTimeLocalField(_l("Received at (Beijing time)"), validators=[DataRequired()])
    proposal = FileField(
        _l("Technical proposal"),
        description=_l("PDF, Word or ZIP, at most 20 MB; stored encrypted."),
        validators=[
            FileRequired(_l("Upload the technical proposal.")),
            FileAllowed(["pdf", "doc", "docx", "zip"], _l("Upload a PDF, Word or ZIP file.")),
        ],
    )


class FindingForm(FlaskForm):
    finding = TextAreaField(_l("The panel's finding"), validators=[DataRequired(), Length(max=4000)])


class FailForm(FlaskForm):
    reason = TextAreaField(_l("Why the procurement failed"), validators=[DataRequired(), Length(max=2000)])


class RelationForm(FlaskForm):
    member = SelectField(_l("Expert"), choices=[], validators=[DataRequired()])
    agency = SelectField(_l("Agency"), choices=[], validators=[DataRequired()])
    kind = SelectField(_l("Relation"), choices=[SelectChoice(k.value, lazy_label(k)) for k in RelationKind])
    start_date = DateField(_l("From"), validators=[Optional()])
    end_date = DateField(_l("Until (empty: still so)"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class ContractForm(FlaskForm):
    number = StringField(_l("Contract number"), validators=[DataRequired(), Length(max=64)])
    amount = AmountField(
        _l("Amount (yuan)"),
        places=2,
        validators=[DataRequired(), NumberRange(min=Decimal("0.01"), max=Decimal("1e11"))],
    )
    start_date = DateField(_l("Starts"), validators=[DataRequired()])
    end_date = DateField(_l("Ends"), validators=[DataRequired()])
    unit_price = AmountField(
        _l("Unit price per case (yuan)"),
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("1e9"))],
    )
    case_quota = IntegerField(_l("Case quota"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])
    pi_purpose = TextAreaField(
        _l("Purpose of processing personal information"),
        validators=[DataRequired(_l("Every personal-information clause is required.")), Length(max=4000)],
    )
    pi_period = TextAreaField(
        _l("Period of processing"),
        validators=[DataRequired(_l("Every personal-information clause is required.")), Length(max=2000)],
    )
    pi_safeguards = TextAreaField(
        _l("Protective measures"),
        validators=[DataRequired(_l("Every personal-information clause is required.")), Length(max=4000)],
    )
    pi_return_date = DateField(
        _l("Personal information returned or deleted by"),
        validators=[DataRequired(_l("Every personal-information clause is required."))],
    )
    milestones = TextAreaField(
        _l("Milestones"),
        description=_l(
            "One per line: the title, the due date (YYYY-MM-DD) and the payment in yuan, separated by |"
        ),
        validators=[Optional(), Length(max=8000)],
    )


class PaidForm(FlaskForm):
    paid_on = DateField(_l("Paid on"), validators=[DataRequired()])


class HonorariumSessionForm(FlaskForm):
    checked_in = DateTimeLocalField(_l("Arrived (Beijing time)"), validators=[DataRequired()])
    checked_out = DateTimeLocalField(_l("Left (Beijing time)"), validators=[DataRequired()])
