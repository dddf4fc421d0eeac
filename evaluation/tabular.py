"""Reading the CSV and Excel files organizers upload: UTF-8, UTF-8 with BOM or GBK/GB18030 (what Excel in China
writes), or XLSX. Rows come back as lists of cell values; the first row is the header.

An upload is small but what it unpacks to need not be: an XLSX is a zip whose sheet may declare a million rows by
sixteen thousand columns, or hold one cell of fifty million characters. So nothing is read past a budget — the
zip's members by their declared sizes, the sheet's declared dimensions before its first row, then rows, columns
and the length of every cell while reading, in openpyxl's read-only (streaming) mode — and a file over budget is
refused with the reason, at the row and column where it went over."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from evaluation.text import N_, UserError

MAX_ROWS = 5000  # data rows in one file, the header not counted
MAX_COLUMNS = 100
MAX_CELL_CHARACTERS = 32767  # Excel's own limit for a cell
MAX_BLANK_ROWS = 10000  # empty rows skipped in one file (formatting left below the data)
# An XLSX's members unpacked, by their declared sizes: openpyxl scans a whole sheet for its size when the sheet
# does not declare it, so the bytes it may scan are bounded too (32 MiB is some 300,000 rows of a case export).
MAX_UNPACKED_BYTES = 32 * 1024 * 1024


class TableError(UserError):
    """The file as a whole cannot be read."""


def decode(data: bytes) -> tuple[str, str]:
    for encoding, name in (("utf-8-sig", "UTF-8"), ("gb18030", "GBK")):
        try:
            return data.decode(encoding), name
        except UnicodeDecodeError:
            continue
    raise TableError(N_("The file is neither UTF-8 nor GBK text."))


def read_table(filename: str, data: bytes, *, max_rows: int = MAX_ROWS) -> tuple[list[list[Any]], str]:
    """(rows, how it was read) for a .csv or .xlsx file. A blank row stays, as an empty list, so that the rows
    keep the numbers a spreadsheet shows; trailing empty cells are dropped."""
    if filename.lower().endswith(".xlsx"):
        raw, encoding = _xlsx_rows(data, max_rows), "XLSX"
    elif filename.lower().endswith(".csv"):
        text, encoding = decode(data)
        raw = _csv_rows(text)
    else:
        raise TableError(N_("Upload a .csv or .xlsx file."))
    rows = _within_budget(raw, max_rows)
    if len(rows) == blank_rows(rows):
        raise TableError(N_("The file is empty."))
    return rows, encoding


def blank_rows(rows: list[list[Any]]) -> int:
    return sum(1 for row in rows if not row)


def _within_budget(raw: Iterator[list[Any]], max_rows: int) -> list[list[Any]]:
    rows: list[list[Any]] = []
    blank = 0
    for number, row in enumerate(raw, start=1):
        while row and (row[-1] is None or row[-1] == ""):
            row.pop()
        if not row:
            blank += 1
            if blank > MAX_BLANK_ROWS:
                raise TableError(
                    N_("The file has more than %(n)d empty rows; delete them and upload it again."),
                    n=MAX_BLANK_ROWS,
                )
            rows.append(row)
            continue
        if len(row) > MAX_COLUMNS:
            raise TableError(N_("Row %(row)d has more than %(n)d columns."), row=number, n=MAX_COLUMNS)
        for index, value in enumerate(row, start=1):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARACTERS:
                raise TableError(
                    N_("The cell in row %(row)d, column %(column)s holds more than %(n)d characters."),
                    row=number,
                    column=get_column_letter(index),
                    n=MAX_CELL_CHARACTERS,
                )
        rows.append(row)
        if len(rows) - blank > max_rows + 1:
            raise TableError(N_("At most %(n)d rows in one file."), n=max_rows)
    return rows


def _csv_rows(text: str) -> Iterator[list[Any]]:
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a field over the csv module's limit (128 KiB), or a stray quote at the end
            raise TableError(
                N_("Row %(row)d could not be read: a cell is too long or a quotation mark is not closed."),
                row=reader.line_num,
            ) from None
        yield row


def _xlsx_rows(data: bytes, max_rows: int) -> Iterator[list[Any]]:
    unreadable = TableError(
        N_(
            "The file could not be read as an Excel workbook. Open it in Excel or WPS, save it again as "
            ".xlsx and upload that."
        )
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise TableError(
            N_("The workbook unpacks to more than %(mb)d MB; save only the sheet to import."),
            mb=MAX_UNPACKED_BYTES // (1024 * 1024),
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file; its English helps no one here
        raise unreadable from None
    try:
        sheet = workbook.worksheets[0]
        # The declared dimension (<dimension ref="A1:XFD1048576"/>), before reading a row of it.
        if (sheet.max_column or 0) > MAX_COLUMNS or (sheet.max_row or 0) > max_rows + 1 + MAX_BLANK_ROWS:
            raise TableError(
                N_(
                    "The sheet declares %(rows)d rows by %(columns)d columns; at most %(n)d rows can be imported."
                ),
                rows=sheet.max_row or 0,
                columns=sheet.max_column or 0,
                n=max_rows,
            )
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            yield list(row)
    except TableError:
        raise
    except Exception:  # a damaged sheet found while streaming it
        raise unreadable from None
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """A cell as text: Excel turns codes and phone numbers into numbers, which are turned back."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- writing: every export goes through these, so a cell never runs as a formula ---------------------------------

# What a spreadsheet program reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """A value for a CSV export: text that a spreadsheet would run as a formula is prefixed with an apostrophe,
    which Excel and WPS show as text and do not evaluate."""
    return "'" + value if is_formula_like(value) else value


def write_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV export, UTF-8 with the BOM that makes Excel open it as UTF-8, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def append_row(sheet: Any, values: Sequence[Any]) -> None:
    """Append a row to an openpyxl sheet with every formula-looking text kept as text: openpyxl itself would
    store "=…" as a formula."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if is_formula_like(cell.value):
            cell.data_type = "s"
