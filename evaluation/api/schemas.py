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
