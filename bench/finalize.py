"""Finalizing a 5,000-case batch (five members a panel) including its statistics, beside its floor: the same
assessments' rows written with SQLAlchemy Core in one executemany, in the same run.

    .venv/bin/python bench/finalize.py [--cases 5000] [--database sqlite|postgresql|both]

The batch is built directly in the tables (cases, panels, seats and 25,000 submitted sheets with their
answers), as a batch in deliberation would stand; then ``finalize`` runs as the button runs it: reading every
sheet, settling every case, fitting the figures (alpha with its bootstrap interval and ICC per criterion, rater
severity), writing the assessments and their audit events. Goal (issue 14): at most 10 s.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from evaluation import create_app
from evaluation.assessments.models import Assessment
from evaluation.assessments.operations import finalize
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import CallbackRating, Case, CaseStatus, CaseType
from evaluation.extensions import db
from evaluation.org.models import Department, DepartmentKind
from evaluation.scoring.models import Answer, ScoreSheet, SheetState
from panels.models import CompositionPolicy, Member, MemberRole, Panel, Seat, SeatState
from rubrics.models import Criterion
from rubrics.operations import import_version, load_template
from rubrics.scoring import sheet_total

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _answers(spec: dict, rng: random.Random, truth: int, verdict: str) -> dict:
    out = {}
    for c in spec["criteria"]:
        scale = c["scale"]
        if scale["type"] == "ordinal":
            values = [level["value"] for level in scale["levels"]]
            out[c["code"]] = {
                "value": values[max(0, min(len(values) - 1, truth + rng.choice((-1, 0, 0, 1))))]
            }
        elif c["role"] == "verdict":
            out[c["code"]] = {"value": verdict}
        elif scale["type"] == "nominal":
            out[c["code"]] = {"value": rng.choice(scale["options"])["value"]}
    return out


def build(n_cases: int) -> int:
    """A batch in deliberation with every sheet submitted; returns its id."""
    rng = random.Random(11)
    spec = load_template()
    version = import_version(spec, publish=True)
    department = Department(code="CD-ZJ", name="住建局", kind=DepartmentKind.MUNICIPAL)
    policy = CompositionPolicy(name="默认", panel_size=5, role_ranges={}, category_needs={})
    members = [Member(name=f"评议员{i}", role=MemberRole.CITIZEN_REP, max_cases=n_cases) for i in range(120)]
    db.session.add_all([department, policy, *members])
    db.session.flush()
    received = datetime(2026, 10, 1, tzinfo=UTC)
    db.session.add_all(
        Case(
            source="bench",
            external_id=f"F-{i:06d}",
            case_type=CaseType.COMPLAINT,
            lead_department_id=department.id,
            received_dt=received + timedelta(minutes=i),
            request_text="电梯坏了三个月。",
            callback_rating=CallbackRating.UNSATISFIED,
            status=CaseStatus.IN_REVIEW,
        )
        for i in range(n_cases)
    )
    batch = Batch(
        name="基准批次", rubric_version_id=version.id, policy_id=policy.id, state=BatchState.DELIBERATION
    )
    db.session.add(batch)
    db.session.flush()
    case_ids = list(db.session.scalars(sa.select(Case.id).order_by(Case.id)))
    db.session.execute(sa.insert(BatchItem), [{"batch_id": batch.id, "case_id": c} for c in case_ids])
    item_ids = list(db.session.scalars(sa.select(BatchItem.id).order_by(BatchItem.id)))
    db.session.execute(sa.insert(Panel), [{"batch_item_id": i} for i in item_ids])
    panel_ids = list(db.session.scalars(sa.select(Panel.id).order_by(Panel.id)))
    member_ids = [m.id for m in members]
    seats = []
    for panel_id in panel_ids:
        for position, member_id in enumerate(rng.sample(member_ids, 5)):
            seats.append(
                {
                    "panel_id": panel_id,
                    "member_id": member_id,
                    "role": MemberRole.CITIZEN_REP,
                    "position": position,
                    "state": SeatState.ACCEPTED,
                }
            )
    db.session.execute(sa.insert(Seat), seats)
    _sheets(spec, version.id, rng)
    db.session.commit()
    return batch.id


def _sheets(spec: dict, version_id: int, rng: random.Random) -> None:
    """A submitted sheet for every seat, with its answers: three members of a panel agree on the verdict."""
    seat_rows = db.session.execute(sa.select(Seat.id, Seat.panel_id).order_by(Seat.id)).all()
    codes = dict(
        db.session.execute(
            sa.select(Criterion.code, Criterion.id).where(Criterion.version_id == version_id)
        ).all()
    )
    verdicts = ["upheld", "partly_upheld", "not_upheld"]
    now = datetime.now(UTC)
    sheets, answers_of = [], []
    by_panel: dict[int, list[int]] = {}
    for seat_id, panel_id in seat_rows:
        by_panel.setdefault(panel_id, []).append(seat_id)
    for seat_ids in by_panel.values():
        truth = rng.randrange(4)
        majority = rng.choice(verdicts)
        for k, seat_id in enumerate(seat_ids):
            verdict = majority if k < 3 else rng.choice(verdicts)
            answers = _answers(spec, rng, truth, verdict)
            sheets.append(
                {
                    "seat_id": seat_id,
                    "state": SheetState.SUBMITTED,
                    "total": sheet_total(spec, answers),
                    "submitted_dt": now,
                    "updated_dt": now,
                    "lock_version": 1,
                }
            )
            answers_of.append(answers)
    db.session.execute(sa.insert(ScoreSheet), sheets)
    sheet_ids = dict(db.session.execute(sa.select(ScoreSheet.seat_id, ScoreSheet.id)).all())
    rows = []
    for sheet, answers in zip(sheets, answers_of, strict=True):
        for code, answer in answers.items():
            value = answer["value"]
            rows.append(
                {
                    "sheet_id": sheet_ids[sheet["seat_id"]],
                    "criterion_id": codes[code],
                    "value_num": value if isinstance(value, (int, float)) else None,
                    "value_text": value if isinstance(value, str) else None,
                }
            )
    db.session.execute(sa.insert(Answer), rows)


def run(url: str, n_cases: int) -> dict[str, float]:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        batch_id = build(n_cases)
        batch = db.session.get(Batch, batch_id)
        started = time.perf_counter()
        settled = finalize(batch, {}, None)
        db.session.commit()
        seconds = time.perf_counter() - started
        rows = [
            {
                c.name: getattr(a, c.key)
                for c in Assessment.__table__.columns
                if c.name not in ("id", "public_id")
            }
            for a in db.session.scalars(sa.select(Assessment))
        ]
        for row in rows:
            row["version"] = 2  # beside the real ones: (case, version) is unique
        started = time.perf_counter()
        db.session.execute(sa.insert(Assessment), rows)
        db.session.commit()
        floor = time.perf_counter() - started
        db.engine.dispose()
    return {"cases": settled, "seconds": seconds, "floor": floor}


def main() -> None:
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)  # the migrations' messages are not the figures
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    targets = []
    if args.database in ("sqlite", "both"):
        targets.append(("SQLite", f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"))
    if args.database in ("postgresql", "both"):
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS bench_finalize"))
            conn.execute(sa.text("CREATE DATABASE bench_finalize"))
        admin.dispose()
        targets.append(("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + "/bench_finalize"))
    print(f"{'database':12} {'cases':>7} {'finalize':>10} {'floor':>8} {'x floor':>8}  goal ≤ 10 s")
    for name, url in targets:
        r = run(url, args.cases)
        print(
            f"{name:12} {r['cases']:>7,} {r['seconds']:>9.2f}s {r['floor']:>7.2f}s {r['seconds'] / r['floor']:>8.1f}"
            f"  {'met' if r['seconds'] <= 10 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
