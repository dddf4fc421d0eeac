"""Sheets, assessments and draws carry the hash of the event that recorded them, and `audit verify` checks each
against it: an answer, a total, a verdict or a draw's seed edited in the database is named, and so is a record
whose anchor was removed."""

from __future__ import annotations

import json

import sqlalchemy as sa

from evaluation.assessments.models import Assessment
from evaluation.extensions import db
from evaluation.scoring.models import Answer, ScoreSheet
from panels.models import Draw
from tests.evaluation.test_results import _finalized


def _verify(runner) -> dict:
    result = runner.invoke(args=["audit", "verify", "--json"])
    assert result.output.startswith("{"), result.output[:300]
    return json.loads(result.output.splitlines()[0]) | {"exit_code": result.exit_code}


def test_every_record_matches_its_event_until_one_is_edited(world, runner) -> None:
    _finalized(world)
    sheets = db.session.scalar(sa.select(sa.func.count()).select_from(ScoreSheet))
    assessments = db.session.scalar(sa.select(sa.func.count()).select_from(Assessment))
    report = _verify(runner)
    assert report["intact"] and report["exit_code"] == 0
    assert report["records"] == sheets + assessments + 1  # and the draw

    sheet_id, answer_id = db.session.execute(sa.select(Answer.sheet_id, Answer.id).limit(1)).one()
    db.session.execute(sa.update(Answer).where(Answer.id == answer_id).values(comment="改过"))
    assessment = db.session.scalars(sa.select(Assessment).order_by(Assessment.id)).first()
    db.session.execute(
        sa.update(Assessment).where(Assessment.id == assessment.id).values(verdict="not_upheld", total=1.0)
    )
    draw_id = db.session.scalar(sa.select(Draw.id))
    db.session.execute(sa.update(Draw).values(seed="another seed"))
    db.session.commit()
    report = _verify(runner)
    assert not report["intact"] and report["exit_code"] != 0
    named = {(p["kind"], p["id"]) for p in report["record_problems"]}
    assert named == {("sheet", sheet_id), ("assessment", assessment.id), ("draw", draw_id)}
    assert all("edited since" in p["problem"] for p in report["record_problems"])


def test_a_record_that_lost_its_anchor_is_named(world, runner) -> None:
    _finalized(world)
    sheet_id = db.session.scalar(sa.select(ScoreSheet.id).limit(1))
    db.session.execute(sa.update(ScoreSheet).where(ScoreSheet.id == sheet_id).values(audit_hash=None))
    other = db.session.scalar(sa.select(ScoreSheet.id).where(ScoreSheet.id != sheet_id).limit(1))
    borrowed = db.session.scalar(sa.select(Assessment.audit_hash).limit(1))
    db.session.execute(sa.update(ScoreSheet).where(ScoreSheet.id == other).values(audit_hash=borrowed))
    db.session.commit()
    problems = {p["id"]: p["problem"] for p in _verify(runner)["record_problems"]}
    assert "carries no audit event" in problems[sheet_id]
    assert "about another object" in problems[other]


def test_a_record_from_before_events_carried_a_digest_is_checked_by_what_its_event_said() -> None:
    from types import SimpleNamespace

    from evaluation.assessments.models import Verdict
    from evaluation.audit.records import KINDS, _problem

    kind = next(k for k in KINDS if k.name == "assessment")
    record = SimpleNamespace(id=1, case_id=5, audit_hash="h", verdict=Verdict.UPHELD, total=80.0)
    event = SimpleNamespace(
        id=9, action="verdict.settled", object_id="5", data={"verdict": "upheld", "total": 80.0}
    )
    assert _problem(kind, record, event) is None
    record.total = 70.0
    assert "edited since" in _problem(kind, record, event)
