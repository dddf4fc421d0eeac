"""The agency's record: its KPIs measured on a contract (batches, quota, agreement, appeals, complaints), scored by
``procurement.kpi`` and kept; shown on the agency's page and beside its next bids."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from evaluation.appeals.models import Appeal, AppealState
from evaluation.assessments.models import Assessment
from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchItem
from evaluation.extensions import db
from procurement import kpi
from procurement.expert_models import AgencyReview
from procurement.models import Contract

GRACE = timedelta(days=3)  # finalizing within three days of the scoring window's close counts as on time


def measure(contract: Contract, complaints: int) -> kpi.Measured:
    batches = db.session.scalars(sa.select(Batch).where(Batch.contract_id == contract.id)).all()
    closed = [(b, b.finalized_dt) for b in batches if b.finalized_dt is not None]
    on_time = [b for b, done in closed if b.closes_dt is None or done <= b.closes_dt + GRACE]
    alphas = [
        f["alpha"]
        for b, _done in closed
        for f in ((b.figures or {}).get("criteria") or {}).values()
        if isinstance(f, dict) and f.get("alpha") is not None
    ]
    ids = [b.id for b in batches]
    done = db.session.scalar(
        sa.select(sa.func.count()).select_from(BatchItem).where(BatchItem.batch_id.in_(ids))
    )
    assessments = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Assessment)
        .join(BatchItem, BatchItem.id == Assessment.batch_item_id)
        .where(BatchItem.batch_id.in_(ids), Assessment.published_dt.is_not(None))
    )
    upheld = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Appeal)
        .join(Assessment, Assessment.id == Appeal.assessment_id)
        .join(BatchItem, BatchItem.id == Assessment.batch_item_id)
        .where(
            BatchItem.batch_id.in_(ids),
            Appeal.state.in_([AppealState.ACCEPTED, AppealState.DECIDED]),
        )
    )
    return kpi.Measured(
        batches_closed=len(closed),
        batches_on_time=len(on_time),
        cases_done=int(done or 0),
        case_quota=contract.case_quota,
        mean_alpha=sum(alphas) / len(alphas) if alphas else None,
        assessments=int(assessments or 0),
        appeals_upheld=int(upheld or 0),
        complaints=complaints,
    )


def review(contract: Contract, note: str, user_id: int | None, complaints: int = 0) -> AgencyReview:
    measured = measure(contract, complaints)
    points, total = kpi.score(measured)
    shares = kpi.shares(measured)
    found = AgencyReview(
        agency_id=contract.agency_id,
        contract_id=contract.id,
        kpis={
            name: {
                "share": None if shares[name] is None else str(shares[name]),
                "points": None if points[name] is None else str(points[name]),
                "weight": str(kpi.WEIGHTS[name]),
            }
            for name in kpi.WEIGHTS
        }
        | {"measured": measured.__dict__},
        score=float(total),
        note=note or None,
        created_by_id=user_id,
    )
    db.session.add(found)
    db.session.flush()
    record("procurement.agency_reviewed", "agency_review", found.id, {"score": str(total)}, actor_id=user_id)
    return found
