"""`flask --app evaluation rubrics list|export|import`."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.orm import selectinload

from evaluation.extensions import db
from rubrics.models import Rubric, RubricVersion
from rubrics.operations import export_version, import_version
from rubrics.spec import RubricSpecError

rubrics_cli = AppGroup("rubrics", help="List, export and import rubric versions (JSON).")


@rubrics_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help='Print a JSON list of {"code", "version", "state"}.')
def list_command(as_json: bool) -> None:
    """List the rubrics with their versions and states."""
    rows = db.session.execute(
        sa.select(Rubric.code, RubricVersion.number, RubricVersion.state, RubricVersion.name_zh)
        .join(RubricVersion, RubricVersion.rubric_id == Rubric.id)
        .order_by(Rubric.code, RubricVersion.number)
    ).all()
    if as_json:
        click.echo(
            json.dumps(
                [{"code": code, "version": number, "state": state.value} for code, number, state, _ in rows],
                ensure_ascii=False,
            )
        )
        return
    for code, number, state, name in rows:
        click.echo(f"{code}\tv{number}\t{state.value}\t{name}")


@rubrics_cli.command("export")
@click.argument("code")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
def export_command(code: str, number: int | None) -> None:
    """Write a rubric version as JSON to standard output."""
    query = (
        sa.select(RubricVersion)
        .join(Rubric)
        .where(Rubric.code == code)
        .options(selectinload(RubricVersion.criteria))
    )
    query = (
        query.where(RubricVersion.number == number) if number else query.order_by(RubricVersion.number.desc())
    )
    version = db.session.scalars(query.limit(1)).first()
    if version is None:
        what = f"version {number} of rubric {code!r}" if number else f"rubric {code!r}"
        raise click.ClickException(f"no {what}")
    click.echo(json.dumps(export_version(version), ensure_ascii=False, indent=2))


@rubrics_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish the new version at once (it is frozen from then on).")
def import_command(file: Path, publish: bool) -> None:
    """Create a new version (a draft unless --publish) from a JSON FILE; an invalid file stores nothing."""
    try:
        spec = json.loads(file.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise click.ClickException(f"no such file: {file}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{file} is not valid JSON: {exc}") from None
    try:
        version = import_version(spec, publish=publish)
    except RubricSpecError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(problem.text(), err=True)
        raise click.ClickException(f"{file}: {len(exc.problems)} problem(s); nothing was imported") from None
    db.session.commit()
    click.echo(f"imported {version.rubric.code} v{version.number} ({version.state.value})")
