"""`flask --app evaluation panels solve|verify-draw`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from evaluation.commands import needs_no_settings, stdout_to_stderr
from panels.assignment import ProblemError, parse_problem, solve

panels_cli = AppGroup("panels", help="Solve and verify panel draws.")


@panels_cli.command("solve")
@click.argument("problem_file", type=click.Path(dir_okay=False, path_type=Path))
@needs_no_settings
def solve_command(problem_file: Path) -> None:
    """Solve a draw problem from PROBLEM_FILE (JSON) without the database and print the assignment as JSON.

    Exit 0 when solved, 1 when infeasible (the problems are printed), 2 when the file is malformed. Standard
    output carries the JSON alone; the solver's own messages go to standard error.
    """
    try:
        data = json.loads(problem_file.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        click.echo(f"Error: no such file: {problem_file}", err=True)
        sys.exit(2)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        click.echo(f"Error: {problem_file} is not valid JSON: {exc}", err=True)
        sys.exit(2)
    try:
        problem = parse_problem(data)
    except ProblemError as exc:
        for path, message in exc.problems:
            click.echo(f"{path}: {message}", err=True)
        click.echo(f"Error: {problem_file}: {len(exc.problems)} problem(s) in the file", err=True)
        sys.exit(2)
    with stdout_to_stderr():
        solution = solve(problem)
    click.echo(json.dumps(solution.as_json(), ensure_ascii=False, sort_keys=True))
    if solution.status == "infeasible":
        sys.exit(1)


@panels_cli.command("verify-draw")
@click.argument("draw_id", type=int)
def verify_draw_command(draw_id: int) -> None:
    """Recompute stored draw DRAW_ID from its revealed seed and snapshot; report a match or the first difference."""
    from evaluation.extensions import db
    from panels.draw import verify_draw
    from panels.models import Draw

    draw = db.session.get(Draw, draw_id)
    if draw is None:
        raise click.ClickException(f"no draw {draw_id}")
    with stdout_to_stderr():
        ok, detail = verify_draw(draw)
    if not ok:
        raise click.ClickException(f"draw {draw_id} does not verify: {detail}")
    click.echo(f"draw {draw_id} verified: the seed matches its hash and the replay matches the stored panels")
