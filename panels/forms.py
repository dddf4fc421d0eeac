from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from evaluation.forms import optional_email_field
from evaluation.labels import lazy_label
from panels.models import ConflictSource, MemberRole


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Why do you decline?"), validators=[DataRequired(), Length(max=2000)])


DRAWN_ROLES = [r for r in MemberRole if r != MemberRole.EXPERT]


class NeedRow(Form):
    """One line of a policy's needs by case category: a category, a role and how many at least."""

    category = StringField(_l("Case category"), validators=[Optional(), Length(max=50)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", "—")] + [SelectChoice(r.value, lazy_label(r)) for r in DRAWN_ROLES],
        default="",
    )
    count = IntegerField(_l("At least"), validators=[Optional(), NumberRange(min=1, max=15)])


class PolicyForm(FlaskForm):
    name = StringField(_l("Policy name"), validators=[DataRequired(), Length(max=100)])
    panel_size = IntegerField(
        _l("Panel size"), default=5, validators=[InputRequired(), NumberRange(min=1, max=15)]
    )
    quorum = IntegerField(
        _l("Quorum: submitted sheets that settle a case (empty: a majority of the panel, at least 3)"),
        validators=[Optional(), NumberRange(min=1, max=15)],
    )
    official_min = IntegerField(
        _l("Officials, at least"), default=0, validators=[InputRequired(), NumberRange(min=0)]
    )
    official_max = IntegerField(
        _l("Officials, at most"), default=1, validators=[InputRequired(), NumberRange(min=0)]
    )
    lawyer_min = IntegerField(
        _l("Lawyers, at least"), default=0, validators=[InputRequired(), NumberRange(min=0)]
    )
    lawyer_max = IntegerField(
        _l("Lawyers, at most"), default=2, validators=[InputRequired(), NumberRange(min=0)]
    )
    township_rep_min = IntegerField(
        _l("Township/street representatives, at least"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0)],
    )
    township_rep_max = IntegerField(
        _l("Township/street representatives, at most"),
        default=2,
        validators=[InputRequired(), NumberRange(min=0)],
    )
    citizen_rep_min = IntegerField(
        _l("Citizen representatives, at least"), default=1, validators=[InputRequired(), NumberRange(min=0)]
    )
    citizen_rep_max = IntegerField(
        _l("Citizen representatives, at most"), default=3, validators=[InputRequired(), NumberRange(min=0)]
    )
    category_needs = FieldList(FormField(NeedRow), min_entries=3)
    prefer_local_township = BooleanField(
        _l("Prefer a township/street representative from the case's district"), default=True
    )
    distinct_affiliations = BooleanField(_l("No two members of one affiliation on a panel"), default=True)

    def needs(self) -> dict[str, dict[str, int]] | None:
        """The needs as {category: {role: at least}}; an incomplete line gets its fields marked (then None)."""
        needs: dict[str, dict[str, int]] = {}
        complete = True
        for row in self.category_needs.entries:
            category, role, count = (row.category.data or "").strip(), row.role.data, row.count.data
            if not category and not role and not count:
                continue
            for field, missing in (
                (row.category, not category),
                (row.role, not role),
                (row.count, not count),
            ):
                if missing:
                    field.errors = [*field.errors, _l("Fill in the category, the role and how many.")]
                    complete = False
            if category and role and count:
                needs.setdefault(category, {})[role] = count
        return needs if complete else None


class MemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(r.value, lazy_label(r)) for r in MemberRole],
        validators=[DataRequired()],
    )
    affiliation_code = StringField(
        _l("Affiliation (department code)"), validators=[Optional(), Length(max=32)]
    )
    district_code = StringField(_l("District code"), validators=[Optional(), Length(max=12)])
    expertise = StringField(
        _l("Expertise (case categories, separated by 、 or ,)"), validators=[Length(max=500)]
    )
    max_cases = IntegerField(
        _l("Cases per batch at most"), default=15, validators=[InputRequired(), NumberRange(min=0, max=500)]
    )
    email = optional_email_field()
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    active = BooleanField(_l("Active (may be drawn)"), default=True)

    def values(self) -> dict[str, Any]:
        """What ``panels.pool.save_member`` takes: trimmed texts, expertise split on 、 or a comma."""
        expertise = [
            e.strip()
            for e in (self.expertise.data or "").replace("，", ",").replace("、", ",").split(",")
            if e.strip()
        ]
        return {
            "name": self.name.data.strip(),
            "role": self.role.data,
            "affiliation_code": (self.affiliation_code.data or "").strip(),
            "district_code": (self.district_code.data or "").strip(),
            "expertise": expertise,
            "max_cases": self.max_cases.data,
            "email": (self.email.data or "").strip(),
            "phone": (self.phone.data or "").strip(),
            "active": self.active.data,
        }


class UnavailabilityForm(FlaskForm):
    start_date = DateField(_l("From"), validators=[DataRequired()])
    end_date = DateField(_l("Until"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class PastAffiliationForm(FlaskForm):
    department = SelectField(_l("Department"), choices=[], validators=[DataRequired()])
    start_date = DateField(_l("From"), validators=[Optional()])
    end_date = DateField(_l("Until"), validators=[DataRequired()])


class ConflictForm(FlaskForm):
    department = SelectField(_l("Department"), choices=[], validators=[Optional()])
    case_number = StringField(_l("Or a case number"), validators=[Optional(), Length(max=128)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class RecusalRequestForm(ConflictForm):
    source = SelectField(
        _l("Requested by"),
        validators=[DataRequired()],
        choices=[
            SelectChoice(ConflictSource.DEPARTMENT_REQUEST.value, _l("The evaluated department")),
            SelectChoice(ConflictSource.CITIZEN_REQUEST.value, _l("The citizen")),
        ],
    )


class MemberImportForm(FlaskForm):
    file = FileField(
        _l("CSV or Excel file"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx"], _l("Upload a .csv or .xlsx file."))],
    )
    invite = BooleanField(_l("Invite the imported members to the platform (those with an e-mail address)"))
