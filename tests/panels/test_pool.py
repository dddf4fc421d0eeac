"""The member pool, composition policies, members' own availability and conflicts, recusal requests, import."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.extensions import db
from panels.draw import build_problem
from panels.models import (
    CompositionPolicy,
    Conflict,
    ConflictState,
    Member,
    MemberUnavailability,
    RecusalRule,
)
from tests.conftest import make_department, make_user


def _organizer(client, auth):
    make_user("org", Role.ORGANIZER)
    auth.login("org")


def test_create_and_edit_a_member(client, auth) -> None:
    make_department("CD-GA", "成都市公安局")
    _organizer(client, auth)
    data = {
        "name": "王芳",
        "role": "official",
        "affiliation_code": "NOPE",
        "district_code": "510107",
        "expertise": "物业纠纷、噪音扰民",
        "max_cases": "12",
        "email": "wang@example.gov",
        "phone": "",
        "active": "y",
    }
    response = client.post("/panels/members/new", data=data)
    assert response.status_code == 400 and "没有编码为 NOPE 的单位" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0
    response = client.post("/panels/members/new", data={**data, "affiliation_code": "CD-GA"})
    assert response.status_code == 302
    member = db.session.scalar(sa.select(Member))
    assert member.affiliation.code == "CD-GA" and member.expertise == ["物业纠纷", "噪音扰民"]
    client.post(
        f"/panels/members/{member.id}",
        data={**data, "affiliation_code": "CD-GA", "max_cases": "3", "email": "not an address"},
    )
    db.session.expire_all()
    assert db.session.get(Member, member.id).max_cases == 12  # the bad e-mail refused the whole edit
    client.post(f"/panels/members/{member.id}", data={**data, "affiliation_code": "CD-GA", "max_cases": "3"})
    db.session.expire_all()
    assert db.session.get(Member, member.id).max_cases == 3


def _needs(*lines: tuple[str, str, int | None]) -> dict[str, str]:
    """Lines of the policy form's needs table, as the browser sends them (the rest of the three stay empty)."""
    data = {}
    for index in range(max(3, len(lines))):
        category, role, count = lines[index] if index < len(lines) else ("", "", None)
        data[f"category_needs-{index}-category"] = category
        data[f"category_needs-{index}-role"] = role
        data[f"category_needs-{index}-count"] = "" if count is None else str(count)
    return data


def test_policies_are_checked(client, auth) -> None:
    _organizer(client, auth)
    base = {
        "name": "默认",
        "panel_size": "5",
        "official_min": "0",
        "official_max": "1",
        "lawyer_min": "0",
        "lawyer_max": "2",
        "township_rep_min": "0",
        "township_rep_max": "2",
        "citizen_rep_min": "1",
        "citizen_rep_max": "3",
        **_needs(("物业纠纷", "lawyer", 1), ("劳动纠纷", "lawyer", 1)),
        "prefer_local_township": "y",
        "distinct_affiliations": "y",
    }
    for change, message in (
        ({"panel_size": "4"}, "奇数"),
        ({"official_max": "2"}, "三分之二"),
        (_needs(("物业纠纷", "lawyer", None)), "请填写案件分类、角色和人数"),
        ({"citizen_rep_max": "0", "citizen_rep_min": "0", "lawyer_max": "1"}, "小于评议团人数"),
        (_needs(("物业纠纷", "lawyer", 3)), "物业纠纷：3 名律师代表超过每个评议团最多 2 名"),
        (
            _needs(
                ("物业纠纷", "lawyer", 2), ("物业纠纷", "township_rep", 2), ("物业纠纷", "citizen_rep", 3)
            ),
            "物业纠纷所需人数超过评议团人数",
        ),
    ):
        response = client.post("/panels/policies/new", data={**base, **change})
        assert response.status_code == 400 and message in response.get_data(as_text=True), change
    assert client.post("/panels/policies/new", data=base).status_code == 302
    policy = db.session.scalar(sa.select(CompositionPolicy))
    assert policy.role_ranges["citizen_rep"] == [1, 3]
    assert policy.category_needs == {"物业纠纷": {"lawyer": 1}, "劳动纠纷": {"lawyer": 1}}
    assert client.post("/panels/policies/new", data=base).status_code == 400  # the name is taken
    page = client.get(f"/panels/policies/{policy.id}").get_data(as_text=True)
    assert 'value="物业纠纷"' in page and 'value="劳动纠纷"' in page and "律师代表" in page


def test_a_member_declares_availability_and_conflicts(client, auth) -> None:
    department = make_department("CD-ZJ", "成都市住房和城乡建设局")
    user = make_user("m", Role.MEMBER)
    member = Member(name="李四", role="citizen_rep", user_id=user.id)
    other = Member(name="赵六", role="citizen_rep")
    db.session.add_all([member, other])
    other.unavailabilities.append(
        MemberUnavailability(start_date=date(2026, 1, 1), end_date=date(2026, 1, 2))
    )
    db.session.commit()
    auth.login("m")
    assert "我的资料" in client.get("/dashboard").get_data(as_text=True)
    bad = client.post(
        "/panels/profile/unavailability",
        data={"start_date": "2026-12-10", "end_date": "2026-12-01", "note": "年假"},
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "结束日期早于开始日期" in page
    assert (
        'value="年假"' in page and '<p class="field-error" id="end_date-error">' in page
    )  # kept, and marked
    unfinished = client.post(
        "/panels/profile/conflicts", data={"department": "", "case_number": "NO-SUCH", "reason": "我的邻居"}
    )
    page = unfinished.get_data(as_text=True)
    assert unfinished.status_code == 400 and "没有这个编号的工单" in page and "我的邻居</textarea>" in page
    client.post(
        "/panels/profile/unavailability",
        data={"start_date": "2026-12-01", "end_date": "2026-12-10", "note": "出差"},
    )
    client.post(
        "/panels/profile/conflicts", data={"department": str(department.id), "reason": "我的配偶在该局工作"}
    )
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert [(u.start_date.isoformat(), u.note) for u in member.unavailabilities] == [("2026-12-01", "出差")]
    conflict = db.session.scalar(sa.select(Conflict).where(Conflict.member_id == member.id))
    assert conflict.state == ConflictState.ACCEPTED and conflict.department_id == department.id
    assert (
        client.post(f"/panels/profile/unavailability/{other.unavailabilities[0].id}/delete").status_code
        == 403
    )


def test_a_recusal_request_takes_effect_only_once_accepted(batch, client, auth) -> None:
    _organizer(client, auth)
    official = db.session.scalar(sa.select(Member).where(Member.name == "官员甲"))
    wrong = client.post(
        f"/panels/members/{official.id}/recusal-requests",
        data={
            "source": "department_request",
            "department": "",
            "case_number": "NO-SUCH",
            "reason": "书面申请",
        },
    )
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "没有这个编号的工单" in page and "书面申请</textarea>" in page
    assert 'value="CD-ZJ"' in page  # the member's own form beside it still shows what is stored
    member = db.session.scalar(sa.select(Member).where(Member.name == "群众代表0"))
    case = batch.items[4].case
    response = client.post(
        f"/panels/members/{member.id}/recusal-requests",
        data={
            "source": "citizen_request",
            "department": "",
            "case_number": case.external_id,
            "reason": "诉求人书面申请：该代表与承办人是同事",
        },
    )
    assert response.status_code == 302
    conflict = db.session.scalar(sa.select(Conflict).where(Conflict.member_id == member.id))
    assert conflict.state == ConflictState.PENDING
    problem, exclusions = build_problem(batch, "s")
    assert [str(member.id), str(case.id)] not in problem["conflicts"]
    client.post(f"/panels/conflicts/{conflict.id}/accept")
    db.session.expire_all()
    problem, exclusions = build_problem(batch, "s")
    assert [str(member.id), str(case.id)] in problem["conflicts"]
    assert any(
        e.member.id == member.id and e.case.id == case.id and e.rule == RecusalRule.RECUSAL_REQUEST
        for e in exclusions
    )
    again = client.post(f"/panels/conflicts/{conflict.id}/reject", follow_redirects=True)
    assert "该申请已处理" in again.get_data(as_text=True)


def test_import_members_all_or_nothing(client, auth) -> None:
    make_department("CD-GA", "成都市公安局")
    _organizer(client, auth)
    header = "姓名,身份,所在单位编码,区划代码,擅长领域,每批最多件数,电子邮箱,电话"
    good = "王芳,政府工作人员,CD-GA,510107,物业纠纷,12,wang@example.gov,028-85551234"
    lawyer = "陈律师,律师代表,,510104,劳动纠纷、消费纠纷,10,,"
    bad = "刘某,法官,CD-XX,510104,,abc,not-mail,"
    response = client.post(
        "/panels/members/import",
        data={"file": (io.BytesIO("\r\n".join([header, good, lawyer, bad]).encode("gbk")), "members.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for column in ("身份", "每批最多件数", "电子邮箱"):
        assert f"<td>4</td><td>{column}</td>" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0
    response = client.post(
        "/panels/members/import",
        data={"file": (io.BytesIO("\r\n".join([header, good, lawyer]).encode("gbk")), "members.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    members = {m.name: m for m in db.session.scalars(sa.select(Member))}
    assert members["王芳"].affiliation.code == "CD-GA" and members["陈律师"].expertise == [
        "劳动纠纷",
        "消费纠纷",
    ]


def test_an_import_refuses_members_twice_and_counts_what_it_added(client, auth) -> None:
    make_department("CD-GA", "成都市公安局")
    _organizer(client, auth)
    header = "姓名,身份,所在单位编码,区划代码,擅长领域,每批最多件数,电子邮箱,电话"
    first = "王芳,政府工作人员,CD-GA,510107,物业纠纷,12,wang@example.gov,"
    again = "王芳芳,政府工作人员,CD-GA,510107,,12,WANG@example.gov,"
    blank = ",,,,,,,"
    other = "李强,群众代表,,510104,,8,li@example.gov,"

    def upload(*rows: str):
        return client.post(
            "/panels/members/import",
            data={"file": (io.BytesIO("\r\n".join([header, *rows]).encode()), "members.csv")},
            content_type="multipart/form-data",
        )

    page = upload(first, other, again).get_data(as_text=True)
    assert "<td>4</td><td>电子邮箱</td><td>第 2 行的电子邮箱与此相同。</td>" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0
    response = upload(first, blank, other)
    assert response.status_code == 302
    assert "已导入 2 名评议员" in client.get(response.location).get_data(as_text=True)
    page = upload(again).get_data(as_text=True)
    assert "<td>2</td><td>电子邮箱</td><td>王芳已使用此电子邮箱，请直接编辑该评议员。</td>" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 2


def test_employment_history_keeps_a_member_off_the_cases_of_a_department_they_left(
    client, auth, batch
) -> None:
    from datetime import timedelta

    from evaluation.clock import to_local
    from evaluation.db import utcnow
    from evaluation.org.models import Department
    from panels.models import MemberAffiliation

    _organizer(client, auth)
    official = db.session.scalar(sa.select(Member).where(Member.name == "官员甲"))  # works for CD-ZJ
    data = {
        "name": official.name,
        "role": "official",
        "affiliation_code": "CD-GA",
        "district_code": "",
        "expertise": "",
        "max_cases": "6",
        "email": "jia@example.gov",
        "phone": "",
        "active": "y",
    }
    assert client.post(f"/panels/members/{official.id}", data=data).status_code == 302
    history = db.session.scalars(
        sa.select(MemberAffiliation).where(MemberAffiliation.member_id == official.id)
    ).all()
    with client.application.test_request_context():
        today = to_local(utcnow()).date()
    assert [(h.department.code, h.end_date) for h in history] == [("CD-ZJ", today)]
    page = client.get(f"/panels/members/{official.id}").get_data(as_text=True)
    assert "成都市住房和城乡建设局 (CD-ZJ)" in page
    _problem, exclusions = build_problem(batch, "seed")
    rules = {e.rule for e in exclusions if e.member.id == official.id}
    assert rules == {
        RecusalRule.FORMER_AFFILIATION
    }  # off the housing bureau's cases, now as a former employee

    rs = db.session.scalar(sa.select(Department).where(Department.code == "CD-RS"))
    url = f"/panels/members/{official.id}/affiliations"
    future = client.post(
        url, data={"department": str(rs.id), "end_date": (today + timedelta(days=3)).isoformat()}
    )
    assert future.status_code == 400 and "最晚到今天" in future.get_data(as_text=True)
    assert (
        client.post(
            url,
            data={
                "department": str(rs.id),
                "start_date": "2019-01-01",
                "end_date": (today - timedelta(days=30)).isoformat(),
            },
        ).status_code
        == 302
    )
    period = db.session.scalar(sa.select(MemberAffiliation).where(MemberAffiliation.department_id == rs.id))
    assert period is not None and period.start_date.isoformat() == "2019-01-01"
    period_id = period.id
    assert client.post(f"/panels/affiliations/{period_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(MemberAffiliation, period_id) is None
    make_user("m", Role.MEMBER)
    auth.logout()
    auth.login("m")
    assert client.post(url, data={"department": str(rs.id), "end_date": today.isoformat()}).status_code == 403


def test_the_pool_and_the_case_page_show_names_not_codes(client, auth) -> None:
    from evaluation.org.models import Region, RegionLevel
    from tests.factories import cases

    _organizer(client, auth)
    db.session.add(Region(code="510107", name="武侯区", level=RegionLevel.DISTRICT))
    db.session.add(Member(name="街道代表甲", role="township_rep", district_code="510107", max_cases=5))
    (case,) = cases(1, make_department("CD-ZJ", "成都市住房和城乡建设局"))
    case.source = "demo"
    db.session.commit()
    assert "武侯区" in client.get("/panels/members").get_data(as_text=True)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "演示数据" in page and ">demo<" not in page
