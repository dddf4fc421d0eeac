"""The demo's batches, played through the real operations at the moments they would have happened (the clock
set with ``clock_at``): the organizer creates the batch and draws its panels (recorded, so ``panels verify-draw``
replays every one), invitations go out and are answered over the next day (a few declined, their seats refilled
from the substitutes), scoring opens at nine in the morning, members submit over the window as the rubric
requires, the job runner sends the reminders and the escalation when they fall due, scoring closes, outliers give
their reasons, the organizer decides tied panels and finalizes.

The first batch is published too, through the publication operation (its webhook messages wait in the outbox
for any client the demo's operator subscribes).

The third batch is still scoring: its window closes tomorrow evening, some members are late, and the organizer
can take it to finalized in the interface (close early, reopen a seat or withdraw a case, finalize).

No mail leaves: the history happened before the demo was built, so what the operations queue is dropped."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from evaluation.accounts.models import User
from evaluation.appeals.operations import file_appeal
from evaluation.assessments.models import Assessment, Verdict
from evaluation.assessments.operations import finalize, panel_sheets, ties
from evaluation.batches import operations as batch_ops
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import Case, CaseStatus
from evaluation.clock import from_local, to_local
from evaluation.db import clock_at
from evaluation.demo import sheets
from evaluation.extensions import db
from evaluation.jobs import runner
from evaluation.jobs.reminders import offsets
from evaluation.mailer import muted
from evaluation.org.models import Department
from evaluation.publication.operations import publish_batch
from evaluation.scoring import operations as scoring
from panels.draw import open_draw, run_draw
from panels.invitations import accept, decline, invite_batch
from panels.models import CompositionPolicy, Member, Seat, SeatState, batch_seats
from procurement.models import Contract
from rubrics.models import RubricVersion
from rubrics.operations import export_version
from rubrics.scoring import summarise

DECLINE_REASONS = [
    "近期出差，无法按时参加评议。",
    "本人与该案件诉求人系同一小区业主，申请回避。",
    "身体原因请假。",
]


@dataclass
class Plan:
    name: str
    state: BatchState  # where the batch stands today
    cases: range  # indices into the demo's cases, oldest first
    opens_in_days: int  # from today; negative for a window in the past
    window_days: int
    appealed: bool = False  # the district government appeals one of its results, which waits for a decision


PLANS = [
    # Five earlier months, published: the trend, the ranking's intervals and a notice have something to show.
    *(
        Plan(
            f"不满意件评议 往期第{i + 1}批",
            BatchState.PUBLISHED,
            range(600 + 40 * i, 640 + 40 * i),
            -215 + 30 * i,
            10,
        )
        for i in range(5)
    ),
    Plan("不满意件评议 第1批", BatchState.PUBLISHED, range(0, 40), -50, 10, appealed=True),
    Plan("不满意件评议 第2批", BatchState.FINALIZED, range(40, 80), -25, 10),
    Plan("不满意件评议 第3批", BatchState.SCORING, range(80, 120), -6, 7),
    Plan("不满意件评议 第4批", BatchState.DRAFT, range(120, 160), 3, 7),
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """Beijing time on ``day`` as the stored UTC value."""
    return from_local(datetime.combine(day, time(hour, minute)))


@dataclass
class Context:
    version: RubricVersion
    policy: CompositionPolicy
    contract: Contract
    organizer: User
    demo_member: Member | None
    now: datetime
    spec: dict[str, object] = field(default_factory=dict)


class Timeline:
    """The steps of one batch in time order, each run with the clock at its moment; a step may add later ones.
    Steps after ``until`` (today) have not happened yet and are dropped."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        self._heap: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self._order = itertools.count()

    def at(self, moment: datetime, step: Callable[[datetime], None]) -> None:
        if moment <= self.until:
            heapq.heappush(self._heap, (moment, next(self._order), step))

    def play(self) -> None:
        while self._heap:
            moment, _, step = heapq.heappop(self._heap)
            with clock_at(moment):
                step(moment)


def build_batches(
    cases: list[Case],
    version: RubricVersion,
    policy: CompositionPolicy,
    contract: Contract,
    now: datetime,
) -> list[str]:
    """Play every demo batch not yet there, oldest first; each is committed when its history is complete."""
    organizer = db.session.execute(sa.select(User).where(User.username == "organizer")).scalar_one()
    demo_member = db.session.scalar(
        sa.select(Member).join(User, Member.user_id == User.id).where(User.username == "member")
    )
    ctx = Context(version, policy, contract, organizer, demo_member, now, export_version(version))
    made = []
    with muted():
        for plan in PLANS:
            if db.session.scalar(sa.select(Batch.id).where(Batch.name == plan.name)) is not None:
                continue
            _play(plan, [cases[i] for i in plan.cases], ctx)
            db.session.commit()
            made.append(plan.name)
    return made


def _play(plan: Plan, batch_cases: list[Case], ctx: Context) -> None:
    today = to_local(ctx.now).date()
    first_day = today + timedelta(days=plan.opens_in_days)
    opens = _at(first_day, 9)
    closes = _at(first_day + timedelta(days=plan.window_days), 18)
    created = _at(first_day - timedelta(days=3), 10) if plan.state != BatchState.DRAFT else ctx.now
    rng = random.Random(f"demo-batch-{plan.name}")
    timeline = Timeline(until=ctx.now)
    story = _Story(plan, ctx, rng, timeline, opens, closes)
    with clock_at(created):
        story.create(batch_cases)
    if plan.state == BatchState.DRAFT:
        return
    timeline.at(created + timedelta(minutes=20), story.draw)
    timeline.at(created + timedelta(minutes=40), story.invite)
    timeline.at(opens, story.open)
    for hours in offsets():
        timeline.at(closes - timedelta(hours=hours), _run_jobs)
    timeline.at(closes + timedelta(hours=1), _run_jobs)  # the escalation
    if plan.state != BatchState.SCORING:
        timeline.at(closes + timedelta(hours=1, minutes=30), story.close)
        timeline.at(_at(to_local(closes).date() + timedelta(days=1), 15), story.deliberate)
        timeline.at(_at(to_local(closes).date() + timedelta(days=2), 10), story.finalize)
    if plan.state == BatchState.PUBLISHED:
        timeline.at(_at(to_local(closes).date() + timedelta(days=4), 10), story.publish)
        if plan.appealed:
            timeline.at(_at(to_local(closes).date() + timedelta(days=7), 16), story.appeal)
    timeline.play()
    with clock_at(ctx.now):
        _run_jobs(ctx.now)


def _run_jobs(moment: datetime) -> None:
    """The worker, as it would have run at ``moment``: reminders, escalations, expired invitations."""
    runner.run_due(now=moment)


class _Story:
    """One batch's steps; each is an operation the organizer, a member or the worker would have done."""

    def __init__(
        self,
        plan: Plan,
        ctx: Context,
        rng: random.Random,
        timeline: Timeline,
        opens: datetime,
        closes: datetime,
    ) -> None:
        self.plan, self.ctx, self.rng, self.timeline = plan, ctx, rng, timeline
        self.opens, self.closes = opens, closes
        self.batch: Batch | None = None
        self.quality: dict[int, float] = {}
        self.behind: set[int] = set()

    @property
    def current(self) -> Batch:
        assert self.batch is not None
        return self.batch

    def create(self, batch_cases: list[Case]) -> None:
        if self.plan.state == BatchState.DRAFT:
            batch_cases = [c for c in batch_cases if c.status == CaseStatus.ELIGIBLE][:30]
        self.batch = batch_ops.create_batch(
            self.plan.name,
            self.ctx.version,
            self.ctx.policy,
            self.opens,
            self.closes,
            [c.id for c in batch_cases],
            None,
            self.ctx.organizer.id,
        )
        self.batch.contract = self.ctx.contract
        self.quality = {c.id: self.rng.uniform(0.15, 0.95) for c in batch_cases}
        # In the batch still scoring, two panels have most of their members behind: below quorum if it closed now.
        self.behind = (
            {c.id for c in self.rng.sample(batch_cases, 2)}
            if self.plan.state == BatchState.SCORING
            else set()
        )

    def draw(self, moment: datetime) -> None:
        draw = open_draw(self.current, self.ctx.organizer.id, seed=f"demo-draw-{self.plan.name}")
        with clock_at(moment + timedelta(minutes=5)):
            run_draw(draw)

    def invite(self, moment: datetime) -> None:
        invite_batch(self.current)
        for seat in self._seats(SeatState.INVITED):
            self._answer_later(seat, moment)

    def _answer_later(self, seat: Seat, since: datetime) -> None:
        seat_id, declines = seat.id, self.rng.random() < 0.04
        delay = timedelta(minutes=self.rng.randrange(30, 26 * 60))

        def answer(moment: datetime) -> None:
            target = db.session.get_one(Seat, seat_id)
            if not declines:
                accept(target)
                return
            replacement = decline(target, self.rng.choice(DECLINE_REASONS))
            if replacement is not None:
                self._answer_later(replacement, moment)

        self.timeline.at(since + delay, answer)

    def _seats(self, state: SeatState) -> list[Seat]:
        return list(
            db.session.scalars(batch_seats(self.current.id).where(Seat.state == state).order_by(Seat.id))
        )

    def open(self, moment: datetime) -> None:
        batch_ops.open_scoring(self.current, confirmed=True)
        per_panel: dict[int, int] = {}
        for seat in self._seats(SeatState.ACCEPTED):
            self._plan_sheet(seat, per_panel)

    def _plan_sheet(self, seat: Seat, silent_per_panel: dict[int, int]) -> None:
        """When this seat's member submits (or starts and stops, or never does): most in the first days, a
        tail near the deadline; in the past batches a rare member stays silent (never two on one panel)."""
        case_id = seat.panel.batch_item.case_id
        full = sheets.answers(self.rng, self.ctx.spec, self.quality[case_id], sheets.severity(seat.member_id))
        days = self.plan.window_days
        day = min(days, int(self.rng.betavariate(1.2, 2.2) * (days + 1)))
        moment = _at(to_local(self.opens).date() + timedelta(days=day), self.rng.randrange(8, 23))
        moment = min(max(moment, self.opens + timedelta(hours=1)), self.closes - timedelta(minutes=30))
        if case_id in self.behind and seat.position >= 2:
            moment = self.closes - timedelta(hours=3)
        mine = self.ctx.demo_member is not None and seat.member_id == self.ctx.demo_member.id
        if mine and self.plan.state == BatchState.SCORING:
            self._demo_member_sheet(seat, full)
            return
        silent = self.plan.state != BatchState.SCORING and self.rng.random() < 0.03
        if silent and silent_per_panel.get(seat.panel_id, 0) == 0:
            silent_per_panel[seat.panel_id] = 1
            return
        if moment > self.ctx.now and self.rng.random() < 0.4:
            self.timeline.at(self.opens + timedelta(hours=self.rng.randrange(2, 72)), self._draft(seat, full))
        self.timeline.at(moment, self._submit(seat, full))

    def _demo_member_sheet(self, seat: Seat, full: dict[str, dict[str, object]]) -> None:
        """The demo login's seats in the batch still scoring, in a set pattern: submitted, a draft, untouched."""
        mine = [s.id for s in self._seats(SeatState.ACCEPTED) if s.member_id == seat.member_id]
        pattern = mine.index(seat.id) % 3
        if pattern == 0:
            self.timeline.at(self.opens + timedelta(hours=11), self._submit(seat, full))
        elif pattern == 1:
            self.timeline.at(self.opens + timedelta(days=1, hours=12), self._draft(seat, full))

    def _submit(self, seat: Seat, full: dict[str, dict[str, object]]) -> Callable[[datetime], None]:
        seat_id, user_id = seat.id, seat.member.user_id

        def step(moment: datetime) -> None:
            target = db.session.get_one(Seat, seat_id)
            scoring.submit(target, full, None, user_id)

        return step

    def _draft(self, seat: Seat, full: dict[str, dict[str, object]]) -> Callable[[datetime], None]:
        seat_id = seat.id

        def step(moment: datetime) -> None:
            scoring.save_draft(db.session.get_one(Seat, seat_id), sheets.partial(full), None)

        return step

    def close(self, moment: datetime) -> None:
        batch_ops.close_scoring(self.current, current_app.config["EVALUATION_SPREAD_POINTS"])

    def deliberate(self, moment: datetime) -> None:
        """The outliers of each flagged case keep their score or revise it, with their reason."""
        for item in db.session.scalars(
            sa.select(BatchItem).where(BatchItem.batch_id == self.current.id, BatchItem.in_deliberation)
        ):
            for seat_id in (item.deliberation or {}).get("outliers", []):
                seat = db.session.get_one(Seat, seat_id)
                sheet = scoring.sheet_for(seat)
                scoring.revise(
                    seat,
                    scoring.stored_answers(sheet),
                    self.rng.choice(sheets.KEEP_REASONS),
                    seat.member.user_id,
                )

    def finalize(self, moment: datetime) -> None:
        counted = panel_sheets(self.current)
        decisions = {
            item.id: sheets.tie_break(summarise(self.ctx.spec, counted[item.id]).total or 0.0)
            for item in ties(self.current)
        }
        finalize(self.current, decisions, self.ctx.organizer.id)

    def publish(self, moment: datetime) -> None:
        publish_batch(
            self.current, self.ctx.organizer.id
        )  # at ``moment``: the timeline holds the clock there

    def appeal(self, moment: datetime) -> None:
        """The district government appeals its first upheld result, which waits for the organizer's decision."""
        user = db.session.scalar(sa.select(User).where(User.username == "department"))
        if user is None or user.department_id is None:
            return
        found = db.session.scalars(
            sa.select(Assessment)
            .join(BatchItem, BatchItem.id == Assessment.batch_item_id)
            .where(
                BatchItem.batch_id == self.current.id,
                Assessment.verdict == Verdict.UPHELD,
                Assessment.department_id.in_(Department.subtree_ids(user.department_id)),
            )
            .order_by(Assessment.id)
        ).first()
        if found is not None:
            file_appeal(
                found,
                user,
                "该件已于评议后完成整改：物业已更换故障设备，街道组织了现场核查，评议时未掌握整改材料。",
                "街道工作人员于发布后第三天上门回访诉求人，诉求人确认问题已解决，对整改结果表示认可。",
                moment,
            )
