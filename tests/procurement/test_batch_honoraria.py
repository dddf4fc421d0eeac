"""Panel members' honoraria for a batch: the organizer records each member's day and hours; the amount follows the
tier table, a rest day pays more, government staff nothing; bad rows are named and nothing is lost."""

from __future__ import annotations

import sqlalchemy as sa

from evaluation.extensions import db
from panels.models import MemberRole
from procurement.models import Honorarium, HonorariumState
from tests import factories


def test_the_organizer_records_the_members_time_and_the_honoraria_follow(app_ctx, client, auth) -> None:
    world = factories.world()
    factories.close_with_every_sheet(world)
    db.session.commit()
    auth.login("organizer", factories.PASSWORD)
    url = f"/procurement/batches/{world.batch.id}/honoraria"
    page = client.get(url).get_data(as_text=True)
    members = {m.role: m for m in world.panel_members}
    lawyer, official, citizen = (
        members[MemberRole.LAWYER],
        members[MemberRole.OFFICIAL],
        members[MemberRole.CITIZEN_REP],
    )
    assert lawyer.name in page and official.name in page
    bad = client.post(url, data={f"day-{lawyer.id}": "2027-01-06", f"hours-{lawyer.id}": "三小时"})
    refused = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请填写工作时长" in refused and 'value="三小时"' in refused
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Honorarium)) == 0
    data = {
        f"day-{lawyer.id}": "2027-01-06",  # a Wednesday: 6.5 hours → 500 + 2.5 × 100
        f"hours-{lawyer.id}": "6.5",
        f"day-{citizen.id}": "2027-01-09",  # a Saturday: 3 hours → 500 × 1.5
        f"hours-{citizen.id}": "3",
        f"day-{official.id}": "2027-01-06",  # government staff: nothing
        f"hours-{official.id}": "5",
    }
    assert client.post(url, data=data).status_code == 302
    paid = {h.member_id: h for h in db.session.scalars(sa.select(Honorarium))}
    assert str(paid[lawyer.id].amount) == "750.00" and paid[lawyer.id].minutes == 390
    assert str(paid[citizen.id].amount) == "750.00" and str(paid[official.id].amount) == "0.00"
    assert paid[lawyer.id].cases_scored == len(world.batch.items)
    client.post(f"/procurement/honoraria/{paid[lawyer.id].id}/approve")
    client.post(url, data={**data, f"hours-{lawyer.id}": "8"})
    db.session.expire_all()
    kept = db.session.get(Honorarium, paid[lawyer.id].id)
    assert kept.state == HonorariumState.APPROVED and str(kept.amount) == "750.00"  # approved: left as it is
    export = client.get("/procurement/honoraria.csv").get_data(as_text=True)
    assert world.batch.name in export and "2027-01-09" in export
