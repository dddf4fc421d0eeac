"""Sessions that end: a logout, a new password and a deactivation end every session and remember-me cookie of
the user; cookies are bounded; pages are not cached; throttling counts per account and per real client."""

from __future__ import annotations

import re

import pytest
from werkzeug.security import check_password_hash

from evaluation import create_app
from evaluation.accounts import links
from evaluation.accounts.models import Role, TokenPurpose, User
from evaluation.extensions import db
from tests.conftest import TEST_PASSWORD, make_user

NEW_PASSWORD = "violet-lantern-harbour"  # noqa: S105


def _logged_in(app, username: str, *, remember: bool = False):
    client = app.test_client()
    data = {"username": username, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    assert client.get("/dashboard").status_code == 200
    return client


def test_logging_out_ends_every_session_of_the_user(app_ctx) -> None:
    make_user("li.wen", Role.ORGANIZER)
    laptop, phone = _logged_in(app_ctx, "li.wen"), _logged_in(app_ctx, "li.wen")
    assert laptop.post("/logout").status_code == 302
    assert phone.get("/dashboard").status_code == 302  # back to the login page
    assert laptop.get("/dashboard").status_code == 302


def test_a_remember_me_cookie_outlives_the_session_but_not_a_new_password(app_ctx) -> None:
    user = make_user("li.wen", Role.ORGANIZER, email="li.wen@example.gov")
    client = _logged_in(app_ctx, "li.wen", remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None
    client.delete_cookie("session")
    assert client.get("/dashboard").status_code == 200  # the cookie logs the browser in again
    token, secret = links.issue(TokenPurpose.RESET, user.email, user=user)
    db.session.commit()
    other = app_ctx.test_client()
    assert (
        other.post(
            f"/account/password/{secret}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ).status_code
        == 302
    )
    client.delete_cookie("session")
    assert client.get("/dashboard").status_code == 302  # the old cookie no longer works


def test_deactivating_a_user_logs_them_out_at_once(app_ctx, client, auth) -> None:
    make_user("admin", Role.ADMIN)
    target = make_user("li.wen", Role.ORGANIZER, email="li.wen@example.gov")
    theirs = _logged_in(app_ctx, "li.wen")
    auth.login("admin")
    response = client.post(
        f"/admin/users/{target.id}",
        data={
            "username": "li.wen",
            "display_name": "李文",
            "email": "li.wen@example.gov",
            "roles": ["organizer"],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).active is False
    assert theirs.get("/dashboard").status_code == 302


def test_a_forged_or_old_style_session_id_is_refused(app_ctx) -> None:
    user = make_user("li.wen", Role.ORGANIZER)
    client = app_ctx.test_client()
    for forged in (str(user.id), f"{user.id}.", f"{user.id}.{'0' * 32}", "x.y"):
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = forged, True
        assert client.get("/dashboard").status_code == 302, forged


def test_cookies_are_bounded_and_pages_are_not_stored(app_ctx) -> None:
    make_user("li.wen", Role.ORGANIZER)
    client = app_ctx.test_client()
    response = client.post("/login", data={"username": "li.wen", "password": TEST_PASSWORD, "remember": "y"})
    remember = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "SameSite=Lax" in remember and "HttpOnly" in remember
    assert app_ctx.config["REMEMBER_COOKIE_DURATION"].days == 14
    page = client.get("/dashboard")
    assert page.headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_an_unknown_user_costs_the_same_password_check(app_ctx, monkeypatch) -> None:
    from evaluation.accounts import operations

    checked: list[str] = []
    real = check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr(operations, "check_password_hash", counting)
    monkeypatch.setattr("evaluation.accounts.models.check_password_hash", counting)
    make_user("li.wen", Role.ORGANIZER)
    assert operations.authenticate("li.wen", "wrong password") is None
    assert operations.authenticate("nobody", "wrong password") is None
    assert len(checked) == 2 and checked[0] == checked[1]  # one hash each, of the same method


def test_login_is_throttled_per_account_across_addresses(app_ctx, monkeypatch) -> None:
    monkeypatch.setitem(app_ctx.config, "EVALUATION_LOGIN_LIMIT", "3 per minute")
    make_user("li.wen", Role.ORGANIZER)
    codes = []
    for n in range(4):
        client = app_ctx.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        codes.append(client.post("/login", data={"username": "li.wen", "password": "wrong"}).status_code)
    assert codes == [401, 401, 401, 429]
    other = app_ctx.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert other.post("/login", data={"username": "someone.else", "password": "wrong"}).status_code == 401


@pytest.mark.parametrize(("hops", "separate"), [(0, False), (1, True)])
def test_the_client_address_comes_from_the_configured_proxy_only(app_ctx, hops, separate) -> None:
    """Behind one proxy the forwarded address counts; without one a client cannot forge it."""
    app = create_app(
        {
            **{k: app_ctx.config[k] for k in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "TESTING")},
            "WTF_CSRF_ENABLED": False,
            "EVALUATION_PROXY_HOPS": hops,
            "EVALUATION_LOGIN_LIMIT": "2 per minute",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    client = app.test_client()
    codes = [
        client.post(
            "/login",
            data={"username": f"user{n}", "password": "wrong"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(3)
    ]
    assert codes == ([401, 401, 401] if separate else [401, 401, 429])
    with app.app_context():
        db.engine.dispose()  # this second app's connections to the test database


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1", "至少 10 个字符"), ("li.wen.ok1", None), ("qwertyuiop", "最常见"), ("woaini1314", "最常见")],
)
def test_a_new_password_is_long_enough_and_not_a_common_one(app_ctx, client, password, reason) -> None:
    user = make_user("li.wen", Role.ORGANIZER, email="li.wen@example.gov")
    _, secret = links.issue(TokenPurpose.RESET, user.email, user=user)
    db.session.commit()
    response = client.post(f"/account/password/{secret}", data={"password": password, "confirm": password})
    if reason is None:
        assert response.status_code == 302
    else:
        assert response.status_code == 400 and reason in response.get_data(as_text=True)
        assert re.search(r'<p class="field-error" id="password-error">', response.get_data(as_text=True))
