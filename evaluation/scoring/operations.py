"""Score sheets: drafts saved as the member goes, a submission that validates and locks, every version kept.

Concurrency: the form carries the sheet's version; a save from a stale tab is refused with a clear message,
and the version column (SQLAlchemy's version_id_col) catches two writers racing within the same instant.
Operations flush; the request commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from evaluation.audit.operations import record
from evaluation.audit.records import sheet_digest
from evaluation.batches.models import BatchState
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.scoring.models import Answer, ScoreSheet, SheetRevision, SheetState
from evaluation.text import N_, UserError
from panels import pool
from panels.models import Seat, SeatState
from rubrics.models import Criterion
from rubrics.operations import export_version
from rubrics.scoring import sheet_total, validate_answers

Answers = dict[str, dict[str, Any]]


class SheetError(UserError):
    """A save or submission refused; ``code`` tells what kind, ``errors`` the fields at fault."""

    def __init__(
        self, code: str, message: str, errors: dict[str, list[tuple[str, dict[str, Any]]]] | None = None
    ):
        super().__init__(message)
        self.code, self.errors = code, errors or {}


def sheet_for(seat: Seat) -> ScoreSheet:
    """The seat's sheet, started on its first open. Two first opens at once (two tabs, a double click) both get
    the one sheet: the second insert fails on the unique seat, inside a savepoint, and reads the first's."""
    query = sa.select(ScoreSheet).where(ScoreSheet.seat_id == seat.id)
    sheet = db.session.scalar(query)
    if sheet is None:
        try:
            with db.session.begin_nested():
                sheet = ScoreSheet(seat=seat, state=SheetState.DRAFT)
                db.session.add(sheet)
        except IntegrityError:
            sheet = db.session.execute(query.execution_options(populate_existing=True)).scalar_one()
    return sheet


def stored_answers(sheet: ScoreSheet) -> Answers:
    codes = dict(
        db.session.execute(
            sa.select(Criterion.id, Criterion.code)
            .join(Answer, Answer.criterion_id == Criterion.id)
            .where(Answer.sheet_id == sheet.id)
        ).all()
    )
    out: Answers = {}
    for answer in sheet.answers:
        value: Any = answer.value_text if answer.value_text is not None else answer.value_num
        out[codes[answer.criterion_id]] = {"value": value, "comment": answer.comment}
    return out


def parse_form(spec: dict[str, Any], form: Any) -> Answers:
    """The scoring form's fields (c-<code>, c-<code>-comment) as answers, typed by each criterion's scale."""
    answers: Answers = {}
    for criterion in spec["criteria"]:
        code, stype = criterion["code"], criterion["scale"]["type"]
        raw = (form.get(f"c-{code}") or "").strip()
        comment = (form.get(f"c-{code}-comment") or "").strip() or None
        value: Any = None
        if raw:
            if stype == "boolean":
                value = {"yes": True, "no": False}.get(raw, raw)
            elif stype == "nominal":
                value = raw
            else:
                try:
                    number = float(raw)
                    value = int(number) if number.is_integer() else number
                except ValueError:
                    value = raw  # the validator says "enter a number"
        if value is not None or comment:
            answers[code] = {"value": value, "comment": comment}
    return answers


def scoring_open(seat: Seat, now: datetime | None = None) -> bool:
    """The seat may still be scored: the batch's window is open, or the seat has a deadline of its own (a
    substitute's, or a seat the organizer reopened after the window) that has not passed."""
    now = now or utcnow()
    item = seat.panel.batch_item
    batch = item.batch
    if item.withdrawn_dt is not None:
        return False
    if batch.state == BatchState.SCORING and (batch.closes_dt is None or now <= batch.closes_dt):
        return True
    own = seat.deadline_dt is not None and now <= seat.deadline_dt
    return own and batch.state in (BatchState.SCORING, BatchState.DELIBERATION)


def _check_open(sheet: ScoreSheet, seat: Seat, expected_version: int | None) -> None:
    batch = seat.panel.batch_item.batch
    if batch.state not in (BatchState.SCORING, BatchState.DELIBERATION) or seat.panel.batch_item.withdrawn_dt:
        raise SheetError("closed", N_("Scoring is not open for this batch."))
    if seat.state != SeatState.ACCEPTED:
        raise SheetError("seat", N_("Accept the seat before scoring."))
    if not scoring_open(seat):
        raise SheetError("closed", N_("The scoring window has closed."))
    if sheet.state != SheetState.DRAFT:
        raise SheetError("locked", N_("This sheet has been submitted and is locked."))
    if expected_version is not None and expected_version != sheet.lock_version:
        raise SheetError(
            "stale",
            N_(
                "This sheet was changed in another window or device. Reload the page to "
                "see the latest answers before you go on."
            ),
        )


def _write(sheet: ScoreSheet, spec: dict[str, Any], answers: Answers) -> None:
    criteria = {c.code: c.id for c in sheet.seat.panel.batch_item.batch.rubric_version.criteria}
    existing = {a.criterion_id: a for a in sheet.answers}
    for code, answer in answers.items():
        value = answer.get("value")
        row = existing.get(criteria[code])
        if row is None:
            row = Answer(criterion_id=criteria[code])
            sheet.answers.append(row)
        row.value_num = None if isinstance(value, str) or value is None else float(value)
        row.value_text = value if isinstance(value, str) else None
        row.comment = answer.get("comment")
    for criterion_id, row in existing.items():
        if criterion_id not in {criteria[c] for c in answers}:
            sheet.answers.remove(row)
    sheet.total = sheet_total(spec, answers)


def _message_map(problems: list[Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for p in problems:
        out.setdefault(p.path, []).append((p.message, p.params))
    return out


def _checked(
    seat: Seat, answers: Answers, expected_version: int | None, *, complete: bool
) -> tuple[ScoreSheet, dict[str, Any]]:
    """The open sheet and the rubric's JSON form, once the answers pass the rubric's checks."""
    sheet = sheet_for(seat)
    _check_open(sheet, seat, expected_version)
    spec = export_version(seat.panel.batch_item.batch.rubric_version)
    problems = validate_answers(spec, answers, complete=complete)
    if problems:
        message = (
            N_("Some answers are missing or need a comment.")
            if complete
            else N_("Some answers are not on the scale.")
        )
        raise SheetError("invalid", message, _message_map(problems))
    return sheet, spec


def save_draft(seat: Seat, answers: Answers, expected_version: int | None) -> ScoreSheet:
    """Keep what the member has entered so far; values are checked, completeness is not."""
    sheet, spec = _checked(seat, answers, expected_version, complete=False)
    _write(sheet, spec, answers)
    sheet.updated_dt = utcnow()
    db.session.flush()
    return sheet


def submit(seat: Seat, answers: Answers, expected_version: int | None, user_id: int | None) -> ScoreSheet:
    """Validate completely, store, lock, and keep the submitted version."""
    sheet, spec = _checked(seat, answers, expected_version, complete=True)
    _write(sheet, spec, answers)
    now = utcnow()
    sheet.state, sheet.submitted_dt, sheet.updated_dt = SheetState.SUBMITTED, now, now
    number = 1 + len(sheet.revisions)
    sheet.revisions.append(
        SheetRevision(
            number=number,
            state=SheetState.SUBMITTED,
            answers=answers,
            total=sheet.total,
            author_id=user_id,
            created_dt=now,
        )
    )
    db.session.flush()
    sheet.audit_hash = record(
        "score.submitted",
        "sheet",
        sheet.id,
        {"seat": seat.id, "total": sheet.total, "revision": number, "digest": sheet_digest(sheet)},
        actor_id=user_id,
    ).hash
    return sheet


def revise(seat: Seat, answers: Answers, reason: str, user_id: int | None) -> ScoreSheet:
    """In deliberation, a member of a flagged case may revise once (or, as an outlier, keep their score), and
    must say why. The new version is kept beside the submitted one."""
    sheet = sheet_for(seat)
    item = seat.panel.batch_item
    if item.batch.state != BatchState.DELIBERATION or not item.in_deliberation:
        raise SheetError("closed", N_("This case is not in deliberation."))
    if sheet.state == SheetState.REVISED:
        raise SheetError("locked", N_("You have already revised this sheet; it is locked."))
    if sheet.state != SheetState.SUBMITTED:
        raise SheetError("closed", N_("Only a submitted sheet can be revised."))
    if not reason.strip():
        raise SheetError(
            "reason", N_("Please give a reason."), {"reason": [(N_("Please give a reason."), {})]}
        )
    spec = export_version(item.batch.rubric_version)
    problems = validate_answers(spec, answers, complete=True)
    if problems:
        raise SheetError("invalid", N_("Some answers are missing or need a comment."), _message_map(problems))
    _write(sheet, spec, answers)
    now = utcnow()
    sheet.state, sheet.revised_dt, sheet.updated_dt = SheetState.REVISED, now, now
    sheet.revisions.append(
        SheetRevision(
            number=1 + len(sheet.revisions),
            state=SheetState.REVISED,
            answers=answers,
            total=sheet.total,
            reason=reason.strip(),
            author_id=user_id,
            created_dt=now,
        )
    )
    db.session.flush()
    sheet.audit_hash = record(
        "score.revised",
        "sheet",
        sheet.id,
        {"seat": seat.id, "total": sheet.total, "digest": sheet_digest(sheet)},
        actor_id=user_id,
    ).hash
    return sheet


def declare_conflict(seat: Seat, reason: str) -> None:
    """The member declares a conflict with the case before submitting: the seat is recused and refilled."""
    if sheet_for(seat).state != SheetState.DRAFT:
        raise SheetError("locked", N_("This sheet has been submitted and is locked."))
    pool.declare_conflict(seat.member, reason, case_id=seat.panel.batch_item.case_id)
