"""The administrator's users page: create, edit roles, department and agency, deactivate and reactivate, and
e-mail a link to set a password; nothing an office needs is only on the command line."""

from __future__ import annotations

import re

import sqlalchemy as sa

from evaluation.accounts.models import Role, User
from evaluation.audit.models import AuditEvent
from evaluation.extensions import db
from tests.conftest import make_department, make_user

NEW_PASSWORD = "ten or more characters"


def _admin(client, auth) -> User:
    admin = make_user("admin", Role.ADMIN)
    auth.login("admin")
    return admin


def test_an_admin_creates_a_department_user_who_sets_their_own_password(client, auth, inbox) -> None:
    _admin(client, auth)
    unit = make_department("D-510107", "武侯区人民政府")
    form = {
        "username": "wuhou",
        "display_name": "武侯区",
        "email": "wuhou@example.gov",
        "roles": ["department"],
    }
    missing = client.post("/admin/users/new", data=form)
    assert missing.status_code == 400 and "须选择所属单位" in missing.get_data(as_text=True)
    assert 'value="wuhou@example.gov"' in missing.get_data(as_text=True)  # what was typed stays
    created = client.post("/admin/users/new", data={**form, "department": str(unit.id), "active": "y"})
    assert created.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "wuhou"))
    assert user.department_id == unit.id and not user.check_password("")
    (message,) = inbox.to("wuhou@example.gov")
    link = re.search(r"(/account/password/[\w-]+)", message.get_body(("plain",)).get_content()).group(1)
    auth.logout()
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    auth.logout()
    assert auth.login("wuhou", NEW_PASSWORD).status_code == 302
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert event.data["after"]["roles"] == ["department"]


def test_deactivating_and_reactivating_and_changing_roles(client, auth) -> None:
    _admin(client, auth)
    user = make_user("zhou", Role.ORGANIZER, email="zhou@example.gov")
    form = {
        "username": "zhou",
        "display_name": "周",
        "email": "zhou@example.gov",
        "roles": ["organizer", "member"],
    }
    assert client.post(f"/admin/users/{user.id}", data=form).status_code == 302  # no "active": deactivated
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert not user.active and user.roles == {Role.ORGANIZER, Role.MEMBER}
    client.post("/logout")
    assert (
        client.post("/login", data={"username": "zhou", "password": "correct horse battery"}).status_code
        == 401
    )
    auth.login("admin")
    assert client.post(f"/admin/users/{user.id}", data={**form, "active": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).active
    changes = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.changed")).all()
    assert [e.data["after"]["active"] for e in changes] == [False, True]


def test_an_admin_cannot_lock_themselves_out(client, auth) -> None:
    admin = _admin(client, auth)
    form = {"username": "admin", "display_name": "admin", "roles": ["organizer"], "active": "y"}
    page = client.post(f"/admin/users/{admin.id}", data=form)
    assert page.status_code == 400 and "不能停用自己的账号" in page.get_data(as_text=True)


def test_a_password_link_is_mailed_and_replaces_the_previous_one(client, auth, inbox) -> None:
    _admin(client, auth)
    user = make_user("wu", Role.MEMBER, email="wu@example.org")
    for _ in range(2):
        assert client.post(f"/admin/users/{user.id}/password-link").status_code == 302
    first, second = (
        re.search(r"(/account/password/[\w-]+)", m.get_body(("plain",)).get_content()).group(1)
        for m in inbox.to("wu@example.org")
    )
    auth.logout()
    assert client.get(first).status_code == 400
    assert client.post(second, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).location.endswith(
        "/batches/mine"
    )
    no_address = make_user("noaddress", Role.MEMBER)
    auth.logout()
    auth.login("admin")
    refused = client.post(f"/admin/users/{no_address.id}/password-link", follow_redirects=True)
    assert "没有电子邮箱" in refused.get_data(as_text=True)


def test_only_admins_reach_the_users_pages(client, auth) -> None:
    make_user("org", Role.ORGANIZER)
    auth.login("org")
    assert client.get("/admin/users/new").status_code == 403
    assert client.post("/admin/users/1/password-link").status_code == 403


def test_the_users_list_can_be_searched(client, auth) -> None:
    _admin(client, auth)
    make_user("zhang.san", Role.MEMBER, email="zhang@example.org", display_name="张三")
    make_user("li.si", Role.MEMBER, display_name="李四")
    page = client.get("/admin/users?q=张").get_data(as_text=True)
    assert "zhang.san" in page and "li.si" not in page
