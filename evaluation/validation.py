"""Pydantic's refusals in the reader's words. Each error type pydantic reports maps to one of our message ids,
translated for the request's language (Chinese unless the reader chose English); the error's type stays beside
it as the machine-readable code, so API clients branch on the code and people read the sentence."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext
from pydantic import ValidationError

from evaluation.text import N_

_DATETIME = N_("Enter a date and time with its offset, such as 2026-11-03T09:30:00+08:00.")
_DATE = N_("Enter a date, such as 2026-11-03.")
_WHOLE = N_("Enter a whole number.")
_NUMBER = N_("Enter a number.")
_OBJECT = N_("Enter an object with named fields.")
_LIST = N_("Enter a list.")
_CHOICE = N_("This value is not one of the allowed choices.")

MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_type": N_("Enter text."),
    "string_too_short": N_("Enter at least %(min_length)s characters."),
    "string_too_long": N_("Enter at most %(max_length)s characters."),
    "string_pattern_mismatch": N_("This value is not in the expected form."),
    "int_parsing": _WHOLE,
    "int_type": _WHOLE,
    "int_from_float": _WHOLE,
    "float_parsing": _NUMBER,
    "float_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "finite_number": _NUMBER,
    "bool_parsing": N_("Enter true or false."),
    "bool_type": N_("Enter true or false."),
    "datetime_parsing": _DATETIME,
    "datetime_type": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "timezone_aware": _DATETIME,
    "code_characters": N_(
        "An identifier is sent exactly as stored: no spaces, control characters or full-width characters."
    ),
    "nul_character": N_("Text cannot contain the NUL character."),
    "datetime_out_of_range": N_("Enter a date between the years %(low)s and %(high)s."),
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "enum": _CHOICE,
    "literal_error": _CHOICE,
    "list_type": _LIST,
    "tuple_type": _LIST,
    "too_long": N_("Enter at most %(max_length)s entries."),
    "too_short": N_("Enter at least %(min_length)s entries."),
    "greater_than": N_("Enter a value greater than %(gt)s."),
    "greater_than_equal": N_("Enter a value of at least %(ge)s."),
    "less_than": N_("Enter a value less than %(lt)s."),
    "less_than_equal": N_("Enter a value of at most %(le)s."),
    "extra_forbidden": N_("This field is not part of the format."),
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "json_invalid": N_("This is not valid JSON."),
    "url_parsing": N_("Enter a web address."),
}
FALLBACK = N_("This value is not valid.")


def message(error_type: str, context: dict[str, Any] | None = None) -> str:
    """Our sentence for one pydantic error type, with the limits it names (lengths, bounds)."""
    params = {key: value for key, value in (context or {}).items() if isinstance(value, int | float | str)}
    template = MESSAGES.get(error_type, FALLBACK)
    if not set(re.findall(r"%\((\w+)\)", template)) <= set(params):
        template = FALLBACK  # a limit the sentence names is missing from this error's context
    return gettext(template, **params)


def json_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """('callback', 'rating') -> callback.rating; with prefix cases[3] -> cases[3].callback.rating."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "$"


def field_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """Every refused field: its path, pydantic's type as the code and our sentence as the message."""
    return [
        {
            "field": json_path(tuple(e["loc"]), prefix),
            "code": e["type"],
            "message": message(e["type"], e.get("ctx")),
        }
        for e in exc.errors(include_url=False, include_input=False)
    ]
