from __future__ import annotations

import click
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Build the demonstration data set.")


@demo_cli.command("seed")
def seed_command() -> None:
    """Build (or complete) the realistic Chinese demo data set; running it again adds nothing."""
    from evaluation.demo.seed import seed

    summary = seed()
    for line in summary:
        click.echo(line)
