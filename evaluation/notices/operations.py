"""A notice's content for its period — the ranking, the months, the batches' agreement, the typical cases the
organizer chose (masked) and the follow-up of upheld cases — and its issue: frozen, numbered within the year.

The content is plain JSON, so an issued notice renders exactly as issued, whatever happens to the data later.
Operations flush; the request commits.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from evaluation.appeals.models import Appeal, AppealState
from evaluation.assessments.models import Assessment, Verdict
from evaluation.audit.operations import record
from evaluation.batches.models import Batch
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.notices.models import Notice, NoticeState
from evaluation.privacy import mask_text
from evaluation.rectifications.models import Rectification, RectificationState
from evaluation.results import standings as st
from evaluation.text import N_, UserError
from rubrics.models import Criterion, CriterionRole

MAX_TYPICAL = 10


class NoticeError(UserError):
    """A notice that cannot be changed or issued now."""


class NoticeIssued(NoticeError):
    status = 409


def candidates(period: st.Period, limit: int = 200) -> list[Assessment]:
    """The period's upheld and partly upheld cases by current version, the organizer's choice of typical cases."""
    start, end = period.bounds()
    newer = sa.orm.aliased(Assessment)
    later = sa.select(newer.id).where(
        newer.case_id == Assessment.case_id,
        newer.version > Assessment.version,
        newer.published_dt.is_not(None),
    )
    return list(
        db.session.scalars(
            sa.select(Assessment)
            .where(
                Assessment.published_dt >= start,
                Assessment.published_dt < end,
                Assessment.verdict.in_(st.UPHELD),
                ~sa.exists(later),
            )
            .options(joinedload(Assessment.case), joinedload(Assessment.department))
            .order_by(Assessment.total, Assessment.id)
            .limit(limit)
        )
    )


def _typical(ids: list[int]) -> list[dict[str, Any]]:
    """The chosen cases as the notice shows them: the title and the panel's reasons with the citizen masked (the
    public version takes identities out entirely)."""
    if not ids:
        return []
    found = {
        a.id: a
        for a in db.session.scalars(
            sa.select(Assessment)
            .where(Assessment.id.in_(ids))
            .options(joinedload(Assessment.case), joinedload(Assessment.department))
        )
    }
    out = []
    for assessment_id in ids:
        a = found.get(assessment_id)
        if a is None:
            continue
        case = a.case
        out.append(
            {
                "case": case.external_id,
                "department": a.department.name,
                "category": case.category,
                "verdict": a.verdict.value,
                "total": round(a.total, 1),
                "title": mask_text(case.title, name=case.citizen_name, remove=case.confidential),
                "title_public": mask_text(case.title, name=case.citizen_name, remove=True),
                "reasons": [
                    mask_text(d.get("reason"), name=case.citizen_name, remove=True)
                    for d in a.dissent
                    if d.get("reason")
                ],
            }
        )
    return out


def _agreement(period: st.Period) -> list[dict[str, Any]]:
    """Each batch published in the period: its agreement on the verdict (α) and the reading of it."""
    start, end = period.bounds()
    batches = db.session.scalars(
        sa.select(Batch)
        .where(Batch.published_dt >= start, Batch.published_dt < end)
        .order_by(Batch.published_dt, Batch.id)
    ).all()
    verdict_codes = dict(
        db.session.execute(
            sa.select(Criterion.version_id, Criterion.code).where(
                Criterion.role == CriterionRole.VERDICT,
                Criterion.version_id.in_([b.rubric_version_id for b in batches]),
            )
        ).all()
    )
    out = []
    for batch in batches:
        figures = ((batch.figures or {}).get("criteria") or {}).get(
            verdict_codes.get(batch.rubric_version_id), {}
        )
        out.append(
            {
                "batch": batch.name,
                "published": to_local(batch.published_dt).date().isoformat() if batch.published_dt else None,
                "alpha": figures.get("alpha"),
                "reading": figures.get("reading"),
            }
        )
    return out


def _follow_up(results: list[st.Result], period: st.Period) -> dict[str, int]:
    start, end = period.bounds()
    appeals = dict(
        db.session.execute(
            sa.select(Appeal.state, sa.func.count(Appeal.id))
            .where(Appeal.filed_dt >= start, Appeal.filed_dt < end)
            .group_by(Appeal.state)
        ).all()
    )
    rectifications = db.session.execute(
        sa.select(Rectification.state, Rectification.due_date, Rectification.first_filed_dt).where(
            Rectification.due_date >= period.start, Rectification.due_date <= period.end
        )
    ).all()
    today = to_local(utcnow()).date()
    return {
        "rectifications_due": len(rectifications),
        "rectifications_on_time": sum(
            first is not None and to_local(first).date() <= due for _state, due, first in rectifications
        ),
        "rectifications_accepted": sum(
            state == RectificationState.ACCEPTED for state, _due, _first in rectifications
        ),
        "rectifications_overdue": sum(
            first is None and due < today and state != RectificationState.CANCELLED
            for state, due, first in rectifications
        ),
        "upheld": sum(r.verdict == Verdict.UPHELD for r in results),
        "partly_upheld": sum(r.verdict == Verdict.PARTLY_UPHELD for r in results),
        "not_upheld": sum(r.verdict == Verdict.NOT_UPHELD for r in results),
        "appeals": sum(appeals.values()),
        "appeals_accepted": appeals.get(AppealState.ACCEPTED, 0) + appeals.get(AppealState.DECIDED, 0),
        "appeals_rejected": appeals.get(AppealState.REJECTED, 0),
        "appeals_waiting": appeals.get(AppealState.FILED, 0),
    }


def _months(results: list[st.Result]) -> list[dict[str, Any]]:
    by_month: dict[str, list[st.Result]] = defaultdict(list)
    for r in results:
        by_month[r.month].append(r)
    return [
        {
            "month": month,
            "cases": len(rows),
            "mean": round(
                sum(r.adjusted if r.adjusted is not None else r.total for r in rows) / len(rows), 2
            ),
            "upheld_rate": round(st.upheld_rate(rows) or 0.0, 4),
        }
        for month, rows in sorted(by_month.items())
    ]


def content(title: str, period: st.Period, intro: str | None, typical: list[int]) -> dict[str, Any]:
    """Everything the notice shows, as plain JSON."""
    results = st.current(period)
    return {
        "title": title,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "intro": intro or "",
        "cases": len(results),
        "upheld_rate": round(st.upheld_rate(results) or 0.0, 4),
        "ranking": [row.as_json() for row in st.ranking(results)],
        "months": _months(results),
        "agreement": _agreement(period),
        "typical": _typical(typical),
        "follow_up": _follow_up(results, period),
    }


def period_of(notice: Notice) -> st.Period:
    return st.Period(notice.period_start, notice.period_end)


def document(notice: Notice) -> dict[str, Any]:
    """What the notice shows: as issued, or for a draft as the data stand now."""
    if notice.content is not None:
        return notice.content
    return content(notice.title, period_of(notice), notice.intro, notice.typical)


def choose_typical(notice: Notice, ids: list[int]) -> None:
    if notice.state != NoticeState.DRAFT:
        raise NoticeIssued(N_("An issued notice cannot change."))
    if len(ids) > MAX_TYPICAL:
        raise NoticeError(N_("Choose at most %(n)d typical cases."), field="typical", n=MAX_TYPICAL)
    allowed = {a.id for a in candidates(period_of(notice))}
    if not set(ids) <= allowed:
        raise NoticeError(
            N_("Only upheld cases of the notice's period can be typical cases."), field="typical"
        )
    notice.typical = list(ids)
    db.session.flush()


def issue(notice: Notice, user_id: int | None, now: datetime | None = None) -> None:
    """draft -> issued: the content frozen with its hash and the next number of the year (第 N 期)."""
    if notice.state != NoticeState.DRAFT:
        raise NoticeIssued(N_("This notice has already been issued."))
    now = now or utcnow()
    year = to_local(now).year
    last = db.session.scalar(sa.select(sa.func.max(Notice.number)).where(Notice.year == year)) or 0
    frozen = content(notice.title, period_of(notice), notice.intro, notice.typical)
    frozen["number"] = {"year": year, "number": last + 1}
    frozen["issued"] = to_local(now).date().isoformat()
    notice.content = frozen
    notice.content_hash = hashlib.sha256(
        json.dumps(frozen, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()
    notice.state, notice.year, notice.number = NoticeState.ISSUED, year, last + 1
    notice.issued_by_id, notice.issued_dt = user_id, now
    db.session.flush()  # two issues at once: the second breaks (year, number) unique, a lost race (409)
    record(
        "notice.issued",
        "notice",
        notice.id,
        {"number": f"{year}-{last + 1}", "hash": notice.content_hash},
        actor_id=user_id,
    )
