from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from sqlalchemy.orm import selectinload

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.batches.models import Batch
from evaluation.extensions import db
from rubrics.models import Rubric

bp = Blueprint("rubrics", __name__, url_prefix="/rubrics")


@bp.get("/")
@roles_required(Role.ORGANIZER)
def index() -> str:
    rubrics = db.session.scalars(
        sa.select(Rubric).options(selectinload(Rubric.versions)).order_by(Rubric.code)
    ).all()
    usage = dict(db.session.execute(
        sa.select(Batch.rubric_version_id, sa.func.count()).group_by(Batch.rubric_version_id)
    ).all())
    return render_template("rubrics/index.html", rubrics=rubrics, usage=usage)
