"""On SQLite, reads never take the write lock: while another connection holds it (a long import, a job), pages and
the API still answer at once; a read's own bookkeeping (an API client's last use, the log of who read a case) goes
in a short transaction beside it, which waits its turn like any writer."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import ApiClient
from evaluation.accounts.operations import create_client
from evaluation.cases.models import CaseView
from evaluation.extensions import db


def test_pages_answer_while_another_writer_holds_the_lock(world, client, auth) -> None:
    assert auth.login("organizer").status_code == 302  # logging in writes: before the lock is taken
    batch_id = world.batch.id
    _, token, _ = create_client("reader", ["departments:write"], None)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/departments", headers=headers).status_code == 200  # stamps its last use
    db.session.remove()
    holder = _hold_lock()
    try:
        # Each would wait out the 5 s busy timeout and then fail with a 503, had it asked for the lock.
        for path in ("/dashboard", "/cases/", f"/batches/{batch_id}"):
            assert client.get(path).status_code == 200, path
        assert client.get("/api/v1/departments", headers=headers).status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_reads_log_waits_for_the_writer_then_lands(app_ctx, world, client, auth) -> None:
    assert auth.login("organizer").status_code == 302
    case_id = world.batch.items[0].case_id
    db.session.remove()
    holder = _hold_lock()
    answers: list[int] = []

    def read() -> None:
        with app_ctx.app_context():
            answers.append(client.get(f"/cases/{case_id}").status_code)

    reader = threading.Thread(target=read)
    try:
        reader.start()
        reader.join(timeout=0.5)
        assert reader.is_alive(), answers  # its log of the view waits for the lock; the read did not fail
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        reader.join()
    assert answers == [200]
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(CaseView).where(CaseView.case_id == case_id)
    )


def test_an_api_read_records_its_clients_last_use_beside_its_own_transaction(world, client) -> None:
    client_row, token, _ = create_client("reader", ["departments:write"], None)
    db.session.commit()
    client_id = client_row.id
    assert client.get("/api/v1/departments", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    db.session.remove()
    assert db.session.get(ApiClient, client_id).last_used_dt is not None


def _hold_lock() -> sqlite3.Connection:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    holder = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE departments SET name = name")
    return holder
