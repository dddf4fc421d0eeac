from __future__ import annotations

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import Role, User
from evaluation.extensions import db
from tests.conftest import TEST_PASSWORD, make_department, make_user


def test_login_page_is_chinese_by_default(client) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in text
    assert "登录" in text and "用户名" in text and "密码" in text


def test_login_with_the_right_password(client, auth) -> None:
    make_user("li.wen", Role.ORGANIZER)
    response = auth.login("li.wen")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200
    assert db.session.scalar(sa.select(User.last_login_dt).where(User.username == "li.wen")) is not None


@pytest.mark.parametrize("username, password", [("li.wen", "wrong password"), ("nobody", TEST_PASSWORD)])
def test_a_wrong_login_does_not_say_which_part_was_wrong(client, auth, username, password) -> None:
    make_user("li.wen", Role.ORGANIZER)
    response = auth.login(username, password)
    assert response.status_code == 401
    text = response.get_data(as_text=True)
    assert "用户名或密码错误" in text
    assert client.get("/dashboard").status_code == 302


def test_wrong_login_messages_are_identical_for_unknown_user_and_wrong_password(client, auth) -> None:
    make_user("li.wen", Role.ORGANIZER)
    first = auth.login("li.wen", "wrong password").get_data(as_text=True)
    second = auth.login("nobody", "wrong password").get_data(as_text=True)
    strip = lambda html: html.split('name="csrf_token"')[0]  # noqa: E731 - the token differs per render
    assert strip(first).replace("li.wen", "") == strip(second).replace("nobody", "")


def test_an_inactive_user_cannot_log_in(client, auth) -> None:
    make_user("gone", Role.ORGANIZER, active=False)
    assert auth.login("gone").status_code == 401


def test_an_empty_form_marks_the_fields(client) -> None:
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_logout(client, auth) -> None:
    make_user("li.wen", Role.ORGANIZER)
    auth.login("li.wen")
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_logout_needs_post(client, auth) -> None:
    make_user("li.wen", Role.ORGANIZER)
    auth.login("li.wen")
    assert client.get("/logout").status_code == 405


def test_next_parameter_cannot_redirect_off_site(client, auth) -> None:
    make_user("li.wen", Role.ORGANIZER)
    response = client.post(
        "/login?next=https://evil.example/", data={"username": "li.wen", "password": TEST_PASSWORD}
    )
    assert response.headers["Location"].endswith("/dashboard")
    client.post("/logout")
    response = client.post("/login?next=/cases/", data={"username": "li.wen", "password": TEST_PASSWORD})
    assert response.headers["Location"].endswith("/cases/")


def test_a_post_without_csrf_token_is_refused(app_ctx, client, monkeypatch) -> None:
    make_user("li.wen", Role.ORGANIZER)
    monkeypatch.setitem(app_ctx.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/login", data={"username": "li.wen", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_a_post_with_the_csrf_token_is_accepted(app_ctx, client, monkeypatch) -> None:
    make_user("li.wen", Role.ORGANIZER)
    monkeypatch.setitem(app_ctx.config, "WTF_CSRF_ENABLED", True)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('id="csrf_token" name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"username": "li.wen", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_login_attempts_are_rate_limited(app_ctx, client, auth, monkeypatch) -> None:
    monkeypatch.setitem(app_ctx.config, "EVALUATION_LOGIN_LIMIT", "3 per minute")
    make_user("li.wen", Role.ORGANIZER)
    codes = [auth.login("li.wen", "wrong").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert "尝试次数过多" in auth.login("li.wen").get_data(as_text=True)


def test_passwords_are_hashed(app_ctx) -> None:
    user = make_user("li.wen", Role.ORGANIZER)
    assert TEST_PASSWORD not in user.password_hash
    assert user.check_password(TEST_PASSWORD) and not user.check_password("nope")


# --- users create -------------------------------------------------------------------------------------------


def test_users_create_with_password_from_stdin(runner) -> None:
    make_department("CD-ZJ")
    db.session.commit()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "zhang",
            "--role",
            "department",
            "--department",
            "CD-ZJ",
            "--password-stdin",
        ],
        input="s3cret-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "zhang"))
    assert user.roles == {Role.DEPARTMENT} and user.department.code == "CD-ZJ"
    assert user.check_password("s3cret-password")


def test_users_create_accepts_several_roles(runner) -> None:
    result = runner.invoke(
        args=["users", "create", "wang", "--role", "organizer,admin", "--role", "member", "--password-stdin"],
        input="s3cret-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "wang"))
    assert user.roles == {Role.ORGANIZER, Role.ADMIN, Role.MEMBER}


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--role", "mayor"], "unknown role 'mayor'"),
        (["--role", "department", "--department", "NOPE"], "unknown department 'NOPE'"),
        (["--role", "department"], "needs --department"),
    ],
)
def test_users_create_refuses_bad_input_with_a_one_line_reason(runner, args, reason) -> None:
    result = runner.invoke(
        args=["users", "create", "zhao", *args, "--password-stdin"], input="s3cret-password\n"
    )
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and reason in lines[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_users_create_refuses_a_duplicate_and_a_short_password(runner) -> None:
    make_user("zhao", Role.ORGANIZER)
    result = runner.invoke(
        args=["users", "create", "zhao", "--role", "admin", "--password-stdin"], input="s3cret-password\n"
    )
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(
        args=["users", "create", "qian", "--role", "admin", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0 and "at least 10" in result.output


def test_users_create_without_a_terminal_asks_for_password_stdin(runner) -> None:
    result = runner.invoke(args=["users", "create", "sun", "--role", "admin"], input="")
    assert result.exit_code != 0
    assert "--password-stdin" in result.output
