"""Every protected page: anonymous users are sent to log in, other roles get 403, the right roles 200.
Then the object checks: an agency sees only its contract's batches, a department only its own subtree."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from evaluation.accounts.models import Role
from evaluation.assessments.models import Assessment, Verdict
from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.models import CallbackRating, Case, CaseType
from evaluation.extensions import db
from evaluation.org.models import DepartmentKind
from procurement.models import Agency, Contract
from rubrics.operations import import_version, load_template
from tests.conftest import make_department, make_user

ALL_ROLES = [r.value for r in Role]
PAGES = [
    ("/dashboard", ALL_ROLES),
    ("/account", ALL_ROLES),
    ("/admin/users", ["admin"]),
    ("/cases/", ["organizer"]),
    ("/batches/", ["organizer", "agency"]),
    ("/batches/mine", ["member"]),
    ("/results/", ["department"]),
    ("/panels/members", ["organizer"]),
    ("/rubrics/", ["organizer"]),
    ("/procurement/", ["organizer", "agency"]),
]


@pytest.mark.parametrize("url", [url for url, _ in PAGES])
def test_anonymous_users_are_sent_to_log_in(client, url) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("url, allowed", PAGES)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_role_gating(client, auth, url, allowed, role) -> None:
    department = make_department() if role == "department" else None
    make_user("u", role, department=department)
    auth.login("u")
    expected = 200 if role in allowed else 403
    response = client.get(url)
    assert response.status_code == expected, (url, role)
    if expected == 403:
        assert "无权访问" in response.get_data(as_text=True)


def test_navigation_shows_only_what_the_roles_allow(client, auth) -> None:
    make_user("u", "member")
    auth.login("u")
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/batches/mine"' in page
    assert 'href="/cases/"' not in page and 'href="/admin/users"' not in page


def _batch(name: str, contract: Contract | None, version) -> Batch:
    batch = Batch(name=name, rubric_version=version, contract=contract)
    db.session.add(batch)
    return batch


def test_an_agency_sees_only_the_batches_of_its_own_contracts(client, auth) -> None:
    version = import_version(load_template(), publish=True)
    ours = Agency(name="明理中心", credit_code="52510107MJ6CX3Q2K0"[:18])
    theirs = Agency(name="公信公司", credit_code="52510100MJ01234560"[:18])
    db.session.add_all([ours, theirs])
    contract_ours = Contract(
        number="C-1", agency=ours, amount=Decimal(1), start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    contract_theirs = Contract(
        number="C-2",
        agency=theirs,
        amount=Decimal(1),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    _batch("我们的批次", contract_ours, version)
    _batch("别人的批次", contract_theirs, version)
    _batch("自行组织的批次", None, version)
    db.session.commit()
    make_user("agent", "agency", agency=ours)
    auth.login("agent")
    page = client.get("/batches/").get_data(as_text=True)
    assert "我们的批次" in page
    assert "别人的批次" not in page and "自行组织的批次" not in page
    page = client.get("/procurement/").get_data(as_text=True)
    assert "C-1" in page and "C-2" not in page


def _published(case_no: str, department, version, batch) -> None:
    case = Case(
        source="t",
        external_id=case_no,
        case_type=CaseType.COMPLAINT,
        lead_department=department,
        received_dt=datetime(2026, 11, 1, tzinfo=UTC),
        request_text="…",
        callback_rating=CallbackRating.UNSATISFIED,
    )
    item = BatchItem(batch=batch, case=case)
    db.session.add(
        Assessment(
            case=case,
            batch_item=item,
            department=department,
            verdict=Verdict.UPHELD,
            total=42.0,
            published_dt=datetime(2026, 11, 20, tzinfo=UTC),
        )
    )


def test_a_department_sees_its_own_and_its_subordinates_results_never_a_siblings(client, auth) -> None:
    version = import_version(load_template(), publish=True)
    batch = _batch("第1批", None, version)
    district = make_department("D-510107", "武侯区人民政府", DepartmentKind.DISTRICT)
    street = make_department("T-510107-01", "玉林街道办事处", DepartmentKind.TOWNSHIP, parent=district)
    sibling = make_department("D-510104", "锦江区人民政府", DepartmentKind.DISTRICT)
    _published("OWN-1", district, version, batch)
    _published("SUB-1", street, version, batch)
    _published("SIB-1", sibling, version, batch)
    db.session.commit()
    make_user("wuhou", "department", department=district)
    make_user("yulin", "department", department=street)

    auth.login("wuhou")
    page = client.get("/results/").get_data(as_text=True)
    assert "OWN-1" in page and "SUB-1" in page and "SIB-1" not in page
    auth.logout()

    auth.login("yulin")
    page = client.get("/results/").get_data(as_text=True)
    assert "SUB-1" in page and "OWN-1" not in page and "SIB-1" not in page
