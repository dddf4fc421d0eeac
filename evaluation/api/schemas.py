"""The API's answers, as pydantic models (the OpenAPI document is generated from them). What the main system
sends is the domain's own schema (evaluation.cases.schemas), re-exported here for the API's views.

Field names and values are the contract with the main system (issue 3); extend them, never rename them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from evaluation.cases.schemas import (  # noqa: F401 - the API's inputs
    MAX_CASES_PER_REQUEST,
    CaseBatchIn,
    CaseIn,
    field_errors,
    json_path,
)
from evaluation.org.schemas import DepartmentIn, DepartmentKind  # noqa: F401 - the API's inputs


class FieldError(BaseModel):
    field: str = Field(description="JSON path of the offending value, e.g. cases[3].callback.rating")
    code: str
    message: str


class CaseStatusOut(BaseModel):
    source: str
    external_id: str
    status: str
    exclusion_reason: str | None = None
    received_at: datetime
    updated_at: datetime


class CaseResultOut(BaseModel):
    index: int | None = None
    source: str | None = None
    external_id: str | None = None
    result: Literal["created", "updated", "unchanged", "rejected"]
    status: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class CaseBatchOut(BaseModel):
    results: list[CaseResultOut]
    summary: dict[Literal["created", "updated", "unchanged", "rejected"], int]


class DepartmentOut(BaseModel):
    code: str
    name: str
    kind: DepartmentKind
    parent: str | None = None
    region_code: str | None = None


class DepartmentResultOut(BaseModel):
    result: Literal["created", "updated", "unchanged"]
    department: DepartmentOut


class DepartmentListOut(BaseModel):
    departments: list[DepartmentOut]


class ErrorOut(BaseModel):
    error: dict[str, Any] = Field(description='{"status", "code", "message"}; "errors": [FieldError] on 422')


class AssessmentCaseOut(BaseModel):
    source: str
    external_id: str


class AssessmentOut(BaseModel):
    """A published assessment, as pushed by webhook and pulled here alike."""

    id: str = Field(description="the assessment's id; a correction has its own id and names this one")
    version: int
    supersedes: str | None = Field(description="the id of the version this one corrects")
    case: AssessmentCaseOut
    department: str = Field(description="the evaluated department's code")
    batch: dict[str, Any] = Field(description='{"id", "name"}')
    rubric: dict[str, Any] = Field(description='{"code", "version"}')
    panel: dict[str, Any] = Field(description='{"size", "sheets", "roles": {role: members}}; never names')
    verdict: Literal["upheld", "partly_upheld", "not_upheld"]
    answers: dict[str, str | None] = Field(description="the majority answer of each other verdict question")
    total: float
    adjusted_total: float | None = Field(
        description="the total less the panel's severity; null when not computable"
    )
    criteria: dict[str, Any] = Field(description="per criterion: n, mean, median, sd")
    dissent: dict[str, Any] = Field(
        description='{"count", "reasons": [{"verdict", "reason"}]}, reasons masked'
    )
    agreement: dict[str, Any] = Field(
        description='{"spread": {"n", "sd", "range"}, "batch": {criterion: {"alpha", "reading"}}}'
    )
    published_at: datetime
    audit: dict[str, Any] | None = Field(
        description='the audit chain at publication, signed: {"events", "head", "at", "signature"}; keep it, and '
        "`audit verify --checkpoint` a file of them proves the chain was not cut or rewritten since"
    )
    content_hash: str = Field(description="SHA-256 of this object's canonical JSON without content_hash")


class AssessmentPageOut(BaseModel):
    items: list[AssessmentOut]
    next: str | None = Field(
        description="the cursor to pass as `after` for what follows; null when nothing was published after `after`"
    )
