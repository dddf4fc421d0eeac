"""Forms of the rubric builder. A criterion form converts to and from the criterion's JSON form, so the
builder, the import and the model share one validation (rubrics.spec)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import FloatField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from evaluation.labels import lazy_label
from rubrics.spec import AGGREGATIONS, CODE_RE, DIMENSIONS, ROLES, SCALE_TYPES

CODE_MESSAGE = _l("Use letters, digits, '-', '_' or '.'")
EMPTY_ROWS = 2  # blank level/option rows offered for adding more


def _choices(values: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(v, lazy_label(v)) for v in values]


class NewRubricForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=64), Regexp(CODE_RE, message=CODE_MESSAGE)]
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    start = RadioField(
        _l("Start from"),
        default="template",
        validators=[DataRequired()],
        choices=[
            SelectChoice("template", _l("The standard for unsatisfied cases (built in)")),
            SelectChoice("bid_template", _l("The technical standard for evaluation-service bids (built in)")),
            SelectChoice("blank", _l("An empty rubric")),
        ],
    )


class CopyForm(FlaskForm):
    code = StringField(
        _l("Code of the new rubric"),
        validators=[DataRequired(), Length(max=64), Regexp(CODE_RE, message=CODE_MESSAGE)],
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])


class SettingsForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    aggregation = SelectField(_l("Aggregation"), choices=_choices(AGGREGATIONS), validators=[DataRequired()])
    outlier_threshold = FloatField(
        _l("Outlier threshold (panel standard deviations)"),
        validators=[InputRequired(), NumberRange(min=0.1, max=10)],
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("Rubric file (JSON)"),
        validators=[FileRequired(), FileAllowed(["json"], _l("Choose a .json file"))],
    )
    publish = BooleanField(_l("Publish it at once"))


class LevelForm(Form):
    value = FloatField(_l("Score"), validators=[Optional()])
    label_zh = StringField(_l("Label (Chinese)"), validators=[Length(max=200)])
    label_en = StringField(_l("Label (English)"), validators=[Length(max=200)])
    descriptor_zh = TextAreaField(_l("Descriptor (Chinese)"), validators=[Length(max=2000)])
    descriptor_en = TextAreaField(_l("Descriptor (English)"), validators=[Length(max=2000)])
    delete = BooleanField(_l("Remove"))

    def is_blank(self) -> bool:
        return self.value.data is None and not any(
            (f.data or "").strip()
            for f in (self.label_zh, self.label_en, self.descriptor_zh, self.descriptor_en)
        )


class OptionForm(Form):
    value = StringField(_l("Value"), validators=[Length(max=64)])
    label_zh = StringField(_l("Label (Chinese)"), validators=[Length(max=200)])
    label_en = StringField(_l("Label (English)"), validators=[Length(max=200)])
    delete = BooleanField(_l("Remove"))

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.value, self.label_zh, self.label_en))


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


class CriterionForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=32), Regexp(CODE_RE, message=CODE_MESSAGE)]
    )
    dimension = SelectField(_l("Dimension"), choices=_choices(DIMENSIONS), validators=[DataRequired()])
    role = SelectField(_l("Criterion role"), choices=_choices(ROLES), validators=[DataRequired()])
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=200)])
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Length(max=4000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=4000)])
    weight = FloatField(_l("Weight"), default=0, validators=[InputRequired(), NumberRange(min=0, max=100)])
    required = BooleanField(_l("An answer is required"), default=True)
    comment_required_at_or_below = FloatField(
        _l("A comment is required for a score at or below"), validators=[Optional()]
    )
    scale_type = SelectField(_l("Scale"), choices=_choices(SCALE_TYPES), validators=[DataRequired()])
    range_min = FloatField(_l("Minimum"), validators=[Optional()])
    range_max = FloatField(_l("Maximum"), validators=[Optional()])
    range_step = FloatField(_l("Step"), validators=[Optional()])
    levels = FieldList(FormField(LevelForm), min_entries=0)
    options = FieldList(FormField(OptionForm), min_entries=0)

    def load(self, spec: dict[str, Any]) -> None:
        """Fill the form from a criterion's JSON form (GET)."""
        scale = spec.get("scale") or {}
        self.code.data = spec.get("code")
        self.dimension.data = spec.get("dimension", "other")
        self.role.data = spec.get("role", "score")
        self.title_zh.data = (spec.get("title") or {}).get("zh")
        self.title_en.data = (spec.get("title") or {}).get("en")
        self.description_zh.data = (spec.get("description") or {}).get("zh")
        self.description_en.data = (spec.get("description") or {}).get("en")
        self.weight.data = spec.get("weight", 0)
        self.required.data = spec.get("required", True)
        self.comment_required_at_or_below.data = spec.get("comment_required_at_or_below")
        self.scale_type.data = scale.get("type", "ordinal")
        self.range_min.data, self.range_max.data = scale.get("min"), scale.get("max")
        self.range_step.data = scale.get("step")
        while self.levels.entries:
            self.levels.pop_entry()
        for level in scale.get("levels", []):
            self.levels.append_entry(
                {
                    "value": level.get("value"),
                    "label_zh": level.get("label", {}).get("zh"),
                    "label_en": level.get("label", {}).get("en"),
                    "descriptor_zh": (level.get("descriptor") or {}).get("zh"),
                    "descriptor_en": (level.get("descriptor") or {}).get("en"),
                }
            )
        while self.options.entries:
            self.options.pop_entry()
        for option in scale.get("options", []):
            self.options.append_entry(
                {
                    "value": option.get("value"),
                    "label_zh": option.get("label", {}).get("zh"),
                    "label_en": option.get("label", {}).get("en"),
                }
            )
        self.add_blank_rows()

    def add_blank_rows(self) -> None:
        for _ in range(EMPTY_ROWS):
            self.levels.append_entry()
            self.options.append_entry()

    def to_spec(self) -> dict[str, Any]:
        """The criterion's JSON form, ready for rubrics.spec validation."""
        stype = self.scale_type.data
        scale: dict[str, Any] = {"type": stype}
        if stype == "ordinal":
            scale["levels"] = []
            for row in self.levels:
                if row.delete.data or row.is_blank():
                    continue
                level: dict[str, Any] = {
                    "value": _number(row.value.data),
                    "label": {
                        "zh": (row.label_zh.data or "").strip(),
                        "en": (row.label_en.data or "").strip(),
                    },
                }
                if (row.descriptor_zh.data or "").strip() or (row.descriptor_en.data or "").strip():
                    level["descriptor"] = {
                        "zh": (row.descriptor_zh.data or "").strip(),
                        "en": (row.descriptor_en.data or "").strip(),
                    }
                scale["levels"].append(level)
        elif stype == "range":
            scale.update(
                min=_number(self.range_min.data),
                max=_number(self.range_max.data),
                step=_number(self.range_step.data) if self.range_step.data is not None else 1,
            )
        elif stype == "nominal":
            scale["options"] = [
                {
                    "value": (row.value.data or "").strip(),
                    "label": {
                        "zh": (row.label_zh.data or "").strip(),
                        "en": (row.label_en.data or "").strip(),
                    },
                }
                for row in self.options
                if not (row.delete.data or row.is_blank())
            ]
        spec: dict[str, Any] = {
            "code": (self.code.data or "").strip(),
            "dimension": self.dimension.data,
            "role": self.role.data,
            "weight": _number(self.weight.data) or 0,
            "required": bool(self.required.data),
            "title": {"zh": (self.title_zh.data or "").strip(), "en": (self.title_en.data or "").strip()},
        }
        if (self.description_zh.data or "").strip() or (self.description_en.data or "").strip():
            spec["description"] = {
                "zh": (self.description_zh.data or "").strip(),
                "en": (self.description_en.data or "").strip(),
            }
        spec["comment_required_at_or_below"] = _number(self.comment_required_at_or_below.data)
        spec["scale"] = scale
        return spec
