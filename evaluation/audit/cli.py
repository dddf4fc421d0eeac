from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from evaluation.audit.operations import CheckpointError, checkpoint, read_checkpoint, verify_against

audit_cli = AppGroup("audit", help="Check the hash-chained audit log.")


def _checkpoints(path: Path) -> list:
    """Every checkpoint in a file of JSON lines (what `audit checkpoint --out` appends to)."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(read_checkpoint(json.loads(line)))
        except (json.JSONDecodeError, CheckpointError) as exc:
            raise click.ClickException(f"{path}, line {number}: {exc}") from None
    return found


@audit_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of checkpoints (JSON lines) written by `audit checkpoint --out`; each must still hold.",
)
def verify_command(as_json: bool, checkpoint_file: Path | None) -> None:
    """Recompute the audit chain and report the first broken link; with --checkpoint, also find every
    checkpointed length and head in it (deleted tails, a wiped table, a rewritten history). Then check the score
    sheets, assessments and draws against the events that recorded them."""
    points = _checkpoints(checkpoint_file) if checkpoint_file else []
    verdict = verify_against(points)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "intact": verdict.intact,
                    "events": verdict.events,
                    "first_broken_id": verdict.first_broken_id,
                    "checkpoints": len(points),
                    "problem": verdict.problem,
                    "records": verdict.records,
                    "record_problems": [p.as_json() for p in verdict.record_problems],
                }
            )
        )
    elif verdict.intact:
        click.echo(
            f"audit log intact: {verdict.events} events; checkpoints that hold: {len(points)}; "
            f"records that match their events: {verdict.records}"
        )
    if not verdict.intact:
        for problem in verdict.record_problems[1:]:
            click.echo(problem.problem, err=True)
        where = f"broken at event {verdict.first_broken_id}" if verdict.first_broken_id else "broken"
        raise click.ClickException(
            f"audit log {where} after {verdict.events} intact events: {verdict.problem}"
        )


@audit_cli.command("checkpoint")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append the checkpoint to this file (JSON lines) as well as printing it; keep it off the database host.",
)
def checkpoint_command(out: Path | None) -> None:
    """Print the chain's length and head, signed with EVALUATION_AUDIT_KEY, as one line of JSON."""
    try:
        point = checkpoint()
    except CheckpointError as exc:
        raise click.ClickException(str(exc)) from None
    line = json.dumps(point.as_json())
    if out is not None:
        with out.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    click.echo(line)
