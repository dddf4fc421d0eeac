"""Publishing a finalized batch: confirmed in the page (or by command), every assessment published with its object,
content hash and place in the order of publication, one outbox message per assessment and subscribed client,
immutable afterwards; the main system pulls them page by page with a cursor."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from evaluation.accounts.operations import create_client
from evaluation.assessments.models import Assessment, ImmutableAssessment
from evaluation.batches.models import BatchState
from evaluation.cases.models import CaseStatus
from evaluation.extensions import db
from evaluation.publication.models import OutboxMessage
from evaluation.publication.operations import content_hash, publish_batch
from tests.evaluation.test_results import _finalized


@pytest.fixture
def finalized(world):
    _finalized(world)
    subscriber = create_client("main", ["assessments:read", "cases:write"], "https://main.example.gov/hooks")[
        0
    ]
    create_client("reader", ["assessments:read"], None)  # pulls only: no messages for it
    db.session.commit()
    return world, subscriber


def test_publishing_asks_for_confirmation_then_publishes_everything(finalized, client, auth) -> None:
    world, subscriber = finalized
    auth.login("organizer")
    url = f"/batches/{world.batch.id}/publish"
    page = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "请勾选确认" in page
    assert db.session.scalar(sa.select(sa.func.count()).where(Assessment.published_dt.is_not(None))) == 0
    response = client.post(url, data={"confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assessments = db.session.scalars(sa.select(Assessment).order_by(Assessment.published_seq)).all()
    assert [a.published_seq for a in assessments] == list(range(1, len(world.batch.items) + 1))
    for a in assessments:
        assert a.content_hash == content_hash(a.publication) == a.publication["content_hash"]
        assert a.case.status == CaseStatus.PUBLISHED
    assert world.batch.state == BatchState.PUBLISHED
    messages = db.session.scalars(sa.select(OutboxMessage)).all()
    assert len(messages) == len(assessments) and {m.client_id for m in messages} == {subscriber.id}
    assert {m.payload["type"] for m in messages} == {"assessment.published"}
    again = client.post(url, data={"confirmed": "yes"}, follow_redirects=True).get_data(as_text=True)
    assert "只有已定稿的批次才能发布" in again


def test_the_published_object_names_no_member_and_masks_the_dissent(finalized) -> None:
    world, _ = finalized
    publish_batch(world.batch, None)
    db.session.commit()
    text = json.dumps([a.publication for a in db.session.scalars(sa.select(Assessment))], ensure_ascii=False)
    for member in world.panel_members:
        assert member.name not in text
    assert "13812345678" not in text  # a dissenting member's reason quoted the citizen's phone (test_results)
    named = db.session.scalars(sa.select(Assessment).order_by(Assessment.id)).first()
    assert named.case.citizen_name and named.case.citizen_name not in text
    first = db.session.scalars(sa.select(Assessment).order_by(Assessment.id)).first().publication
    assert first["panel"]["size"] == 5 and sum(first["panel"]["roles"].values()) == 5
    assert first["case"]["source"] and first["department"] == "CD-ZJ" and first["rubric"]["version"] == 1


def test_a_published_assessment_cannot_change(finalized) -> None:
    world, _ = finalized
    publish_batch(world.batch, None)
    db.session.commit()
    assessment = db.session.scalars(sa.select(Assessment)).first()
    assessment.total = 1.0
    with pytest.raises(ImmutableAssessment):
        db.session.flush()
    db.session.rollback()


def test_the_main_system_pulls_page_by_page(finalized, client, runner) -> None:
    world, _ = finalized
    result = runner.invoke(args=["batches", "publish", str(world.batch.id), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["published"] == len(world.batch.items)
    token = create_client("puller", ["assessments:read"], None)[1]
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    seen, after = [], "0"
    while True:
        page = client.get(f"/api/v1/assessments?after={after}&limit=4", headers=headers).get_json()
        if page["next"] is None:
            assert page["items"] == []
            break
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
    assert len(seen) == len(set(seen)) == len(world.batch.items)
    one = client.get(f"/api/v1/assessments/{seen[0]}", headers=headers)
    assert one.status_code == 200 and one.get_json()["id"] == seen[0]
    assert client.get("/api/v1/assessments/nope", headers=headers).status_code == 404
    bad = client.get("/api/v1/assessments?after=-1", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["errors"][0]["field"] == "after"
    assert client.get("/api/v1/assessments?limit=0", headers=headers).status_code == 400
    beyond = client.get("/api/v1/assessments?after=999999999999999999", headers=headers)
    assert beyond.status_code == 200 and beyond.get_json() == {"items": [], "next": None}


def test_the_evaluated_department_hears_of_its_results_once_published(finalized, client, auth, inbox) -> None:
    from evaluation.accounts.models import Role
    from tests.conftest import make_user

    world, _ = finalized
    housing = world.batch.items[0].case.lead_department
    make_user("zj", Role.DEPARTMENT, department=housing, email="zj@example.gov")
    make_user("other", Role.DEPARTMENT, department=world.panel_members[0].affiliation, email="ga@example.gov")
    db.session.commit()
    auth.login("organizer")
    client.post(f"/batches/{world.batch.id}/publish")  # not confirmed: nothing published, nobody told
    assert inbox.to("zj@example.gov") == []
    client.post(f"/batches/{world.batch.id}/publish", data={"confirmed": "yes"})
    (message,) = inbox.to("zj@example.gov")
    text = message.get_body(("plain",)).get_content()
    assert "评议结果已发布" in message["Subject"] and f"{len(world.batch.items)} 项评议结果" in text
    assert "/results/" in text
    assert inbox.to("ga@example.gov") == []  # its department had no case in the batch


def test_every_published_assessment_carries_a_signed_anchor_of_the_audit_chain(
    finalized, runner, tmp_path
) -> None:
    from evaluation.audit.models import AuditEvent

    world, _ = finalized
    publish_batch(world.batch, None)
    db.session.commit()
    anchor = db.session.scalars(sa.select(Assessment)).first().publication["audit"]
    assert set(anchor) == {"events", "head", "at", "signature"}
    kept = tmp_path / "anchors.jsonl"  # what the main system keeps, from what it received
    kept.write_text(json.dumps(anchor) + "\n")
    assert runner.invoke(args=["audit", "verify", "--checkpoint", str(kept)]).exit_code == 0
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id > anchor["events"] - 2))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(kept)])
    assert result.exit_code != 0 and "deleted events" in result.output


def test_a_reason_that_names_the_citizen_leaves_masked_and_a_reports_not_at_all(finalized) -> None:
    world, _ = finalized
    first, second = db.session.scalars(sa.select(Assessment).order_by(Assessment.id)).all()[:2]
    for assessment in (first, second):
        name = assessment.case.citizen_name
        assessment.dissent = [{"verdict": "not_upheld", "reason": f"{name}说电梯还是坏的，电话13812345678"}]
    second.case.confidential = True
    db.session.commit()
    publish_batch(world.batch, None)
    db.session.commit()
    for assessment in (first, second):
        reason = assessment.publication["dissent"]["reasons"][0]["reason"]
        assert assessment.case.citizen_name not in reason and "13812345678" not in reason
    assert "138****5678" in first.publication["dissent"]["reasons"][0]["reason"]
    assert "138" not in second.publication["dissent"]["reasons"][0]["reason"]  # a report: taken out entirely
