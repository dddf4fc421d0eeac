"""`flask --app evaluation jobs work|run-due`."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from evaluation.jobs.runner import run_due

jobs_cli = AppGroup("jobs", help="Run background jobs (reminders, escalations, expiring invitations).")


@jobs_cli.command("run-due")
def run_due_command() -> None:
    """Run the jobs that are due, once (for cron)."""
    click.echo(f"ran {run_due()} jobs")


@jobs_cli.command("work")
@click.option(
    "--interval", default=30.0, show_default=True, help="Seconds between polls when nothing is due."
)
def work_command(interval: float) -> None:
    """Run due jobs until stopped; any number of workers may run side by side."""
    click.echo("working; Ctrl-C stops")
    while True:
        if run_due() == 0:
            time.sleep(interval)  # a daemon's poll interval, not a stand-in for waiting on something
