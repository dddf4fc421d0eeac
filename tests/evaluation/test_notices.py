"""Notices (通报): drafted for a period, previewed with the ranking and its charts, typical cases chosen among the
period's upheld ones, issued after a confirmation — frozen and numbered within the year; rendered as a printable
page, a PDF whose text holds the departments' names in Chinese, an XLSX whose formula-looking cells are text, and a
public version without case numbers; `notices render` renders the same document from the command line."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from evaluation.assessments.models import Assessment
from evaluation.extensions import db
from evaluation.notices.models import Notice, NoticeState
from tests.evaluation.test_standings import city  # noqa: F401 - the fixture

PERIOD = {"start": "2026-06-01", "end": "2026-11-30"}


def _draft(client) -> Notice:
    answer = client.post(
        "/notices/new",
        data={"title": "2026年下半年不满意件评议通报", "intro": "现将评议情况通报如下。", **PERIOD},
    )
    assert answer.status_code == 302
    return db.session.scalar(sa.select(Notice).order_by(Notice.id.desc()).limit(1))


def _pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_the_organizer_drafts_chooses_typical_cases_and_issues_a_numbered_notice(city, client, auth) -> None:  # noqa: F811
    auth.login("office")
    bad = client.post("/notices/new", data={"title": "通报", "start": "2026-12-01", "end": "2026-06-01"})
    assert bad.status_code == 400 and "结束早于开始" in bad.get_data(as_text=True)
    far = client.post("/notices/new", data={"title": "通报", "start": "0001-01-01", "end": "2026-06-01"})
    assert far.status_code == 400 and "2000-01-01 至 2099-12-31" in far.get_data(as_text=True)
    notice = _draft(client)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "成都市住房和城乡建设局" in page and "<svg" in page and "草稿" in page
    upheld = db.session.scalar(sa.select(Assessment.id).where(Assessment.department_id == city["wuhou"].id))
    not_upheld = db.session.scalar(
        sa.select(Assessment.id).where(Assessment.department_id == city["jiangxi"].id)
    )
    client.post(f"/notices/{notice.id}/typical", data={"typical": [str(not_upheld)]})
    db.session.refresh(notice)
    assert notice.typical == []  # not an upheld case: refused
    client.post(f"/notices/{notice.id}/typical", data={"typical": [str(upheld)]})
    db.session.refresh(notice)
    assert notice.typical == [upheld]
    client.post(f"/notices/{notice.id}/issue")  # not confirmed
    db.session.refresh(notice)
    assert notice.state == NoticeState.DRAFT
    client.post(f"/notices/{notice.id}/issue", data={"confirmed": "yes"})
    db.session.refresh(notice)
    assert notice.state == NoticeState.ISSUED and notice.number == 1 and notice.content_hash
    shown = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f"{notice.year}年第1期" in shown and "电梯故障" in shown  # the typical case, its title masked
    second = _draft(client)
    client.post(f"/notices/{second.id}/issue", data={"confirmed": "yes"})
    db.session.refresh(second)
    assert second.number == 2 and second.year == notice.year
    again = client.post(f"/notices/{notice.id}/typical", data={"typical": []})
    assert again.status_code == 302
    db.session.refresh(notice)
    assert notice.typical == [upheld]  # frozen


def test_an_issued_notice_stays_as_issued(city, client, auth) -> None:  # noqa: F811
    auth.login("office")
    notice = _draft(client)
    client.post(f"/notices/{notice.id}/issue", data={"confirmed": "yes"})
    before = client.get(f"/notices/{notice.id}/document.html").get_data(as_text=True)
    city["housing"].name = "改名后的住建局"
    db.session.commit()
    after = client.get(f"/notices/{notice.id}/document.html").get_data(as_text=True)
    assert after == before and "成都市住房和城乡建设局" in after


def test_the_pdf_xlsx_and_public_versions(city, client, auth) -> None:  # noqa: F811
    city["housing"].name = "=SUM(A1:A2)住建局"
    db.session.commit()
    auth.login("office")
    notice = _draft(client)
    upheld = db.session.scalar(sa.select(Assessment.id).where(Assessment.department_id == city["wuhou"].id))
    client.post(f"/notices/{notice.id}/typical", data={"typical": [str(upheld)]})
    pdf = client.get(f"/notices/{notice.id}/document.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = _pdf_text(pdf.data)
    assert "玉林街道办事处" in text and "武侯区人民政府" in text and "单位排名" in text
    xlsx = client.get(f"/notices/{notice.id}/document.xlsx")
    workbook = load_workbook(io.BytesIO(xlsx.data))
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row]
    formula = next(c for c in cells if str(c.value).startswith("=SUM"))
    assert formula.data_type == "s"
    case_number = db.session.get(Assessment, upheld).case.external_id
    full = client.get(f"/notices/{notice.id}/document.html").get_data(as_text=True)
    public = client.get(f"/notices/{notice.id}/document.html?public=1").get_data(as_text=True)
    assert case_number in full and case_number not in public and "武侯区人民政府" in public
    assert client.get(f"/notices/{notice.id}/document.doc").status_code == 404


def test_the_command_renders_the_same_document(city, runner, tmp_path) -> None:  # noqa: F811
    for fmt in ("html", "pdf", "xlsx"):
        out = tmp_path / f"notice.{fmt}"
        done = runner.invoke(
            args=[
                "notices",
                "render",
                "--from",
                "2026-06-01",
                "--to",
                "2026-11-30",
                "--format",
                fmt,
                "--out",
                str(out),
            ]
        )
        assert done.exit_code == 0, done.output
    assert "成都市住房和城乡建设局" in (tmp_path / "notice.html").read_text()
    assert "玉林街道办事处" in _pdf_text((tmp_path / "notice.pdf").read_bytes())
    bad = runner.invoke(
        args=[
            "notices",
            "render",
            "--from",
            "2026-13-01",
            "--to",
            "2026-11-30",
            "--format",
            "pdf",
            "--out",
            "x.pdf",
        ]
    )
    assert bad.exit_code != 0 and "Not a date" in bad.output


def test_a_notice_page_runs_as_many_queries_with_more_data(city, client, auth, count_queries) -> None:  # noqa: F811
    from tests.evaluation.test_standings import _more_cases

    auth.login("office")
    notice = _draft(client)
    client.get(f"/notices/{notice.id}")  # the first read after the draft's save also ends that transaction
    with count_queries() as before:
        assert client.get(f"/notices/{notice.id}").status_code == 200
    _more_cases(city, 30)
    client.get(f"/notices/{notice.id}")
    with count_queries() as after:
        assert client.get(f"/notices/{notice.id}").status_code == 200
    assert after["n"] == before["n"] <= 20
    text = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "本期应报送整改情况" in text
