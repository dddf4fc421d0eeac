"""The draw: a batch's panels drawn from the pool, and a stored draw verified.

A draw is opened first: a fresh seed is made and only its SHA-256 is shown. Running it snapshots the pool and
the policy into a problem (the same JSON that `flask panels solve` reads), solves it, reveals the seed and
stores problem and result with their hashes, so anyone can replay it with or without the database. Every
exclusion of a member from a case is recorded with the rule that excluded them. Operations flush; the
request commits.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from evaluation.audit.operations import record
from evaluation.audit.records import draw_digest
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import Case, CaseStatus
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.org.models import Department
from evaluation.text import N_, UserError
from panels.assignment import parse_problem, problem_hash, solve
from panels.models import (
    CompositionPolicy,
    Conflict,
    ConflictSource,
    ConflictState,
    Draw,
    Member,
    MemberRole,
    Panel,
    Recusal,
    RecusalRule,
    Seat,
    SeatSubstitute,
    through_items,
)

FORMER_EMPLOYMENT_YEARS = 3


class DrawError(UserError):
    """The draw cannot be made or run."""


def _sha256(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def policy_snapshot(policy: CompositionPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "panel_size": policy.panel_size,
        "role_ranges": policy.role_ranges,
        "category_needs": policy.category_needs,
        "prefer_local_township": policy.prefer_local_township,
        "distinct_affiliations": policy.distinct_affiliations,
    }


def open_draw(batch: Batch, user_id: int | None, *, seed: str | None = None) -> Draw:
    """A pending draw with a fresh secret seed; only its hash is shown until the draw is run.

    ``seed`` is for the demo alone, which plays its past draws reproducibly; pages and commands never pass one."""
    if batch.state != BatchState.DRAFT:
        raise DrawError(N_("Panels can only be drawn for a batch in draft."))
    if batch.policy is None:
        raise DrawError(N_("The batch has no composition policy."))
    seed = seed or secrets.token_hex(16)
    draw = Draw(
        batch=batch,
        seed=seed,
        seed_hash=hashlib.sha256(seed.encode()).hexdigest(),
        status="pending",
        created_by_id=user_id,
    )
    db.session.add(draw)
    db.session.flush()
    return draw


@dataclass
class Exclusion:
    member: Member
    case: Case
    rule: RecusalRule
    detail: str | None  # the departments concerned, or the conflict's reason


def scoring_days(batch: Batch) -> tuple[date, date]:
    """The first and last day members are needed for a batch (from today when it has no window yet), as
    calendar days where the members are (Asia/Shanghai): the days they give as unavailable."""
    opens = batch.opens_dt or utcnow()
    return to_local(opens).date(), to_local(batch.closes_dt or opens).date()


def former_employment_cutoff(first_day: date) -> date:
    """Employment that ended on or after this day still recuses (FORMER_EMPLOYMENT_YEARS before the window)."""
    return first_day - timedelta(days=365 * FORMER_EMPLOYMENT_YEARS)


def _earlier_seats(batch: Batch, case_ids: list[int]) -> set[tuple[int, int]]:
    """(member, case) for every seat on these cases' panels in other batches: a re-review's panel is new."""
    rows = db.session.execute(
        through_items(sa.select(Seat.member_id, BatchItem.case_id)).where(
            BatchItem.case_id.in_(case_ids), BatchItem.batch_id != batch.id
        )
    ).all()
    return {(member_id, case_id) for member_id, case_id in rows}


def _available_pool(
    batch: Batch, roles: list[str]
) -> tuple[list[Member], dict[int, set[str]], dict[int, set[str]]]:
    """The active members of the policy's roles who are available on the batch's scoring days, with the codes
    of their department now and of those they left within the recusal years."""
    window_start, window_end = scoring_days(batch)
    candidates = db.session.scalars(
        sa.select(Member)
        .where(Member.active.is_(True), Member.role.in_(roles))
        .order_by(Member.id)
        .options(
            selectinload(Member.affiliation),
            selectinload(Member.past_affiliations),
            selectinload(Member.unavailabilities),
        )
    ).all()
    members = [m for m in candidates if not m.unavailable_between(window_start, window_end)]
    codes = dict(db.session.execute(sa.select(Department.id, Department.code)).all())
    cutoff = former_employment_cutoff(window_start)
    affiliations: dict[int, set[str]] = {}
    former: dict[int, set[str]] = {}
    for m in members:
        affiliations[m.id] = {codes[m.affiliation_id]} if m.affiliation_id else set()
        former[m.id] = {codes[d] for d in m.departments_left_since(cutoff)} - affiliations[m.id]
    return members, affiliations, former


def build_problem(batch: Batch, seed: str) -> tuple[dict[str, Any], list[Exclusion]]:
    """The draw problem for a batch: the pool and policy as they are now, and why each excluded pair is."""
    policy = batch.policy
    if policy is None:
        raise DrawError(N_("The batch has no composition policy."))
    items = db.session.scalars(
        sa.select(BatchItem)
        .where(BatchItem.batch_id == batch.id)
        .order_by(BatchItem.id)
        .options(
            selectinload(BatchItem.case).selectinload(Case.assisting_departments),
            selectinload(BatchItem.case).selectinload(Case.lead_department),
        )
    ).all()
    if not items:
        raise DrawError(N_("The batch has no cases."))
    roles = {role: bounds for role, bounds in policy.role_ranges.items() if bounds[1] > 0}
    members, affiliations, former = _available_pool(batch, list(roles))
    case_ids = [item.case_id for item in items]
    member_ids = {m.id for m in members}
    conflicts = _ConflictIndex(
        list(
            db.session.scalars(
                sa.select(Conflict).where(
                    Conflict.member_id.in_(member_ids), Conflict.state == ConflictState.ACCEPTED
                )
            )
        )
    )
    earlier_pairs = _earlier_seats(batch, case_ids)

    exclusions: list[Exclusion] = []
    conflict_pairs: list[list[str]] = []
    cases_json = []
    for item in items:
        case = item.case
        departments = {case.lead_department.code, *(d.code for d in case.assisting_departments)}
        cases_json.append(
            {
                "id": str(case.id),
                "departments": sorted(departments),
                "district": case.region_code,
                "category": case.category,
                "needs": dict((policy.category_needs or {}).get(case.category or "", {})),
            }
        )
        found = _case_exclusions(case, departments, members, affiliations, former, earlier_pairs, conflicts)
        exclusions += [e for e, _as_pair in found]
        # With distinct affiliations the affiliations themselves reach the solver; other exclusions go as pairs.
        conflict_pairs += [
            [str(e.member.id), str(case.id)]
            for e, as_pair in found
            if as_pair or not policy.distinct_affiliations
        ]
    # Affiliations serve the solver twice: recusal and "no two members of one affiliation on a panel". A policy
    # without the second sends none, and the affiliation recusals above travel as conflict pairs instead.
    members_json = [
        {
            "id": str(m.id),
            "role": m.role.value,
            "affiliations": sorted(affiliations[m.id]) if policy.distinct_affiliations else [],
            "district": m.district_code,
            "expertise": list(m.expertise or []),
            "max_cases": m.max_cases,
        }
        for m in members
    ]
    problem = {
        "seed": seed,
        "panel_size": policy.panel_size,
        "roles": {r: list(b) for r, b in roles.items()},
        "cases": cases_json,
        "members": members_json,
        "conflicts": sorted(conflict_pairs),
    }
    if not policy.prefer_local_township:
        problem["weights"] = {"district": 0}
    return problem, exclusions


class _ConflictIndex:
    """Accepted conflicts by the case and by the department they name."""

    def __init__(self, conflicts: list[Conflict]):
        self.by_case: dict[int, list[Conflict]] = defaultdict(list)
        self.by_department: dict[int, list[Conflict]] = defaultdict(list)
        for conflict in conflicts:
            if conflict.case_id is not None:
                self.by_case[conflict.case_id].append(conflict)
            if conflict.department_id is not None:
                self.by_department[conflict.department_id].append(conflict)

    def applying_to(self, case: Case) -> list[Conflict]:
        department_ids = {case.lead_department_id, *(d.id for d in case.assisting_departments)}
        found = [*self.by_case[case.id], *(c for d in sorted(department_ids) for c in self.by_department[d])]
        return sorted(found, key=lambda c: c.id)


def _case_exclusions(
    case: Case,
    departments: set[str],
    members: list[Member],
    affiliations: dict[int, set[str]],
    former: dict[int, set[str]],
    earlier_pairs: set[tuple[int, int]],
    conflicts: _ConflictIndex,
) -> list[tuple[Exclusion, bool]]:
    """Who may not sit on ``case`` and why, each member once under the first rule that excludes them; with each,
    whether it must reach the solver as a pair even when affiliations reach it themselves."""
    found: list[tuple[Exclusion, bool]] = []
    excluded: set[int] = set()
    for m in members:
        if affiliations[m.id] & departments:
            exclusion = Exclusion(
                m, case, RecusalRule.AFFILIATION, "、".join(sorted(affiliations[m.id] & departments))
            )
            as_pair = False
        elif former[m.id] & departments:
            exclusion = Exclusion(
                m, case, RecusalRule.FORMER_AFFILIATION, "、".join(sorted(former[m.id] & departments))
            )
            as_pair = True
        elif (m.id, case.id) in earlier_pairs:
            exclusion, as_pair = Exclusion(m, case, RecusalRule.EARLIER_PANEL, None), True
        else:
            continue
        excluded.add(m.id)
        found.append((exclusion, as_pair))
    by_id = {m.id: m for m in members}
    for conflict in conflicts.applying_to(case):
        if conflict.member_id not in excluded:
            excluded.add(conflict.member_id)
            rule = (
                RecusalRule.DECLARED_CONFLICT
                if conflict.source == ConflictSource.DECLARED
                else RecusalRule.RECUSAL_REQUEST
            )
            found.append((Exclusion(by_id[conflict.member_id], case, rule, conflict.reason), True))
    return found


def run_draw(draw: Draw) -> dict[str, Any]:
    """Solve the draw, reveal its seed, store problem and result, and seat the panels (or record why not)."""
    batch = draw.batch
    if draw.status != "pending":
        raise DrawError(N_("This draw has already been run."))
    if batch.state != BatchState.DRAFT:
        raise DrawError(N_("Panels can only be drawn for a batch in draft."))
    if batch.policy is None:
        raise DrawError(N_("The batch has no composition policy."))
    policy = batch.policy
    problem_json, exclusions = build_problem(batch, draw.seed or "")
    problem = parse_problem(problem_json)
    solution = solve(problem)
    result = solution.as_json()
    draw.problem, draw.result = problem_json, result
    draw.pool_hash = _sha256(problem_json["members"])
    draw.policy_hash = _sha256(policy_snapshot(policy))
    draw.status, draw.objective, draw.solved_dt = solution.status, solution.objective, utcnow()
    for e in exclusions:
        db.session.add(
            Recusal(draw_id=draw.id, member_id=e.member.id, case_id=e.case.id, rule=e.rule, detail=e.detail)
        )
    if solution.status != "infeasible":
        _seat(draw, result)
        batch.state = BatchState.PANELS_DRAWN
    draw.audit_hash = record(
        "draw.made",
        "draw",
        draw.id,
        {
            "batch": batch.id,
            "seed_hash": draw.seed_hash,
            "seed": draw.seed,
            "problem_hash": problem_hash(problem),
            "status": solution.status,
            "objective": solution.objective,
            "digest": draw_digest(draw),
        },
        actor_id=draw.created_by_id,
    ).hash
    db.session.flush()
    return result


def _seat(draw: Draw, result: dict[str, Any]) -> None:
    items = {
        item.case_id: item
        for item in db.session.scalars(sa.select(BatchItem).where(BatchItem.batch_id == draw.batch_id))
    }
    panels: dict[int, Panel] = {}
    positions: dict[int, int] = {}
    for seat_json in result["seats"]:
        case_id = int(seat_json["case"])
        panel = panels.get(case_id)
        if panel is None:
            panel = panels[case_id] = Panel(batch_item=items[case_id], draw_id=draw.id)
            db.session.add(panel)
            items[case_id].case.status = CaseStatus.QUEUED
        position = positions.get(case_id, 0)
        positions[case_id] = position + 1
        seat = Seat(
            panel=panel,
            member_id=int(seat_json["member"]),
            role=MemberRole(seat_json["role"]),
            position=position,
        )
        for rank, substitute in enumerate(result["substitutes"][seat_json["case"]][seat_json["member"]]):
            seat.substitutes.append(SeatSubstitute(rank=rank, member_id=int(substitute)))
        db.session.add(seat)


def verify_draw(draw: Draw) -> tuple[bool, str]:
    """Replay a stored draw: the seed against its hash, the solver on the stored problem, the seats in the
    database against the stored result. Returns (match, the first difference or 'match')."""
    if draw.seed is None or draw.problem is None or draw.result is None:
        return False, "the draw has not been run"
    if hashlib.sha256(draw.seed.encode()).hexdigest() != draw.seed_hash:
        return False, "the revealed seed does not hash to the hash shown before the draw"
    if draw.problem.get("seed") != draw.seed:
        return False, "the stored problem was not made with the revealed seed"
    if _sha256(draw.problem["members"]) != draw.pool_hash:
        return False, "the stored pool does not match its recorded hash"
    replay = solve(parse_problem(draw.problem)).as_json()
    stored = draw.result
    if replay.get("status") != stored.get("status"):
        return False, f"status: stored {stored.get('status')}, replayed {replay.get('status')}"
    if replay.get("status") == "infeasible":
        return (True, "match") if replay == stored else (False, "the infeasibility explanations differ")
    if abs(replay["objective"] - stored["objective"]) > 1e-6:
        return False, f"objective: stored {stored['objective']}, replayed {replay['objective']}"
    for index, (a, b) in enumerate(zip(stored["seats"], replay["seats"], strict=False)):
        if a != b:
            return False, f"seat {index}: stored {a}, replayed {b}"
    if len(stored["seats"]) != len(replay["seats"]):
        return False, f"seats: stored {len(stored['seats'])}, replayed {len(replay['seats'])}"
    if stored["substitutes"] != replay["substitutes"]:
        case = next(
            c for c in stored["substitutes"] if stored["substitutes"][c] != replay["substitutes"].get(c)
        )
        return False, f"substitutes of case {case} differ"
    seated = {
        (str(item_case), str(member), role.value)
        for item_case, member, role in db.session.execute(
            through_items(sa.select(BatchItem.case_id, Seat.member_id, Seat.role)).where(
                Panel.draw_id == draw.id
            )
        )
    }
    drawn = {(s["case"], s["member"], s["role"]) for s in stored["seats"]}
    missing = drawn - seated
    if missing:
        return False, f"seat {sorted(missing)[0]} of the draw is not in the database"
    return True, "match"
