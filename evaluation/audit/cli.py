from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from evaluation.audit.operations import verify

audit_cli = AppGroup("audit", help="Check the hash-chained audit log.")


@audit_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_command(as_json: bool) -> None:
    """Recompute the audit chain and report the first broken link."""
    intact, count, broken_id = verify()
    if as_json:
        click.echo(json.dumps({"intact": intact, "events": count, "first_broken_id": broken_id}))
    elif intact:
        click.echo(f"audit log intact: {count} events")
    if not intact:
        raise click.ClickException(f"audit log broken at event {broken_id} after {count} intact events")
