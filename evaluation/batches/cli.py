"""`flask --app evaluation batches list`."""

from __future__ import annotations

import json

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from evaluation.batches.models import Batch
from evaluation.batches.operations import batch_rows
from evaluation.extensions import db

batches_cli = AppGroup("batches", help="Evaluation batches.")


@batches_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help='Print a JSON list of {"id", "name", "state"}.')
def list_command(as_json: bool) -> None:
    """List the batches: id, name and state."""
    rows = batch_rows(list(db.session.scalars(sa.select(Batch).order_by(Batch.id))))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['id']}\t{row['state']}\t{row['name']}")
