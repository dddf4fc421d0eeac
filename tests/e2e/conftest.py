"""Browser journeys: playwright-python drives Debian's chromium against a live server on loopback.

Browser downloads do not work here, so the browser is the system one (`apt-get install chromium`, which
.ci/run does). The server runs the real app in a thread on a free port, over a demo database of its own.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from evaluation import create_app
from evaluation.demo.seed import seed
from evaluation.extensions import db
from tests.conftest import Inbox, _free_port

CHROMIUM = os.environ.get("EVALUATION_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


class LoopbackInbox(Inbox):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port


@pytest.fixture(scope="session")
def mailbox() -> Iterator[LoopbackInbox]:
    """A real SMTP server on loopback: what the live server sends arrives here, as a member's mail client would
    receive it."""
    handler = LoopbackInbox(_free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, mailbox: LoopbackInbox) -> Iterator[Flask]:
    """The application the live server runs, over a demo database of its own; journeys use it to play what
    other people do meanwhile (other members scoring) through the same operations."""
    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "e2e-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": mailbox.port,
            "MAIL_SUPPRESS_SEND": False,
            "EVALUATION_LOGIN_LIMIT": "1000 per minute",  # the journeys log in many times from one address
        }
    )
    with app.app_context():
        upgrade()
        seed()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["EVALUATION_BASE_URL"] = url  # the links in its e-mails lead back here
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}; install Debian's chromium package (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: object) -> Iterator[object]:
    """A page on a 375 px wide screen, as officials use on their phones."""
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, locale="zh-CN", device_scale_factor=2
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: object, name: str, *, full_page: bool = False) -> None:
    """Keep a picture of what the journey saw (in test-artifacts/, for people and the README)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
