"""Human labels for the codes stored in the database; English message ids, translated by Babel."""

from __future__ import annotations

from enum import Enum
from typing import Any

from flask_babel import lazy_gettext as _l

LABELS: dict[str, Any] = {
    # roles
    "admin": _l("Administrator"),
    "organizer": _l("Organizer"),
    "member": _l("Panel member"),
    "department": _l("Department"),
    "agency": _l("Evaluation agency"),
    # member roles
    "official": _l("Government official"),
    "lawyer": _l("Lawyer representative"),
    "township_rep": _l("Township/street representative"),
    "citizen_rep": _l("Citizen representative"),
    "expert": _l("Procurement expert"),
    # case types
    "consultation": _l("Consultation"),
    "help": _l("Request for help"),
    "complaint": _l("Complaint"),
    "report": _l("Whistle-blowing report"),
    "suggestion": _l("Suggestion"),
    "other": _l("Other"),
    # channels
    "hotline": _l("12345 hotline"),
    "mayor_mailbox": _l("Mayor's mailbox"),
    "secretary_mailbox": _l("Party secretary's mailbox"),
    "web": _l("Website"),
    "app": _l("Mobile app"),
    # case states
    "received": _l("Received"),
    "eligible": _l("Eligible"),
    "excluded": _l("Excluded"),
    "queued": _l("Queued"),
    "in_review": _l("In review"),
    "assessed": _l("Assessed"),
    "published": _l("Published"),
    "appealed": _l("Appealed"),
    "closed": _l("Closed"),
    # batch states
    "draft": _l("Draft"),
    "panels_drawn": _l("Panels drawn"),
    "scoring": _l("Scoring"),
    "deliberation": _l("Deliberation"),
    "finalized": _l("Finalized"),
    # seat and sheet states
    "drawn": _l("Drawn"),
    "invited": _l("Invited"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "recused": _l("Recused"),
    "replaced": _l("Replaced"),
    "submitted": _l("Submitted"),
    "revised": _l("Revised"),
    # rubric version states
    "retired": _l("Retired"),
    # rubric dimensions, criterion roles, scales, aggregation
    "procedure": _l("Procedure"),
    "content": _l("Content"),
    "goal": _l("Goal"),
    "score": _l("Scored criterion"),
    "claim_reasonable": _l("Was the demand reasonable?"),
    "duty_done": _l("Did the department do its duty?"),
    "verdict": _l("Verdict"),
    "responsibility": _l("Responsibility"),
    "recommendation": _l("Recommendation"),
    "note": _l("Note"),
    "ordinal": _l("Levels"),
    "range": _l("Number in a range"),
    "boolean": _l("Yes / no"),
    "nominal": _l("Options"),
    "weighted_mean": _l("Weighted mean"),
    "trimmed_mean": _l("Trimmed mean (drop the highest and lowest, 5 or more members)"),
    # verdicts
    "upheld": _l("Upheld"),
    "partly_upheld": _l("Partly upheld"),
    "not_upheld": _l("Not upheld"),
    # exclusion reasons
    "duplicate": _l("Duplicate"),
    "out_of_scope": _l("Out of scope"),
    "withdrawn": _l("Withdrawn by the citizen"),
    "resolved_on_rehandling": _l("Resolved on re-handling"),
    # handling steps
    "accept": _l("Case accepted"),
    "dispatch": _l("Dispatched"),
    "sign": _l("Signed for"),
    "return": _l("Returned"),
    "reassign": _l("Reassigned"),
    "extend": _l("Extension requested"),
    "reply": _l("Replied"),
    "audit": _l("Audited"),
    "callback": _l("Callback"),
    "rehandle": _l("Re-handled"),
    # conflicts
    "declared": _l("Declared by the member"),
    "department_request": _l("Requested by the department"),
    "citizen_request": _l("Requested by the citizen"),
    "rejected": _l("Rejected"),
    # recusal rules
    "affiliation": _l("Works for a department of the case"),
    "former_affiliation": _l("Worked for a department of the case in the last three years"),
    "declared_conflict": _l("Declared a conflict"),
    "recusal_request": _l("Recusal request accepted"),
    "earlier_panel": _l("Sat on an earlier panel of this case"),
    # appeals and the items of a batch
    "filed": _l("Waiting for a decision"),
    "decided": _l("Re-reviewed"),
    "review": _l("Review"),
    "appeal_review": _l("Re-review after an appeal"),
    # rectifications
    "due": _l("To be reported"),
    "returned": _l("Returned for more"),
    # appraisal inputs
    "adjusted_score": _l("Mean severity-adjusted score"),
    "upheld_rate": _l("Upheld rate"),
    "appeals_upheld": _l("Appeals accepted for re-review"),
    "rectifications_on_time": _l("Rectifications reported on time"),
    # agencies
    "suspended": _l("Suspended"),
    "blacklisted": _l("Blacklisted"),
    # notices
    "issued": _l("Issued"),
    # draw statuses
    "pending": _l("Pending"),
    # webhook deliveries
    "retrying": _l("Retrying"),
    "delivered": _l("Delivered"),
    "dead": _l("Given up"),
    "assessment.published": _l("Assessment published"),
    "assessment.corrected": _l("Assessment corrected"),
    "no_webhook": _l("The client has no webhook address, or was revoked."),
    "optimal": _l("Drawn"),
    "infeasible": _l("Infeasible"),
    "feasible": _l("Drawn"),
    # callback ratings
    "unsatisfied": _l("Unsatisfied"),
    "very_unsatisfied": _l("Very unsatisfied"),
    # department kinds
    "municipal": _l("Municipal bureau"),
    "district": _l("District government"),
    "township": _l("Township / street"),
    "enterprise": _l("Public enterprise"),
    # contracts and projects
    "active": _l("Active"),
    "completed": _l("Completed"),
    "terminated": _l("Terminated"),
    "open": _l("Open for bids"),
    "evaluating": _l("Evaluating bids"),
    "awarded": _l("Awarded"),
    "cancelled": _l("Cancelled"),
    "planning": _l("Planning"),
    "announced": _l("Announced"),
    "bidding_closed": _l("Bidding closed"),
    "contracted": _l("Contracted"),
    "failed": _l("Failed"),
    # procurement methods
    "open_tender": _l("Open tender"),
    "invited_tender": _l("Invited tender"),
    "competitive_consultation": _l("Competitive consultation"),
    "competitive_negotiation": _l("Competitive negotiation"),
    "single_source": _l("Single source"),
    "inquiry": _l("Request for quotation"),
    # bids, relations, payments, honoraria
    "valid": _l("Valid"),
    "invalid": _l("Invalid"),
    "employed": _l("Employed by"),
    "director": _l("Director or manager of"),
    "related": _l("Related to"),
    "requested": _l("Requested"),
    "approved": _l("Approved"),
    "paid": _l("Paid"),
    "computed": _l("Computed"),
    # rubric purposes
    "case": _l("Unsatisfied cases"),
    "bid": _l("Bids' technical proposals"),
    # the agency's KPIs
    "batches_on_time": _l("Batches finalized on time"),
    "quota_delivered": _l("Share of the quota delivered"),
    "panel_agreement": _l("Panel agreement (α)"),
    "complaints": _l("Complaints"),
}


def label(value: Any) -> str:
    """The label in the current request's language."""
    return str(lazy_label(value))


def lazy_label(value: Any) -> Any:
    """The label, translated when it is rendered: for form choices defined at import time."""
    key = value.value if isinstance(value, Enum) else value
    return LABELS.get(key, key if key is not None else "")
