"""What a hostile upload costs before it is refused: time to the 400 and the peak memory it adds, each file sent
through the import page in a process of its own (so one file's peak does not hide another's).

    make bench-hostile        (or: .venv/bin/python bench/hostile.py)

The peer is a legitimate upload at the limit: a 5,000-row case file, previewed (read, validated and staged). A
hostile file should cost no more than that; the floor is an empty file, refused before anything is read. Peak
memory is the process's peak resident size during the request (VmHWM, reset just before it through
/proc/self/clear_refs) minus what was resident before it (the app and the file's bytes already loaded), with the
process's peak beside it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _workbook(sheet_xml_parts: Callable[[], list[bytes]]) -> bytes:
    """A minimal XLSX whose one sheet is the given XML (written in parts, so a huge sheet is never one string)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for part in sheet_xml_parts():
                sheet.write(part)
    return out.getvalue()


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header() -> str:
    from evaluation.cases.importer import COLUMNS

    return (
        '<row r="1">' + "".join(_cell(f"{chr(65 + i)}1", h) for i, (_, h, _) in enumerate(COLUMNS)) + "</row>"
    )


def _sheet(dimension: str | None, rows: Callable[[], list[str]] | None = None, n_rows: int = 0) -> bytes:
    def parts() -> list[bytes]:
        head = f'<?xml version="1.0"?><worksheet xmlns="{NS}">'
        if dimension:
            head += f'<dimension ref="{dimension}"/>'
        chunks = [(head + "<sheetData>" + _header()).encode()]
        if rows is not None:
            chunks += [r.encode() for r in rows()]
        for start in range(2, n_rows + 2, 10000):
            chunks.append(
                "".join(
                    f'<row r="{r}">{_cell(f"A{r}", "x")}</row>'
                    for r in range(start, min(start + 10000, n_rows + 2))
                ).encode()
            )
        chunks.append(b"</sheetData></worksheet>")
        return chunks

    return _workbook(parts)


def _valid(n: int) -> bytes:
    from openpyxl import Workbook

    from evaluation.cases.importer import COLUMNS

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([h for _, h, _ in COLUMNS])
    example = [e for _, _, e in COLUMNS]
    index = [h for _, h, _ in COLUMNS].index("工单编号")
    for i in range(n):
        row = list(example)
        row[index] = f"B-{i:06d}"
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FILES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "empty (floor)": ("e.csv", lambda: b""),
    "5,000 valid rows (peer)": ("valid.xlsx", lambda: _valid(5000)),
    "declares A1:XFD1048576": ("dims.xlsx", lambda: _sheet("A1:XFD1048576")),
    "2,000,000 rows, no dimension": ("rows.xlsx", lambda: _sheet(None, n_rows=2_000_000)),
    "300,000 rows, no dimension": ("rows300k.xlsx", lambda: _sheet(None, n_rows=300_000)),
    "a cell at row 1,048,576": (
        "gap.xlsx",
        lambda: _sheet(None, lambda: [f'<row r="1048576">{_cell("A1048576", "x")}</row>']),
    ),
    "a row of 16,000 columns": (
        "wide.xlsx",
        lambda: _sheet(
            None,
            lambda: [
                '<row r="2">' + "".join(f'<c r="{_col(i)}2"><v>1</v></c>' for i in range(1, 16001)) + "</row>"
            ],
        ),
    ),
    "a cell of 50,000,000 characters": (
        "cell.xlsx",
        lambda: _sheet(
            None,
            lambda: ['<row r="2"><c r="A2" t="inlineStr"><is><t>', "长" * 50_000_000, "</t></is></c></row>"],
        ),
    ),
    "a CSV cell of 200,000 characters": ("cell.csv", lambda: ("工单编号\n" + "长" * 200_000 + "\n").encode()),
}


def _col(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def one(name: str, path: str) -> dict[str, object]:
    """Send one file (built by the parent, read here from ``path``) through the import page of a fresh app."""
    from evaluation import create_app
    from evaluation.accounts.models import Role
    from evaluation.extensions import db
    from evaluation.org.models import Department, DepartmentKind

    filename, _build = FILES[name]
    data = Path(path).read_bytes()
    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    app.instance_path = str(folder)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from evaluation.accounts.operations import create_user

        create_user("org", "a-long-bench-password", [Role.ORGANIZER])
        db.session.add_all(
            [
                Department(code="CD-ZJ", name="住建局", kind=DepartmentKind.MUNICIPAL),
                Department(code="D-510107", name="武侯区", kind=DepartmentKind.DISTRICT),
            ]
        )
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "org", "password": "a-long-bench-password"})
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename)})
    del data
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to what is resident now
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    response = client.post(
        "/cases/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    seconds = time.perf_counter() - started
    total = _status_kb("VmHWM")
    peak = total - before
    total /= 1024
    return {
        "name": name,
        "bytes": len(body),
        "status": response.status_code,
        "seconds": seconds,
        "peak_mb": peak / 1024,
        "process_mb": total,
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], sys.argv[3])))
        return
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for name, (filename, build) in FILES.items():
            path = Path(folder) / filename
            path.write_bytes(build())
            out = subprocess.run(
                [sys.executable, __file__, "--one", name, str(path)],
                capture_output=True,
                text=True,
                env=os.environ,
                check=True,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    peer = next(r for r in results if "peer" in str(r["name"]))
    print(
        f"{'upload':36} {'size':>10} {'status':>6} {'time':>9} {'x peer':>7} {'+peak MB':>8} {'x peer':>7} "
        f"{'process MB':>10}"
    )
    for r in results:
        print(
            f"{r['name']:36} {r['bytes']:>10,} {r['status']:>6} {r['seconds']:>8.3f}s "
            f"{r['seconds'] / peer['seconds']:>7.2f} {r['peak_mb']:>8.1f} "
            f"{r['peak_mb'] / max(peer['peak_mb'], 0.1):>7.2f} {r['process_mb']:>10.1f}"
        )


if __name__ == "__main__":
    main()
