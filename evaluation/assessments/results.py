"""What an organizer (or the contracted agency) reads of a settled batch: each case's verdict, total, the
tallies of every verdict question and the dissent, with the rubric's own words for questions and answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
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
