"""Shared fixtures: one app per session on a schema built by the migrations, clean rows for every test.

The database is SQLite in a temporary folder, or whatever ``DATABASE_URL`` names (CI points it at a fresh
PostgreSQL database). Nothing is created and dropped per test: each test that touches the database gets
its rows deleted afterwards, which is fast on both engines and also covers commits made by views and CLI.
"""

from __future__ import annotations

import email
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from email.policy import default as default_policy
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade

from evaluation import create_app
from evaluation.accounts.models import User
from evaluation.extensions import db, limiter, mail
from evaluation.org.models import Department, DepartmentKind
from tests.factories import PASSWORD as TEST_PASSWORD


def _test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _reset_schema() -> None:
    """Drop whatever a previous run left, so the migrations build the schema from nothing."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            meta = sa.MetaData()
            meta.reflect(conn)
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
            meta.drop_all(conn)


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production.

    Tests hold an app context for their own queries; without this, requests would share its ``g``, where
    Flask-Login and Flask-Babel cache the user and the locale, and one request's state would leak into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        # The test's own session ends its transaction around each request, as separate requests' sessions do:
        # what the test set up is visible to the request, and what the request wrote is visible afterwards
        # (SQLite gives a transaction a snapshot).
        db.session.commit()
        try:
            with self.application.app_context():
                return super().open(*args, **kwargs)
        finally:
            db.session.commit()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": _test_database_url(tmp_path_factory),
            "WTF_CSRF_ENABLED": False,
            "MAIL_SUPPRESS_SEND": True,
            "EVALUATION_LOGIN_LIMIT": "1000 per minute",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        _reset_schema()
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _delete_all_rows() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context on a database whose rows are removed after the test."""
    with app.app_context():
        try:
            yield app
        finally:
            db.session.rollback()
            db.session.remove()
            _delete_all_rows()
            limiter.reset()


@pytest.fixture
def client(app_ctx: Flask) -> FlaskClient:
    return app_ctx.test_client()


@pytest.fixture
def runner(app_ctx: Flask) -> FlaskCliRunner:
    return app_ctx.test_cli_runner()


def make_department(
    code: str = "CD-ZJ",
    name: str = "成都市住房和城乡建设局",
    kind: DepartmentKind = DepartmentKind.MUNICIPAL,
    parent: Department | None = None,
) -> Department:
    department = Department(code=code, name=name, kind=kind, parent=parent)
    db.session.add(department)
    db.session.flush()
    return department


def make_user(username: str, *roles: str, department: Department | None = None, **fields: Any) -> User:
    user = User(
        username=username, display_name=fields.pop("display_name", username), department=department, **fields
    )
    user.set_password(TEST_PASSWORD)
    for role in roles:
        user.add_role(role)
    db.session.add(user)
    db.session.commit()
    return user


class Auth:
    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, username: str, password: str = TEST_PASSWORD, **kwargs: Any) -> Any:
        return self.client.post("/login", data={"username": username, "password": password}, **kwargs)

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


class Inbox:
    """The messages a real SMTP server on loopback received."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox(app_ctx: Flask) -> Iterator[Inbox]:
    """Mail goes to an aiosmtpd server on loopback for the test."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    saved = app_ctx.extensions["mail"]
    app_ctx.extensions["mail"] = mail.init_mail(
        {
            **app_ctx.config,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": controller.port,
            "MAIL_SUPPRESS_SEND": False,
        }
    )
    try:
        yield handler
    finally:
        app_ctx.extensions["mail"] = saved
        controller.stop()


@pytest.fixture
def count_queries(app_ctx: Flask) -> Callable[[], AbstractContextManager[dict[str, int]]]:
    """``with count_queries() as counted:`` counts the statements sent to the database meanwhile."""

    @contextmanager
    def counting() -> Iterator[dict[str, int]]:
        counter = {"n": 0}

        def count(*_args: Any, **_kwargs: Any) -> None:
            counter["n"] += 1

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)

    return counting
