"""评议 — the third-party evaluation platform for unsatisfied cases.

``flask --app evaluation …`` finds :func:`create_app` here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from evaluation import config as config_module
from evaluation import crypto
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
    app.config.from_mapping(config_module.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    config_module.check(app.config, debug=app.debug)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    crypto.configure(app.config["EVALUATION_PII_KEY"] or crypto.DEVELOPMENT_PII_KEY)

    from evaluation import models  # noqa: F401 - registers every table on the metadata

    db.init_app(app)
    migrate.init_app(app, db, directory=_shipped_folder("migrations"))
    login_manager.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from evaluation import i18n, security, web

    i18n.init_app(app)
    security.init_app(app)
    web.init_app(app)
    _register_blueprints(app)
    _register_commands(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from evaluation.accounts.views import bp as accounts_bp
    from evaluation.admin.views import bp as admin_bp
    from evaluation.api.views import bp as api_bp
    from evaluation.batches.views import bp as batches_bp
    from evaluation.cases.views import bp as cases_bp
    from evaluation.main.views import bp as main_bp
    from evaluation.results.views import bp as results_bp
    from evaluation.scoring.views import bp as scoring_bp
    from panels.views import bp as panels_bp
    from procurement.views import bp as procurement_bp
    from rubrics.views import bp as rubrics_bp

    for bp in (main_bp, accounts_bp, admin_bp, cases_bp, batches_bp, results_bp,
               panels_bp, rubrics_bp, procurement_bp, api_bp, scoring_bp):
        app.register_blueprint(bp)


def _register_commands(app: Flask) -> None:
    from evaluation.accounts.cli import clients_cli, users_cli
    from evaluation.audit.cli import audit_cli
    from evaluation.batches.cli import batches_cli
    from evaluation.demo.cli import demo_cli
    from evaluation.jobs.cli import jobs_cli
    from panels.cli import panels_cli
    from rubrics.cli import rubrics_cli

    for group in (users_cli, clients_cli, demo_cli, audit_cli, rubrics_cli, panels_cli, batches_cli, jobs_cli):
        app.cli.add_command(group)
