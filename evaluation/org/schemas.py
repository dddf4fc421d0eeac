"""What the main system sends about a department (the API's PUT /departments/<code>)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from evaluation.cases.schemas import REGION_CODE, Payload

DepartmentKind = Literal["municipal", "district", "township", "enterprise"]


class DepartmentIn(Payload):
    name: str = Field(min_length=1, max_length=200)
    kind: DepartmentKind
    parent: str | None = Field(None, max_length=32, description="code of the superior department")
    region_code: str | None = Field(None, pattern=REGION_CODE)
