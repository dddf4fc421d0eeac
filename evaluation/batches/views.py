from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.batches.models import Batch, BatchItem
from evaluation.extensions import db
from panels.models import Member, Panel, Seat
from procurement.models import Contract

bp = Blueprint("batches", __name__, url_prefix="/batches")


def visible_batches() -> sa.Select[tuple[Batch]]:
    """Organizers see every batch; an agency user only the batches of its own contracts."""
    query = sa.select(Batch)
    if not current_user.has_role(Role.ORGANIZER):
        query = query.join(Contract, Batch.contract_id == Contract.id).where(
            Contract.agency_id == current_user.agency_id
        )
    return query


@bp.get("/")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def index() -> str:
    item_counts = (
        sa.select(BatchItem.batch_id, sa.func.count().label("n")).group_by(BatchItem.batch_id).subquery()
    )
    query = (
        visible_batches()
        .add_columns(sa.func.coalesce(item_counts.c.n, 0))
        .outerjoin(item_counts, item_counts.c.batch_id == Batch.id)
        .options(joinedload(Batch.rubric_version))
        .order_by(Batch.created_dt.desc())
    )
    rows = db.session.execute(query).all()
    return render_template("evaluation/batches/index.html", rows=rows)


@bp.get("/mine")
@roles_required(Role.MEMBER)
def my_seats() -> str:
    member = db.session.scalar(sa.select(Member).where(Member.user_id == current_user.id))
    seats: list[Seat] = []
    if member is not None:
        seats = list(db.session.scalars(
            sa.select(Seat)
            .where(Seat.member_id == member.id)
            .options(
                selectinload(Seat.panel).selectinload(Panel.batch_item).selectinload(BatchItem.batch),
                selectinload(Seat.panel).selectinload(Panel.batch_item).selectinload(BatchItem.case),
            )
            .order_by(Seat.created_dt.desc())
        ))
    return render_template("evaluation/batches/my_seats.html", member=member, seats=seats)
