"""Pool members get logins: an organizer invites them, the e-mail's link sets a password, they land on their
seats; links that are expired, used, replaced or forged are refused with a clear page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import AccountToken, Role, User
from evaluation.db import utcnow
from evaluation.extensions import db
from panels.models import Member, MemberRole
from tests.conftest import make_user

PASSWORD = "an office has its month"


@pytest.fixture
def organizer(client, auth):
    make_user("organizer", Role.ORGANIZER)
    auth.login("organizer")


@pytest.fixture
def member(app_ctx) -> Member:
    member = Member(name="李群众", role=MemberRole.CITIZEN_REP, max_cases=10, email="li.qunzhong@example.org")
    db.session.add(member)
    db.session.commit()
    return member


def _link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:5000(/account/password/[\w-]+)", text).group(1)


def test_an_invited_member_sets_a_password_and_lands_on_their_seats(organizer, member, client, auth, inbox):
    page = client.get(f"/panels/members/{member.id}").get_data(as_text=True)
    assert "尚无账号" in page and "邀请登录平台" in page
    response = client.post(f"/panels/members/{member.id}/account/invite")
    assert response.status_code == 302
    (message,) = inbox.to("li.qunzhong@example.org")
    body = message.get_body(("plain",)).get_content()
    assert body.index("李群众，您好") < body.index("Dear 李群众")  # Chinese first, both languages
    assert "已邀请" in client.get("/panels/members").get_data(as_text=True)
    auth.logout()
    link = _link(message)
    form = client.get(link).get_data(as_text=True)
    assert "li.qunzhong@example.org" in form
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "至少 10 个字符" in short.get_data(as_text=True)
    done = client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 302 and done.location.endswith("/batches/mine")
    db.session.expire_all()
    user = db.session.get(User, db.session.get(Member, member.id).user_id)
    assert user.username == "li.qunzhong@example.org" and user.has_role(Role.MEMBER)
    assert "我的评议" in client.get("/batches/mine").get_data(as_text=True)
    auth.logout()
    assert auth.login("li.qunzhong@example.org", PASSWORD).status_code == 302
    # The link is spent.
    again = client.get(link)
    assert again.status_code == 400 and "已使用" in again.get_data(as_text=True)


def test_expired_replaced_and_forged_links_are_refused(organizer, member, client, auth, inbox):
    client.post(f"/panels/members/{member.id}/account/invite")
    first = _link(inbox.messages[-1])
    client.post(f"/panels/members/{member.id}/account/invite")  # resend: a new link replaces the old
    second = _link(inbox.messages[-1])
    auth.logout()
    replaced = client.get(first)
    assert replaced.status_code == 400 and "已被新链接取代" in replaced.get_data(as_text=True)
    forged = client.get("/account/password/" + "x" * 43)
    assert forged.status_code == 400 and "链接无效" in forged.get_data(as_text=True)
    token = db.session.scalar(sa.select(AccountToken).where(AccountToken.revoked_dt.is_(None)))
    token.expires_dt = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = client.post(second, data={"password": PASSWORD, "confirm": PASSWORD})
    assert expired.status_code == 400 and "已过期" in expired.get_data(as_text=True)
    assert db.session.get(Member, member.id).user_id is None


def test_a_revoked_invitation_no_longer_works(organizer, member, client, auth, inbox):
    client.post(f"/panels/members/{member.id}/account/invite")
    link = _link(inbox.messages[-1])
    assert client.post(f"/panels/members/{member.id}/account/revoke").status_code == 302
    auth.logout()
    assert client.get(link).status_code == 400


def test_a_member_already_registered_is_linked_not_duplicated(organizer, member, client, inbox):
    existing = make_user("li", Role.DEPARTMENT, email="LI.QUNZHONG@example.org")
    response = client.post(f"/panels/members/{member.id}/account/invite", follow_redirects=True)
    assert "已关联" in response.get_data(as_text=True) and inbox.messages == []
    db.session.expire_all()
    assert db.session.get(Member, member.id).user_id == existing.id
    assert db.session.get(User, existing.id).has_role(Role.MEMBER)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2  # the organizer and li


def test_a_member_without_an_address_cannot_be_invited(organizer, client, inbox):
    member = Member(name="王无邮", role=MemberRole.LAWYER, max_cases=5)
    db.session.add(member)
    db.session.commit()
    page = client.post(f"/panels/members/{member.id}/account/invite", follow_redirects=True)
    assert "没有电子邮箱" in page.get_data(as_text=True) and inbox.messages == []


def test_the_import_can_invite_the_imported_members(organizer, client, inbox):
    csv = "姓名,身份,电子邮箱\n张律师,律师代表,zhang@example.org\n赵群众,群众代表,\n".encode()
    response = client.post(
        "/panels/members/import",
        data={"file": (io.BytesIO(csv), "members.csv"), "invite": "y"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "已导入 2 名评议员" in page and "已发送 1 份" in page
    assert [m["To"] for m in inbox.messages] == ["zhang@example.org"]
    pool = client.get("/panels/members?account=none").get_data(as_text=True)
    assert "赵群众" in pool and "张律师" in pool  # neither has an account yet; one is invited


def test_the_pool_lists_account_states_in_a_fixed_number_of_queries(organizer, client, count_queries):
    for i in range(3):
        db.session.add(
            Member(name=f"成员{i}", role=MemberRole.CITIZEN_REP, max_cases=5, email=f"m{i}@example.org")
        )
    db.session.add(
        Member(name="成员有号", role=MemberRole.LAWYER, max_cases=5, user_id=make_user("u", Role.MEMBER).id)
    )
    db.session.commit()
    client.get("/panels/members")
    with count_queries() as few:
        client.get("/panels/members")
    for i in range(3, 30):
        user = make_user(f"u{i}", Role.MEMBER)
        db.session.add(Member(name=f"成员{i}", role=MemberRole.CITIZEN_REP, max_cases=5, user_id=user.id))
    db.session.commit()
    with count_queries() as many:
        page = client.get("/panels/members").get_data(as_text=True)
    assert many["n"] == few["n"] and "从未登录" in page
