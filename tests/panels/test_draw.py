"""Drawing a batch's panels from the database, recording every recusal, and verifying the draw."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.audit.models import AuditEvent
from evaluation.batches.models import BatchState
from evaluation.extensions import db
from panels.draw import DrawError, open_draw, run_draw, verify_draw
from panels.models import (
    Draw,
    Member,
    MemberRole,
    MemberUnavailability,
    Recusal,
    RecusalRule,
    Seat,
)
from tests.conftest import make_user


def test_the_seed_hash_is_shown_before_and_the_draw_verifies(batch) -> None:
    draw = open_draw(batch, None)
    db.session.commit()
    assert draw.status == "pending" and len(draw.seed_hash) == 64
    result = run_draw(draw)
    db.session.commit()
    assert result["status"] == "optimal" and batch.state == BatchState.PANELS_DRAWN
    seats = db.session.scalars(sa.select(Seat)).all()
    assert len(seats) == 30
    assert all(len(s.substitutes) <= 3 for s in seats)
    assert verify_draw(draw) == (True, "match")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "draw.made"))
    assert event.data["seed"] == draw.seed and event.data["seed_hash"] == draw.seed_hash


def test_recusals_are_enforced_and_recorded_with_their_rule(batch) -> None:
    draw = open_draw(batch, None)
    run_draw(draw)
    db.session.commit()
    members = {m.name: m for m in db.session.scalars(sa.select(Member))}
    rules = {(r.member_id, r.case_id): r.rule for r in db.session.scalars(sa.select(Recusal))}
    by_case = {item.case_id: {s.member_id for s in item.panel.seats} for item in batch.items}
    zj_cases = [item.case_id for item in batch.items if item.case.lead_department.code == "CD-ZJ"]
    street_cases = [item.case_id for item in batch.items if item.case.lead_department.code == "T-510107-01"]
    for case_id in zj_cases:
        assert members["官员甲"].id not in by_case[case_id]
        assert rules[(members["官员甲"].id, case_id)] == RecusalRule.AFFILIATION
        assert members["官员丙"].id not in by_case[case_id]
        assert rules[(members["官员丙"].id, case_id)] == RecusalRule.FORMER_AFFILIATION
    for case_id in street_cases:
        assert members["街道代表0"].id not in by_case[case_id]
    first = batch.items[0].case_id
    assert members["律师0"].id not in by_case[first]
    assert rules[(members["律师0"].id, first)] == RecusalRule.DECLARED_CONFLICT
    assert all(members["群众代表5"].id not in panel for panel in by_case.values())  # unavailable that week


def test_verify_draw_finds_the_first_difference(batch, runner) -> None:
    draw = open_draw(batch, None)
    run_draw(draw)
    db.session.commit()
    assert runner.invoke(args=["panels", "verify-draw", str(draw.id)]).exit_code == 0
    tampered = dict(draw.result)
    seats = [dict(s) for s in tampered["seats"]]
    seats[3]["member"] = "999"
    tampered["seats"] = seats
    draw.result = tampered
    db.session.commit()
    ok, detail = verify_draw(draw)
    assert not ok and detail.startswith("seat 3:")
    result = runner.invoke(args=["panels", "verify-draw", str(draw.id)])
    assert result.exit_code != 0 and "seat 3" in result.output
    draw.seed = "0" * 32
    db.session.commit()
    assert verify_draw(draw) == (False, "the revealed seed does not hash to the hash shown before the draw")
    assert "no draw 999" in runner.invoke(args=["panels", "verify-draw", "999"]).output


def test_an_infeasible_draw_is_explained_and_seats_nobody(batch) -> None:
    for member in db.session.scalars(sa.select(Member).where(Member.role == MemberRole.LAWYER)):
        member.active = False
    db.session.commit()
    draw = open_draw(batch, None)
    result = run_draw(draw)
    db.session.commit()
    assert result["status"] == "infeasible"
    assert {p["role"] for p in result["problems"]} == {"lawyer"}
    assert {p["case"] for p in result["problems"]} == {str(item.case_id) for item in batch.items[:3]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seat)) == 0
    assert batch.state == BatchState.DRAFT
    assert verify_draw(draw) == (True, "match")


def test_the_batch_page_explains_an_infeasible_draw_in_the_readers_language(batch, client, auth) -> None:
    for member in db.session.scalars(sa.select(Member).where(Member.role == MemberRole.LAWYER)):
        member.active = False
    db.session.commit()
    run_draw(open_draw(batch, None))
    db.session.commit()
    make_user("o", Role.ORGANIZER)
    auth.login("o")
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "需要律师代表 1 名，库中 0 名里可用 0 名" in page
    assert "needs 1" not in page
    page = client.get(f"/batches/{batch.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "needs 1 Lawyer representative, 0 available of 0 in the pool" in page


def test_a_draw_runs_once_and_only_for_a_draft_batch(batch) -> None:
    draw = open_draw(batch, None)
    run_draw(draw)
    with pytest.raises(DrawError, match="already been run"):
        run_draw(draw)
    with pytest.raises(DrawError, match="draft"):
        open_draw(batch, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draw)) == 1


def test_the_organizer_sees_who_was_excluded_from_which_case_and_why(
    batch, client, auth, count_queries
) -> None:

    draw = open_draw(batch, None)
    run_draw(draw)
    db.session.commit()
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(Recusal).where(Recusal.draw_id == draw.id)
    )
    make_user("o", Role.ORGANIZER)
    auth.login("o")
    show = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert f"已记录 {total} 条回避" in show and f"/batches/draws/{draw.id}/exclusions" in show
    url = f"/batches/draws/{draw.id}/exclusions"
    client.get(url)
    with count_queries() as queries:
        page = client.get(url).get_data(as_text=True)
    assert queries["n"] <= 8  # the user, the draw, its batch, one page of exclusions and their count
    assert f"共 {total} 条" in page
    assert (
        "在本件的承办单位任职" in page
        and "近三年曾在本件的承办单位任职" in page
        and "诉求人是我的邻居" in page
    )
    assert "官员甲" in page and "CD-ZJ" in page
    assert "works for" not in page and "Works for" not in page
    filtered = client.get(url + "?case=C0").get_data(as_text=True)
    assert "诉求人是我的邻居" in filtered and ">C1<" not in filtered
    english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Worked for a department of the case in the last three years" in english
    make_user("m", Role.MEMBER)
    auth.logout()
    auth.login("m")
    assert client.get(url).status_code == 403


def test_availability_is_counted_in_beijing_calendar_days(batch) -> None:
    from panels.draw import build_problem

    batch.opens_dt = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 2026-12-01 00:30 in Beijing
    away_the_day_before, away_the_first_day = db.session.scalars(
        sa.select(Member).where(Member.role == MemberRole.CITIZEN_REP).order_by(Member.id).limit(2)
    ).all()
    away_the_day_before.unavailabilities.append(
        MemberUnavailability(start_date=date(2026, 11, 30), end_date=date(2026, 11, 30))
    )
    away_the_first_day.unavailabilities.append(
        MemberUnavailability(start_date=date(2026, 12, 1), end_date=date(2026, 12, 1))
    )
    db.session.commit()
    problem, _exclusions = build_problem(batch, "seed")
    drawn_from = {m["id"] for m in problem["members"]}
    assert str(away_the_day_before.id) in drawn_from and str(away_the_first_day.id) not in drawn_from
