"""What the main system sends about a case , as pydantic models: they validate the API's and
the import's input alike, and generate the OpenAPI schemas.

Field names and values are the contract with the main system (issue 3); extend them, never rename them.
Unknown fields are ignored, so the main system can send more than we read.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from evaluation.validation import field_errors, json_path  # noqa: F401 - the schemas' refusals, in our words

Channel = Literal["hotline", "mayor_mailbox", "secretary_mailbox", "web", "app", "other"]
CaseType = Literal["consultation", "help", "complaint", "report", "suggestion", "other"]
StepAction = Literal[
    "accept", "dispatch", "sign", "return", "reassign", "extend", "reply", "audit", "callback", "rehandle"
]
# The national 好差评 scale; only the two unsatisfied ratings are evaluated here.
Rating = Literal["very_satisfied", "satisfied", "basically_satisfied", "unsatisfied", "very_unsatisfied"]
REGION_CODE = r"^\d{6}(\d{3}(\d{3})?)?$"
MAX_CASES_PER_REQUEST = 1000
# An ISO 8601 timestamp with an offset, held in UTC: the same instant sent in another offset is the same value.
Timestamp = Annotated[AwareDatetime, AfterValidator(lambda value: value.astimezone(UTC))]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class StepIn(Payload):
    action: StepAction
    department: str | None = Field(None, max_length=32, description="department code")
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
    source: str = Field(
        min_length=1, max_length=64, description="the sending system; with external_id, the identity"
    )
    external_id: str = Field(min_length=1, max_length=128)
    channel: Channel = "other"
    type: CaseType
    category: str | None = Field(None, max_length=100)
    region_code: str | None = Field(None, pattern=REGION_CODE, description="行政区划代码, 6, 9 or 12 digits")
    received_at: Timestamp
    dispatched_at: Timestamp | None = None
    due_at: Timestamp | None = None
    replied_at: Timestamp | None = None
    lead_department: str = Field(min_length=1, max_length=32, description="code of a known department")
    assisting_departments: list[str] = Field(default_factory=list, max_length=20)
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
