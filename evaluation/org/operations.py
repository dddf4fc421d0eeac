"""Master data: departments, as the main system sends them."""

from __future__ import annotations

import sqlalchemy as sa

from evaluation.audit.operations import record
from evaluation.extensions import db
from evaluation.org.models import Department, DepartmentKind
from evaluation.org.schemas import DepartmentIn


class DepartmentError(ValueError):
    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field, self.code = field, code


def upsert_department(code: str, data: DepartmentIn) -> tuple[Department, str]:
    """Create or update the department ``code``; returns it and created | updated | unchanged. Flushes."""
    department = db.session.scalar(sa.select(Department).where(Department.code == code))
    parent = None
    if data.parent:
        if data.parent == code:
            raise DepartmentError("parent", "cycle", "a department cannot be its own parent")
        parent = db.session.scalar(sa.select(Department).where(Department.code == data.parent))
        if parent is None:
            raise DepartmentError("parent", "unknown_department", f"no department with code {data.parent!r}")
        ancestor: Department | None = parent
        while ancestor is not None:
            if department is not None and ancestor.id == department.id:
                raise DepartmentError(
                    "parent", "cycle", f"{data.parent!r} is below {code!r}; that would make a cycle"
                )
            ancestor = ancestor.parent
    values = {
        "name": data.name,
        "kind": DepartmentKind(data.kind),
        "parent_id": parent.id if parent else None,
        "region_code": data.region_code,
    }
    if department is None:
        department = Department(code=code, **values)
        db.session.add(department)
        db.session.flush()
        record("department.created", "department", code, {**values, "parent": data.parent})
        return department, "created"
    changed = {k: v for k, v in values.items() if getattr(department, k) != v}
    if not changed:
        return department, "unchanged"
    if "parent_id" in changed:
        # Re-parenting widens the new parent's view (a district sees its streets' cases) and narrows the old one's.
        changed["parent"] = data.parent
        changed["former_parent"] = department.parent.code if department.parent else None
    for key, value in values.items():
        setattr(department, key, value)
    db.session.flush()
    record("department.changed", "department", code, changed)
    return department, "updated"
