from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Why do you decline?"), validators=[DataRequired(), Length(max=2000)])
