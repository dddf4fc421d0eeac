"""What the main system sends about a case , as pydantic models: they validate the API's and
the import's input alike, and generate the OpenAPI schemas.

Field names and values are the contract with the main system (issue 3); extend them, never rename them.
Unknown fields are ignored, so the main system can send more than we read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from evaluation.validation import field_errors, json_path  # noqa: F401 - the schemas' refusals, in our words

Channel = Literal["hotline", "mayor_mailbox", "secretary_mailbox", "web", "app", "other"]
CaseType = Literal["consultation", "help", "complaint", "report", "suggestion", "other"]
StepAction = Literal[
    "accept", "dispatch", "sign", "return", "reassign", "extend", "reply", "audit", "callback", "rehandle"
]
# The national 好差评 scale; only the two unsatisfied ratings are evaluated here.
Rating = Literal["very_satisfied", "satisfied", "basically_satisfied", "unsatisfied", "very_unsatisfied"]
REGION_CODE = r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"  # ASCII digits: \d would take full-width ones too
MAX_CASES_PER_REQUEST = 1000
YEARS = (1990, 2100)  # the years a hotline case can have happened in


def _written_as_text(value: Any) -> Any:
    """A time is an ISO 8601 string: a number would be read as Unix seconds, which nobody here means."""
    if isinstance(value, int | float | bool):
        raise PydanticCustomError("datetime_type", "a time is an ISO 8601 string with an offset")
    return value


def _in_utc(value: datetime) -> datetime:
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise PydanticCustomError(
            "datetime_out_of_range", "the year is outside {low}–{high}", {"low": YEARS[0], "high": YEARS[1]}
        )
    return value.astimezone(UTC)


# An ISO 8601 timestamp with an offset, held in UTC: the same instant sent in another offset is the same value.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_written_as_text), AfterValidator(_in_utc)]


# Spaces anywhere (ASCII or the full-width U+3000), control characters and full-width forms (ＣＤ１２３).
_NOT_IN_A_CODE = re.compile(r"[\s\u3000\x00-\x1f\x7f\uff01-\uff5e]")


def _exact_code(value: Any) -> Any:
    """An identifier is taken exactly as sent: one with spaces or full-width characters is refused with the
    reason, never trimmed into what might be another case's or department's identity."""
    if isinstance(value, str) and _NOT_IN_A_CODE.search(value):
        raise PydanticCustomError(
            "code_characters", "an identifier has no spaces, control or full-width characters"
        )
    return value


Code = Annotated[str, BeforeValidator(_exact_code)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """PostgreSQL stores no NUL character in text; refuse it in any field, with the reason."""
        items = value if isinstance(value, list) else [value]
        if any(isinstance(item, str) and "\x00" in item for item in items):
            raise PydanticCustomError("nul_character", "text cannot contain the NUL character")
        return value


class StepIn(Payload):
    action: StepAction
    department: Code | None = Field(None, max_length=32, description="department code")
    at: Timestamp
    note: str | None = Field(None, max_length=2000)


class CallbackIn(Payload):
    at: Timestamp | None = None
    rating: Rating
    reason: str | None = Field(None, max_length=4000, description="the citizen's reason for the rating")


class CitizenIn(Payload):
    """Stored encrypted; never shown to panel members or, for a confidential case, to the department."""

    name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    id_number: str | None = Field(None, max_length=18)
    address: str | None = Field(None, max_length=300)


class AttachmentIn(Payload):
    name: str = Field(min_length=1, max_length=300)
    url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://")


class CaseIn(Payload):
    source: Code = Field(
        min_length=1, max_length=64, description="the sending system; with external_id, the identity"
    )
    external_id: Code = Field(min_length=1, max_length=128)
    channel: Channel = "other"
    type: CaseType
    category: str | None = Field(None, max_length=100)
    region_code: str | None = Field(None, pattern=REGION_CODE, description="行政区划代码, 6, 9 or 12 digits")
    received_at: Timestamp
    dispatched_at: Timestamp | None = None
    due_at: Timestamp | None = None
    replied_at: Timestamp | None = None
    lead_department: Code = Field(min_length=1, max_length=32, description="code of a known department")
    assisting_departments: list[Code] = Field(default_factory=list, max_length=20)
    title: str | None = Field(None, max_length=300)
    request_text: str = Field(min_length=1, max_length=20000)
    reply_text: str | None = Field(None, max_length=20000)
    steps: list[StepIn] = Field(default_factory=list, max_length=200)
    callback: CallbackIn
    citizen: CitizenIn | None = None
    confidential: bool = Field(False, description="true for 举报: the citizen is hidden from the department")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=50)


class CaseBatchIn(Payload):
    cases: list[dict[str, Any]] = Field(max_length=MAX_CASES_PER_REQUEST)
