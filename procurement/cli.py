"""`flask --app evaluation procurement show CODE [--json]`: a purchase project, its bids and their scores."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import click
from flask.cli import AppGroup

procurement_cli = AppGroup("procurement", help="Procurement of evaluation services.")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def project_summary(code: str) -> dict[str, Any] | None:
    """The project with its state and price weight, and each bid with its validity, low-price flag and scores
    by the comprehensive method (``procurement.scoring``), exact decimals as strings."""
    import sqlalchemy as sa
    from sqlalchemy.orm import selectinload

    from evaluation.extensions import db
    from procurement.evaluation import bid_results
    from procurement.models import Bid, BidState, PurchaseProject
    from procurement.scoring import flagged_low, rank_bids

    project = db.session.scalar(
        sa.select(PurchaseProject)
        .where(PurchaseProject.code == code)
        .options(selectinload(PurchaseProject.bids).selectinload(Bid.agency))
    )
    if project is None:
        return None
    weight = Decimal(str(project.price_weight))
    valid = [b for b in project.bids if b.state != BidState.INVALID and b.state != BidState.WITHDRAWN]
    low = dict(zip((b.id for b in valid), flagged_low([b.price for b in valid]), strict=True))
    # The experts' submitted scores, as the report computes them; a bid without any keeps its recorded score.
    from_scores = {key: s.technical for key, s in bid_results(project).items()}
    technical = {
        b.id: from_scores.get(b.id, None if b.technical_score is None else Decimal(str(b.technical_score)))
        for b in valid
    }
    rows = [(b.id, b.price, technical[b.id]) for b in valid if technical[b.id] is not None]
    scored = {s.key: s for s in rank_bids(rows, weight)}  # type: ignore[arg-type]
    bids = []
    for bid in sorted(
        project.bids, key=lambda b: (b.id not in scored, scored[b.id].rank if b.id in scored else 0, b.id)
    ):
        s = scored.get(bid.id)
        bids.append(
            {
                "agency": bid.agency.name,
                "price": _text(bid.price),
                "valid": bid in valid,
                "invalid_reason": bid.invalid_reason,
                "flagged_low": low.get(bid.id, False),
                "technical": _text(s.technical) if s else None,
                "price_score": _text(s.price_score) if s else None,
                "total": _text(s.total) if s else None,
                "rank": s.rank if s else None,
            }
        )
    return {
        "code": project.code,
        "title": project.title,
        "state": project.state.value,
        "budget": _text(project.budget),
        "price_weight": _text(weight),
        "bids": bids,
    }


@procurement_cli.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print the project and its bids as JSON.")
def show_command(code: str, as_json: bool) -> None:
    """A purchase project with its state and price weight, and its bids: agency, price, validity, the low-price
    flag, technical and price scores, total and rank."""
    summary = project_summary(code)
    if summary is None:
        raise click.ClickException(f"no purchase project {code}")
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(
        f"{summary['code']}\t{summary['state']}\tprice weight {summary['price_weight']}\t{summary['title']}"
    )
    for bid in summary["bids"]:
        flags = "" if bid["valid"] else f"invalid: {bid['invalid_reason']}"
        flags += " flagged low" if bid["flagged_low"] else ""
        click.echo(
            f"  {bid['rank'] or '-'}\t{bid['agency']}\t{bid['price']}\t{bid['total'] or '-'}\t{flags}".rstrip()
        )


@procurement_cli.command("verify-draw")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def verify_draw_command(code: str, as_json: bool) -> None:
    """Replay the expert draw of project CODE from its revealed seed and stored problem; exit 1 if it differs."""
    import sqlalchemy as sa

    from evaluation.commands import stdout_to_stderr
    from evaluation.extensions import db
    from procurement.evaluation import verify_draw
    from procurement.expert_models import ExpertDraw
    from procurement.models import PurchaseProject

    draw = db.session.scalar(sa.select(ExpertDraw).join(PurchaseProject).where(PurchaseProject.code == code))
    if draw is None:
        raise click.ClickException(f"project {code} has no expert draw")
    with stdout_to_stderr():  # the solver's banner is not part of the answer
        ok, detail = verify_draw(draw)
    if as_json:
        click.echo(json.dumps({"project": code, "verified": ok, "detail": detail}, ensure_ascii=False))
        if not ok:
            raise SystemExit(1)
        return
    if not ok:
        raise click.ClickException(f"the expert draw of {code} does not verify: {detail}")
    click.echo(f"the expert draw of {code} verified: {detail}")
