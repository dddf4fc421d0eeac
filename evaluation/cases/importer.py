"""Organizers' CSV/XLSX import of cases: a template with Chinese headers, tolerant decoding (UTF-8, UTF-8 with
BOM, GBK/GB18030 as Excel in China writes), row-level errors, and an all-or-nothing commit.

Rows become the API's case objects and go through the same intake (evaluation.cases.intake), so an import
and a push accept and refuse exactly the same things.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from evaluation import crypto
from evaluation.cases.intake import ingest_cases, record_intake
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.jobs.runner import schedule
from evaluation.tabular import TableError, append_row, cell_text, read_table, write_csv
from evaluation.text import N_, UserError

# (field, Chinese header, example) in template order; the field is a path in the API's case object.
COLUMNS: list[tuple[str, str, str]] = [
    ("source", "来源系统", "12345"),
    ("external_id", "工单编号", "CD12345-2026-100001"),
    ("channel", "渠道", "12345热线"),
    ("type", "类型", "投诉"),
    ("category", "问题分类", "物业纠纷"),
    ("region_code", "区划代码", "510107"),
    ("received_at", "受理时间", "2026-11-01 09:30"),
    ("dispatched_at", "交办时间", "2026-11-01 11:00"),
    ("due_at", "办理期限", "2026-11-11 18:00"),
    ("replied_at", "答复时间", "2026-11-08 15:00"),
    ("lead_department", "主办单位编码", "CD-ZJ"),
    ("assisting_departments", "协办单位编码", "D-510107"),
    ("title", "标题", "小区电梯长期故障"),
    ("request_text", "诉求内容", "小区电梯坏了三个月，物业一直不修。"),
    ("reply_text", "答复内容", "已督促物业公司维修。"),
    ("callback.at", "回访时间", "2026-11-09 10:00"),
    ("callback.rating", "回访评价", "不满意"),
    ("callback.reason", "不满意原因", "电梯还是坏的"),
    ("citizen.name", "诉求人姓名", "张三"),
    ("citizen.phone", "联系电话", "13800000000"),
    ("citizen.id_number", "身份证号", ""),
    ("citizen.address", "地址", "成都市武侯区玉林街道玉林北路1号"),
    ("confidential", "是否保密", "否"),
]
HEADER_TO_FIELD = {header: field for field, header, _ in COLUMNS}
FIELD_TO_HEADER = {field: header for field, header, _ in COLUMNS}
TIMESTAMPS = {"received_at", "dispatched_at", "due_at", "replied_at", "callback.at"}
CHOICES = {
    "channel": {
        "12345热线": "hotline",
        "热线": "hotline",
        "市长信箱": "mayor_mailbox",
        "书记信箱": "secretary_mailbox",
        "网站": "web",
        "移动应用": "app",
        "app": "app",
        "其他": "other",
    },
    "type": {
        "咨询": "consultation",
        "求助": "help",
        "投诉": "complaint",
        "举报": "report",
        "建议": "suggestion",
        "其他": "other",
    },
    "callback.rating": {
        "非常满意": "very_satisfied",
        "满意": "satisfied",
        "基本满意": "basically_satisfied",
        "不满意": "unsatisfied",
        "非常不满意": "very_unsatisfied",
    },
}
YES = {"是", "yes", "true", "1", "y"}
NO = {"否", "no", "false", "0", "n", ""}
MAX_ROWS = 5000


class ImportFileError(UserError):
    """The file as a whole cannot be read (not the rows in it)."""


@dataclass
class ParsedFile:
    rows: list[dict[str, Any]]  # API case objects
    row_numbers: list[int]  # the spreadsheet row of each, for messages
    encoding: str


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.create_sheet(index=0)
    workbook.remove(workbook.worksheets[1])
    sheet.title = "不满意件"
    append_row(sheet, [header for _, header, _ in COLUMNS])
    append_row(sheet, [example for _, _, example in COLUMNS])
    for index, (_, header, _) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, 2 * len(header) + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    return write_csv([[header for _, header, _ in COLUMNS], [example for _, _, example in COLUMNS]])


def parse(filename: str, data: bytes, timezone: str) -> ParsedFile:
    """Rows of a CSV or XLSX file as API case objects; raises ImportFileError for the file as a whole."""
    try:
        records, encoding = read_table(filename, data)
    except TableError as exc:
        raise ImportFileError(exc.message, **exc.params) from None
    headers = [str(h).strip() if h is not None else "" for h in records[0]]
    unknown = [h for h in headers if h and h not in HEADER_TO_FIELD]
    if unknown:
        raise ImportFileError(N_("Unknown column %(column)s; use the template's headers."), column=unknown[0])
    missing = [
        header
        for field, header, _ in COLUMNS
        if field
        in {
            "source",
            "external_id",
            "type",
            "received_at",
            "lead_department",
            "request_text",
            "callback.rating",
        }
        and header not in headers
    ]
    if missing:
        raise ImportFileError(N_("The column %(column)s is missing."), column=missing[0])
    zone = ZoneInfo(timezone)
    rows, numbers = [], []
    for number, record in enumerate(records[1:], start=2):
        values = {headers[i]: record[i] for i in range(min(len(headers), len(record))) if headers[i]}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        rows.append(_case_object(values, zone))
        numbers.append(number)
        if len(rows) > MAX_ROWS:
            raise ImportFileError(N_("At most %(n)d rows in one file."), n=MAX_ROWS)
    if not rows:
        raise ImportFileError(N_("The file has headers but no rows."))
    return ParsedFile(rows, numbers, encoding)


def _timestamp(value: Any, zone: ZoneInfo) -> Any:
    """Local times (Beijing time unless they say otherwise) as ISO 8601 with an offset; others left to fail."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).isoformat()
    if isinstance(value, date):
        return datetime.combine(value, day_time(0), tzinfo=zone).isoformat()
    text = str(value).strip().replace("/", "-")
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        text += " 00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text  # the validator names the cell
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).isoformat()


def _case_object(values: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for header, raw in values.items():
        field = HEADER_TO_FIELD[header]
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            if field == "confidential":
                obj["confidential"] = False
            continue
        if field in TIMESTAMPS:
            value: Any = _timestamp(raw, zone)
        elif field == "confidential":
            text = str(raw).strip().lower()
            value = True if text in YES else False if text in NO else str(raw)
        elif field == "assisting_departments":
            value = [c for c in re.split(r"[;,，、；\s]+", str(raw).strip()) if c]
        else:
            value = cell_text(raw)
        if field in CHOICES:
            value = CHOICES[field].get(value, value)
        parent, _, child = field.partition(".")
        if child:
            obj.setdefault(parent, {})[child] = value
        else:
            obj[field] = value
    return obj


def column_of(path: str) -> str:
    """The Chinese header a case-object error path belongs to (cases[3].callback.rating -> 回访评价)."""
    path = re.sub(r"^cases\[\d+\]\.?", "", path)
    path = re.sub(r"\[\d+\]", "", path)
    while path:
        if path in FIELD_TO_HEADER:
            return FIELD_TO_HEADER[path]
        path = path.rpartition(".")[0]
    return ""


# --- staging between the preview and the commit ---------------------------------------------------------------

STAGING_TTL = timedelta(hours=12)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def staging_folder(instance_path: str) -> Path:
    """Where previews wait for their commit; previews older than ``STAGING_TTL`` are swept on the way."""
    folder = Path(instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep(folder)
    return folder


def sweep(folder: Path) -> int:
    """Delete the previews older than ``STAGING_TTL`` (and any left in clear by an older version); returns how
    many."""
    swept = 0
    for old in [*folder.glob("*.bin"), *folder.glob("*.json")]:
        if old.suffix == ".json" or time.time() - old.stat().st_mtime > STAGING_TTL.total_seconds():
            old.unlink(missing_ok=True)
            swept += 1
    return swept


def sweep_job(payload: dict[str, Any], now: datetime) -> None:
    """The scheduled sweep: each staged preview schedules one for when it expires, so none outlives its time
    even if nobody imports again."""
    sweep(Path(current_app.instance_path) / "imports")


def stage(folder: Path, user_id: int, filename: str, rows: list[dict[str, Any]]) -> str:
    """Keep a previewed file's rows for its uploader's commit, encrypted with the personal-data key (the rows
    hold citizens' names and numbers); returns the token that names them."""
    token = secrets.token_urlsafe(16)
    payload = {"user_id": user_id, "filename": filename, "rows": rows}
    path = folder / f"{token}.bin"
    path.write_bytes(crypto.encrypt(json.dumps(payload, ensure_ascii=False)))
    path.chmod(0o600)
    due = (utcnow() + STAGING_TTL + timedelta(minutes=1)).replace(second=0, microsecond=0)
    schedule("imports.sweep", due, {}, dedupe_key=f"imports-sweep:{due:%Y%m%d%H%M}")
    return token


def staged(folder: Path, token: str, user_id: int) -> dict[str, Any]:
    """The rows staged under ``token`` by this user; refused when gone (expired, done) or someone else's."""
    path = folder / f"{token}.bin"
    if not TOKEN.match(token) or not path.exists():
        raise ImportFileError(N_("This import has expired or was already done. Upload the file again."))
    payload: dict[str, Any] = json.loads(crypto.decrypt(path.read_bytes()))
    if payload["user_id"] != user_id:
        raise ImportFileError(N_("This import was uploaded by someone else. Upload the file again."))
    return payload


def unstage(folder: Path, token: str) -> None:
    (folder / f"{token}.bin").unlink(missing_ok=True)


def dry_run(rows: list[dict[str, Any]]) -> list[Any]:
    """The real intake inside a savepoint that is rolled back: the preview sees exactly what a commit would."""
    savepoint = db.session.begin_nested()
    try:
        return ingest_cases(rows, list_mode=True)
    finally:
        savepoint.rollback()


def commit(rows: list[dict[str, Any]], filename: str = "") -> dict[str, int]:
    """Take in every staged row, or none: a row that has become invalid since the preview (its case entered
    review meanwhile) refuses the whole file."""
    results = ingest_cases(rows, list_mode=True)
    if any(r.result == "rejected" for r in results):
        raise ImportFileError(
            N_("Nothing was imported: some rows are no longer valid. Upload the file again to see why.")
        )
    record_intake(results, "file", filename=filename)
    return {key: sum(r.result == key for r in results) for key in ("created", "updated", "unchanged")}


def row_errors(results: list[Any], numbers: list[int]) -> list[dict[str, Any]]:
    """Every refused field, by the file's row number and the column's Chinese header."""
    return [
        {
            "row": numbers[result.index],
            "column": column_of(error["field"]),
            "field": error["field"],
            "message": error["message"],
        }
        for result in results
        for error in result.errors
    ]
