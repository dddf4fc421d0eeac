"""`flask --app evaluation results ranking --from DATE --to DATE [--json]`: the ranking the page shows."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.ranking import DEFAULT_MIN_CASES
from evaluation.text import UserError

results_cli = AppGroup("results", help="Department results over a period.")


@results_cli.command("ranking")
@click.option("--from", "start", required=True, help="First day, in Beijing time (2026-06-01).")
@click.option("--to", "end", required=True, help="Last day, included (2026-11-30).")
@click.option(
    "--kind", default=None, help="Only departments of this kind (municipal, district, township, …)."
)
@click.option("--district", default=None, help="Only departments within this district's region code.")
@click.option("--category", default=None, help="Only cases of this category.")
@click.option("--min-cases", default=DEFAULT_MIN_CASES, show_default=True, help="Fewer cases: not ranked.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print a JSON list of {"department", "name", "cases", "score", "adjusted", "ci", "rank", '
    '"rank_range", "upheld_rate"}.',
)
def ranking_command(
    start: str,
    end: str,
    kind: str | None,
    district: str | None,
    category: str | None,
    min_cases: int,
    as_json: bool,
) -> None:
    """Departments ranked by severity-adjusted score, with 95 % intervals and rank ranges, over a period."""
    from evaluation.results import standings as st

    try:
        period = st.Period.parse(start, end, to_local(utcnow()).date())
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    rows = st.ranking(st.current(period, st.Filters(kind, district, category)), min_cases=min_cases)
    if as_json:
        click.echo(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return
    for row in rows:
        s = row.standing
        place = f"{s.rank} ({s.rank_range[0]}–{s.rank_range[1]})" if s.rank and s.rank_range else "-"
        interval = f"{s.ci[0]:.1f}–{s.ci[1]:.1f}" if s.ci else "-"
        click.echo(f"{place}\t{row.department}\t{row.name}\t{s.cases}\t{s.adjusted:.1f}\t{interval}")


assessments_cli = AppGroup("assessments", help="Settled assessments.")


@assessments_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True)
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, writable=True), required=True, help="File to write."
)
@click.option(
    "--batch", "batch_id", type=int, default=None, help="One batch's assessments, published or not."
)
@click.option(
    "--from", "start", default=None, help="Cases first published on or after this day (2026-06-01)."
)
@click.option("--to", "end", default=None, help="… and on or before this day; today when left out.")
def export_command(fmt: str, out: str, batch_id: int | None, start: str | None, end: str | None) -> None:
    """Every criterion, verdict answer, dissent count and agreement figure of each case, as the pages export it:
    one batch's, or the cases first published in a period by their current version (every published case when
    neither is given)."""
    from evaluation.batches.models import Batch
    from evaluation.extensions import db
    from evaluation.results import export
    from evaluation.results import standings as st

    if batch_id is not None and db.session.get(Batch, batch_id) is None:
        raise click.ClickException(f"no batch {batch_id}")
    period = None
    if start or end or batch_id is None:
        try:
            period = st.Period.parse(start or "2000-01-01", end, to_local(utcnow()).date())
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    rows = export.table(period, batch_id=batch_id)
    with open(out, "wb") as target:
        target.write(export.render(rows, fmt))
    click.echo(f"wrote {len(rows) - 1} assessments to {out}")
