from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from sqlalchemy.orm import selectinload

from evaluation.access import roles_required
from evaluation.accounts.models import Role, User
from evaluation.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@roles_required(Role.ADMIN)
def users() -> str:
    query = sa.select(User).options(selectinload(User.department)).order_by(User.username)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    return render_template("evaluation/admin/users.html", page=page)
