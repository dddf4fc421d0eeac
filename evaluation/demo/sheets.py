"""What the demo's members write on their sheets: answers that follow each case's quality and each member's
severity, with the comments and reasons the rubric asks for, so that every sheet passes the rubric's own
checks when it is submitted through the scoring operation."""

from __future__ import annotations

import random
from typing import Any

from evaluation.demo import data
from rubrics.scoring import sheet_total

VERDICTS = ["upheld", "partly_upheld", "not_upheld"]
KEEP_REASONS = [
    "经合议复核，本人维持原评分：承办单位答复未回应诉求人的核心诉求。",
    "复核办理记录后维持原意见，回访录音显示问题仍未解决。",
    "结合其他评议员意见重新审视，认为原评分偏严，已作调整。",
    "核对现场核查照片后，本人意见不变。",
]


def severity(member_id: int) -> float:
    """A member's stable leaning: some score strictly, some leniently (the severity model should find it)."""
    return ((member_id * 7919) % 21 - 10) / 100


def answers(
    rng: random.Random, spec: dict[str, Any], quality: float, leaning: float
) -> dict[str, dict[str, Any]]:
    """A complete sheet: every scored criterion on its scale (a comment where the rubric wants one) and the
    verdict questions, consistent with the total."""
    out: dict[str, dict[str, Any]] = {}
    for criterion in spec["criteria"]:
        if criterion["role"] != "score":
            continue
        levels = [level["value"] for level in criterion["scale"]["levels"]]
        x = quality + leaning + rng.gauss(0, 0.15)
        value = levels[min(len(levels) - 1, max(0, round(x * (len(levels) - 1))))]
        threshold = criterion["comment_required_at_or_below"]
        comment = (
            rng.choice(data.LOW_SCORE_COMMENTS) if threshold is not None and value <= threshold else None
        )
        out[criterion["code"]] = {"value": value, "comment": comment}
    total = sheet_total(spec, out) or 0.0
    k = 0 if total < 55 else 1 if total < 75 else 2
    if rng.random() < 0.15:
        k = min(2, max(0, k + rng.choice((-1, 1))))
    verdict = VERDICTS[k]
    out["Q1"] = {
        "value": ["reasonable", "partly_reasonable", rng.choice(["unreasonable", "partly_reasonable"])][k]
    }
    out["Q2"] = {"value": ["not_done", "basically_done", "done"][k]}
    out["Q3"] = {"value": verdict, "comment": rng.choice(data.VERDICT_REASONS[verdict])}
    out["Q4"] = {"value": ["subjective", "objective", rng.choice(["claim_unreasonable", "citizen"])][k]}
    out["Q5"] = {
        "value": [rng.choice(["rehandle", "supervise"]), rng.choice(["supervise", "maintain"]), "maintain"][k]
    }
    return out


def partial(full: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What a member has entered when they stop half-way: the first few answers."""
    return dict(list(full.items())[:4])


def tie_break(total: float) -> tuple[str, str]:
    """The organizer's verdict on a tied panel, by the total, with the reason that is published with it."""
    verdict = VERDICTS[0 if total < 55 else 1 if total < 75 else 2]
    return verdict, f"评议员意见平票，组织者依据综合得分{total:.1f}分裁定为该结论。"
