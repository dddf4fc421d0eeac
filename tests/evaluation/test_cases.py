"""Screening, the case page and its masking, and the organizers' CSV/XLSX import."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from evaluation.accounts.models import Role
from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.importer import COLUMNS, template_csv, template_xlsx
from evaluation.cases.intake import ingest_cases
from evaluation.cases.models import Case, CaseStatus, CaseView, ExclusionReason
from evaluation.extensions import db
from evaluation.org.models import DepartmentKind
from panels.models import Member, MemberRole, Panel, Seat, SeatState
from rubrics.operations import import_version, load_template
from tests.conftest import make_department, make_user
from tests.factories import case_payload as api_case

HEADERS = [header for _, header, _ in COLUMNS]


@pytest.fixture
def departments(app_ctx):
    zj = make_department("CD-ZJ", "成都市住房和城乡建设局")
    wuhou = make_department("D-510107", "武侯区人民政府", DepartmentKind.DISTRICT)
    yulin = make_department("T-510107-01", "玉林街道办事处", DepartmentKind.TOWNSHIP, parent=wuhou)
    jinjiang = make_department("D-510104", "锦江区人民政府", DepartmentKind.DISTRICT)
    db.session.commit()
    return {"zj": zj, "wuhou": wuhou, "yulin": yulin, "jinjiang": jinjiang}


def push(*items) -> list[Case]:
    results = ingest_cases(list(items), list_mode=True)
    assert all(r.result != "rejected" for r in results), [r.errors for r in results]
    db.session.commit()
    return [db.session.scalar(sa.select(Case).where(Case.external_id == r.external_id)) for r in results]


# --- screening -----------------------------------------------------------------------------------------------


def test_filters_and_pagination(app_ctx, client, auth, departments, monkeypatch) -> None:
    monkeypatch.setitem(app_ctx.config, "EVALUATION_PAGE_SIZE", 20)
    push(
        *[
            api_case(
                n,
                category="物业纠纷" if n % 2 else "噪音扰民",
                lead_department="T-510107-01" if n % 3 == 0 else "CD-ZJ",
            )
            for n in range(1, 61)
        ]
    )
    make_user("org", Role.ORGANIZER)
    auth.login("org")
    page = client.get("/cases/?category=噪音扰民").get_data(as_text=True)
    assert "共 30 件" in page
    # The district filter by department includes its streets (属地管理).
    assert "共 20 件" in client.get("/cases/?department=D-510107").get_data(as_text=True)
    assert "共 1 件" in client.get("/cases/?q=CD-2026-000042").get_data(as_text=True)
    assert "共 60 件" in client.get("/cases/?received_from=2026-11-01&received_to=2026-11-01").get_data(
        as_text=True
    )
    assert "共 0 件" in client.get("/cases/?received_from=2026-11-02").get_data(as_text=True)
    second = client.get("/cases/?category=物业纠纷&page=2").get_data(as_text=True)
    assert "第 2 页，共 2 页" in second
    assert "?page=1&amp;category=%E7%89%A9%E4%B8%9A%E7%BA%A0%E7%BA%B7" in second  # filters survive paging


def test_bulk_screening(client, auth, departments) -> None:
    cases = push(*[api_case(n) for n in range(1, 5)])
    make_user("org", Role.ORGANIZER)
    auth.login("org")
    ids = [c.id for c in cases]
    client.post("/cases/screen", data={"case_ids": ids[:3], "action": "eligible"})
    response = client.post(
        "/cases/screen", data={"case_ids": ids[2:], "action": "exclude"}, follow_redirects=True
    )
    assert "请选择排除原因" in response.get_data(as_text=True)
    client.post(
        "/cases/screen",
        data={
            "case_ids": ids[2:],
            "action": "exclude",
            "reason": "duplicate",
            "note": "与 CD-2026-000001 重复",
        },
    )
    db.session.expire_all()
    states = [db.session.get(Case, i) for i in ids]
    assert [c.status for c in states] == [
        CaseStatus.ELIGIBLE,
        CaseStatus.ELIGIBLE,
        CaseStatus.EXCLUDED,
        CaseStatus.EXCLUDED,
    ]
    assert states[3].exclusion_reason == ExclusionReason.DUPLICATE
    client.post("/cases/screen", data={"case_ids": [ids[3]], "action": "back"})
    db.session.expire_all()
    back = db.session.get(Case, ids[3])
    assert back.status == CaseStatus.RECEIVED and back.exclusion_reason is None


def test_screening_skips_cases_under_review(client, auth, departments) -> None:
    (case,) = push(api_case(1))
    case.status = CaseStatus.IN_REVIEW
    db.session.commit()
    make_user("org", Role.ORGANIZER)
    auth.login("org")
    page = client.post(
        "/cases/screen", data={"case_ids": [case.id], "action": "eligible"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "1 件保持不变" in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.IN_REVIEW


# --- the case page and privacy -----------------------------------------------------------------------------------

PII = ("张三丰", "13812345678", "51010719800101123X", "玉林北路12号")


def _seat(case: Case, user) -> Seat:
    version = import_version(load_template(), publish=True)
    item = BatchItem(batch=Batch(name="第1批", rubric_version=version), case=case)
    member = Member(name="李四", role=MemberRole.CITIZEN_REP, user_id=user.id)
    seat = Seat(
        panel=Panel(batch_item=item),
        member=member,
        role=MemberRole.CITIZEN_REP,
        position=0,
        state=SeatState.INVITED,
    )
    db.session.add(seat)
    db.session.commit()
    return seat


def test_the_organizer_sees_the_citizen_in_clear_and_the_view_is_logged(client, auth, departments) -> None:
    (case,) = push(api_case(1))
    user = make_user("org", Role.ORGANIZER)
    auth.login("org")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    for secret in PII:
        assert secret in page
    assert "受理" in page and "交办" in page  # the timeline
    assert db.session.scalar(sa.select(CaseView.context).where(CaseView.user_id == user.id)) == "full"


def test_a_member_sees_only_masked_data_and_only_their_cases(client, auth, departments) -> None:
    case, other = push(api_case(1), api_case(2))
    member = make_user("m", Role.MEMBER)
    _seat(case, member)
    auth.login("m")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    for secret in PII:
        assert secret not in page, secret
    assert "张**" in page and "138****5678" in page and "510107********123X" in page
    assert "成都市武侯区玉林街道" in page and re.search(r"诉求人[0-9A-F]{4}", page)
    assert client.get(f"/cases/{other.id}").status_code == 403


def test_a_member_recused_from_a_case_loses_access_at_once(client, auth, departments) -> None:
    from panels.invitations import recuse

    (case,) = push(api_case(1))
    member = make_user("m", Role.MEMBER)
    seat = _seat(case, member)
    auth.login("m")
    assert client.get(f"/cases/{case.id}").status_code == 200
    recuse(seat, "与诉求人系邻居")
    db.session.commit()
    assert client.get(f"/cases/{case.id}").status_code == 403


def test_a_department_sees_its_subtree_masked_and_never_a_siblings(client, auth, departments) -> None:
    own, sibling = push(
        api_case(1, lead_department="T-510107-01", assisting_departments=[]),
        api_case(2, lead_department="D-510104", assisting_departments=[]),
    )
    make_user("wuhou", Role.DEPARTMENT, department=departments["wuhou"])
    auth.login("wuhou")
    page = client.get(f"/cases/{own.id}").get_data(as_text=True)
    for secret in PII:
        assert secret not in page
    assert "张**" in page
    assert client.get(f"/cases/{sibling.id}").status_code == 403


def test_a_confidential_case_hides_the_citizen_from_the_department(client, auth, departments) -> None:
    (report,) = push(api_case(1, type="report", lead_department="D-510107", assisting_departments=[]))
    make_user("wuhou", Role.DEPARTMENT, department=departments["wuhou"])
    auth.login("wuhou")
    page = client.get(f"/cases/{report.id}").get_data(as_text=True)
    assert "举报" in page and "不向被评议单位显示" in page
    assert "张**" not in page and "138****" not in page


# --- import ------------------------------------------------------------------------------------------------------


def _row(n: int, **overrides) -> list[str]:
    values = dict(zip(HEADERS, [example for _, _, example in COLUMNS], strict=True))
    values["工单编号"] = f"IMP-{n:04d}"
    values.update(overrides)
    return [values[h] for h in HEADERS]


def _csv(rows: list[list[str]], encoding: str) -> bytes:
    lines = [",".join(HEADERS)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def organizer(client, auth, departments):
    make_user("org", Role.ORGANIZER)
    auth.login("org")
    return client


def _upload(client, data: bytes, filename: str):
    return client.post(
        "/cases/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def _commit(client, preview_html: str):
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview_html).group(1)
    return client.post("/cases/import/commit", data={"token": token})


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_a_csv_in_each_encoding_imports_intact(organizer, encoding) -> None:
    preview = _upload(organizer, _csv([_row(1), _row(2, 标题="噪音扰民，夜间施工")], encoding), "cases.csv")
    assert preview.status_code == 200, preview.get_data(as_text=True)
    html = preview.get_data(as_text=True)
    assert "GBK" in html if encoding == "gbk" else "UTF-8" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0  # a preview stores nothing
    assert _commit(organizer, html).status_code == 302
    stored = db.session.scalar(sa.select(Case).where(Case.external_id == "IMP-0002"))
    assert (
        stored.title == "噪音扰民，夜间施工" and stored.request_text == "小区电梯坏了三个月，物业一直不修。"
    )
    assert (
        stored.category == "物业纠纷"
        and stored.channel.value == "hotline"
        and stored.case_type.value == "complaint"
    )
    assert stored.received_dt.isoformat() == "2026-11-01T01:30:00+00:00"  # Beijing time in the file
    assert stored.citizen_name == "张三"


def test_an_xlsx_imports_with_excel_types(organizer) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    row = _row(1)
    row[HEADERS.index("区划代码")] = 510107  # Excel stores it as a number
    from datetime import datetime

    row[HEADERS.index("受理时间")] = datetime(2026, 11, 1, 9, 30)  # noqa: DTZ001 - as Excel gives it
    sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = _upload(organizer, buffer.getvalue(), "cases.xlsx")
    assert preview.status_code == 200, preview.get_data(as_text=True)
    _commit(organizer, preview.get_data(as_text=True))
    stored = db.session.scalar(sa.select(Case))
    assert stored.region_code == "510107" and stored.received_dt.isoformat() == "2026-11-01T01:30:00+00:00"


def test_row_level_errors_and_all_or_nothing(organizer) -> None:
    rows = [_row(1), _row(2, 回访评价="满意"), _row(3, 主办单位编码="NOPE"), _row(4, 受理时间="下周一")]
    preview = _upload(organizer, _csv(rows, "gbk"), "bad.csv")
    assert preview.status_code == 400
    html = preview.get_data(as_text=True)
    for row_number, column in ((3, "回访评价"), (4, "主办单位编码"), (5, "受理时间")):
        assert re.search(rf"<td>{row_number}</td><td>{column}</td>", html), (row_number, column)
    assert 'name="token"' not in html  # no way to commit
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_file_that_cannot_be_read_is_refused_with_a_reason(organizer) -> None:
    for data, name, message in (
        (b"x,y\n1,2\n", "cases.csv", "未知列"),
        (b"PK\x03\x04garbage", "cases.xlsx", "无法将该文件读取为 Excel 工作簿"),
        (b"", "cases.csv", "文件为空"),
        (b"a", "cases.txt", ".csv 或 .xlsx"),
    ):
        response = _upload(organizer, data, name)
        assert response.status_code == 400 and message in response.get_data(as_text=True), name


def test_a_commit_after_the_state_changed_imports_nothing(organizer) -> None:
    push(api_case(1, source="12345", external_id="IMP-0001"))
    preview = _upload(organizer, _csv([_row(1, 标题="新标题"), _row(2)], "utf-8"), "cases.csv")
    case = db.session.scalar(sa.select(Case))
    case.status = CaseStatus.IN_REVIEW  # it entered a batch between preview and commit
    db.session.commit()
    response = _commit(organizer, preview.get_data(as_text=True))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def test_templates_download(organizer) -> None:
    xlsx = organizer.get("/cases/import/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.data == template_xlsx()[:0] + xlsx.data and xlsx.data[:2] == b"PK"
    csv_file = organizer.get("/cases/import/template.csv")
    assert csv_file.data.startswith("\ufeff来源系统".encode())
    assert csv_file.data == template_csv()
    assert organizer.get("/cases/import/template.pdf").status_code == 404


LEAKY = {
    "title": "张三丰反映电梯故障（电话13812345678）",
    "request_text": "我是张三丰，邮箱 zhang.sanfeng@example.com，退款请打到6222021234567890123。",
    "reply_text": "已联系张先生（138 1234 5678）。",
    "callback": {"at": "2026-11-09T10:00:00+08:00", "rating": "unsatisfied", "reason": "三丰说电梯还是坏的"},
    "steps": [
        {
            "action": "accept",
            "at": "2026-11-01T09:30:00+08:00",
            "note": "来电人张三丰，身份证51010719800101123X",
        }
    ],
    "attachments": [
        {"name": "张三丰-身份证.jpg", "url": "https://files.example.gov/a/1.jpg"},
        {"name": "现场照片.jpg", "url": "https://files.example.gov/13812345678/2.jpg"},
    ],
}
IDENTITY = [
    "张三丰",
    "三丰",
    "张先生",
    "13812345678",
    "138 1234 5678",
    "zhang.sanfeng",
    "6222021234567890123",
    "51010719800101123X",
    "1234567890123",
    "/13812345678/",
]


def _call(case: Case, account: str) -> None:
    from evaluation.cases.models import VerificationCall
    from evaluation.db import utcnow

    caller = make_user("caller", Role.ORGANIZER)
    db.session.add(
        VerificationCall(case=case, caller_id=caller.id, called_dt=utcnow(), reached=True, account=account)
    )
    db.session.commit()


def test_no_field_a_member_reads_carries_the_citizens_identity(client, auth, departments) -> None:
    (case,) = push(api_case(1, **LEAKY))
    _call(case, "张三丰表示电梯仍未修好，可拨13812345678")
    member = make_user("m", Role.MEMBER)
    _seat(case, member)
    auth.login("m")
    for url in (f"/cases/{case.id}", "/batches/mine"):
        page = client.get(url).get_data(as_text=True)
        for secret in IDENTITY:
            assert secret not in page, (url, secret)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "张**反映电梯故障（电话138****5678）" in page  # masked, still readable
    assert "张**-身份证.jpg" in page and "https://files.example.gov/a/1.jpg" in page
    assert "files.example.gov/138" not in page  # a link whose address names the citizen is not given


def test_a_confidential_report_shows_its_department_nothing_of_the_reporter(
    client, auth, departments
) -> None:
    (case,) = push(api_case(1, type="report", confidential=True, **LEAKY))
    make_user("wuhou", Role.DEPARTMENT, department=departments["wuhou"])
    auth.login("wuhou")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    for secret in [*IDENTITY, "张**", "138****", "510107****", "z***@", "6222 ****", "files.example.gov"]:
        assert secret not in page, secret
    assert "***反映电梯故障（电话***）" in page


def test_the_preview_waits_encrypted_readable_only_by_its_uploader_and_is_swept(
    app_ctx, organizer, client, auth
) -> None:
    import os
    import time
    from pathlib import Path

    from evaluation.cases import importer
    from evaluation.jobs.models import Job

    folder = Path(app_ctx.instance_path) / "imports"
    for left in folder.glob("*.bin"):  # other tests' previews
        left.unlink()
    row = _row(1, 诉求人姓名="欧阳明远", 联系电话="13987654321", 身份证号="51010719800101123X")
    preview = _upload(organizer, _csv([row], "utf-8"), "cases.csv")
    assert preview.status_code == 200
    (staged,) = folder.glob("*.bin")
    stored = staged.read_bytes()
    for secret in ("欧阳明远", "13987654321", "51010719800101123X"):
        assert secret.encode() not in stored and secret.encode("gbk") not in stored
    assert oct(staged.stat().st_mode & 0o777) == "0o600"
    assert db.session.scalar(sa.select(Job.kind).where(Job.kind == "imports.sweep")) == "imports.sweep"
    # Another organizer cannot commit it.
    auth.logout()
    make_user("org2", Role.ORGANIZER)
    auth.login("org2")
    refused = _commit(client, preview.get_data(as_text=True))
    assert refused.status_code == 302 and staged.exists()
    # Once older than its time, the sweep removes it.
    old = time.time() - importer.STAGING_TTL.total_seconds() - 60
    os.utime(staged, (old, old))
    assert importer.sweep(folder) == 1 and not staged.exists()


def test_a_dump_of_the_database_and_the_instance_folder_holds_no_citizen_in_clear(
    app_ctx, client, auth
) -> None:
    """After an import through the page, a push through the API's intake and a scoring round, nothing in any
    table or any file of the instance folder shows a citizen's name, numbers or words about them."""
    from pathlib import Path

    from tests import factories

    world = factories.world("scoring")  # its departments serve the import and the push too
    auth.login("organizer")
    organizer = client
    secrets_ = {
        "name": "欧阳明远",
        "phone": "13987654321",
        "id_number": "51010719800101123X",
        "email": "ouyang.mingyuan@example.com",
        "card": "6222021234567890123",
    }
    row = _row(
        1,
        诉求人姓名=secrets_["name"],
        联系电话=secrets_["phone"],
        身份证号=secrets_["id_number"],
        标题=f"{secrets_['name']}反映噪音",
        诉求内容=f"请联系{secrets_['email']}，退款到{secrets_['card']}",
    )
    preview = _upload(organizer, _csv([row], "utf-8"), "cases.csv")
    assert _commit(client, preview.get_data(as_text=True)).status_code == 302
    push(
        api_case(
            7,
            title=f"{secrets_['name']}的电梯",
            citizen={
                "name": secrets_["name"],
                "phone": secrets_["phone"],
                "id_number": secrets_["id_number"],
            },
            steps=[
                {"action": "accept", "at": "2026-11-01T09:30:00+08:00", "note": f"来电{secrets_['phone']}"}
            ],
            attachments=[
                {"name": f"{secrets_['name']}.jpg", "url": f"https://f.example.gov/{secrets_['phone']}"}
            ],
        )
    )
    for item in world.batch.items:
        for seat in item.panel.seats:
            factories.submit(seat)
    db.session.commit()
    dump = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            # Raw rows, as a backup holds them: no column type decrypts on the way out.
            raw = sa.select(*(sa.column(c.name) for c in table.columns)).select_from(sa.table(table.name))
            dump += [repr(tuple(r)) for r in connection.execute(raw)]
    text = "\n".join(dump)
    files = b"".join(
        p.read_bytes() for p in Path(app_ctx.instance_path).rglob("*") if p.is_file() and p.suffix != ".db"
    )
    for what, secret in secrets_.items():
        assert secret not in text, what
        assert secret.encode() not in files, what
    for plain in ("张三丰", "13812345678", "51010719800101123X"):  # the world's and the API sample's citizen
        assert plain not in text
