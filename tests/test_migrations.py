"""The migrations and the models must describe the same schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from evaluation import create_app
from evaluation.extensions import db


def test_migrations_match_the_models(app_ctx) -> None:
    # The session's schema was built by `upgrade()` from nothing (see conftest): compare it with the models.
    configure = app_ctx.extensions["migrate"].configure_args
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": configure["compare_type"]})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree; run `flask --app evaluation db migrate`: {diff}"


def test_upgrade_works_on_an_empty_sqlite_file(tmp_path) -> None:
    path = tmp_path / "fresh.db"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            tables = set(db.inspect(conn).get_table_names())
        db.engine.dispose()
    assert {
        "cases",
        "users",
        "rubric_versions",
        "seats",
        "assessments",
        "outbox_messages",
        "alembic_version",
    } <= tables
