"""Agencies: the organizer creates and edits them; the credit code is checked by the standard and a wrong one is
named in a sentence beside the field; a suspension or a blacklisting needs its reason; codes are unique."""

from __future__ import annotations

import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.audit.models import AuditEvent
from evaluation.extensions import db
from procurement.credit_code import check_character
from procurement.models import Agency, AgencyStatus
from tests.conftest import make_user

CODE = "52510107MJ6CX3Q2K" + check_character("52510107MJ6CX3Q2K")


def _form(**overrides: str) -> dict[str, str]:
    return {"name": "成都明理社会评价中心", "credit_code": CODE, "status": "active", **overrides}


def test_the_organizer_creates_and_edits_an_agency(app_ctx, client, auth) -> None:
    make_user("office", Role.ORGANIZER)
    db.session.commit()
    auth.login("office")
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    refused = client.post("/procurement/agencies/new", data=_form(credit_code=wrong))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and f"校验码应为 {CODE[17]}" in page and "成都明理社会评价中心" in page
    letter = client.post("/procurement/agencies/new", data=_form(credit_code=CODE[:5] + "I" + CODE[6:]))
    assert "第 6 位" in letter.get_data(as_text=True)
    assert client.post("/procurement/agencies/new", data=_form(credit_code=CODE.lower())).status_code == 302
    agency = db.session.scalar(sa.select(Agency))
    assert agency.credit_code == CODE and agency.status == AgencyStatus.ACTIVE
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "agency.saved")) is not None
    twice = client.post("/procurement/agencies/new", data=_form(name="另一家"))
    assert twice.status_code == 400 and "已有机构使用该统一社会信用代码" in twice.get_data(as_text=True)
    url = f"/procurement/agencies/{agency.id}"
    assert CODE in client.get(url).get_data(as_text=True)
    bare = client.post(url, data=_form(status="blacklisted"))
    assert bare.status_code == 400 and "请说明" in bare.get_data(as_text=True)
    done = client.post(
        url, data=_form(status="blacklisted", status_reason="提供虚假材料", status_until="2029-12-31")
    )
    assert done.status_code == 302
    db.session.refresh(agency)
    assert agency.status == AgencyStatus.BLACKLISTED and agency.status_reason == "提供虚假材料"
    listing = client.get("/procurement/agencies").get_data(as_text=True)
    assert "列入黑名单" in listing and "2029-12-31" in listing
    client.post(url, data=_form(status="active", status_reason="已解除"))
    db.session.refresh(agency)
    assert agency.status == AgencyStatus.ACTIVE and agency.status_reason is None
