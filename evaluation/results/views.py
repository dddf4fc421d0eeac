from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.assessments.models import Assessment
from evaluation.extensions import db
from evaluation.org.models import Department
from evaluation.web import page_arg

bp = Blueprint("results", __name__, url_prefix="/results")


@bp.get("/")
@roles_required(Role.DEPARTMENT)
def index() -> str:
    """A department's published results: its own and its subordinate units', never a sibling's."""
    page = None
    if current_user.department_id is not None:
        query = (
            sa.select(Assessment)
            .where(
                Assessment.published_dt.is_not(None),
                Assessment.department_id.in_(Department.subtree_ids(current_user.department_id)),
            )
            .options(joinedload(Assessment.case), joinedload(Assessment.department))
            .order_by(Assessment.published_dt.desc(), Assessment.id)
        )
        page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    return render_template("evaluation/results/index.html", page=page)
