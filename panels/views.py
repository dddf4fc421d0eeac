from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from sqlalchemy.orm import joinedload

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.extensions import db
from panels.models import Member, MemberRole

bp = Blueprint("panels", __name__, url_prefix="/panels")


@bp.get("/members")
@roles_required(Role.ORGANIZER)
def index() -> str:
    role = request.args.get("role") or None
    query = sa.select(Member).options(joinedload(Member.affiliation)).order_by(Member.role, Member.name)
    if role in {r.value for r in MemberRole}:
        query = query.where(Member.role == role)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    return render_template("panels/index.html", page=page, role=role, roles=list(MemberRole))
