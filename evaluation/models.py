"""Imports every package's models, so the metadata (and Alembic) sees the whole schema."""

from evaluation.accounts.models import ApiClient, Role, User, UserRole
from evaluation.appeals.models import Appeal
from evaluation.appraisal.models import AppraisalWeight
from evaluation.assessments.models import Assessment, Verdict
from evaluation.audit.models import AuditEvent
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import Case, CaseAttachment, CaseView, HandlingStep, VerificationCall
from evaluation.jobs.models import Job
from evaluation.notices.models import Notice
from evaluation.org.models import Department, DepartmentKind, Region
from evaluation.publication.models import OutboxMessage
from evaluation.rectifications.models import Rectification
from evaluation.scoring.models import Answer, ScoreSheet, SheetRevision
from panels.models import (
    CompositionPolicy,
    Conflict,
    Draw,
    Member,
    MemberAffiliation,
    MemberUnavailability,
    Panel,
    Recusal,
    Seat,
    SeatSubstitute,
)
from procurement.expert_models import AgencyReview, BidScore, ExpertDraw, ExpertRelation, ExpertSeat
from procurement.models import Agency, Bid, Contract, Deliverable, Honorarium, Payment, PurchaseProject
from rubrics.models import Criterion, Rubric, RubricVersion

__all__ = [
    "Agency",
    "AgencyReview",
    "Answer",
    "ApiClient",
    "Appeal",
    "AppraisalWeight",
    "Assessment",
    "AuditEvent",
    "Batch",
    "BatchItem",
    "BatchState",
    "Bid",
    "BidScore",
    "Case",
    "CaseAttachment",
    "CaseView",
    "CompositionPolicy",
    "Conflict",
    "Contract",
    "Criterion",
    "Deliverable",
    "Department",
    "DepartmentKind",
    "Draw",
    "ExpertDraw",
    "ExpertRelation",
    "ExpertSeat",
    "HandlingStep",
    "Honorarium",
    "Job",
    "Notice",
    "Rectification",
    "Member",
    "MemberAffiliation",
    "MemberUnavailability",
    "OutboxMessage",
    "Panel",
    "Payment",
    "PurchaseProject",
    "Recusal",
    "Region",
    "Role",
    "Rubric",
    "RubricVersion",
    "ScoreSheet",
    "Seat",
    "SeatSubstitute",
    "SheetRevision",
    "User",
    "UserRole",
    "Verdict",
    "VerificationCall",
]
