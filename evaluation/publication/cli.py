"""`flask --app evaluation outbox work [--once]` and `outbox replay ID… | --dead`."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from evaluation.extensions import db

outbox_cli = AppGroup("outbox", help="Webhook deliveries of published assessments.")


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron or a test).")
def work_command(once: bool) -> None:
    """Deliver the outbox until stopped; any number of workers may run at once."""
    from evaluation.publication.outbox import work

    delivered = work(once=once)
    click.echo(f"delivered {delivered} messages")


@outbox_cli.command("replay")
@click.argument("message_ids", nargs=-1, type=int)
@click.option("--dead", "all_dead", is_flag=True, help="Every dead message.")
@click.option("--json", "as_json", is_flag=True, help='Print {"replayed": n}.')
def replay_command(message_ids: tuple[int, ...], all_dead: bool, as_json: bool) -> None:
    """Make dead messages due again (their attempts start over)."""
    from evaluation.publication.outbox import replay

    if not message_ids and not all_dead:
        raise click.UsageError("name the messages to replay, or give --dead for all of them")
    count = replay(None if all_dead else list(message_ids))
    db.session.commit()
    click.echo(json.dumps({"replayed": count}) if as_json else f"replayed {count} messages")
