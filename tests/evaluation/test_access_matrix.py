"""The access matrix, generated from the app's URL map: every rule, by every method, as every role and as nobody,
on an object of the user's own and on someone else's. A rule added without an entry in ``ACCESS`` fails the
first test, so no page or action is left to chance.

What "allowed" means here is that the gate let the user through: the answer is neither a login redirect, 401, 403
nor 404, and never a 5xx (a refusal because of the object's state, 400/409/422, counts as through the gate). What
"someone else's" means depends on the role: another member's seat or period, a case or assessment of a
department outside one's own, a batch outside one's agency's contracts. Organizers and administrators see every
object, so for them there is no one else's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for

from evaluation import create_app
from evaluation.accounts.models import Role, User
from evaluation.accounts.operations import create_client
from evaluation.appeals.models import Appeal
from evaluation.assessments.models import Assessment, Verdict
from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.models import Case
from evaluation.extensions import db
from evaluation.notices.models import Notice
from evaluation.publication.operations import publish_batch
from evaluation.rectifications.models import Rectification
from panels.models import Conflict, ConflictSource, Draw, MemberAffiliation, MemberUnavailability
from procurement.expert_models import ExpertDraw, ExpertSeat
from procurement.models import (
    Agency,
    Bid,
    BidState,
    Contract,
    Deliverable,
    Honorarium,
    Payment,
    ProjectState,
    PurchaseProject,
)
from rubrics.models import Criterion
from tests import factories
from tests.conftest import make_user
from tests.evaluation.test_results import _finalized

ROLES = [r.value for r in Role]
ANYONE = "anyone"  # public: nobody is turned away by the gate
LOGGED_IN = "logged-in"  # every role
OWNED = {"member", "department", "agency"}  # roles that reach only some objects

# endpoint -> the roles the gate lets through (ANYONE, LOGGED_IN, or a set of roles). API rules are gated by the
# client's scope: "scope:<name>".
ACCESS: dict[str, Any] = {
    "static": ANYONE,
    "main.index": ANYONE,
    "main.dashboard": LOGGED_IN,
    "accounts.login": ANYONE,
    "accounts.logout": LOGGED_IN,
    "accounts.set_locale": ANYONE,
    "accounts.account": LOGGED_IN,
    "accounts.password": ANYONE,
    "admin.users": {"admin"},
    "admin.new_user": {"admin"},
    "admin.edit_user": {"admin"},
    "admin.send_password_link": {"admin"},
    "admin.outbox": {"admin"},
    "admin.replay_outbox": {"admin"},
    "api.openapi": ANYONE,
    "api.list_departments": "scope:departments:write|cases:write",
    "api.put_department": "scope:departments:write",
    "api.post_cases": "scope:cases:write",
    "api.get_case": "scope:cases:write",
    "api.list_assessments": "scope:assessments:read",
    "api.get_assessment": "scope:assessments:read",
    "batches.publish": {"organizer"},
    "assessments.show": {"organizer", "agency"},
    "results.index": {"department"},
    "results.assessment": {"department"},
    "results.appeal": {"department"},
    "standings.ranking": {"organizer"},
    "standings.panels": {"organizer"},
    "rectifications.index": {"organizer"},
    "rectifications.show": {"organizer"},
    "rectifications.review": {"organizer"},
    "results.report_rectification": {"department"},
    "appraisal.index": {"organizer"},
    "appraisal.save_weights": {"organizer"},
    "appraisal.export": {"organizer"},
    "notices.index": {"organizer"},
    "notices.new": {"organizer"},
    "notices.show": {"organizer"},
    "notices.choose_typical": {"organizer"},
    "notices.issue": {"organizer"},
    "notices.download": {"organizer"},
    "standings.export_assessments": {"organizer"},
    "results.export_results": {"department"},
    "appeals.index": {"organizer"},
    "appeals.show": {"organizer"},
    "appeals.decide": {"organizer"},
    "cases.index": {"organizer"},
    "cases.screen": {"organizer"},
    # Then by the case: its panel's members, its departments, its batch's agency; an administrator manages accounts
    # and reads no case.
    "cases.show": {"organizer", "member", "department", "agency"},
    "cases.record_call": {"organizer"},
    "cases.import_upload": {"organizer"},
    "cases.import_commit": {"organizer"},
    "cases.import_template": {"organizer"},
    "batches.index": {"organizer", "agency"},
    "batches.my_seats": {"member"},
    "batches.show": {"organizer", "agency"},
    "batches.monitor": {"organizer", "agency"},
    "batches.new": {"organizer"},
    "batches.invite": {"organizer"},
    "batches.open_scoring": {"organizer"},
    "batches.change_window": {"organizer"},
    "batches.close_scoring": {"organizer"},
    "batches.nudge": {"organizer"},
    "batches.finalize": {"organizer"},
    "batches.replace_seat": {"organizer"},
    "batches.reopen_seat": {"organizer"},
    "batches.withdraw_item": {"organizer"},
    "draws.open_draw": {"organizer"},
    "draws.run_draw": {"organizer"},
    "draws.exclusions": {"organizer"},
    "scoring.sheet": {"member"},
    "scoring.save": {"member"},
    "scoring.submit": {"member"},
    "scoring.declare_conflict": {"member"},
    "scoring.revise": {"member"},
    "panels.index": {"organizer"},
    "panels.invitation": ANYONE,
    "panels.accept_seat": {"member"},
    "panels.decline_seat": {"member"},
    "panels.member_account": {"organizer"},
    "panels.new_member": {"organizer"},
    "panels.edit_member": {"organizer"},
    "panels.add_past_affiliation": {"organizer"},
    "panels.remove_past_affiliation": {"organizer"},
    "panels.record_recusal_request": {"organizer"},
    "panels.decide_conflict": {"organizer"},
    "panels.profile": {"member"},
    "panels.add_unavailability": {"member"},
    "panels.delete_unavailability": {"member"},
    "panels.declare_conflict": {"member"},
    "panels.policies": {"organizer"},
    "panels.new_policy": {"organizer"},
    "panels.edit_policy": {"organizer"},
    "panels.import_members": {"organizer"},
    "rubrics.index": {"organizer"},
    "rubrics.new_rubric": {"organizer"},
    "rubrics.import_file": {"organizer"},
    "rubrics.show_version": {"organizer"},
    "rubrics.update_settings": {"organizer"},
    "rubrics.new_criterion": {"organizer"},
    "rubrics.edit_criterion": {"organizer"},
    "rubrics.move_criterion": {"organizer"},
    "rubrics.remove_criterion": {"organizer"},
    "rubrics.preview": {"organizer"},
    "rubrics.publish": {"organizer"},
    "rubrics.retire": {"organizer"},
    "rubrics.new_draft": {"organizer"},
    "rubrics.delete_draft": {"organizer"},
    "rubrics.copy": {"organizer"},
    "rubrics.export": {"organizer"},
    "rubrics.validate": {"organizer"},
    "procurement.index": {"organizer", "agency"},
    "procurement.agencies": {"organizer"},
    "procurement.new_agency": {"organizer"},
    "procurement.edit_agency": {"organizer"},
    "procurement.new_project": {"organizer"},
    "procurement.edit_project": {"organizer"},
    "procurement.project": {"organizer"},
    "procurement.advance": {"organizer"},
    "procurement.fail": {"organizer"},
    "procurement.record_bid": {"organizer"},
    "procurement.finding": {"organizer"},
    "procurement.proposal": {"organizer", "member"},
    "procurement.open_draw": {"organizer"},
    "procurement.run_draw": {"organizer"},
    "procurement.discard_draw": {"organizer"},
    "procurement.draw": {"organizer"},
    "procurement.session_times": {"organizer"},
    "procurement.my_evaluations": {"member"},
    "procurement.score": {"member"},
    "procurement.save_score": {"member"},
    "procurement.confirm_report": {"member"},
    "procurement.report": {"organizer"},
    "procurement.report_pdf": {"organizer"},
    "procurement.experts": {"organizer"},
    "procurement.new_contract": {"organizer"},
    "procurement.contract": {"organizer", "agency"},
    "procurement.confirm_clauses": {"organizer"},
    "procurement.complete_contract": {"organizer"},
    "procurement.accept_milestone": {"organizer"},
    "procurement.request_payment": {"organizer"},
    "procurement.approve_payment": {"organizer"},
    "procurement.payment_paid": {"organizer"},
    "procurement.review_agency": {"organizer"},
    "procurement.honoraria": {"organizer"},
    "procurement.compute_honoraria": {"organizer"},
    "procurement.approve_honorarium": {"organizer"},
    "procurement.honorarium_paid": {"organizer"},
    "procurement.export_honoraria": {"organizer"},
    "procurement.batch_honoraria": {"organizer"},
    "procurement.replace_expert": {"organizer"},
    "procurement.step_down": {"member"},
}


@dataclass
class Objects:
    """The ids a URL can name: ``own`` ones, which every role allowed on the rule reaches, and ``other`` ones,
    which the roles that reach only some objects (member, department, agency) do not."""

    own: dict[str, Any]
    other: dict[str, Any]
    users: dict[str, User]
    tokens: dict[str, str]


def _someone_elses(world: factories.World) -> dict[str, Any]:
    """An agency holding the world's batch, and beside the world: another batch and its assessment, a case of a
    department outside the world's, periods of two members, a past affiliation and a conflict."""
    version = world.batch.rubric_version
    item = world.batch.items[0]
    housing = item.case.lead_department
    street_case = db.session.scalar(sa.select(Case).where(Case.external_id.like("N%")).limit(1))
    agency = Agency(name="明理中心", credit_code="52510107MJ6CX3Q2K0")
    contract = Contract(
        number="C-1",
        agency=agency,
        amount=Decimal(1),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    world.batch.contract = contract
    other_batch = Batch(name="别的批次", rubric_version=version)
    other_item = BatchItem(batch=other_batch, case=street_case)
    other_assessment = Assessment(
        case=street_case,
        batch_item=other_item,
        department=street_case.lead_department,
        verdict=Verdict.UPHELD,
        total=50.0,
        published_dt=datetime(2026, 11, 20, tzinfo=UTC),
    )
    own_period = MemberUnavailability(
        member_id=world.member.id, start_date=date(2027, 1, 1), end_date=date(2027, 1, 5)
    )
    other_member = world.panel_members[0]
    other_period = MemberUnavailability(
        member_id=other_member.id, start_date=date(2027, 1, 1), end_date=date(2027, 1, 5)
    )
    affiliation = MemberAffiliation(
        member_id=other_member.id, department_id=housing.id, end_date=date(2025, 1, 1)
    )
    conflict = Conflict(
        member_id=other_member.id, source=ConflictSource.DECLARED, reason="亲属", case_id=item.case_id
    )
    db.session.add_all(
        [agency, contract, other_batch, other_assessment, own_period, other_period, affiliation, conflict]
    )
    db.session.flush()
    return {
        "agency": agency,
        "contract": contract,
        "street_case": street_case,
        "other_batch": other_batch,
        "other_assessment": other_assessment,
        "own_period": own_period,
        "other_period": other_period,
        "affiliation": affiliation,
        "conflict": conflict,
    }


def _procurement(world: factories.World, contract: Contract) -> tuple[dict[str, Any], dict[str, Any]]:
    """A project with a bid, its expert draw and a seat of the world's member (an expert here), a milestone, a
    payment and an honorarium on the agency's contract; and someone else's: a seat of another member on another
    project, with its bid, and another agency's contract."""
    project = PurchaseProject(
        code="CG-1", title="评议服务", budget=Decimal(100), state=ProjectState.EVALUATING
    )
    other_project = PurchaseProject(code="CG-2", title="另一项目", budget=Decimal(100))
    bid = Bid(
        project=project, agency=contract.agency, price=Decimal(90), state=BidState.VALID, proposal=b"%PDF"
    )
    other_bid = Bid(project=other_project, agency=contract.agency, price=Decimal(90), proposal=b"%PDF")
    draw = ExpertDraw(project=project, seed_hash="0" * 64, seed="s")
    seat = ExpertSeat(project=project, member_id=world.member.id)
    other_seat = ExpertSeat(project=other_project, member_id=world.panel_members[0].id)
    milestone = Deliverable(title="首付", due_date=date(2026, 2, 1))
    contract.deliverables.append(milestone)
    payment = Payment(amount=Decimal(1))
    contract.payments.append(payment)
    honorarium = Honorarium(member_id=world.member.id, project=project, amount=Decimal(1))
    stranger = Agency(name="另一家", credit_code="91510100MA61R8KX50")
    other_contract = Contract(
        number="C-2",
        agency=stranger,
        amount=Decimal(1),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    db.session.add_all([project, other_project, bid, other_bid, draw, seat, other_seat, milestone, payment])
    db.session.add_all([honorarium, stranger, other_contract])
    db.session.flush()
    own = {
        "project_id": project.id,
        "bid_id": bid.id,
        "expert_draw_id": draw.id,
        "expert_seat_id": seat.id,
        "contract_id": contract.id,
        "milestone_id": milestone.id,
        "payment_id": payment.id,
        "honorarium_id": honorarium.id,
    }
    other = {
        "bid_id": other_bid.id,
        "expert_seat_id": other_seat.id,
        "contract_id": other_contract.id,
    }
    return own, other


def _objects(world: factories.World) -> Objects:
    _finalized(world)
    publish_batch(world.batch, world.organizer.id)
    rows = _someone_elses(world)
    version = world.batch.rubric_version
    item = world.batch.items[0]
    own_seat = next(s for s in item.panel.seats if s.member_id == world.member.id)
    other_seat = next(s for s in item.panel.seats if s.member_id != world.member.id)
    housing = item.case.lead_department
    other_member = world.panel_members[0]
    users = {
        "admin": make_user("admin", Role.ADMIN),
        "organizer": world.organizer,
        "member": world.member_user,
        "department": make_user("dept", Role.DEPARTMENT, department=housing),
        "agency": make_user("agent", Role.AGENCY, agency=rows["agency"]),
    }
    tokens = {
        scope: create_client(f"client-{scope}", [scope], None)[1]
        for scope in ("cases:write", "departments:write", "assessments:read")
    }
    own_assessment = db.session.scalar(sa.select(Assessment).where(Assessment.case_id == item.case_id))
    draw = db.session.scalar(sa.select(Draw).where(Draw.batch_id == world.batch.id))
    appeal = Appeal(
        case_id=item.case_id,
        assessment=own_assessment,
        department_id=housing.id,
        filed_by_id=users["department"].id,
        reason="复核理由",
        recontact_record="已回访",
    )
    notice = Notice(title="通报", period_start=date(2026, 6, 1), period_end=date(2026, 11, 30))
    db.session.add_all([appeal, notice])
    db.session.flush()
    criterion = db.session.scalar(sa.select(Criterion).where(Criterion.version_id == version.id).limit(1))
    common = {
        "batch_id": world.batch.id,
        "case_id": item.case_id,
        "assessment_id": own_assessment.id,
        "seat_id": own_seat.id,
        "period_id": rows["own_period"].id,
        "member_id": other_member.id,
        "user_id": world.organizer.id,
        "draw_id": draw.id,
        "item_id": item.id,
        "version_id": version.id,
        "criterion_id": criterion.id,
        "policy_id": world.batch.policy_id,
        "conflict_id": rows["conflict"].id,
        "appeal_id": appeal.id,
        "agency_id": rows["agency"].id,
        "fmt": "xlsx",
        "notice_id": notice.id,
        "rectification_id": db.session.scalar(sa.select(Rectification.id).limit(1)),
        "decision": "accept",
        "action": "invite",
        "token": "no-such-token",
        "ext": "csv",
        "filename": "css/app.css",
        "code": housing.code,
        "source": item.case.source,
        "external_id": item.case.external_id,
        "public_assessment_id": own_assessment.public_id,
    }
    someone_elses = {
        "batch_id": rows["other_batch"].id,
        "case_id": rows["street_case"].id,
        "assessment_id": rows["other_assessment"].id,
        "seat_id": other_seat.id,
        "period_id": rows["other_period"].id,
    }
    own_procurement, other_procurement = _procurement(world, rows["contract"])
    common.update(own_procurement)
    someone_elses.update(other_procurement)
    db.session.commit()
    common["affiliation_id"] = rows["affiliation"].id
    return Objects(common, {**common, **someone_elses}, users, tokens)


def _rules(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        {
            (rule.endpoint, method)
            for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }
    )


def _rules_of_a_fresh_app() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        rules = _rules(app)
        db.engine.dispose()
    return rules


RULES = _rules_of_a_fresh_app()
WRITES = [(endpoint, method) for endpoint, method in RULES if method != "GET"]


def test_every_rule_has_an_entry(app) -> None:
    endpoints = {endpoint for endpoint, _ in _rules(app)}
    assert endpoints - ACCESS.keys() == set(), "add the new routes to ACCESS, with who may reach them"
    assert ACCESS.keys() - endpoints == set(), "routes in ACCESS that no longer exist"


def _url(app: Flask, endpoint: str, values: dict[str, Any]) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    args = {name: values[name] for name in rule.arguments}
    if endpoint == "panels.remove_past_affiliation":
        args["period_id"] = values["affiliation_id"]
    if endpoint == "api.get_assessment":
        args["assessment_id"] = values["public_assessment_id"]
    with app.test_request_context():
        return url_for(endpoint, **args)


def _as(client, user: User | None) -> None:
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"], session["_fresh"] = user.get_id(), True


def _through(status: int) -> bool:
    return status < 500 and status not in (401, 403, 404)


@dataclass
class Answer:
    status_code: int
    location: str | None


def _send(client, method: str, url: str, headers: dict[str, str] | None = None) -> Answer:
    response = client.open(url, method=method, headers=headers or {}, data={} if method != "GET" else None)
    response.close()  # a static file's answer holds the file open until closed
    return Answer(response.status_code, response.location)


def _check_api(app, client, objects: Objects, endpoint: str, method: str) -> list[str]:
    url = _url(app, endpoint, objects.own)
    _as(client, None)
    wrong = []
    if _send(client, method, url).status_code != 401:
        wrong.append(f"{method} {url} without a token")
    for scope, token in objects.tokens.items():
        status = _send(client, method, url, {"Authorization": f"Bearer {token}"}).status_code
        if _through(status) != (scope in ACCESS[endpoint].removeprefix("scope:").split("|")) or status >= 500:
            wrong.append(f"{method} {url} with {scope}: {status}")
    return wrong


def _check_rule(app, client, objects: Objects, endpoint: str, method: str) -> list[str]:
    """Nobody, then every role on someone else's object and on its own; returns what was not as ACCESS says."""
    allowed = ACCESS[endpoint]
    if isinstance(allowed, str) and allowed.startswith("scope:"):
        return _check_api(app, client, objects, endpoint, method)
    wrong: list[str] = []
    url = _url(app, endpoint, objects.own)
    other_url = _url(app, endpoint, objects.other)
    _as(client, None)
    response = _send(client, method, url)
    if allowed == ANYONE:
        if not _through(response.status_code):
            wrong.append(f"{method} {url} as nobody: {response.status_code}")
    elif response.status_code != 302 or "/login" not in (response.location or ""):
        wrong.append(f"{method} {url} as nobody: {response.status_code}, not sent to log in")
    for role in ROLES:
        lets_in = allowed in (ANYONE, LOGGED_IN) or role in allowed
        if lets_in and role in OWNED and other_url != url:
            _as(client, objects.users[role])
            status = _send(client, method, other_url).status_code
            if status not in (403, 404):
                wrong.append(f"{method} {other_url} as {role}, someone else's: {status}")
        _as(client, objects.users[role])
        status = _send(client, method, url).status_code
        if lets_in != _through(status) or status >= 500:
            wrong.append(f"{method} {url} as {role}: {status}")
    return wrong


def test_every_read_as_every_role(app, world, client) -> None:
    """Reads change nothing the next one depends on, so one world serves them all."""
    objects = _objects(world)
    wrong = [
        problem
        for endpoint, method in _rules(app)
        if method == "GET"
        for problem in _check_rule(app, client, objects, endpoint, method)
    ]
    assert wrong == []


@pytest.mark.parametrize(("endpoint", "method"), WRITES)
def test_every_write_as_every_role(app, world, client, endpoint, method) -> None:
    """A write let through may change the world (finalize, log out), so each rule has a world of its own, and
    the role it lets through goes last."""
    objects = _objects(world)
    assert _check_rule(app, client, objects, endpoint, method) == []
