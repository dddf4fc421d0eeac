"""Regions (行政区划) and departments (a tree: municipal bureau / district / township-street / enterprise)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    TOWNSHIP = "township"


class Region(Model):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)  # 行政区划代码, e.g. 510104
    name: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[RegionLevel] = mapped_column(enum_type(RegionLevel))
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[code])

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class DepartmentKind(StrEnum):
    MUNICIPAL = "municipal"  # 市级部门
    DISTRICT = "district"  # 区（市）县
    TOWNSHIP = "township"  # 乡镇（街道）
    ENTERPRISE = "enterprise"  # 公共企事业单位


class Department(Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[DepartmentKind] = mapped_column(enum_type(DepartmentKind))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    # A plain code, not a foreign key: the main system may name districts this platform has no name for.
    region_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    parent: Mapped[Department | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Department]] = relationship(back_populates="parent")
    region: Mapped[Region | None] = relationship(
        primaryjoin="foreign(Department.region_code) == Region.code", viewonly=True
    )

    @staticmethod
    def subtree_ids(root_id: int) -> sa.Select[int]:
        """A select of the ids of a department and all its subordinate units (属地管理、分级负责)."""
        tree = sa.select(Department.id).where(Department.id == root_id).cte("subtree", recursive=True)
        tree = tree.union_all(sa.select(Department.id).where(Department.parent_id == tree.c.id))
        return sa.select(tree.c.id)

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.name}>"
