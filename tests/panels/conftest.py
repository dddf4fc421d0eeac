"""Fixtures for the panels package's tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.models import CallbackRating, Case, CaseStatus, CaseType
from evaluation.extensions import db
from evaluation.org.models import DepartmentKind
from panels.models import (
    CompositionPolicy,
    Conflict,
    ConflictSource,
    Member,
    MemberAffiliation,
    MemberRole,
    MemberUnavailability,
)
from rubrics.operations import import_version, load_template
from tests.conftest import make_department


@pytest.fixture
def batch(app_ctx):
    """A draft batch of six cases and a pool of 17 members with an affiliation, a former employment, an
    absence and a declared conflict to recuse."""
    zj = make_department("CD-ZJ", "成都市住房和城乡建设局")
    ga = make_department("CD-GA", "成都市公安局")
    rs = make_department("CD-RS", "成都市人力资源和社会保障局")
    wuhou = make_department("D-510107", "武侯区人民政府", DepartmentKind.DISTRICT)
    streets = [
        make_department(f"T-510107-0{i}", f"街道{i}", DepartmentKind.TOWNSHIP, parent=wuhou)
        for i in (1, 2, 3)
    ]
    version = import_version(load_template(), publish=True)
    policy = CompositionPolicy(
        name="默认",
        panel_size=5,
        role_ranges={"official": [0, 1], "lawyer": [0, 2], "township_rep": [0, 2], "citizen_rep": [1, 3]},
        category_needs={"物业纠纷": {"lawyer": 1}},
    )
    batch = Batch(
        name="第9批",
        rubric_version=version,
        policy=policy,
        opens_dt=datetime(2026, 12, 1, tzinfo=UTC),
        closes_dt=datetime(2026, 12, 10, tzinfo=UTC),
    )
    for n in range(6):
        case = Case(
            source="t",
            external_id=f"C{n}",
            case_type=CaseType.COMPLAINT,
            lead_department=zj if n % 2 else streets[0],
            category="物业纠纷" if n < 3 else "噪音扰民",
            region_code="510107",
            received_dt=datetime(2026, 11, 1, tzinfo=UTC),
            request_text="…",
            callback_rating=CallbackRating.UNSATISFIED,
            status=CaseStatus.ELIGIBLE,
        )
        batch.items.append(BatchItem(case=case))
    db.session.add(batch)
    members = [
        Member(name="官员甲", role=MemberRole.OFFICIAL, affiliation=zj, max_cases=6, email="a@x"),
        Member(name="官员乙", role=MemberRole.OFFICIAL, affiliation=ga, max_cases=6, email="b@x"),
        Member(name="官员丙", role=MemberRole.OFFICIAL, affiliation=rs, max_cases=6, email="c@x"),
        *[Member(name=f"律师{i}", role=MemberRole.LAWYER, max_cases=6, email=f"l{i}@x") for i in range(4)],
        *[
            Member(
                name=f"街道代表{i}",
                role=MemberRole.TOWNSHIP_REP,
                affiliation=streets[i],
                district_code="510107",
                max_cases=6,
                email=f"t{i}@x",
            )
            for i in range(3)
        ],
        *[
            Member(name=f"群众代表{i}", role=MemberRole.CITIZEN_REP, max_cases=6, email=f"c{i}@x")
            for i in range(6)
        ],
    ]
    # 官员丙 left the housing bureau in 2025: within three years, so still recused from its cases.
    members[2].past_affiliations.append(
        MemberAffiliation(department_id=zj.id, start_date=date(2018, 1, 1), end_date=date(2025, 6, 30))
    )
    members[-1].unavailabilities.append(
        MemberUnavailability(start_date=date(2026, 12, 5), end_date=date(2026, 12, 6))
    )
    db.session.add_all(members)
    db.session.flush()
    db.session.add(
        Conflict(
            member_id=members[3].id,
            case_id=batch.items[0].case_id,
            source=ConflictSource.DECLARED,
            reason="诉求人是我的邻居",
        )
    )
    db.session.commit()
    return batch
