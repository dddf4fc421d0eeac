"""Exports of assessments (CSV and XLSX): every criterion's mean, every verdict question's answer and tally, the
dissent count and the agreement figures, one row per case by its current version. Nothing personal is in them
(case numbers, not titles; the dissent counted, not quoted), and every cell that a spreadsheet would run as a
formula is written as text (``evaluation.tabular``)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy.orm import aliased, contains_eager

from evaluation.assessments.models import Assessment
from evaluation.assessments.results import QUESTION_ROLES
from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.models import Case
from evaluation.clock import to_local
from evaluation.extensions import db
from evaluation.labels import label
from evaluation.org.models import Department
from evaluation.results import standings as st
from evaluation.tabular import append_row, write_csv
from evaluation.web import localized
from rubrics.models import RubricVersion
from rubrics.operations import export_version

FORMATS = ("csv", "xlsx")


def _assessments(
    period: st.Period | None, filters: st.Filters, batch_id: int | None, within: int | None
) -> list[Assessment]:
    """A batch's latest assessments (published or not), or the period's published cases by current version."""
    query = (
        sa.select(Assessment)
        .join(BatchItem, BatchItem.id == Assessment.batch_item_id)
        .join(Batch, Batch.id == BatchItem.batch_id)
        .join(Case, Case.id == Assessment.case_id)
        .join(Department, Department.id == Assessment.department_id)
        .options(
            contains_eager(Assessment.case),
            contains_eager(Assessment.department),
            contains_eager(Assessment.batch_item).contains_eager(BatchItem.batch),
        )
    )
    if batch_id is not None:  # what the batch settled, published or not
        query = query.where(Batch.id == batch_id)
    if period is not None:  # each case first published in the period, by its current version then
        start, end = period.bounds()
        earliest, newer = aliased(Assessment), aliased(Assessment)
        first = (
            sa.select(sa.func.min(earliest.published_dt))
            .where(earliest.case_id == Assessment.case_id)
            .scalar_subquery()
        )
        later = sa.select(newer.id).where(
            newer.case_id == Assessment.case_id,
            newer.version > Assessment.version,
            newer.published_dt.is_not(None),
            newer.published_dt < end,
        )
        query = query.where(Assessment.published_dt < end, first >= start, first < end, ~sa.exists(later))
    query = st.narrowed(query, filters, within, join_case=False)
    return list(db.session.scalars(query.order_by(Batch.id, Case.external_id)).unique())


def _specs(assessments: Sequence[Assessment]) -> dict[int, dict[str, Any]]:
    ids = {a.batch_item.batch.rubric_version_id for a in assessments}
    versions = db.session.scalars(sa.select(RubricVersion).where(RubricVersion.id.in_(ids))).all()
    return {v.id: export_version(v) for v in versions}


def _columns(specs: dict[int, dict[str, Any]]) -> tuple[list[str], list[tuple[str, str]]]:
    """Every scored criterion (by code, first seen first) and every verdict question, with their titles."""
    criteria: dict[str, str] = {}
    for spec in specs.values():
        for c in spec["criteria"]:
            if c["role"] == "score":
                criteria.setdefault(c["code"], localized(c["title"]["zh"], c["title"]["en"]))
    return list(criteria), [(code, title) for code, title in criteria.items()]


def _answer(spec: dict[str, Any], role: str, tally: dict[str, int]) -> tuple[str, str]:
    """The majority answer's label and the whole tally ("合理 × 4 / 不合理 × 1")."""
    options = next(
        (
            {o["value"]: o["label"] for o in c["scale"].get("options", [])}
            for c in spec["criteria"]
            if c["role"] == role
        ),
        {},
    )
    named = {v: localized(options[v]["zh"], options[v]["en"]) if v in options else v for v in tally}
    ordered = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    majority = (
        named[ordered[0][0]] if ordered and (len(ordered) == 1 or ordered[0][1] > ordered[1][1]) else ""
    )
    return majority, " / ".join(f"{named[v]} × {n}" for v, n in ordered)


def table(
    period: st.Period | None = None,
    filters: st.Filters | None = None,
    batch_id: int | None = None,
    within: int | None = None,
) -> list[list[Any]]:
    """The export's rows, headers first."""
    found = _assessments(period, filters or st.Filters(), batch_id, within)
    specs = _specs(found)
    codes, titled = _columns(specs)
    roles = [r for r in QUESTION_ROLES if r != "verdict"]
    header = [
        _("Case number"), _("Source"), _("Department code"), _("Department"), _("Batch"), _("Version"),
        _("Verdict"), _("Total"), _("Severity-adjusted total"),
        *[title for _code, title in titled],
        *[label(role) for role in roles],
        *[_("%(question)s (tally)", question=label(role)) for role in roles],
        _("Dissenting members"), _("Members' totals: standard deviation"), _("Members' totals: range"),
        _("Batch agreement on the verdict (α)"), _("Published"), _("Content hash"),
    ]  # fmt: skip
    rows: list[list[Any]] = [header]
    for a in found:
        batch = a.batch_item.batch
        spec = specs[batch.rubric_version_id]
        answers = [_answer(spec, role, a.votes.get(role, {})) for role in roles]
        spread = a.agreement.get("spread") or {}
        verdict_code = next((c["code"] for c in spec["criteria"] if c["role"] == "verdict"), None)
        alpha = ((batch.figures or {}).get("criteria", {}).get(verdict_code) or {}).get("alpha")
        rows.append(
            [
                a.case.external_id, a.case.source, a.department.code, a.department.name, batch.name, a.version,
                label(a.verdict), round(a.total, 2),
                round(a.adjusted_total, 2) if a.adjusted_total is not None else None,
                *[_mean(a.criteria.get(code)) for code in codes],
                *[majority for majority, _tally in answers],
                *[tally for _majority, tally in answers],
                len(a.dissent), spread.get("sd"), spread.get("range"),
                round(alpha, 4) if isinstance(alpha, float) else None,
                to_local(a.published_dt).strftime("%Y-%m-%d %H:%M") if a.published_dt else "",
                a.content_hash or "",
            ]
        )  # fmt: skip
    return rows


def _mean(figures: Any) -> float | None:
    if isinstance(figures, dict) and figures.get("mean") is not None:
        return round(float(figures["mean"]), 3)
    return None


def render(rows: list[list[Any]], fmt: str) -> bytes:
    """The rows as CSV (UTF-8 with BOM, for Excel) or as an XLSX workbook; text that looks like a formula stays
    text either way."""
    if fmt == "csv":
        return write_csv(rows)
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Assessments")[:31]
    for row in rows:
        append_row(sheet, row)
    sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
