"""Mail has timeouts; a message that cannot leave is retried by the jobs worker and shown to the organizers,
never lost in a log line."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from evaluation.db import utcnow
from evaluation.extensions import db, mail
from evaluation.jobs.models import Job, JobState
from evaluation.jobs.runner import run_due
from evaluation.mailer import SEND_JOB, queue
from tests.conftest import _free_port


@pytest.fixture
def server_down(app_ctx, monkeypatch):
    """The mail server is down for the test (a port where nothing listens); the app's own comes back after."""

    def down() -> None:
        monkeypatch.setitem(
            app_ctx.extensions,
            "mail",
            mail.init_mail(
                {
                    **app_ctx.config,
                    "MAIL_SERVER": "127.0.0.1",
                    "MAIL_PORT": _free_port(),
                    "MAIL_SUPPRESS_SEND": False,
                }
            ),
        )

    return down


def test_a_message_the_server_refuses_waits_sealed_and_the_worker_delivers_it(
    app_ctx, client, auth, inbox, server_down
) -> None:
    from tests.conftest import make_user

    make_user("organizer", "organizer")
    working = app_ctx.extensions["mail"]
    server_down()
    queue(
        "li.wen@example.org",
        "评议邀请",
        "请点击 https://example.gov/account/password/SECRET-LINK 设置密码",
        None,
    )
    db.session.commit()  # the send is attempted after the commit, and fails
    job = db.session.scalar(sa.select(Job).where(Job.kind == SEND_JOB))
    assert job is not None and job.state == JobState.PENDING and job.last_error
    assert "SECRET-LINK" not in str(job.payload)  # the content is sealed
    auth.login("organizer")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "邮件未送达" in page and "li.wen@example.org" in page and "评议邀请" in page
    auth.logout()

    app_ctx.extensions["mail"] = working  # the server is back
    assert run_due(now=utcnow() + timedelta(minutes=2)) == 1
    assert [m["To"] for m in inbox.messages] == ["li.wen@example.org"]
    assert "SECRET-LINK" in inbox.messages[0].get_body(("plain",)).get_content()
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == JobState.DONE


def test_after_the_last_attempt_it_is_marked_given_up(app_ctx, server_down) -> None:
    server_down()
    queue("nobody@example.org", "提醒", "正文", None)
    db.session.commit()
    now = utcnow()
    for _ in range(6):
        now += timedelta(days=1)
        run_due(now=now)
    job = db.session.scalar(sa.select(Job).where(Job.kind == SEND_JOB))
    db.session.refresh(job)
    assert job.state == JobState.FAILED and job.attempts == 5


def test_the_connection_to_the_mail_server_has_a_timeout(app_ctx, monkeypatch, server_down) -> None:
    import smtplib

    from evaluation import mailer

    seen = {}

    class Refusing:
        def __init__(self, host, port, timeout=None):
            seen["timeout"] = timeout
            raise OSError("no answer")

    monkeypatch.setattr(smtplib, "SMTP", Refusing)
    monkeypatch.setitem(app_ctx.config, "EVALUATION_MAIL_TIMEOUT", 7)
    server_down()
    with pytest.raises(OSError, match="no answer"):
        mailer.deliver("a@example.org", "s", "b", None)
    assert seen["timeout"] == 7
