"""`flask --app evaluation batches list`, `batches finalize ID` and `batches publish ID`."""

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


@batches_cli.command("finalize")
@click.argument("batch_id", type=int)
@click.option(
    "--without-silent-outliers",
    is_flag=True,
    help="Go on although an outlier has not given a reason (as the page's box; recorded in the audit trail).",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"batch", "assessments", "figures"}.')
def finalize_command(batch_id: int, without_silent_outliers: bool, as_json: bool) -> None:
    """Settle every case of batch BATCH_ID and compute its figures, as the batch page's button does. A tied
    panel's verdict needs the organizer's written reason: decide ties on the page."""
    from evaluation.assessments.operations import SettleError, finalize

    batch = db.session.get(Batch, batch_id)
    if batch is None:
        raise click.ClickException(f"no batch {batch_id}")
    try:
        settled = finalize(batch, {}, None, without_silent_outliers=without_silent_outliers)
    except SettleError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    if as_json:
        click.echo(
            json.dumps(
                {"batch": batch.id, "assessments": settled, "figures": batch.figures}, ensure_ascii=False
            )
        )
        return
    click.echo(f"finalized batch {batch.id}: {settled} assessments")


@batches_cli.command("publish")
@click.argument("batch_id", type=int)
@click.option("--json", "as_json", is_flag=True, help='Print {"batch", "published"}.')
def publish_command(batch_id: int, as_json: bool) -> None:
    """Publish the finalized batch BATCH_ID, as the batch page's button does: its assessments go to the main
    system (webhook messages for every subscribed client, and the pull API)."""
    from evaluation.publication.operations import PublishError, publish_batch

    batch = db.session.get(Batch, batch_id)
    if batch is None:
        raise click.ClickException(f"no batch {batch_id}")
    try:
        published = publish_batch(batch, None)
    except PublishError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    if as_json:
        click.echo(json.dumps({"batch": batch.id, "published": published}))
        return
    click.echo(f"published batch {batch.id}: {published} assessments")
