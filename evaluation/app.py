"""The application factory: configuration, extensions, blueprints, commands and job handlers."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, abort, current_app

from evaluation import config as config_module
from evaluation import crypto
from evaluation.commands import guard_commands
from evaluation.extensions import csrf, db, limiter, login_manager, mail, migrate

PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped_folder(name: str) -> str:
    """templates/ and migrations/ sit at the top of the source tree; a wheel carries them inside the package."""
    installed = PACKAGE_DIR / name
    return str(installed if installed.is_dir() else PACKAGE_DIR.parent / name)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("EVALUATION_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=_shipped_folder("templates"),
        static_folder="static",
    )
    # Under the command line a missing or malformed setting does not stop the app from loading: commands that
    # need no settings (and every --help) still run, the others refuse with one line (guard_commands).
    on_command_line = click.get_current_context(silent=True) is not None
    problems: list[str] | None = [] if on_command_line else None
    app.config.from_mapping(config_module.from_environment(app.instance_path, problems))
    if config:
        app.config.from_mapping(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if problems is None:
        config_module.check(app.config, debug=app.debug)
    else:
        problems += filter(None, [config_module.problem(app.config, debug=app.debug)])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("PROPAGATE_EXCEPTIONS") is None and not app.testing:
        # Even with FLASK_DEBUG (the demo) an error is our 500 page, never a traceback or the debugger's console.
        app.config["PROPAGATE_EXCEPTIONS"] = False

    crypto.configure(app.config["EVALUATION_PII_KEY"] or crypto.DEVELOPMENT_PII_KEY)

    from evaluation import models  # noqa: F401 - registers every table on the metadata

    db.init_app(app)
    migrate.init_app(app, db, directory=_shipped_folder("migrations"))
    login_manager.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from evaluation import i18n, logfilter, security, web

    logfilter.install(app.logger, logging.getLogger("evaluation"))
    i18n.init_app(app)
    security.init_app(app)
    web.init_app(app)
    _register_blueprints(app)
    _register_commands(app)
    _register_jobs()
    if problems:
        guard_commands(app.cli, problems[0])
        app.before_request(_refuse_unconfigured(problems[0]))
    return app


def _refuse_unconfigured(problem: str) -> Callable[[], Any]:
    """``flask run`` started without production settings serves nothing but the reason (logged) and a 503."""

    def refuse() -> Any:
        current_app.logger.error("refusing to serve: %s", problem)
        abort(503)

    return refuse


def _register_blueprints(app: Flask) -> None:
    from evaluation.accounts.views import bp as accounts_bp
    from evaluation.admin.views import bp as admin_bp
    from evaluation.api.views import bp as api_bp
    from evaluation.appeals.views import bp as appeals_bp
    from evaluation.appraisal.views import bp as appraisal_bp
    from evaluation.assessments.views import bp as assessments_bp
    from evaluation.batches.views import bp as batches_bp
    from evaluation.cases.views import bp as cases_bp
    from evaluation.main.views import bp as main_bp
    from evaluation.notices.views import bp as notices_bp
    from evaluation.rectifications.views import bp as rectifications_bp
    from evaluation.results.ranking_views import bp as standings_bp
    from evaluation.results.views import bp as results_bp
    from evaluation.scoring.views import bp as scoring_bp
    from panels.draw_views import bp as draws_bp
    from panels.views import bp as panels_bp
    from procurement import (  # noqa: F401 - their pages join the procurement blueprint
        agency_views,
        contract_views,
        expert_views,
        honoraria_views,
    )
    from procurement.views import bp as procurement_bp
    from rubrics.views import bp as rubrics_bp

    for bp in (
        main_bp,
        accounts_bp,
        admin_bp,
        cases_bp,
        batches_bp,
        results_bp,
        appeals_bp,
        standings_bp,
        notices_bp,
        appraisal_bp,
        rectifications_bp,
        panels_bp,
        draws_bp,
        assessments_bp,
        rubrics_bp,
        procurement_bp,
        api_bp,
        scoring_bp,
    ):
        app.register_blueprint(bp)


def _register_commands(app: Flask) -> None:
    from evaluation.accounts.cli import clients_cli, users_cli
    from evaluation.audit.cli import audit_cli
    from evaluation.batches.cli import batches_cli
    from evaluation.demo.cli import demo_cli
    from evaluation.jobs.cli import jobs_cli
    from evaluation.notices.cli import notices_cli
    from evaluation.publication.cli import outbox_cli
    from evaluation.results.cli import assessments_cli, results_cli
    from panels.cli import panels_cli
    from procurement.cli import procurement_cli
    from rubrics.cli import rubrics_cli

    for group in (
        users_cli,
        clients_cli,
        demo_cli,
        audit_cli,
        rubrics_cli,
        panels_cli,
        batches_cli,
        jobs_cli,
        outbox_cli,
        results_cli,
        assessments_cli,
        notices_cli,
        procurement_cli,
    ):
        app.cli.add_command(group)


def _register_jobs() -> None:
    """What each kind of background job runs (``flask jobs work`` and the tests find them here)."""
    from evaluation import mailer
    from evaluation.cases import importer
    from evaluation.jobs import reminders, runner
    from panels import invitations

    runner.register("batch.remind", reminders.remind_job)
    runner.register("batch.escalate", reminders.escalate_job)
    runner.register("seats.expire", invitations.expire_job)
    runner.register("imports.sweep", importer.sweep_job)
    runner.register(mailer.SEND_JOB, mailer.send_job)
