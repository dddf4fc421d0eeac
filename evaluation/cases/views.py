from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from sqlalchemy.orm import joinedload

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.cases.models import Case, CaseStatus
from evaluation.extensions import db

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("/")
@roles_required(Role.ORGANIZER)
def index() -> str:
    status = request.args.get("status") or None
    query = sa.select(Case).options(joinedload(Case.lead_department)).order_by(Case.received_dt.desc(), Case.id)
    if status in {s.value for s in CaseStatus}:
        query = query.where(Case.status == status)
    page = db.paginate(query, page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["EVALUATION_PAGE_SIZE"], error_out=False)
    return render_template("evaluation/cases/index.html", page=page, status=status, statuses=list(CaseStatus))
