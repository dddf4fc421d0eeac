"""`flask --app evaluation notices render --from DATE --to DATE --format html|pdf|xlsx --out FILE`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from evaluation.text import UserError

notices_cli = AppGroup("notices", help="Periodic notices (通报).")


@notices_cli.command("render")
@click.option("--from", "start", required=True, help="First day, in Beijing time (2026-06-01).")
@click.option("--to", "end", required=True, help="Last day, included (2026-11-30).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "xlsx"]), required=True)
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, writable=True), required=True, help="File to write."
)
@click.option("--title", default=None, help="The notice's title (default: the period's).")
@click.option("--public", is_flag=True, help="The public version: no case numbers, no identities.")
def render_command(start: str, end: str, fmt: str, out: str, title: str | None, public: bool) -> None:
    """Render the notice of a period as the pages render it (a draft: the data as they stand now)."""
    from flask import current_app
    from flask_babel import gettext

    from evaluation.clock import to_local
    from evaluation.db import utcnow
    from evaluation.notices import document
    from evaluation.notices.operations import content
    from evaluation.results.standings import Period

    try:
        period = Period.parse(start, end, to_local(utcnow()).date())
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    with current_app.test_request_context():  # templates and url_for as a page has them
        heading = title or gettext("Notice: %(from)s to %(to)s", **{"from": start, "to": end})
        doc = content(heading, period, None, [])
        if fmt == "html":
            body = document.html(doc, public=public, standalone=True).encode()
        elif fmt == "pdf":
            body = document.pdf(doc, public=public)
        else:
            body = document.xlsx(doc, public=public)
    with open(out, "wb") as target:
        target.write(body)
    click.echo(f"wrote the notice for {start} to {end} ({len(doc['ranking'])} departments) to {out}")
