"""What an organizer (or the contracted agency) reads of a settled batch: each case's verdict, total, the
tallies of every verdict question and the dissent, with the rubric's own words for questions and answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext
from sqlalchemy.orm import contains_eager

from evaluation.assessments.models import Assessment
from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.models import Case
from evaluation.extensions import db

# The verdict questions in the order a reader expects them (the rubric's roles).
QUESTION_ROLES = ("verdict", "claim_reasonable", "duty_done", "responsibility", "recommendation")


@dataclass
class Question:
    role: str
    code: str
    title: dict[str, str]
    options: dict[str, dict[str, str]]  # value -> {"zh", "en"}


def questions(spec: dict[str, Any]) -> list[Question]:
    """The rubric version's verdict questions, with their titles and their answers' labels."""
    by_role = {c["role"]: c for c in spec["criteria"]}
    return [
        Question(
            role,
            by_role[role]["code"],
            by_role[role]["title"],
            {o["value"]: o["label"] for o in by_role[role]["scale"].get("options", [])},
        )
        for role in QUESTION_ROLES
        if role in by_role
    ]


READINGS = {
    "reliable": lazy_gettext("reliable"),
    "tentative": lazy_gettext("tentative: draw conclusions with care"),
    "too_low": lazy_gettext("too low to draw conclusions"),
}
UNDEFINED = {
    "one_unit": lazy_gettext("one case carries no information on agreement"),
    "too_few_pairable": lazy_gettext("too few cases scored by two or more members"),
    "no_variation": lazy_gettext("every member gave the same answer, so agreement cannot be measured"),
    "bootstrap_unstable": lazy_gettext("too little variation to estimate an interval"),
    "perfect_agreement": lazy_gettext("the members agree perfectly; no interval can be estimated"),
    "units_do_not_vary": lazy_gettext("the cases do not differ, so agreement cannot be measured"),
    "too_few_complete": lazy_gettext("too few cases scored by every seat of their panel"),
    "too_few_scores": lazy_gettext("too few scores to tell the members' strictness apart"),
    "undefined": lazy_gettext("not defined on these scores"),
}


@dataclass
class FigureRow:
    title: dict[str, str]
    figures: dict[str, Any]


def figure_rows(batch: Batch, spec: dict[str, Any]) -> list[FigureRow]:
    """The batch's agreement figures by criterion, in the rubric's order (the verdict question last)."""
    stored = (batch.figures or {}).get("criteria", {})
    ordered = sorted(spec["criteria"], key=lambda c: c["role"] == "verdict")
    return [FigureRow(c["title"], stored[c["code"]]) for c in ordered if c["code"] in stored]


def criteria_titles(spec: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each scored criterion's title by its code."""
    return {c["code"]: c["title"] for c in spec["criteria"] if c["role"] == "score"}


def batch_results(batch: Batch) -> list[Assessment]:
    """The latest assessment of each case of the batch, with its case, in one query."""
    rows = db.session.scalars(
        sa.select(Assessment)
        .join(BatchItem, Assessment.batch_item_id == BatchItem.id)
        .join(Case, Assessment.case_id == Case.id)
        .where(BatchItem.batch_id == batch.id)
        .options(contains_eager(Assessment.case))
        .order_by(BatchItem.id, Assessment.version)
    )
    latest: dict[int, Assessment] = {}
    for assessment in rows:
        latest[assessment.batch_item_id] = assessment
    return list(latest.values())
