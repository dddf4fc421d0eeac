"""The member's workspace: drafts, validation, submission and locking, stale tabs, blindness, query counts."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.extensions import db
from evaluation.scoring.models import ScoreSheet, SheetState
from panels.models import Panel, Seat, SeatState
from rubrics.operations import load_template


def full_answers(**overrides) -> dict[str, str]:
    spec = load_template()
    data = {}
    for c in spec["criteria"]:
        if c["scale"]["type"] == "ordinal":
            data[f"c-{c['code']}"] = "2"
        else:
            data[f"c-{c['code']}"] = c["scale"]["options"][0]["value"]
    data.update(overrides)
    return data


def test_the_page_shows_the_masked_case_and_the_rubric(client, scoring) -> None:
    page = client.get(f"/reviews/seats/{scoring.id}").get_data(as_text=True)
    assert "当日即时签收并明确承办人。" in page  # an anchored descriptor
    assert "为保护诉求人，个人信息已脱敏显示" in page
    case = scoring.panel.batch_item.case
    assert case.citizen_phone not in page and case.citizen_name not in page


def test_drafts_then_submission_then_lock(client, scoring) -> None:
    url = f"/reviews/seats/{scoring.id}"
    assert client.post(f"{url}/save", data={"c-P1": "3", "version": "1"}).status_code == 302
    sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.seat_id == scoring.id))
    assert sheet.state == SheetState.DRAFT and len(sheet.answers) == 1
    # Submitting incomplete: messages beside the fields, the draft kept.
    response = client.post(
        f"{url}/submit", data={"c-P1": "3", "confirm": "yes", "version": str(sheet.lock_version)}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r'id="c-P2-error">此项必须作答', html)
    low = full_answers(**{"c-G1": "1"})
    response = client.post(
        f"{url}/submit", data={**low, "confirm": "yes", "version": str(sheet.lock_version)}
    )
    assert response.status_code == 400 and re.search(
        r'id="c-G1-error">得分不高于 1 时须填写说明', response.get_data(as_text=True)
    )
    response = client.post(
        f"{url}/submit", data={**low, "c-G1-comment": "电梯仍未修好", "version": str(sheet.lock_version)}
    )
    assert response.status_code == 400 and "勾选确认" in response.get_data(as_text=True)
    response = client.post(
        f"{url}/submit",
        data={**low, "c-G1-comment": "电梯仍未修好", "confirm": "yes", "version": str(sheet.lock_version)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    sheet = db.session.get(ScoreSheet, sheet.id)
    assert sheet.state == SheetState.SUBMITTED and sheet.total is not None and len(sheet.revisions) == 1
    assert sheet.revisions[0].answers["G1"] == {"value": 1, "comment": "电梯仍未修好"}
    locked = client.post(f"{url}/save", data={"c-P1": "0", "version": str(sheet.lock_version)})
    assert locked.status_code == 409 and "已提交并锁定" in locked.get_data(as_text=True)
    assert "已锁定" in client.get(url).get_data(as_text=True)


def test_a_value_off_the_scale_is_refused_beside_its_field(client, scoring) -> None:
    response = client.post(f"/reviews/seats/{scoring.id}/save", data={"c-P1": "7", "version": "1"})
    assert response.status_code == 422 and 'id="c-P1-error">请选择一个等级' in response.get_data(as_text=True)


def test_autosave_answers_json(client, scoring) -> None:
    response = client.post(
        f"/reviews/seats/{scoring.id}/save",
        data={"c-P1": "2", "version": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200 and response.get_json()["version"] == 2


def test_a_stale_tab_cannot_overwrite_and_two_submissions_give_one(client, scoring) -> None:
    url = f"/reviews/seats/{scoring.id}"
    client.post(f"{url}/save", data={"c-P1": "2", "version": "1"})  # tab A: version 1 -> 2
    stale = client.post(
        f"{url}/save", data={"c-P1": "0", "version": "1"}, headers={"Accept": "application/json"}
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale"
    first = client.post(f"{url}/submit", data={**full_answers(), "confirm": "yes", "version": "2"})
    second = client.post(f"{url}/submit", data={**full_answers(), "confirm": "yes", "version": "2"})
    assert first.status_code == 302 and second.status_code == 409
    assert "已提交并锁定" in second.get_data(as_text=True)
    sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.seat_id == scoring.id))
    assert len(sheet.revisions) == 1


def test_blind_until_submitted(client, auth, scoring) -> None:
    """Nothing of another member's answers is reachable from a member's pages."""
    others = db.session.scalars(
        sa.select(ScoreSheet).join(Seat).where(Seat.panel_id == scoring.panel_id, Seat.id != scoring.id)
    ).all()
    secret_comment = "其他评议员的保密评语"
    for sheet in others:
        for answer in sheet.answers:
            answer.comment = secret_comment
    db.session.commit()
    pages = [
        client.get(f"/reviews/seats/{scoring.id}").get_data(as_text=True),
        client.get("/batches/mine").get_data(as_text=True),
        client.get(f"/cases/{scoring.panel.batch_item.case_id}").get_data(as_text=True),
    ]
    member_names = [s.member.name for s in scoring.panel.seats if s.id != scoring.id]
    for page in pages:
        assert secret_comment not in page
        for name in member_names:
            assert name not in page
    for sheet in others:
        assert client.get(f"/reviews/seats/{sheet.seat_id}").status_code == 403


def test_only_the_members_own_accepted_seat(client, scoring) -> None:
    other = db.session.scalar(sa.select(Seat).where(Seat.member_id != scoring.member_id).order_by(Seat.id))
    assert client.get(f"/reviews/seats/{other.id}").status_code == 403
    scoring.state = SeatState.INVITED
    db.session.commit()
    assert client.get(f"/reviews/seats/{scoring.id}").status_code == 403


def test_the_case_page_runs_a_bounded_number_of_queries(client, scoring, count_queries) -> None:
    client.get(f"/reviews/seats/{scoring.id}")  # the first visit also creates the sheet
    with count_queries() as small:
        client.get(f"/reviews/seats/{scoring.id}")
    case = scoring.panel.batch_item.case
    for i in range(30):  # a much longer handling history
        case.steps.append(
            type(case.steps[0])(position=100 + i, action=case.steps[0].action, at_dt=case.received_dt)
        )
    db.session.commit()
    with count_queries() as large:
        client.get(f"/reviews/seats/{scoring.id}")
    assert large["n"] == small["n"] <= 20


def test_declaring_a_conflict_recuses_and_refills(client, scoring) -> None:
    from evaluation.audit.models import AuditEvent
    from panels.models import Conflict

    response = client.post(f"/reviews/seats/{scoring.id}/conflict", data={"reason": "诉求人是我的同学"})
    assert response.status_code == 302
    db.session.expire_all()
    seat = db.session.get(Seat, scoring.id)
    assert seat.state == SeatState.RECUSED
    conflict = db.session.scalar(sa.select(Conflict).where(Conflict.member_id == seat.member_id))
    assert conflict.case_id == seat.panel.batch_item.case_id and conflict.reason == "诉求人是我的同学"
    refill = db.session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.action.in_(["seat.refilled", "seat.unfilled"]))
        .order_by(AuditEvent.id.desc())
    )
    assert refill.data["why"] == "recused"
    assert client.get(f"/reviews/seats/{scoring.id}").status_code == 403


def test_organizers_record_calls_that_the_panel_reads_masked(client, auth, scoring) -> None:
    case_id = scoring.panel.batch_item.case_id
    auth.logout()
    auth.login("organizer")
    response = client.post(
        f"/cases/{case_id}/calls",
        data={"called": "2026-11-25T10:30", "reached": "y", "account": "电梯上周修好了，请打13812345678找我"},
    )
    assert response.status_code == 302
    assert "电梯上周修好了" in client.get(f"/cases/{case_id}").get_data(as_text=True)
    auth.logout()
    auth.login("member")
    page = client.get(f"/reviews/seats/{scoring.id}").get_data(as_text=True)
    assert "电梯上周修好了" in page and "138****5678" in page and "13812345678" not in page


def _panel_with_member_submitted(scoring_batch, member_id):
    """A panel of the scoring batch where every seat has a submitted sheet, the demo member's among them."""
    from evaluation.scoring.models import Answer

    seat = db.session.scalar(
        sa.select(Seat)
        .join(Panel)
        .join(BatchItem)
        .join(ScoreSheet, ScoreSheet.seat_id == Seat.id)
        .where(
            BatchItem.batch_id == scoring_batch.id,
            Seat.member_id == member_id,
            ScoreSheet.state == SheetState.SUBMITTED,
        )
        .order_by(Seat.id)
    )
    verdict = next(c for c in scoring_batch.rubric_version.criteria if c.code == "Q3")
    for other in seat.panel.seats:
        sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.seat_id == other.id))
        if sheet is None:
            sheet = ScoreSheet(seat=other)
            db.session.add(sheet)
        sheet.state = SheetState.SUBMITTED
        sheet.total = 10.0 if other.id == seat.id else 80.0 + other.position
        if not any(a.criterion_id == verdict.id for a in sheet.answers):
            sheet.answers.append(Answer(criterion_id=verdict.id, value_text="not_upheld"))
    db.session.commit()
    return seat


def test_closing_flags_disagreement_and_members_revise_once(app_ctx, client, auth, scoring) -> None:
    from datetime import timedelta

    from evaluation.batches.operations import BatchError, close_scoring
    from evaluation.db import utcnow

    batch = scoring.panel.batch_item.batch
    seat = _panel_with_member_submitted(batch, scoring.member_id)
    with pytest.raises(BatchError, match="still open"):
        close_scoring(batch, 30)
    batch.closes_dt = utcnow() - timedelta(minutes=1)
    flagged = close_scoring(batch, 30)
    db.session.commit()
    assert flagged >= 1 and batch.state == BatchState.DELIBERATION
    item = seat.panel.batch_item
    assert item.in_deliberation and "outlier" in item.deliberation["reasons"]
    assert seat.id in item.deliberation["outliers"]
    url = f"/reviews/seats/{seat.id}"
    page = client.get(url).get_data(as_text=True)
    assert "评议团总分（匿名）" in page and "您的总分与其他评议员相差较大" in page
    for other in seat.panel.seats:
        if other.id != seat.id:
            assert other.member.name not in page  # the distribution is anonymous
    answers = full_answers()
    missing_reason = client.post(f"{url}/revise", data=answers)
    assert missing_reason.status_code == 400 and "请说明理由" in missing_reason.get_data(as_text=True)
    assert client.post(f"{url}/revise", data={**answers, "reason": "复核回访记录后调整"}).status_code == 302
    sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.seat_id == seat.id))
    db.session.refresh(sheet)
    assert sheet.state == SheetState.REVISED and sheet.revisions[-1].reason == "复核回访记录后调整"
    again = client.post(f"{url}/revise", data={**answers, "reason": "再改一次"})
    assert again.status_code == 409 and "已修改过" in again.get_data(as_text=True)


def test_closing_early_is_confirmed_and_a_silent_outlier_can_be_passed_over(
    app_ctx, client, auth, scoring
) -> None:
    from evaluation.assessments.operations import SettleError, finalize
    from evaluation.audit.models import AuditEvent
    from evaluation.db import utcnow

    batch = scoring.panel.batch_item.batch
    seat = _panel_with_member_submitted(batch, scoring.member_id)
    auth.logout()
    auth.login("organizer")
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "份评分表尚未提交，评分窗口仍在开放中" in page and 'name="confirmed"' in page
    refused = client.post(f"/batches/{batch.id}/close-scoring", follow_redirects=True).get_data(as_text=True)
    assert "勾选确认后立即关闭评分窗口" in refused
    db.session.expire_all()
    assert batch.state == BatchState.SCORING
    planned = batch.closes_dt
    assert client.post(f"/batches/{batch.id}/close-scoring", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert batch.state == BatchState.DELIBERATION and batch.closes_dt <= utcnow() < planned
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "batch.closed_early"))
    assert event is not None and event.data["planned"] == planned.isoformat()

    # The outlier says nothing in deliberation: the page names the case and offers to go on without them.
    item = seat.panel.batch_item
    assert seat.id in item.deliberation["outliers"]
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert item.case.external_id in page and 'name="without_silent_outliers"' in page
    with pytest.raises(SettleError) as held:
        finalize(batch, {}, None)
    assert "Outliers" in str(held.value)
    with pytest.raises(SettleError) as past_it:  # the next thing in the way is the quorum, not the outlier
        finalize(batch, {}, None, without_silent_outliers=True)
    assert "Outliers" not in str(past_it.value)
    db.session.rollback()


def test_finalize_settles_every_case_and_asks_for_ties(app_ctx, client, auth, scoring, count_queries) -> None:
    from datetime import timedelta

    from evaluation.assessments.models import Assessment
    from evaluation.assessments.operations import SettleError, finalize, ties
    from evaluation.batches.operations import close_scoring
    from evaluation.db import utcnow
    from evaluation.scoring.models import Answer

    batch = scoring.panel.batch_item.batch
    # Every accepted seat submits: agreeing panels, except one split 2-2 with a fifth seat left out.
    for item in batch.items:
        verdicts = ["upheld"] * 5
        if item.id == batch.items[0].id:
            verdicts = ["upheld", "upheld", "not_upheld", "not_upheld", None]
        code_ids = {c.code: c.id for c in batch.rubric_version.criteria}
        for seat, verdict in zip(item.panel.seats, verdicts, strict=False):
            sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.seat_id == seat.id))
            if verdict is None:
                if sheet is not None:
                    db.session.delete(sheet)
                continue
            if sheet is None:
                sheet = ScoreSheet(seat=seat)
                db.session.add(sheet)
            sheet.state, sheet.total = SheetState.SUBMITTED, 60.0
            sheet.answers.clear()
            db.session.flush()
            sheet.answers.extend(
                [
                    Answer(criterion_id=code_ids["P1"], value_num=2.0),
                    Answer(criterion_id=code_ids["Q3"], value_text=verdict, comment="理由"),
                ]
            )
    batch.closes_dt = utcnow() - timedelta(minutes=1)
    db.session.commit()
    close_scoring(batch, 30)
    db.session.commit()
    tied = ties(batch)
    assert [item.id for item in tied] == [batch.items[0].id]
    with pytest.raises(SettleError, match="Tied panels"):
        finalize(batch, {}, None)
    db.session.rollback()
    auth.logout()
    auth.login("organizer")
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert f'name="tie-{tied[0].id}-reason"' in page
    items = len(batch.items)
    with count_queries() as queries:
        response = client.post(
            f"/batches/{batch.id}/finalize",
            data={
                f"tie-{tied[0].id}-verdict": "partly_upheld",
                f"tie-{tied[0].id}-reason": "回访核实显示部分诉求已解决",
            },
        )
    assert response.status_code == 302
    # per case: its assessment, its status and its audit event; everything else is read once for the batch
    assert queries["n"] <= 3 * items + 25  # 179 before the items were loaded with their cases
    db.session.expire_all()
    batch = db.session.get(Batch, batch.id)
    assert batch.state == BatchState.FINALIZED
    assessments = db.session.scalars(
        sa.select(Assessment).join(BatchItem).where(BatchItem.batch_id == batch.id)
    ).all()
    assert len(assessments) == len(batch.items)
    split = next(a for a in assessments if a.batch_item_id == tied[0].id)
    assert split.verdict.value == "partly_upheld" and split.tie_break_reason == "回访核实显示部分诉求已解决"
    assert len(split.dissent) == 4 and split.votes["verdict"] == {"upheld": 2, "not_upheld": 2}
    assert all(a.published_dt is None for a in assessments)
