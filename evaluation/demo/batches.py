"""The demo's batches: one published, one finalized, one in scoring, one draft, with panels laid out directly
(no recorded draw: the demo shows results; real batches get their panels from the seeded draw) and sheets whose
answers follow each case's quality and each member's severity."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from evaluation.accounts.models import User
from evaluation.assessments.operations import settle, verdict_of
from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import (
    Case,
    CaseStatus,
)
from evaluation.demo import data
from evaluation.extensions import db
from evaluation.scoring.models import Answer, ScoreSheet, SheetRevision, SheetState
from panels.models import CompositionPolicy, Member, MemberRole, Panel, Seat, SeatState
from procurement.models import (
    Contract,
)
from rubrics.models import RubricVersion
from rubrics.operations import export_version
from rubrics.scoring import sheet_total, summarise

PANEL_ROLES = [
    MemberRole.OFFICIAL,
    MemberRole.LAWYER,
    MemberRole.TOWNSHIP_REP,
    MemberRole.CITIZEN_REP,
    MemberRole.CITIZEN_REP,
]
BATCHES = [  # name, state, case index range (oldest first), days the window opened before now
    ("不满意件评议 第1批", BatchState.PUBLISHED, range(0, 40), 50),
    ("不满意件评议 第2批", BatchState.FINALIZED, range(40, 80), 25),
    ("不满意件评议 第3批", BatchState.SCORING, range(80, 120), 3),
    ("不满意件评议 第4批", BatchState.DRAFT, range(120, 150), -3),  # ready for a draw, opening in three days
]


def _panel_for(
    rng: random.Random, case: Case, members: list[Member], load: Counter[int], forced: Member | None
) -> list[tuple[MemberRole, Member]]:
    """A valid demo panel: roles per PANEL_ROLES, no member of the case's departments, distinct affiliations."""
    barred = {case.lead_department_id, case.lead_department.parent_id} | {
        d.id for d in case.assisting_departments
    }
    barred.discard(None)
    chosen: list[tuple[MemberRole, Member]] = []
    used_affiliations: set[int] = set()
    for role in PANEL_ROLES:
        if forced is not None and forced.role == role and all(m is not forced for _, m in chosen):
            chosen.append((role, forced))
            continue
        candidates = [
            m
            for m in members
            if m.role == role
            and m.affiliation_id not in barred
            and all(m is not c for _, c in chosen)
            and (m.affiliation_id is None or m.affiliation_id not in used_affiliations)
            and load[m.id] < m.max_cases
        ]
        if role == MemberRole.TOWNSHIP_REP:
            local = [m for m in candidates if m.district_code == case.region_code]
            candidates = local or candidates
        if not candidates:
            raise RuntimeError(f"demo panel for {case.external_id}: no {role.value} left")
        candidates.sort(key=lambda m: (load[m.id], rng.random()))
        member = candidates[0]
        chosen.append((role, member))
        if member.affiliation_id is not None:
            used_affiliations.add(member.affiliation_id)
    for _, member in chosen:
        load[member.id] += 1
    return chosen


def _answers(
    rng: random.Random, spec: dict[str, Any], quality: float, severity: float
) -> dict[str, dict[str, Any]]:
    answers: dict[str, dict[str, Any]] = {}
    for criterion in spec["criteria"]:
        if criterion["role"] != "score":
            continue
        levels = [level["value"] for level in criterion["scale"]["levels"]]
        x = quality + severity + rng.gauss(0, 0.15)
        value = levels[min(len(levels) - 1, max(0, round(x * (len(levels) - 1))))]
        comment = (
            rng.choice(data.LOW_SCORE_COMMENTS)
            if value <= (criterion["comment_required_at_or_below"] or -1)
            else None
        )
        answers[criterion["code"]] = {"value": value, "comment": comment}
    total = sheet_total(spec, answers) or 0.0
    verdicts = ["upheld", "partly_upheld", "not_upheld"]
    k = 0 if total < 55 else 1 if total < 75 else 2
    if rng.random() < 0.15:
        k = min(2, max(0, k + rng.choice((-1, 1))))
    verdict = verdicts[k]
    answers["Q1"] = {
        "value": ["reasonable", "partly_reasonable", rng.choice(["unreasonable", "partly_reasonable"])][k]
    }
    answers["Q2"] = {"value": ["not_done", "basically_done", "done"][k]}
    answers["Q3"] = {"value": verdict, "comment": rng.choice(data.VERDICT_REASONS[verdict])}
    answers["Q4"] = {"value": ["subjective", "objective", rng.choice(["claim_unreasonable", "citizen"])][k]}
    answers["Q5"] = {
        "value": [rng.choice(["rehandle", "supervise"]), rng.choice(["supervise", "maintain"]), "maintain"][k]
    }
    return answers


def _sheet(
    seat: Seat,
    spec: dict[str, Any],
    criteria: dict[str, int],
    answers: dict[str, dict[str, Any]],
    state: SheetState,
    at: datetime,
    author_id: int | None,
) -> ScoreSheet:
    total = sheet_total(spec, answers)
    sheet = ScoreSheet(
        seat=seat,
        state=state,
        total=total,
        submitted_dt=at if state == SheetState.SUBMITTED else None,
        updated_dt=at,
    )
    db.session.add(sheet)  # the sheet points at its seat; nothing cascades it into the session
    for code, answer in answers.items():
        value = answer.get("value")
        sheet.answers.append(
            Answer(
                criterion_id=criteria[code],
                value_num=None if isinstance(value, str) else value,
                value_text=value if isinstance(value, str) else None,
                comment=answer.get("comment"),
            )
        )
    if state == SheetState.SUBMITTED:
        sheet.revisions.append(
            SheetRevision(
                number=1, state=state, answers=answers, total=total, author_id=author_id, created_dt=at
            )
        )
    return sheet


def build_batches(
    cases: list[Case],
    members: list[Member],
    version: RubricVersion,
    policy: CompositionPolicy,
    contract: Contract,
    now: datetime,
) -> list[str]:
    spec = export_version(version)
    criteria = {c.code: c.id for c in version.criteria}
    organizer = db.session.execute(sa.select(User).where(User.username == "organizer")).scalar_one()
    demo_member = db.session.scalar(
        sa.select(Member).join(User, Member.user_id == User.id).where(User.username == "member")
    )
    made = []
    for name, state, indices, opened_days_ago in BATCHES:
        if db.session.scalar(sa.select(Batch.id).where(Batch.name == name)) is not None:
            continue
        with db.session.no_autoflush:
            _build_batch(
                name,
                state,
                [cases[i] for i in indices],
                opened_days_ago,
                members,
                version,
                policy,
                contract,
                spec,
                criteria,
                organizer,
                demo_member,
                now,
            )
        made.append(name)
    return made


def _score(
    seat: Seat,
    rng: random.Random,
    spec: dict[str, Any],
    criteria: dict[str, int],
    state: BatchState,
    opens: datetime,
    quality: float,
    position: int,
    demo_member: Member | None,
) -> dict[str, Any] | None:
    """The seat's sheet: in a batch still scoring, submitted, a draft or nothing yet (the demo member's in a
    set pattern); elsewhere submitted. Returns the answers of a sheet the case's verdict counts."""
    member = seat.member
    severity = ((member.id * 7919) % 21 - 10) / 100  # stable per member: some strict, some lenient
    answers = _answers(rng, spec, quality, severity)
    if state != BatchState.SCORING:
        at = opens + timedelta(hours=rng.randrange(2, 200))
        _sheet(seat, spec, criteria, answers, SheetState.SUBMITTED, at, member.user_id)
        return answers
    roll = rng.random()
    if member is demo_member:
        roll = [0.0, 0.7, 0.95][position // 3 % 3]
    if roll < 0.55:
        at = opens + timedelta(hours=rng.randrange(2, 60))
        _sheet(seat, spec, criteria, answers, SheetState.SUBMITTED, at, member.user_id)
    elif roll < 0.75:
        partial = dict(list(answers.items())[:4])
        _sheet(seat, spec, criteria, partial, SheetState.DRAFT, opens + timedelta(hours=5), None)
    return None


def _settle(
    item: BatchItem,
    spec: dict[str, Any],
    sheets: list[dict[str, Any]],
    organizer: User,
    state: BatchState,
    closes: datetime,
) -> None:
    """The case's assessment; a tied panel's verdict is the organizer's, by the total, with the reason."""
    case = item.case
    tie = None
    if verdict_of(spec, sheets)[0] is None:
        total = summarise(spec, sheets).total or 0.0
        tie = (
            "upheld" if total < 55 else "partly_upheld" if total < 75 else "not_upheld",
            f"评议员意见平票，组织者依据综合得分{total:.1f}分裁定为该结论。",
        )
    assessment = settle(item, spec, sheets, organizer.id, tie, closes + timedelta(days=2))
    case.status = CaseStatus.ASSESSED
    if state == BatchState.PUBLISHED:
        assessment.published_dt = closes + timedelta(days=4)
        case.status = CaseStatus.PUBLISHED


def _build_batch(
    name: str,
    state: BatchState,
    batch_cases: list[Case],
    opened_days_ago: int,
    members: list[Member],
    version: RubricVersion,
    policy: CompositionPolicy,
    contract: Contract,
    spec: dict[str, Any],
    criteria: dict[str, int],
    organizer: User,
    demo_member: Member | None,
    now: datetime,
) -> None:
    rng = random.Random(f"demo-batch-{name}")
    opens = (now - timedelta(days=opened_days_ago)).replace(minute=0, second=0, microsecond=0)
    closes = opens + timedelta(days=10)
    batch = Batch(
        name=name,
        state=state,
        rubric_version=version,
        policy=policy,
        contract=contract,
        opens_dt=opens,
        closes_dt=closes,
        created_by_id=organizer.id,
        created_dt=opens - timedelta(days=2),
    )
    db.session.add(batch)
    if state == BatchState.DRAFT:
        for case in batch_cases:
            batch.items.append(BatchItem(case=case, created_dt=batch.created_dt))
            case.status = CaseStatus.QUEUED
        return
    load: Counter[int] = Counter()
    for position, case in enumerate(batch_cases):
        item = BatchItem(batch=batch, case=case, created_dt=batch.created_dt)
        panel = Panel(batch_item=item, created_dt=batch.created_dt)
        forced = demo_member if position % 3 == 0 else None
        quality = rng.uniform(0.15, 0.95)
        sheets = []
        for seat_no, (role, member) in enumerate(_panel_for(rng, case, members, load, forced)):
            seat = Seat(
                panel=panel,
                member=member,
                role=role,
                position=seat_no,
                state=SeatState.ACCEPTED,
                invited_dt=opens - timedelta(days=1),
                responded_dt=opens,
                created_dt=batch.created_dt,
            )
            submitted = _score(seat, rng, spec, criteria, state, opens, quality, position, demo_member)
            if submitted is not None:
                sheets.append(submitted)
        db.session.add(panel)
        if state == BatchState.SCORING:
            case.status = CaseStatus.IN_REVIEW
            continue
        _settle(item, spec, sheets, organizer, state, closes)
    db.session.flush()
    if state in (BatchState.FINALIZED, BatchState.PUBLISHED):
        batch.finalized_dt = closes + timedelta(days=2)
        record("batch.finalized", "batch", batch.id, {"name": name}, actor_id=organizer.id)
    if state == BatchState.PUBLISHED:
        batch.published_dt = closes + timedelta(days=4)
        record(
            "batch.published",
            "batch",
            batch.id,
            {"name": name, "assessments": len(batch_cases)},
            actor_id=organizer.id,
        )
