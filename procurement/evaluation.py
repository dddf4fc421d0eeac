"""Bid evaluation (评标): the expert panel drawn with the panels module's solver, the experts' blind technical
scores, the results by the comprehensive method, and the agreement figures of the evaluation report.

The draw is a one-case problem in the panels module's file format: the project is the case, the active experts
are the pool, and every expert related to a bidder within three years (employment, directorship, a relation, or a
declaration for this project; 政府采购法实施条例 第九条) is excluded by a conflict pair, logged with its reason. Its
seed's hash is shown before it runs, and the stored problem replays with `flask panels solve`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from evaluation.agreement import UndefinedStatistic, icc, kendall_w
from evaluation.audit.operations import record
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.text import N_
from panels.assignment import parse_problem, problem_hash, solve
from panels.models import Member, MemberRole
from procurement.expert_models import BidScore, ExpertDraw, ExpertRelation, ExpertSeat, RelationKind
from procurement.models import Bid, BidState, ProjectState, PurchaseProject
from procurement.projects import ProcurementError, valid_bids
from procurement.scoring import Scored, rank_bids, technical_score
from rubrics.models import Aggregation
from rubrics.operations import export_version
from rubrics.scoring import sheet_total, validate_answers

RELATION_YEARS = 3


def _sha256(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def open_draw(project: PurchaseProject, user_id: int | None) -> ExpertDraw:
    """A pending draw with a fresh secret seed; only its hash is shown until it is run."""
    if project.state != ProjectState.EVALUATING:
        raise ProcurementError(N_("Experts are drawn once bidding has closed and the evaluation begun."))
    existing = db.session.scalar(sa.select(ExpertDraw).where(ExpertDraw.project_id == project.id))
    if existing is not None:
        raise ProcurementError(N_("The experts of this project have already been drawn."))
    seed = secrets.token_hex(16)
    draw = ExpertDraw(
        project=project,
        seed_hash=hashlib.sha256(seed.encode()).hexdigest(),
        seed=seed,  # kept from the page until the draw has run, as a case panel's draw keeps it
        created_by_id=user_id,
    )
    db.session.add(draw)
    db.session.flush()
    record("procurement.draw_opened", "expert_draw", draw.id, {"seed_hash": draw.seed_hash}, actor_id=user_id)
    return draw


def _recusals(project: PurchaseProject, experts: list[Member], today: date) -> list[dict[str, Any]]:
    """Each expert related to a bidder within three years (or by a declaration), once, with the reason."""
    bidders = {b.agency_id: b.agency.name for b in project.bids}
    cutoff = today - timedelta(days=365 * RELATION_YEARS + 1)
    relations = db.session.scalars(
        sa.select(ExpertRelation)
        .where(
            ExpertRelation.agency_id.in_(bidders),
            ExpertRelation.member_id.in_([m.id for m in experts]),
        )
        .order_by(ExpertRelation.member_id, ExpertRelation.id)
    ).all()
    found: dict[int, dict[str, Any]] = {}
    for r in relations:
        current = r.kind == RelationKind.DECLARED or r.end_date is None or r.end_date >= cutoff
        if current and r.member_id not in found:
            found[r.member_id] = {
                "member": r.member_id,
                "agency": bidders[r.agency_id],
                "kind": r.kind.value,
                "detail": r.note,
            }
    return list(found.values())


def build_problem(
    project: PurchaseProject, seed: str, today: date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    experts = db.session.scalars(
        sa.select(Member).where(Member.active.is_(True), Member.role == MemberRole.EXPERT).order_by(Member.id)
    ).all()
    exclusions = _recusals(project, list(experts), today)
    case_id = f"project-{project.id}"
    problem = {
        "seed": seed,
        "panel_size": project.expert_count,
        "roles": {"expert": [project.expert_count, project.expert_count]},
        "cases": [{"id": case_id}],
        "members": [
            {"id": str(m.id), "role": "expert", "expertise": list(m.expertise or []), "max_cases": 1}
            for m in experts
        ]
        or [{"id": "none", "role": "expert", "max_cases": 0}],
        "conflicts": sorted([str(e["member"]), case_id] for e in exclusions),
        "weights": {"district": 0, "expertise": 0, "load": 0},
    }
    return problem, exclusions


def run_draw(draw: ExpertDraw, user_id: int | None) -> None:
    """Solve the draw, reveal its seed, store problem, result and exclusions, and seat the experts."""
    project = draw.project
    if draw.status != "pending":
        raise ProcurementError(N_("This draw has already been run."))
    seed = draw.seed or ""
    problem_json, exclusions = build_problem(project, seed, utcnow().date())
    solution = solve(parse_problem(problem_json))
    draw.seed, draw.problem, draw.result, draw.exclusions = seed, problem_json, solution.as_json(), exclusions
    draw.pool_hash, draw.status, draw.solved_dt = _sha256(problem_json["members"]), solution.status, utcnow()
    if solution.status != "infeasible":
        for seat in solution.seats:
            db.session.add(ExpertSeat(project=project, member_id=int(seat["member"]), draw_id=draw.id))
    db.session.flush()
    record(
        "procurement.draw_run",
        "expert_draw",
        draw.id,
        {
            "seed": seed,
            "status": solution.status,
            "problem_hash": problem_hash(parse_problem(problem_json)),
            "experts": [s["member"] for s in solution.seats],
            "excluded": [e["member"] for e in exclusions],
        },
        actor_id=user_id,
    )


def verify_draw(draw: ExpertDraw) -> tuple[bool, str]:
    """Replay the stored draw: the seed against its hash, the solver on the stored problem, the seats."""
    if draw.seed is None or draw.problem is None or draw.result is None or draw.status == "pending":
        return False, "the draw has not been run"
    if hashlib.sha256(draw.seed.encode()).hexdigest() != draw.seed_hash:
        return False, "the revealed seed does not match the hash shown before the draw"
    if draw.problem.get("seed") != draw.seed:
        return False, "the stored problem was not made with the revealed seed"
    if solve(parse_problem(draw.problem)).as_json() != draw.result:
        return False, "replaying the stored problem gives another result"
    return True, "the draw replays exactly"


def draw_failure(draw: ExpertDraw) -> bool:
    return draw.status == "infeasible"


def redraw(draw: ExpertDraw, user_id: int | None) -> None:
    """An infeasible draw (too few experts without a conflict) is set aside so a new one can be opened."""
    if not draw_failure(draw):
        raise ProcurementError(N_("Only a draw that could not seat the panel can be set aside."))
    record("procurement.draw_discarded", "expert_draw", draw.id, {"result": draw.result}, actor_id=user_id)
    db.session.delete(draw)
    db.session.flush()


def replace_expert(
    seat: ExpertSeat, reason: str, user_id: int | None, *, declared_by_expert: bool = False
) -> Member:
    """An expert who cannot sit (absent, or a relation with a bidder found after the draw) gives the seat to the
    draw's next substitute not already on the panel; only before they have submitted a score. An expert's own
    declaration is also kept as a relation, so later draws recuse them too."""
    project = seat.project
    if project.state != ProjectState.EVALUATING:
        raise ProcurementError(N_("Experts are replaced only while the project is being evaluated."))
    if not reason.strip():
        raise ProcurementError(N_("Say why the expert steps down."), field="reason")
    if seat.confirmed_dt is not None or db.session.scalar(
        sa.select(BidScore.id).where(BidScore.seat_id == seat.id, BidScore.submitted_dt.is_not(None)).limit(1)
    ):
        raise ProcurementError(N_("An expert who has submitted a score can no longer be replaced."))
    draw = db.session.scalar(sa.select(ExpertDraw).where(ExpertDraw.project_id == project.id))
    seated = set(
        db.session.scalars(sa.select(ExpertSeat.member_id).where(ExpertSeat.project_id == project.id))
    )
    stepped_down = set(draw.stepped_down or []) if draw else set()
    ranked = ((draw.result or {}).get("substitutes") or {}).get(f"project-{project.id}", {}) if draw else {}
    candidates = [int(m) for m in ranked.get(str(seat.member_id), [])]
    candidates += [int(m) for subs in ranked.values() for m in subs]  # then the other seats' substitutes
    substitute = next((m for m in candidates if m not in seated and m not in stepped_down), None)
    if draw is None or substitute is None:
        raise ProcurementError(N_("No substitute is left from the draw."))
    if declared_by_expert:
        for bid in project.bids:
            db.session.add(
                ExpertRelation(
                    member_id=seat.member_id,
                    agency_id=bid.agency_id,
                    kind=RelationKind.DECLARED,
                    note=reason[:300],
                )
            )
    left = seat.member_id
    draw.stepped_down = sorted(stepped_down | {left})
    db.session.execute(sa.delete(BidScore).where(BidScore.seat_id == seat.id))  # drafts only, checked above
    seat.member_id, seat.checked_in_dt, seat.checked_out_dt = substitute, None, None
    db.session.flush()
    record(
        "procurement.expert_replaced",
        "expert_seat",
        seat.id,
        {"left": left, "substitute": substitute, "reason": reason.strip(), "declared": declared_by_expert},
        actor_id=user_id,
    )
    return db.session.get_one(Member, substitute)


# ------------------------------------------------------------------------------------------- scoring


def technical_points(project: PurchaseProject) -> Decimal:
    """What the technical part is worth: the 100 points less the price weight."""
    return Decimal(100) - Decimal(str(project.price_weight))


def spec_of(project: PurchaseProject) -> dict[str, Any]:
    if project.rubric_version is None:
        raise ProcurementError(N_("The project has no technical rubric."))
    return export_version(project.rubric_version)


def score_for(seat: ExpertSeat, bid: Bid) -> BidScore:
    found = db.session.scalar(
        sa.select(BidScore).where(BidScore.seat_id == seat.id, BidScore.bid_id == bid.id)
    )
    if found is None:
        found = BidScore(seat=seat, bid=bid, answers={})
        db.session.add(found)
        db.session.flush()
    return found


class ScoreError(ProcurementError):
    """Answers that fail the rubric's checks, by criterion."""

    def __init__(self, message: str, errors: dict[str, list[tuple[str, dict[str, Any]]]]):
        super().__init__(message)
        self.errors = errors


def save_score(
    seat: ExpertSeat, bid: Bid, answers: dict[str, Any], *, submit: bool, user_id: int | None
) -> BidScore:
    """Keep an expert's answers on one bid; submitting checks completeness and locks the score."""
    project = seat.project
    if project.state != ProjectState.EVALUATING:
        raise ProcurementError(N_("Scoring is open only while the project is being evaluated."))
    if bid.project_id != project.id or bid.state != BidState.VALID:
        raise ProcurementError(N_("Only the project's valid bids are scored."))
    score = score_for(seat, bid)
    if score.submitted_dt is not None:
        raise ProcurementError(N_("This score is submitted and locked."))
    spec = spec_of(project)
    problems = validate_answers(spec, answers, complete=submit)
    if problems:
        errors: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for p in problems:
            errors.setdefault(p.path, []).append((p.message, p.params))
        raise ScoreError(
            N_("Some answers are missing or need a comment.")
            if submit
            else N_("Some answers are not on the scale."),
            errors,
        )
    score.answers = dict(answers)
    total = sheet_total(spec, answers)
    score.total = None if total is None else float(_technical(total, project))
    if submit:
        score.submitted_dt = utcnow()
        record(
            "procurement.scored",
            "bid_score",
            score.id,
            {"bid": bid.id, "expert": seat.member_id, "answers": score.answers, "total": score.total},
            actor_id=user_id,
        )
    db.session.flush()
    return score


def _technical(sheet_percent: float, project: PurchaseProject) -> Decimal:
    """A sheet's 0–100 total as technical points (of 100 less the price weight), to the hundredth."""
    return (Decimal(str(sheet_percent)) * technical_points(project) / 100).quantize(Decimal("0.01"))


def confirm(seat: ExpertSeat, user_id: int | None, dissent: str = "") -> None:
    """The expert signs the evaluation report: every valid bid scored and submitted first; an expert who disagrees
    with the conclusion signs with their dissent and its reasons (政府采购货物和服务招标投标管理办法 第六十五条)."""
    project = seat.project
    if project.state != ProjectState.EVALUATING:
        raise ProcurementError(N_("The report is confirmed while the project is being evaluated."))
    done = {
        s.bid_id
        for s in db.session.scalars(
            sa.select(BidScore).where(BidScore.seat_id == seat.id, BidScore.submitted_dt.is_not(None))
        )
    }
    missing = [b for b in valid_bids(project) if b.id not in done]
    if missing:
        raise ProcurementError(N_("Submit your score of every bid before you confirm the report."))
    seat.confirmed_dt, seat.dissent = utcnow(), dissent.strip() or None
    db.session.flush()
    record(
        "procurement.confirmed",
        "expert_seat",
        seat.id,
        {"project": project.code, "dissent": seat.dissent},
        actor_id=user_id,
    )


# -------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Report:
    """What the evaluation report prints."""

    seats: list[ExpertSeat]
    bids: list[Bid]
    scores: dict[tuple[int, int], BidScore]  # (seat id, bid id)
    results: dict[int, Scored]
    dissent: dict[int, list[str]]  # bid id -> comments given with the scores
    agreement: dict[str, float | str | None]


def submitted_scores(project: PurchaseProject) -> dict[tuple[int, int], BidScore]:
    rows = db.session.scalars(
        sa.select(BidScore)
        .join(ExpertSeat, ExpertSeat.id == BidScore.seat_id)
        .where(ExpertSeat.project_id == project.id, BidScore.submitted_dt.is_not(None))
    ).all()
    return {(s.seat_id, s.bid_id): s for s in rows}


def bid_results(project: PurchaseProject) -> dict[int, Scored]:
    """Each valid bid scored by every expert: technical (mean or trimmed mean, per the rubric), price score,
    total and rank, keyed by the bid's id."""
    scores = submitted_scores(project)
    trimmed = (
        project.rubric_version is not None and project.rubric_version.aggregation == Aggregation.TRIMMED_MEAN
    )
    rows = []
    for bid in valid_bids(project):
        values = [
            Decimal(str(s.total))
            for (_seat, bid_id), s in scores.items()
            if bid_id == bid.id and s.total is not None
        ]
        if values:
            rows.append((bid.id, bid.price, technical_score(values, trimmed=trimmed)))
    return {int(str(s.key)): s for s in rank_bids(rows, Decimal(str(project.price_weight)))}


def agreement(matrix: list[list[float]]) -> dict[str, float | str | None]:
    """ICC(2,1), ICC(2,k) and Kendall's W of the experts' technical scores (bids × experts), or why not."""
    out: dict[str, float | str | None] = {"icc2": None, "icc2k": None, "kendall_w": None, "why": None}
    data = np.array(matrix, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] < 2:
        out["why"] = N_("Agreement needs at least two bids and two experts.")
        return out
    try:
        found = icc(data)
        out["icc2"], out["icc2k"] = found["ICC2"].value, found["ICC2k"].value
    except UndefinedStatistic:
        out["why"] = N_("The intraclass correlation is undefined for these scores.")
    try:
        out["kendall_w"] = kendall_w(data).w
    except UndefinedStatistic:
        out["why"] = out["why"] or N_("Kendall's W is undefined for these scores.")
    return out


def report(project: PurchaseProject) -> Report:
    seats = db.session.scalars(
        sa.select(ExpertSeat)
        .where(ExpertSeat.project_id == project.id)
        .options(selectinload(ExpertSeat.member))
        .order_by(ExpertSeat.id)
    ).all()
    bids = valid_bids(project)
    scores = submitted_scores(project)
    dissent: dict[int, list[str]] = {}
    for (_seat_id, bid_id), s in sorted(scores.items()):
        for answer in s.answers.values():
            if isinstance(answer, dict) and answer.get("comment"):
                dissent.setdefault(bid_id, []).append(str(answer["comment"]))
    matrix = [
        [scores[(seat.id, bid.id)].total or 0.0 for seat in seats]
        for bid in bids
        if all((seat.id, bid.id) in scores for seat in seats)
    ]
    return Report(list(seats), bids, scores, bid_results(project), dissent, agreement(matrix))
