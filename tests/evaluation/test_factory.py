from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from evaluation import create_app
from evaluation.config import DEVELOPMENT_SECRET_KEY, ConfigError, normalise_database_url
from evaluation.extensions import db
from evaluation.jobs.models import Job

PRODUCTION = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SECRET_KEY", "DATABASE_URL", "EVALUATION_PII_KEY", "EVALUATION_AUDIT_KEY", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_refuses_development_secret_outside_debug_and_testing(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(PRODUCTION)


def test_refuses_production_without_pii_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SECRET_KEY", "a-real-secret")
    with pytest.raises(ConfigError, match="EVALUATION_PII_KEY"):
        create_app(PRODUCTION)


def test_refuses_production_without_an_audit_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SECRET_KEY", "a-real-secret")
    clean_env.setenv("EVALUATION_PII_KEY", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="EVALUATION_AUDIT_KEY"):
        create_app(PRODUCTION)


def test_starts_in_production_with_secret_pii_and_audit_keys(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SECRET_KEY", "a-real-secret")
    clean_env.setenv("EVALUATION_PII_KEY", Fernet.generate_key().decode())
    clean_env.setenv("EVALUATION_AUDIT_KEY", "an-audit-key-kept-elsewhere")
    app = create_app(PRODUCTION)
    assert not app.debug and not app.testing
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_debug_and_testing_accept_the_development_secret(clean_env: pytest.MonkeyPatch) -> None:
    assert create_app({"TESTING": True, **PRODUCTION}).config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
    clean_env.setenv("FLASK_DEBUG", "1")
    assert create_app(PRODUCTION).debug


def test_a_malformed_pii_key_is_a_clear_error(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("EVALUATION_PII_KEY", "not-a-key")
    with pytest.raises(RuntimeError, match="EVALUATION_PII_KEY must be"):
        create_app({"TESTING": True, **PRODUCTION})


def test_configuration_comes_from_the_environment(clean_env: pytest.MonkeyPatch, tmp_path) -> None:
    clean_env.setenv("DATABASE_URL", "postgres://u@db.internal/evaluation")
    clean_env.setenv("MAIL_SERVER", "smtp.example.gov")
    clean_env.setenv("MAIL_PORT", "2525")
    clean_env.setenv("EVALUATION_PAGE_SIZE", "20")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/evaluation"
    assert app.config["MAIL_SERVER"] == "smtp.example.gov"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["EVALUATION_PAGE_SIZE"] == 20


def test_a_non_numeric_setting_names_itself(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MAIL_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        create_app({"TESTING": True})


def test_default_database_is_sqlite_under_instance(clean_env: pytest.MonkeyPatch, tmp_path) -> None:
    clean_env.setenv("EVALUATION_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'evaluation.db'}"
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgres://h/d", "postgresql+psycopg://h/d"),
        ("postgresql://h/d", "postgresql+psycopg://h/d"),
        ("postgresql+psycopg://h/d", "postgresql+psycopg://h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_normalisation(url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected


def test_every_blueprint_is_registered(app) -> None:
    assert {
        "main",
        "accounts",
        "admin",
        "cases",
        "batches",
        "results",
        "panels",
        "rubrics",
        "procurement",
    } <= set(app.blueprints)


def test_timestamps_are_stored_in_utc_and_come_back_aware(app_ctx) -> None:
    beijing = timezone(timedelta(hours=8))
    job = Job(kind="probe", run_at_dt=datetime(2026, 11, 26, 9, 30, tzinfo=beijing))
    db.session.add(job)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Job, job.id)
    assert stored.run_at_dt == datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
    assert stored.run_at_dt.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(app_ctx) -> None:
    db.session.add(Job(kind="probe", run_at_dt=datetime(2026, 11, 26, 9, 30)))  # noqa: DTZ001
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.flush()


def test_security_headers(client) -> None:
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
