"""The organizer's monitor, nudges, and reminder jobs (real SMTP on loopback, a controllable clock, two workers)."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from evaluation.accounts.models import User
from evaluation.batches.models import Batch, BatchItem
from evaluation.batches.operations import extend_window
from evaluation.extensions import db
from evaluation.jobs.models import Job, JobState
from evaluation.jobs.reminders import schedule_reminders
from evaluation.jobs.runner import run_due
from evaluation.scoring.models import late_seats
from panels.models import Member, Panel, Seat, SeatState
from tests import factories


def _grow(batch: Batch, extra: int) -> None:
    """More cases with full panels, to show the monitor's queries do not grow with the batch."""
    members = db.session.scalars(sa.select(Member).where(Member.active.is_(True)).order_by(Member.id)).all()
    cases = factories.cases(extra, batch.items[0].case.lead_department, prefix="G")
    for case in cases:
        item = BatchItem(batch=batch, case=case)
        panel = Panel(batch_item=item)
        for position, member in enumerate(members):
            panel.seats.append(
                Seat(member=member, role=member.role, position=position, state=SeatState.ACCEPTED)
            )
        db.session.add(panel)
    db.session.commit()


def test_the_monitor_pages_and_runs_a_fixed_number_of_queries(
    app_ctx, client, auth, scoring_batch, monkeypatch, count_queries
) -> None:
    monkeypatch.setitem(app_ctx.config, "EVALUATION_PAGE_SIZE", 2)
    auth.login("organizer")
    url = f"/batches/{scoring_batch.id}/monitor"
    client.get(url)
    with count_queries() as before:
        page = client.get(url).get_data(as_text=True)
    assert "第 1 页，共 3 页" in page and "未开始" in page
    _grow(scoring_batch, 100)
    with count_queries() as after:
        page = client.get(url + "?page=7").get_data(as_text=True)
    assert "第 7 页，共 53 页" in page
    assert after["n"] == before["n"] <= 15
    incomplete = client.get(url + "?show=incomplete").get_data(as_text=True)
    assert "未开始" in incomplete or "草稿" in incomplete


def test_a_nudge_mails_the_member(client, auth, scoring_batch, inbox) -> None:
    auth.login("organizer")
    member = db.session.scalar(sa.select(Member).where(Member.user_id.is_not(None)))
    closes = scoring_batch.closes_dt.replace(hour=16, minute=30, second=0, microsecond=0)
    scoring_batch.closes_dt = closes
    assert client.post(f"/batches/{scoring_batch.id}/nudge/{member.id}").status_code == 302
    assert [m["To"] for m in inbox.messages] == [member.email]
    body = inbox.messages[0].get_body(("plain",)).get_content()
    assert "未提交评分" in body
    assert (closes + timedelta(hours=8)).strftime("%Y-%m-%d 00:30") in body  # the deadline in Beijing time
    monitor = client.get(f"/batches/{scoring_batch.id}/monitor").get_data(as_text=True)
    assert "已发提醒" in monitor and "1 次，最近一次" in monitor


def _late_members(batch: Batch) -> set[str]:
    return {seat.member.email for seat in db.session.scalars(late_seats(batch.id))}


def test_reminders_go_once_per_member_and_offset_then_escalate(scoring_batch, inbox) -> None:
    organizer = db.session.scalar(sa.select(User).where(User.username == "organizer"))
    organizer.email = "office@example.gov"
    # Opening scoring scheduled 72 h, 24 h and 2 h before the close, and the escalation; again adds nothing.
    scheduled = db.session.scalars(
        sa.select(Job.kind).where(Job.kind.in_(["batch.remind", "batch.escalate"]))
    )
    assert sorted(scheduled) == ["batch.escalate"] + ["batch.remind"] * 3
    assert schedule_reminders(scoring_batch) == 0
    db.session.commit()
    closes = scoring_batch.closes_dt
    late = _late_members(scoring_batch)
    assert run_due(now=closes - timedelta(hours=73)) == 0 and inbox.messages == []
    assert run_due(now=closes - timedelta(hours=72)) == 1
    assert sorted(m["To"] for m in inbox.messages) == sorted(late)
    assert run_due(now=closes - timedelta(hours=30)) == 0  # nothing new due; nothing sent twice
    assert len(inbox.messages) == len(late)
    inbox.messages.clear()
    run_due(
        now=closes + timedelta(hours=2)
    )  # the 24 h and 2 h reminders are overtaken; the escalation speaks
    assert [m["To"] for m in inbox.messages] == ["office@example.gov"]
    assert "仍有" in inbox.messages[0].get_body(("plain",)).get_content()


def test_a_worker_catching_up_sends_only_the_latest_reminder_listing_the_open_cases(
    scoring_batch, inbox
) -> None:
    closes = scoring_batch.closes_dt
    late = _late_members(scoring_batch)
    assert run_due(now=closes - timedelta(hours=1)) == 3  # down since before the 72 h reminder: all three due
    assert sorted(m["To"] for m in inbox.messages) == sorted(late)  # one mail a member, not three
    body = inbox.messages[0].get_body(("plain",)).get_content()
    numbers = [item.case.external_id for item in scoring_batch.items]
    assert all(number in body for number in numbers) and "/reviews/seats/" in body


def test_a_reminder_job_costs_one_audit_insert_per_member_and_no_other_query_per_member(
    scoring_batch, inbox, count_queries
) -> None:
    schedule_reminders(scoring_batch)
    closes = scoring_batch.closes_dt
    db.session.commit()  # both runs below start outside a transaction
    with count_queries() as few:
        assert run_due(now=closes - timedelta(hours=72)) == 1
    reminded = len(inbox.messages)
    late = _late_members(scoring_batch)
    others = db.session.scalars(
        sa.select(Member)
        .where(Member.email.is_not(None), Member.email.not_in(late))
        .order_by(Member.id)
        .limit(4)
    ).all()
    (case,) = factories.cases(1, scoring_batch.items[0].case.lead_department, prefix="X")
    panel = Panel(batch_item=BatchItem(batch=scoring_batch, case=case))
    panel.seats.extend(
        Seat(member=m, role=m.role, position=n, state=SeatState.ACCEPTED) for n, m in enumerate(others)
    )
    db.session.add(panel)
    db.session.commit()
    inbox.messages.clear()
    with count_queries() as more:
        assert run_due(now=closes - timedelta(hours=24)) == 1
    assert len(others) == 4 and len(inbox.messages) == reminded + 4
    assert more["n"] - few["n"] == 4  # the four new members' reminder.sent events, nothing else


def test_two_workers_never_send_a_reminder_twice(app_ctx, scoring_batch, inbox) -> None:
    schedule_reminders(scoring_batch)
    db.session.commit()
    now = scoring_batch.closes_dt - timedelta(hours=1)
    late = _late_members(scoring_batch)
    db.session.commit()  # the test's own transaction ends before the workers start
    results: list[int] = []

    def worker() -> None:
        with app_ctx.app_context():
            results.append(run_due(now=now))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 3  # three reminders due, each run by exactly one worker
    assert len(inbox.messages) == len(late)  # and only the latest of them sends
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state == JobState.DONE)) == 3
    )


def test_moving_the_window_reschedules_and_the_old_jobs_stay_silent(scoring_batch, inbox) -> None:
    schedule_reminders(scoring_batch)
    old_closes = scoring_batch.closes_dt
    extend_window(scoring_batch, old_closes + timedelta(days=3))
    db.session.commit()
    late = _late_members(scoring_batch)
    assert sorted(m["To"] for m in inbox.messages) == sorted(late)  # told of the new deadline
    inbox.messages.clear()
    run_due(now=old_closes - timedelta(hours=72))
    assert inbox.messages == []  # the old 72 h reminder belongs to a window that no longer exists
    run_due(now=scoring_batch.closes_dt - timedelta(hours=72))
    assert len(inbox.messages) == len(_late_members(scoring_batch))


def test_a_job_whose_worker_died_is_taken_again_once_its_lease_passes(app_ctx, monkeypatch) -> None:
    from datetime import timedelta

    from evaluation.db import utcnow
    from evaluation.jobs import runner
    from evaluation.jobs.models import Job, JobState

    ran: list[int] = []
    monkeypatch.setitem(runner.HANDLERS, "test.job", lambda payload, now: ran.append(payload["n"]))
    now = utcnow()
    died = Job(
        kind="test.job",
        payload={"n": 1},
        state=JobState.RUNNING,
        run_at_dt=now,
        attempts=1,
        lease_until_dt=now - timedelta(seconds=1),
    )
    busy = Job(
        kind="test.job",
        payload={"n": 2},
        state=JobState.RUNNING,
        run_at_dt=now,
        attempts=1,
        lease_until_dt=now + timedelta(minutes=5),
    )
    db.session.add_all([died, busy])
    db.session.commit()
    assert runner.run_due() == 1 and ran == [1]  # the other is still leased to a live worker
    db.session.expire_all()
    assert db.session.get(Job, died.id).state == JobState.DONE and db.session.get(Job, died.id).attempts == 2
    assert db.session.get(Job, busy.id).state == JobState.RUNNING
