"""Reading the CSV and Excel files organizers upload: UTF-8, UTF-8 with BOM or GBK/GB18030 (what Excel in China
writes), or XLSX. Rows come back as lists of cell values; the first row is the header."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook

from evaluation.text import N_, UserError


class TableError(UserError):
    """The file as a whole cannot be read."""


def decode(data: bytes) -> tuple[str, str]:
    for encoding, name in (("utf-8-sig", "UTF-8"), ("gb18030", "GBK")):
        try:
            return data.decode(encoding), name
        except UnicodeDecodeError:
            continue
    raise TableError(N_("The file is neither UTF-8 nor GBK text."))


def read_table(filename: str, data: bytes) -> tuple[list[list[Any]], str]:
    """(rows, how it was read) for a .csv or .xlsx file."""
    if filename.lower().endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file; its English helps no one here
            raise TableError(
                N_(
                    "The file could not be read as an Excel workbook. Open it in Excel or WPS, save it again as "
                    ".xlsx and upload that."
                )
            ) from None
        rows: list[list[Any]] = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        encoding = "XLSX"
    elif filename.lower().endswith(".csv"):
        text, encoding = decode(data)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = [list(row) for row in csv.reader(io.StringIO(text), dialect)]
    else:
        raise TableError(N_("Upload a .csv or .xlsx file."))
    if not rows:
        raise TableError(N_("The file is empty."))
    return rows, encoding


def cell_text(value: Any) -> str:
    """A cell as text: Excel turns codes and phone numbers into numbers, which are turned back."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
