"""Cases per second through POST /api/v1/cases (1,000 per request), beside the floor: the very same rows
inserted with SQLAlchemy Core insert() executemany, in the same run, on SQLite and on PostgreSQL.

    .venv/bin/python bench/ingest.py [--cases 10000] [--database sqlite|postgresql|both]

The API is driven in-process through Flask's test client (no HTTP stack), with the JSON bodies prepared
beforehand, so the figure is the application's own cost: parsing, validation, identity look-ups,
encryption of the citizen's identity, ORM writes and the commit. Goal (issue 3): at least 2,000 cases/s and
within 3x of the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from evaluation import create_app
from evaluation.accounts.operations import create_client
from evaluation.cases.models import CaseAttachment, HandlingStep, case_assisting_departments
from evaluation.extensions import db
from evaluation.models import Case, Department, DepartmentKind

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def payloads(n: int, per_request: int) -> list[str]:
    rng = random.Random(7)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    bodies, batch = [], []
    for i in range(n):
        received = start + timedelta(minutes=7 * i)
        batch.append(
            {
                "source": "bench",
                "external_id": f"B-{i:08d}",
                "channel": "hotline",
                "type": "complaint",
                "category": rng.choice(["物业纠纷", "噪音扰民", "劳动纠纷"]),
                "region_code": "510107",
                "received_at": received.isoformat(),
                "dispatched_at": (received + timedelta(hours=2)).isoformat(),
                "due_at": (received + timedelta(days=10)).isoformat(),
                "replied_at": (received + timedelta(days=6)).isoformat(),
                "lead_department": rng.choice(["CD-ZJ", "D-510107"]),
                "assisting_departments": ["T-510107-01"],
                "title": "小区电梯长期故障",
                "request_text": "电梯坏了三个月，物业一直不修，请尽快处理。" * 4,
                "reply_text": "已督促物业公司维修，并安排专人跟踪。" * 3,
                "steps": [
                    {"action": a, "department": d, "at": (received + timedelta(hours=h)).isoformat()}
                    for a, d, h in (
                        ("accept", None, 0),
                        ("dispatch", "CD-ZJ", 2),
                        ("sign", "CD-ZJ", 5),
                        ("reply", "CD-ZJ", 140),
                        ("callback", None, 160),
                    )
                ],
                "callback": {
                    "at": (received + timedelta(days=7)).isoformat(),
                    "rating": "unsatisfied",
                    "reason": "问题没有解决",
                },
                "citizen": {
                    "name": "张三",
                    "phone": f"138{i:08d}",
                    "id_number": "51010719800101123X",
                    "address": "成都市武侯区玉林街道玉林北路12号",
                },
                "attachments": [{"name": "照片.jpg", "url": f"https://files.example.gov/{i}.jpg"}],
            }
        )
        if len(batch) == per_request:
            bodies.append(json.dumps({"cases": batch}, ensure_ascii=False))
            batch = []
    if batch:
        bodies.append(json.dumps({"cases": batch}, ensure_ascii=False))
    return bodies


def run(url: str, label: str, n: int, per_request: int) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    bodies = payloads(n, per_request)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        zj = Department(code="CD-ZJ", name="成都市住房和城乡建设局", kind=DepartmentKind.MUNICIPAL)
        wuhou = Department(code="D-510107", name="武侯区人民政府", kind=DepartmentKind.DISTRICT)
        db.session.add_all(
            [
                zj,
                wuhou,
                Department(code="T-510107-01", name="玉林街道", kind=DepartmentKind.TOWNSHIP, parent=wuhou),
            ]
        )
        _, token, _ = create_client("bench", ["cases:write"], None)
        db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        start = time.perf_counter()
        for body in bodies:
            response = client.post("/api/v1/cases", data=body, headers=headers)
            summary = response.get_json()["summary"]
            assert response.status_code == 200 and summary["rejected"] == 0, summary
        api_seconds = time.perf_counter() - start

        # The floor: the very rows the API wrote, inserted again with Core executemany.
        tables = [
            Case.__table__,
            HandlingStep.__table__,
            case_assisting_departments,
            CaseAttachment.__table__,
        ]
        with db.engine.connect() as conn:
            rows = {t.name: [dict(r) for r in conn.execute(sa.select(t)).mappings()] for t in tables}
        with db.engine.begin() as conn:
            for t in reversed(tables):
                conn.execute(t.delete())
        start = time.perf_counter()
        with db.engine.begin() as conn:
            for t in tables:
                for chunk in range(0, len(rows[t.name]), per_request * 5):
                    conn.execute(sa.insert(t), rows[t.name][chunk : chunk + per_request * 5])
        floor_seconds = time.perf_counter() - start
        db.session.remove()
        db.engine.dispose()
    counts = ", ".join(f"{name} {len(r):,}" for name, r in rows.items())
    api_rate, floor_rate = n / api_seconds, n / floor_seconds
    print(
        f"{label:<11} API {api_rate:8,.0f} cases/s ({api_seconds:6.2f} s)   floor {floor_rate:9,.0f} cases/s "
        f"({floor_seconds:5.2f} s)   API/floor time {api_seconds / floor_seconds:4.1f}x   [{counts}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--per-request", type=int, default=1000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(
        f"{args.cases:,} cases in requests of {args.per_request:,}; goal >= 2,000 cases/s and <= 3x the floor"
    )
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite", args.cases, args.per_request)
    if args.database in ("postgresql", "both"):
        name = f"bench_ingest_{os.getpid()}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        try:
            run(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", "PostgreSQL", args.cases, args.per_request)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()


if __name__ == "__main__":
    main()
