"""Settling cases: from the panel's sheets to an assessment (aggregation by the rubric's rule, verdict by
majority, dissent kept with its reasons, ties decided by the organizer with a written reason); finalizing a
batch. Operations flush; the request commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from evaluation.assessments.models import Assessment, Verdict
from evaluation.audit.operations import record
from evaluation.audit.records import assessment_digest
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import CaseStatus
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.figures import CaseFigures, batch_figures
from evaluation.scoring.models import Answer, ScoreSheet, SheetState
from evaluation.text import N_, UserError
from panels.models import Panel, Seat, SeatState
from rubrics.models import Criterion
from rubrics.operations import export_version
from rubrics.scoring import summarise, tally

Answers = dict[str, dict[str, Any]]
VOTED_ROLES = ("claim_reasonable", "duty_done", "responsibility", "recommendation")


class SettleError(UserError):
    """A verdict or a finalisation that cannot be made yet."""


def _codes_by_role(spec: dict[str, Any]) -> dict[str, str]:
    return {c["role"]: c["code"] for c in spec["criteria"] if c["role"] != "score"}


def verdict_of(spec: dict[str, Any], sheets: list[Answers]) -> tuple[str | None, dict[str, int]]:
    code = _codes_by_role(spec)["verdict"]
    return tally([(s.get(code) or {}).get("value") for s in sheets])


def settle(
    item: BatchItem,
    spec: dict[str, Any],
    sheets: list[Answers],
    decided_by_id: int | None,
    tie: tuple[str, str] | None = None,
    now: datetime | None = None,
    previous: Assessment | None = None,
    figures: CaseFigures | None = None,
) -> Assessment:
    """The assessment of one case. A tie needs ``tie`` = (verdict, the organizer's written reason); ``figures``
    are the case's spread and severity-adjusted total from the batch's figures."""
    codes = _codes_by_role(spec)
    summary = summarise(spec, sheets)
    winner, counts = verdict_of(spec, sheets)
    tie_reason = None
    if winner is None:
        if tie is None or not tie[1].strip():
            raise SettleError(
                N_("The panel of %(case)s is tied; choose the verdict and write the reason."),
                case=item.case.external_id,
            )
        winner, tie_reason = tie[0], tie[1].strip()
    votes = {"verdict": counts}
    for role in VOTED_ROLES:
        if role in codes:
            votes[role] = tally([(s.get(codes[role]) or {}).get("value") for s in sheets])[1]
    dissent = [
        {
            "verdict": (s.get(codes["verdict"]) or {}).get("value"),
            "reason": (s.get(codes["verdict"]) or {}).get("comment"),
        }
        for s in sheets
        if (s.get(codes["verdict"]) or {}).get("value") != winner
    ]
    assessment = Assessment(
        case=item.case,
        case_id=item.case_id,  # before the flush too: the audit digest names them
        batch_item=item,
        batch_item_id=item.id,
        department_id=item.case.lead_department_id,
        verdict=Verdict(winner),
        total=round(summary.total or 0.0, 2),
        adjusted_total=figures.adjusted_total if figures else None,
        agreement={"spread": figures.spread, "group": figures.group} if figures else {},
        votes=votes,
        dissent=dissent,
        tie_break_reason=tie_reason,
        decided_by_id=decided_by_id,
        version=(previous.version + 1) if previous else 1,
        supersedes=previous,
        criteria={
            code: {"n": st.n, "mean": st.mean, "median": st.median, "sd": st.sd}
            for code, st in summary.criteria.items()
        },
        finalized_dt=now or utcnow(),
    )
    db.session.add(assessment)
    return assessment


def panel_sheets(batch: Batch) -> dict[int, list[Answers]]:
    """Every batch item's submitted (or revised) sheets as answers, in three queries whatever the size."""
    return {item: [answers for _member, answers in panel] for item, panel in panel_answers(batch).items()}


def panel_answers(batch: Batch) -> dict[int, list[tuple[int, Answers]]]:
    """Every batch item's submitted (or revised) sheets as (member id, answers), in three queries."""
    rows = db.session.execute(
        sa.select(BatchItem.id, ScoreSheet.id, Seat.member_id)
        .join(Panel, Panel.batch_item_id == BatchItem.id)
        .join(Seat, Seat.panel_id == Panel.id)
        .join(ScoreSheet, ScoreSheet.seat_id == Seat.id)
        .where(
            BatchItem.batch_id == batch.id,
            Seat.state == SeatState.ACCEPTED,
            ScoreSheet.state.in_([SheetState.SUBMITTED, SheetState.REVISED]),
        )
    ).all()
    codes = dict(
        db.session.execute(
            sa.select(Criterion.id, Criterion.code).where(Criterion.version_id == batch.rubric_version_id)
        ).all()
    )
    answers: dict[int, Answers] = defaultdict(dict)
    sheet_ids = [sheet_id for _item, sheet_id, _member in rows]
    for start in range(0, len(sheet_ids), 900):
        for sheet_id, criterion_id, num, text, comment in db.session.execute(
            sa.select(
                Answer.sheet_id, Answer.criterion_id, Answer.value_num, Answer.value_text, Answer.comment
            ).where(Answer.sheet_id.in_(sheet_ids[start : start + 900]))
        ):
            value: Any = (
                text
                if text is not None
                else (int(num) if num is not None and float(num).is_integer() else num)
            )
            answers[sheet_id][codes[criterion_id]] = {"value": value, "comment": comment}
    out: dict[int, list[tuple[int, Answers]]] = defaultdict(list)
    for item_id, sheet_id, member_id in rows:
        out[item_id].append((member_id, answers[sheet_id]))
    return out


def _items(batch: Batch) -> list[BatchItem]:
    """The batch's items still in it (not withdrawn) with their cases, in one query (settling reads every
    item's case)."""
    return list(
        db.session.scalars(
            sa.select(BatchItem)
            .where(BatchItem.batch_id == batch.id, BatchItem.withdrawn_dt.is_(None))
            .options(joinedload(BatchItem.case))
            .order_by(BatchItem.id)
        )
    )


def ties(batch: Batch) -> list[BatchItem]:
    spec = export_version(batch.rubric_version)
    sheets = panel_sheets(batch)
    return [
        item for item in _items(batch) if sheets.get(item.id) and verdict_of(spec, sheets[item.id])[0] is None
    ]


def _silent_outliers(items: list[BatchItem]) -> list[str]:
    """Cases in deliberation where a member flagged as an outlier has neither revised nor said why."""
    flagged = [item for item in items if item.in_deliberation and (item.deliberation or {}).get("outliers")]
    seat_ids = [seat_id for item in flagged for seat_id in (item.deliberation or {})["outliers"]]
    if not seat_ids:
        return []
    revised = set(
        db.session.scalars(
            sa.select(ScoreSheet.seat_id).where(
                ScoreSheet.seat_id.in_(seat_ids), ScoreSheet.state == SheetState.REVISED
            )
        )
    )
    return [item.case.external_id for item in flagged if set((item.deliberation or {})["outliers"]) - revised]


def silent_outliers(batch: Batch) -> list[str]:
    """The cases of the batch where an outlier has not yet revised or said why."""
    return _silent_outliers(_items(batch))


def _record_settled(batch: Batch, item: BatchItem, assessment: Assessment, user_id: int | None) -> None:
    """The verdict's event, with a digest of the assessment, whose hash the assessment keeps (audit.records)."""
    assessment.audit_hash = record(
        "verdict.settled",
        "case",
        item.case_id,
        {
            "batch": batch.id,
            "verdict": assessment.verdict.value,
            "total": assessment.total,
            "digest": assessment_digest(assessment),
        },
        actor_id=user_id,
        flush=False,  # finalize flushes once, after every case
    ).hash


def finalize(
    batch: Batch,
    decisions: dict[int, tuple[str, str]],
    user_id: int | None,
    *,
    without_silent_outliers: bool = False,
) -> int:
    """deliberation -> finalized: every case settled; says which outliers or ties still need attention.

    An outlier who does not answer in deliberation holds the batch only until the organizer decides to go on
    without their reason (``without_silent_outliers``); their submitted sheet counts as it stands, and the
    decision is in the audit trail."""
    if batch.state != BatchState.DELIBERATION:
        raise SettleError(N_("Only a batch in deliberation can be finalized."))
    items = _items(batch)
    silent = _silent_outliers(items)
    if silent and not without_silent_outliers:
        raise SettleError(
            N_("Outliers have not yet given their reasons on %(cases)s."),
            also=[(N_("Wait for them, or tick the box to finalize without their reasons."), {})],
            cases="、".join(silent[:5]),
        )
    if silent:
        record("batch.outliers_waived", "batch", batch.id, {"cases": silent}, actor_id=user_id)
    spec = export_version(batch.rubric_version)
    panels = panel_answers(batch)
    sheets = {item: [answers for _member, answers in panel] for item, panel in panels.items()}
    now = utcnow()
    quorum = batch.policy.quorum_size if batch.policy else 3
    short = [item.case.external_id for item in items if len(sheets.get(item.id, [])) < quorum]
    if short:
        raise SettleError(
            N_(
                "Below the quorum of %(quorum)d submitted sheets: %(cases)s. Reopen a seat or withdraw the case."
            ),
            quorum=quorum,
            cases="、".join(short[:5]),
        )
    undecided = [
        item.case.external_id
        for item in items
        if verdict_of(spec, sheets[item.id])[0] is None
        and not (decisions.get(item.id) and decisions[item.id][1].strip())
    ]
    if undecided:
        raise SettleError(
            N_("Tied panels need your verdict and a written reason: %(cases)s."),
            cases="、".join(undecided[:10]),
        )
    latest: dict[int, Assessment] = {}
    for a in db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.case_id.in_([item.case_id for item in items]))
        .order_by(Assessment.version)
    ):
        latest[a.case_id] = a
    figures = batch_figures(spec, {item.id: panels[item.id] for item in items}, seed=batch.id)
    batch.figures = figures.as_json()
    settled = 0
    for item in items:
        assessment = settle(
            item,
            spec,
            sheets[item.id],
            user_id,
            decisions.get(item.id),
            now,
            previous=latest.get(item.case_id),
            figures=figures.cases.get(item.id),
        )
        item.case.status = CaseStatus.ASSESSED
        settled += 1
        _record_settled(batch, item, assessment, user_id)
    batch.state, batch.finalized_dt = BatchState.FINALIZED, now
    record("batch.finalized", "batch", batch.id, {"assessments": settled}, actor_id=user_id)
    db.session.flush()
    return settled
