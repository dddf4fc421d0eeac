"""The demo's unsatisfied cases: 600 of them over three months, in Chengdu's districts and departments, with
their handling history and the citizens' (invented) identities."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from evaluation.cases.models import (
    CallbackRating,
    Case,
    CaseStatus,
    CaseType,
    Channel,
    ExclusionReason,
    HandlingStep,
    StepAction,
)
from evaluation.demo import data
from evaluation.extensions import db
from evaluation.org.models import Department

SOURCE = "demo"
N_CASES = 600  # the last three months' cases
OLDER_CASES = 200  # five months before them, every one reviewed and published (after the others, so the
# recent cases stay what they were)


def person_name(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + "".join(rng.choice(data.GIVEN) for _ in range(rng.choice((1, 2))))


def _id_number(rng: random.Random, region: str) -> str:
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(50 * 365))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def _lead(
    rng: random.Random, departments: dict[str, Department], wuhou: list[Department], municipal_code: str
) -> tuple[Department, str, str, bool]:
    """The lead department and the case's district (and whether the case was drawn as a local one): a municipal bureau, a district or its street, or (one case
    in five) Wuhou district or one of its streets, the demo department user's own."""
    district_code, district = rng.choice(data.DISTRICTS)
    local = rng.random() < 0.45
    if rng.random() < 0.2:
        lead = rng.choice(wuhou)
        district_code, district = "510107", "武侯区"
    elif local:
        lead = departments[
            rng.choice(
                [f"D-{district_code}"]
                + [f"T-{district_code}-{i:02d}" for i in range(1, len(data.STREETS[district_code]) + 1)]
            )
        ]
    else:
        lead = departments[municipal_code]
    return lead, district_code, district, local


def _times(
    rng: random.Random, now: datetime, n: int
) -> tuple[datetime, datetime, datetime, datetime, datetime]:
    """Received, dispatched, due, replied and called back: the oldest case first, over three months."""
    # The recent cases oldest first over three months; the older ones over the five months before (250 to 100
    # days ago).
    days_ago = (250 - (n - N_CASES) * 0.75 if n >= N_CASES else 88 - n * 0.135) + rng.random()
    received = (now - timedelta(days=days_ago)).replace(microsecond=0)
    dispatched = received + timedelta(hours=rng.randrange(1, 6))
    due = dispatched + timedelta(days=10)
    replied = dispatched + timedelta(days=rng.randrange(3, 14))
    callback_at = replied + timedelta(days=rng.randrange(1, 3))
    return received, dispatched, due, replied, callback_at


def make_cases(departments: dict[str, Department], now: datetime) -> list[Case]:
    """600 unsatisfied cases, oldest first; the first 120 go to the demo batches."""
    rng = random.Random("demo-cases")
    existing = {c.external_id: c for c in db.session.scalars(sa.select(Case).where(Case.source == SOURCE))}
    categories = list(data.CATEGORIES)
    wuhou = [d for d in departments.values() if d.code == "D-510107" or d.code.startswith("T-510107-")]
    types = (
        [CaseType.COMPLAINT] * 5
        + [CaseType.HELP] * 3
        + [CaseType.CONSULTATION, CaseType.SUGGESTION, CaseType.REPORT]
    )
    channels = (
        [Channel.HOTLINE] * 6
        + [Channel.MAYOR_MAILBOX] * 2
        + [Channel.SECRETARY_MAILBOX, Channel.WEB, Channel.APP]
    )
    cases = []
    for n in range(N_CASES + OLDER_CASES):
        external_id = f"CD12345-2026-{n + 1:06d}"
        category = rng.choice(categories)
        municipal_code, requests, replies, reasons = data.CATEGORIES[category]
        lead, district_code, district, local = _lead(rng, departments, wuhou, municipal_code)
        street = rng.choice(data.STREETS[district_code])
        k = rng.randrange(len(requests))
        title, template = requests[k]
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        id_number = _id_number(rng, district_code)
        fields = {
            "community": rng.choice(data.COMMUNITIES),
            "building": rng.randrange(1, 20),
            "month": rng.randrange(1, 11),
            "road": rng.choice(data.ROADS),
            "street": street,
            "district": district,
            "phone": phone,
            "id_number": id_number,
        }
        received, dispatched, due, replied, callback_at = _times(rng, now, n)
        case_type = rng.choice(types)
        channel = rng.choice(channels)
        citizen_name = person_name(rng)
        if external_id in existing:
            cases.append(existing[external_id])
            continue
        case = Case(
            source=SOURCE,
            external_id=external_id,
            channel=channel,
            case_type=case_type,
            category=category,
            region_code=district_code,
            received_dt=received,
            dispatched_dt=dispatched,
            due_dt=due,
            replied_dt=replied,
            lead_department=lead,
            title=title,
            request_text=template.format(**fields),
            reply_text=replies[k % len(replies)].format(**fields),
            callback_dt=callback_at,
            callback_rating=CallbackRating.VERY_UNSATISFIED
            if rng.random() < 0.3
            else CallbackRating.UNSATISFIED,
            callback_reason=rng.choice(reasons),
            citizen_name=citizen_name,
            citizen_phone=phone,
            citizen_id_number=id_number,
            citizen_address=f"成都市{district}{street}{fields['road']}{rng.randrange(1, 300)}号"
            f"{fields['building']}栋{rng.randrange(1, 4)}单元{rng.randrange(1, 30)}0{rng.randrange(1, 5)}",
            confidential=case_type == CaseType.REPORT,
            status=CaseStatus.RECEIVED,
        )
        if not local and rng.random() < 0.3:
            case.assisting_departments.append(departments[f"D-{district_code}"])
        _add_steps(case, rng, lead, (received, dispatched, due, replied, callback_at))
        db.session.add(case)
        cases.append(case)
    db.session.flush()
    _screen(cases, set(existing))
    return cases


def _add_steps(
    case: Case,
    rng: random.Random,
    lead: Department,
    times: tuple[datetime, datetime, datetime, datetime, datetime],
) -> None:
    """The case's handling history, from acceptance to the callback, in time order."""
    received, dispatched, due, replied, callback_at = times
    steps: list[tuple[StepAction, Department | None, datetime, str | None]] = [
        (StepAction.ACCEPT, None, received, "12345热线受理"),
        (StepAction.DISPATCH, lead, dispatched, "按职责交办"),
    ]
    if rng.random() < 0.15:
        steps.append(
            (StepAction.RETURN, lead, dispatched + timedelta(hours=20), "申请退回：不属于本单位职责")
        )
        steps.append((StepAction.REASSIGN, lead, dispatched + timedelta(days=1), "经审核重新交办"))
    steps.append((StepAction.SIGN, lead, dispatched + timedelta(hours=rng.randrange(2, 30)), None))
    if replied > due:
        steps.append((StepAction.EXTEND, lead, due - timedelta(days=1), "申请延期办理"))
    steps.append((StepAction.REPLY, lead, replied, "已答复诉求人"))
    steps.append((StepAction.CALLBACK, None, callback_at, "回访评价：不满意"))
    steps.sort(key=lambda s: s[2])
    for position, (action, dept, at, note) in enumerate(steps):
        case.steps.append(
            HandlingStep(position=position, action=action, department=dept, at_dt=at, note=note)
        )


def _screen(cases: list[Case], existing: set[str]) -> None:
    """Screening: the recent cases are still being screened, a few older ones excluded, the rest eligible (the
    oldest 120 go into the demo's batches)."""
    for index, case in enumerate(cases):
        if case.status != CaseStatus.RECEIVED or case.external_id in existing:
            continue
        if N_CASES - 60 <= index < N_CASES:
            continue
        if 120 <= index < N_CASES and index % 17 == 0:
            case.status = CaseStatus.EXCLUDED
            case.exclusion_reason = [
                ExclusionReason.DUPLICATE,
                ExclusionReason.WITHDRAWN,
                ExclusionReason.RESOLVED_ON_REHANDLING,
            ][index % 3]
        else:
            case.status = CaseStatus.ELIGIBLE
