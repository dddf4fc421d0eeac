from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.extensions import db
from procurement.models import Contract, PurchaseProject

bp = Blueprint("procurement", __name__, url_prefix="/procurement")


@bp.get("/")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def index() -> str:
    """Organizers see every project and contract; an agency user only its own contracts."""
    contracts_query = (
        sa.select(Contract).options(joinedload(Contract.agency)).order_by(Contract.start_date.desc())
    )
    projects: list[PurchaseProject] = []
    if current_user.has_role(Role.ORGANIZER):
        projects = list(
            db.session.scalars(sa.select(PurchaseProject).order_by(PurchaseProject.created_dt.desc()))
        )
    else:
        contracts_query = contracts_query.where(Contract.agency_id == current_user.agency_id)
    contracts = db.session.scalars(contracts_query).all()
    return render_template("procurement/index.html", projects=projects, contracts=contracts)
