"""A finalized batch shows each case's verdict, total, the tallies of the verdict questions and its dissents, and
each case's assessment page shows the figures with the dissent's reasons masked; a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.assessments.models import Assessment
from evaluation.assessments.operations import finalize
from evaluation.batches.operations import close_scoring
from evaluation.db import utcnow
from evaluation.extensions import db
from tests import factories
from tests.conftest import make_user


def _finalized(world: factories.World) -> None:
    for index, item in enumerate(world.batch.items):
        for n, seat in enumerate(item.panel.seats):
            dissenting = index == 0 and n == 0
            factories.submit(
                seat,
                **(
                    {"c-Q3": "not_upheld", "c-Q3-comment": "已电话联系13812345678确认修好"}
                    if dissenting
                    else {}
                ),
            )
    world.batch.closes_dt = utcnow() - timedelta(minutes=1)
    close_scoring(world.batch, 100)
    db.session.commit()
    finalize(world.batch, {}, world.organizer.id)
    db.session.commit()


def test_the_batch_page_lists_each_cases_result(world, client, auth, count_queries) -> None:
    _finalized(world)
    auth.login("organizer")
    url = f"/batches/{world.batch.id}"
    page = client.get(url).get_data(as_text=True)
    first = world.batch.items[0].case.external_id
    assert "结果" in page and first in page and "诉求合理性" in page and "处理建议" in page
    assessment = db.session.scalar(
        sa.select(Assessment).where(Assessment.case_id == world.batch.items[0].case_id)
    )
    assert f"/assessments/{assessment.id}" in page and len(assessment.dissent) == 1
    with count_queries() as queries:
        client.get(url)
    assert queries["n"] <= 25


def test_the_assessment_page_masks_the_dissents_reasons(world, client, auth) -> None:
    _finalized(world)
    assessment = db.session.scalar(
        sa.select(Assessment).where(Assessment.case_id == world.batch.items[0].case_id)
    )
    auth.login("organizer")
    page = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "已电话联系138****5678确认修好" in page and "13812345678" not in page
    assessment.tie_break_reason = "回访时诉求人13812345678称已解决"
    db.session.commit()
    page = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "138****5678称已解决" in page and "13812345678" not in page
    assert "不成立" in page and "评议员的回答" in page and "各评分项得分" in page
    auth.logout()
    make_user("agency-user", Role.AGENCY)
    auth.login("agency-user")
    assert client.get(f"/assessments/{assessment.id}").status_code == 403  # not their contract's batch
