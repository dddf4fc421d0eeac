"""Rankings: the standings of 500 departments over 50,000 assessments with 1,000 bootstrap replicates, beside a
peer (scipy.stats.bootstrap's percentile interval, department by department), and the ranking and dashboard pages'
server time at 50,000 published assessments beside the same at 1,000, in one run.

    .venv/bin/python bench/results.py [--database sqlite|postgresql|both]

Goal (issue 15): the ranking in at most 2 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from scipy.stats import bootstrap

from evaluation import create_app
from evaluation.accounts.models import Role, User
from evaluation.assessments.models import Assessment, Verdict
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import CallbackRating, Case, CaseStatus, CaseType
from evaluation.extensions import db
from evaluation.org.models import Department, DepartmentKind
from evaluation.ranking import standings
from rubrics.operations import import_version, load_template

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DEPARTMENTS, ASSESSMENTS, REPLICATES = 500, 50_000, 1000


def _scipy(groups: np.ndarray, scores: np.ndarray, replicates: int) -> None:
    """The peer: scipy.stats.bootstrap's percentile interval for each department's mean (intervals only, no
    rank ranges: less than ours computes)."""
    rng = np.random.default_rng(0)
    order = np.argsort(groups, kind="stable")
    ordered, sizes = scores[order], np.bincount(groups)
    for first, size in zip(np.cumsum(sizes) - sizes, sizes, strict=True):
        own = ordered[first : first + size]
        bootstrap((own,), np.mean, n_resamples=replicates, method="percentile", vectorized=True, rng=rng)


def bench_ranking() -> tuple[float, float]:
    rng = np.random.default_rng(7)
    groups = rng.integers(0, DEPARTMENTS, ASSESSMENTS)
    scores = rng.normal(70 + groups % 17, 12)
    started = time.perf_counter()
    standings(groups, scores, scores + rng.normal(0, 2, ASSESSMENTS), replicates=REPLICATES)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    _scipy(groups, scores, REPLICATES)
    return ours, time.perf_counter() - started


def _build(n: int) -> None:
    """``n`` published assessments over DEPARTMENTS units (districts with their streets), in the last months."""
    version = import_version(load_template(), publish=True)
    districts = [Department(code=f"D{i:03d}", name=f"区{i}", kind=DepartmentKind.DISTRICT) for i in range(20)]
    db.session.add_all(districts)
    db.session.flush()
    units = districts + [
        Department(code=f"T{i:03d}", name=f"街道{i}", kind=DepartmentKind.TOWNSHIP, parent=districts[i % 20])
        for i in range(DEPARTMENTS - 20)
    ]
    db.session.add_all(units)
    db.session.add(Batch(name="基准", rubric_version_id=version.id, state=BatchState.PUBLISHED))
    user = User(username="district", display_name="区", department=districts[0], password_hash="!")
    user.add_role(Role.DEPARTMENT)
    db.session.add(user)
    db.session.flush()
    batch_id = db.session.scalar(sa.select(Batch.id))
    rng = np.random.default_rng(3)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    ids = [u.id for u in units]
    db.session.execute(
        sa.insert(Case),
        [
            {
                "source": "bench", "external_id": f"B{i:06d}", "case_type": CaseType.COMPLAINT,
                "lead_department_id": ids[i % len(ids)], "category": "物业纠纷", "region_code": "510107",
                "title": "电梯故障", "request_text": "电梯坏了。", "citizen_name": "张三",
                "callback_rating": CallbackRating.UNSATISFIED, "status": CaseStatus.PUBLISHED,
                "received_dt": start,
            }
            for i in range(n)
        ],
    )  # fmt: skip
    cases = db.session.execute(sa.select(Case.id, Case.lead_department_id).order_by(Case.id)).all()
    db.session.execute(sa.insert(BatchItem), [{"batch_id": batch_id, "case_id": c} for c, _ in cases])
    items = dict(db.session.execute(sa.select(BatchItem.case_id, BatchItem.id)).all())
    totals = rng.normal(70, 12, n)
    db.session.execute(
        sa.insert(Assessment),
        [
            {
                "public_id": f"00000000-0000-0000-0000-{i:012d}", "case_id": c, "batch_item_id": items[c],
                "department_id": d, "verdict": Verdict.UPHELD if totals[i] < 70 else Verdict.NOT_UPHELD,
                "total": float(totals[i]), "adjusted_total": float(totals[i] + rng.normal(0, 2)),
                "criteria": {"P1": {"mean": 2.0, "n": 5}}, "votes": {}, "dissent": [], "agreement": {},
                "published_dt": start + timedelta(days=int(i % 180)), "published_seq": i + 1,
            }
            for i, (c, d) in enumerate(cases)
        ],
    )  # fmt: skip
    db.session.commit()


def _server_time(client, url: str) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code, answer.get_data(as_text=True)[-500:])
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_pages(url: str, n: int) -> tuple[float, float]:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        _build(n)
        organizer = User(username="office", display_name="评议办", password_hash="!")
        organizer.add_role(Role.ORGANIZER)
        db.session.add(organizer)
        db.session.commit()
        users = {u.username: u.get_id() for u in db.session.scalars(sa.select(User))}
    # Requests outside the context above, each in its own, as in production.
    client = app.test_client()
    period = "from=2026-06-01&to=2026-12-31"
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = users["office"], True
    ranking = _server_time(client, f"/standings/ranking?{period}")
    with client.session_transaction() as session:
        session["_user_id"] = users["district"]
    dashboard = _server_time(client, f"/results/?{period}")
    with app.app_context():
        db.engine.dispose()
    return ranking, dashboard


def _databases(which: str, n: int) -> list[tuple[str, str]]:
    targets = []
    if which in ("sqlite", "both"):
        targets.append(("SQLite", f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"))
    if which in ("postgresql", "both"):
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS bench_results_{n}"))
            conn.execute(sa.text(f"CREATE DATABASE bench_results_{n}"))
        admin.dispose()
        targets.append(("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + f"/bench_results_{n}"))
    return targets


def main() -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="postgresql")
    args = parser.parse_args()
    ours, peer = bench_ranking()
    print(f"ranking {DEPARTMENTS} departments, {ASSESSMENTS:,} assessments, {REPLICATES:,} replicates")
    print(
        f"  ours {ours:.2f} s · peer (scipy.stats.bootstrap per department, intervals only) {peer:.2f} s · peer / ours {peer / ours:.1f}"
    )
    print(f"  goal ≤ 2 s: {'met' if ours <= 2 else 'MISSED'}")
    print(f"{'database':12} {'assessments':>12} {'ranking page':>13} {'dashboard':>10}")
    for n in (1_000, ASSESSMENTS):
        for name, url in _databases(args.database, n):
            ranking, dashboard = bench_pages(url, n)
            print(f"{name:12} {n:>12,} {ranking:>12.2f}s {dashboard:>9.2f}s")


if __name__ == "__main__":
    main()
