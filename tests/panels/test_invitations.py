"""Invitations by e-mail, through a real SMTP server on loopback (aiosmtpd), and automatic refills."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.audit.models import AuditEvent
from evaluation.db import utcnow
from evaluation.extensions import db
from panels.draw import open_draw, run_draw
from panels.invitations import accept, expire_overdue, invite_batch, make_token, recuse
from panels.models import Member, Seat, SeatState
from tests.conftest import make_user


@pytest.fixture
def drawn(batch):
    draw = open_draw(batch, None)
    run_draw(draw)
    db.session.commit()
    return batch


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def _seat_of(member_email: str) -> Seat:
    return db.session.scalar(
        sa.select(Seat).join(Member).where(Member.email == member_email).order_by(Seat.id)
    )


def test_invitations_leave_after_the_commit_in_both_languages(drawn, inbox) -> None:
    count = invite_batch(drawn)
    assert count == 30 and inbox.messages == []  # nothing before the commit
    db.session.commit()
    assert len(inbox.messages) == 30
    body = _body(inbox.messages[0])
    assert "您被随机抽取为" in body and "You have been drawn at random" in body
    assert re.search(r"http://127\.0\.0\.1:5000/panels/invitations/[\w.-]+", body)
    assert (
        "评议邀请" in inbox.messages[0]["Subject"] and "Invitation to review" in inbox.messages[0]["Subject"]
    )
    assert body.index("您被随机抽取为") < body.index("You have been drawn at random")  # Chinese first
    html = inbox.messages[0].get_body(("html",)).get_content()
    link = re.search(r'href="(http://127\.0\.0\.1:5000/panels/invitations/[\w.-]+)"', html).group(1)
    assert link in body and "接受邀请" in html and "Accept the invitation" in html


def test_inviting_a_batch_loads_its_seats_at_once_and_mails_the_deadline_in_beijing_time(
    drawn, inbox, count_queries
) -> None:
    from datetime import UTC, datetime

    drawn.closes_dt = datetime(2030, 3, 1, 17, 0, tzinfo=UTC)  # 2030-03-02 01:00 in Asia/Shanghai
    db.session.commit()
    db.session.expire_all()
    with count_queries() as queries:
        count = invite_batch(drawn)
    # the batch, its seats with members and panels, the chain's head, the expiry job (a dedupe check and its
    # savepoint); then one UPDATE and one audit row a seat
    assert queries["n"] <= 2 * count + 10
    db.session.commit()
    assert "2030-03-02" in _body(inbox.messages[0])


def test_a_released_savepoint_sends_nothing_before_the_transaction_commits(app_ctx, inbox) -> None:
    from evaluation.mailer import queue

    queue("a@example.gov", "subject", "body")
    with db.session.begin_nested():
        pass
    assert inbox.messages == []  # the outer transaction may still roll back
    db.session.commit()
    assert [m["To"] for m in inbox.messages] == ["a@example.gov"]


def test_a_rollback_sends_nothing(drawn, inbox) -> None:
    invite_batch(drawn)
    db.session.rollback()
    assert inbox.messages == []
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Seat).where(Seat.state == SeatState.INVITED))
        == 0
    )


def test_accept_through_the_link(drawn, inbox, client) -> None:
    invite_batch(drawn)
    db.session.commit()
    seat = db.session.scalar(sa.select(Seat).order_by(Seat.id))
    token = make_token(seat)
    page = client.get(f"/panels/invitations/{token}")
    assert page.status_code == 200 and drawn.name in page.get_data(as_text=True)
    assert client.post(f"/panels/invitations/{token}", data={"answer": "accept"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Seat, seat.id).state == SeatState.ACCEPTED
    client.post(f"/panels/invitations/{token}", data={"answer": "decline", "reason": "改主意了"})
    db.session.expire_all()
    assert db.session.get(Seat, seat.id).state == SeatState.DECLINED  # one may still withdraw before scoring


def test_decline_asks_for_a_reason_then_refills_from_the_substitutes(drawn, inbox, client) -> None:
    invite_batch(drawn)
    db.session.commit()
    inbox.messages.clear()
    seat = db.session.scalar(sa.select(Seat).where(Seat.substitutes.any()).order_by(Seat.id))
    first_substitute = seat.substitutes[0].member
    token = make_token(seat)
    empty = client.post(f"/panels/invitations/{token}", data={"answer": "decline", "reason": ""})
    assert empty.status_code == 400 and 'aria-invalid="true"' in empty.get_data(as_text=True)
    assert (
        client.post(
            f"/panels/invitations/{token}", data={"answer": "decline", "reason": "出差在外"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    seat = db.session.get(Seat, seat.id)
    assert seat.state == SeatState.DECLINED and seat.decline_reason == "出差在外"
    replacement = db.session.get(Seat, seat.replaced_by_id)
    assert replacement.member_id == first_substitute.id and replacement.state == SeatState.INVITED
    assert replacement.role == seat.role and replacement.panel_id == seat.panel_id
    assert [m["To"] for m in inbox.messages] == [first_substitute.email]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "seat.refilled"))
    assert event.data["why"] == "declined" and event.data["member"] == first_substitute.id


def test_bad_and_expired_links(drawn, inbox, client, app_ctx, monkeypatch) -> None:
    invite_batch(drawn)
    db.session.commit()
    seat = db.session.scalar(sa.select(Seat).order_by(Seat.id))
    token = make_token(seat)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.get(f"/panels/invitations/{tampered}")
    assert response.status_code == 400 and "邀请链接无效" in response.get_data(as_text=True)
    monkeypatch.setitem(app_ctx.config, "EVALUATION_INVITATION_DAYS", -1)
    response = client.get(f"/panels/invitations/{token}")
    assert response.status_code == 400 and "已过期" in response.get_data(as_text=True)


def test_unanswered_invitations_expire_and_are_refilled(drawn, inbox) -> None:
    invite_batch(drawn)
    db.session.commit()
    inbox.messages.clear()
    assert expire_overdue(now=utcnow() + timedelta(days=3)) == 0
    expired = expire_overdue(now=utcnow() + timedelta(days=8))
    db.session.commit()
    assert expired == 30
    states = dict(db.session.execute(sa.select(Seat.state, sa.func.count()).group_by(Seat.state)).all())
    assert states[SeatState.EXPIRED] == 30 and states.get(SeatState.INVITED, 0) > 0
    assert len(inbox.messages) == states[SeatState.INVITED]


def test_the_job_inviting_schedules_expires_unanswered_seats_and_their_refills_get_their_own(
    drawn, inbox
) -> None:
    from evaluation.jobs.models import Job
    from evaluation.jobs.runner import run_due

    invite_batch(drawn)
    db.session.commit()
    inbox.messages.clear()
    mine = db.session.scalar(sa.select(Seat).order_by(Seat.id))
    accept(mine)  # answered: stays
    db.session.commit()
    assert run_due(now=utcnow() + timedelta(days=6)) == 0  # not yet due
    assert run_due(now=utcnow() + timedelta(days=7, minutes=2)) == 1
    states = dict(db.session.execute(sa.select(Seat.state, sa.func.count()).group_by(Seat.state)).all())
    assert states[SeatState.EXPIRED] == 29 and states[SeatState.ACCEPTED] == 1
    assert states.get(SeatState.INVITED, 0) == len(inbox.messages) > 0  # substitutes, invited in turn
    expiries = db.session.scalars(
        sa.select(Job).where(Job.kind == "seats.expire").order_by(Job.run_at_dt)
    ).all()
    assert len(expiries) == 2 and expiries[1].run_at_dt > expiries[0].run_at_dt  # the refills' own deadline


def test_a_recused_seat_is_refilled_and_logged(drawn, inbox) -> None:
    invite_batch(drawn)
    db.session.commit()
    seat = db.session.scalar(sa.select(Seat).where(Seat.substitutes.any()).order_by(Seat.id))
    replacement = recuse(seat, "与诉求人是亲属")
    db.session.commit()
    assert seat.state == SeatState.RECUSED and replacement is not None
    assert (
        db.session.scalar(sa.select(AuditEvent.data).where(AuditEvent.action == "seat.refilled"))["why"]
        == "recused"
    )


@pytest.mark.parametrize("change", ["absent in the window", "left the case's department"])
def test_a_substitute_who_no_longer_fits_since_the_draw_is_passed_over(drawn, inbox, change) -> None:
    from panels.draw import scoring_days
    from panels.models import MemberAffiliation, MemberUnavailability

    invite_batch(drawn)
    db.session.commit()
    seat = next(s for s in db.session.scalars(sa.select(Seat).order_by(Seat.id)) if len(s.substitutes) >= 2)
    first = seat.substitutes[0].member
    first_day, last_day = scoring_days(drawn)
    if change == "absent in the window":
        first.unavailabilities.append(
            MemberUnavailability(start_date=last_day, end_date=last_day + timedelta(days=3))
        )
    else:  # within three years of the window
        first.past_affiliations.append(
            MemberAffiliation(
                department_id=seat.panel.batch_item.case.lead_department_id,
                end_date=first_day - timedelta(days=400),
            )
        )
    db.session.commit()
    replacement = recuse(seat, "与诉求人是亲属")
    db.session.commit()
    assert replacement is not None and replacement.member_id != first.id


def test_a_member_answers_in_the_app_and_only_for_their_own_seats(drawn, inbox, client, auth) -> None:
    invite_batch(drawn)
    db.session.commit()
    mine, other = db.session.scalars(sa.select(Seat).order_by(Seat.id).limit(2)).all()
    user = make_user("m", Role.MEMBER)
    mine.member.user_id = user.id
    if other.member_id == mine.member_id:
        other = db.session.scalar(sa.select(Seat).where(Seat.member_id != mine.member_id).order_by(Seat.id))
    db.session.commit()
    auth.login("m")
    page = client.get("/batches/mine").get_data(as_text=True)
    assert f"/panels/seats/{mine.id}/accept" in page
    assert client.post(f"/panels/seats/{other.id}/accept").status_code == 403
    client.post(f"/panels/seats/{mine.id}/accept")
    db.session.expire_all()
    assert db.session.get(Seat, mine.id).state == SeatState.ACCEPTED
    assert db.session.get(Seat, other.id).state == SeatState.INVITED


def test_a_conflict_accepted_after_the_draw_recuses_the_seats_it_names(drawn, inbox, client, auth) -> None:
    from panels.models import Conflict, ConflictSource, ConflictState
    from panels.pool import declare_conflict

    invite_batch(drawn)
    db.session.commit()
    inbox.messages.clear()
    seat = db.session.scalar(sa.select(Seat).where(Seat.substitutes.any()).order_by(Seat.id))
    member, case_id = seat.member, seat.panel.batch_item.case_id
    others = db.session.scalars(sa.select(Seat).where(Seat.member_id == member.id, Seat.id != seat.id)).all()
    declare_conflict(
        member,
        "诉求人书面申请：该评议员与承办人是同事",
        case_id=case_id,
        source=ConflictSource.CITIZEN_REQUEST,
    )
    db.session.commit()
    assert seat.state == SeatState.INVITED  # a request waits for the organizer
    conflict = db.session.scalar(sa.select(Conflict).where(Conflict.member_id == member.id))
    make_user("o", Role.ORGANIZER)
    auth.login("o")
    page = client.post(f"/panels/conflicts/{conflict.id}/accept", follow_redirects=True).get_data(
        as_text=True
    )
    assert "已从 1 个已抽取的席位回避" in page
    db.session.expire_all()
    assert db.session.get(Conflict, conflict.id).state == ConflictState.ACCEPTED
    seat = db.session.get(Seat, seat.id)
    assert seat.state == SeatState.RECUSED and seat.replaced_by_id is not None
    assert len(inbox.messages) == 1  # the substitute's invitation
    assert all(db.session.get(Seat, s.id).state == SeatState.INVITED for s in others)  # other cases untouched


def test_a_members_own_declaration_against_a_department_recuses_their_seats_on_its_cases(
    drawn, inbox
) -> None:
    from evaluation.org.models import Department
    from panels.pool import declare_conflict

    invite_batch(drawn)
    zj = db.session.scalar(sa.select(Department).where(Department.code == "CD-ZJ"))
    lawyer = db.session.scalar(sa.select(Member).where(Member.name == "律师1"))
    # Make sure the lawyer sits on a case of the housing bureau and on one of another department.
    for item in drawn.items:
        on_zj = item.case.lead_department_id == zj.id
        held = {
            s.panel.batch_item.case.lead_department_id == zj.id
            for s in db.session.scalars(sa.select(Seat).where(Seat.member_id == lawyer.id))
        }
        if on_zj not in held and all(s.member_id != lawyer.id for s in item.panel.seats):
            item.panel.seats.append(
                Seat(member=lawyer, role=lawyer.role, position=9, state=SeatState.INVITED)
            )
            db.session.flush()
    db.session.commit()
    seats = db.session.scalars(sa.select(Seat).where(Seat.member_id == lawyer.id)).all()
    on_zj = [s for s in seats if s.panel.batch_item.case.lead_department_id == zj.id]
    assert on_zj and len(on_zj) < len(seats)
    declare_conflict(lawyer, "曾代理该局的行政诉讼", department=zj)
    db.session.commit()
    db.session.expire_all()
    states = {s.id: db.session.get(Seat, s.id).state for s in seats}
    assert {states[s.id] for s in on_zj} == {SeatState.RECUSED}
    assert {states[s.id] for s in seats if s not in on_zj} == {SeatState.INVITED}
