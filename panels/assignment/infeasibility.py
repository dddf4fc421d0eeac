"""Why no panels can satisfy every rule: per case and role, who is short and why, in numbers a page translates."""

from __future__ import annotations

from typing import Any

import numpy as np

from evaluation.text import N_
from panels.assignment.model import Model
from panels.assignment.problem import ROLES

# Why a draw is infeasible: message ids with named numbers. The answer carries the kind and the numbers (for
# the interface to translate) and the English sentence (for the command line and the auditor's JSON).
REASONS = {
    "role_short": N_("needs %(need)d %(role)s, %(available)d available of %(pool)d in the pool"),
    "recused_by_affiliation": N_("%(count)d recused by affiliation with the case's departments"),
    "recused_by_conflict": N_("%(count)d recused by declared conflicts"),
    "no_capacity": N_("%(count)d with no capacity left"),
    "too_few_eligible": N_("needs %(size)d members, only %(eligible)d eligible"),
    "ranges": N_("the role ranges cannot add up to the panel size"),
    "role_capacity": N_("the cases need at least %(demand)d %(role)s seats; their caps allow %(supply)d"),
    "capacity": N_("the cases need %(total)d seats; the members' caps allow %(supply)d"),
    "combination": N_(
        "no assignment satisfies the quotas, caps, recusals and distinct affiliations together; "
        "widen the role ranges or raise caps"
    ),
}


def _reason(
    case: str | None, role: str | None, kind: str, details: dict[str, int] | None = None, **numbers: int
) -> dict[str, Any]:
    """One problem: its case and role, its kind and numbers, the further counts that explain it (each a
    kind of its own, given only when not zero), and all of that as one English sentence."""
    details = {k: v for k, v in (details or {}).items() if v}
    parts = [REASONS[kind] % {"role": role, **numbers}] + [
        REASONS[k] % {"count": v} for k, v in details.items()
    ]
    return {
        "case": case,
        "role": role,
        "reason": "; ".join(parts),
        "kind": kind,
        **numbers,
        **({"details": details} if details else {}),
    }


def explain_infeasibility(model: Model) -> list[dict[str, Any]]:
    """Per case and role: who is short and why (recused, capped out, none of that role in the pool)."""
    problem, out = model.problem, []
    pool = {r: np.flatnonzero(model.role_of == i) for i, r in enumerate(ROLES)}
    available = model.eligible_by_role
    short = model.lower > available
    eligible = model.eligible.sum(axis=1)
    for c in np.flatnonzero(
        short.any(axis=1)
        | (eligible < problem.panel_size)
        | (model.lower.sum(axis=1) > problem.panel_size)
        | (model.upper.sum(axis=1) < problem.panel_size)
    ).tolist():
        case = problem.cases[c]
        for r_index in np.flatnonzero(short[c]).tolist():
            role, members = ROLES[r_index], pool[ROLES[r_index]]
            out.append(
                _reason(
                    case.id,
                    role,
                    "role_short",
                    {
                        "recused_by_affiliation": int(model.recused_by_affiliation[c, members].sum()),
                        "recused_by_conflict": int(model.recused_by_conflict[c, members].sum()),
                        "no_capacity": int((model.cap[members] <= 0).sum()),
                    },
                    need=int(model.lower[c, r_index]),
                    available=int(available[c, r_index]),
                    pool=len(members),
                )
            )
        if eligible[c] < problem.panel_size:
            out.append(
                _reason(case.id, None, "too_few_eligible", size=problem.panel_size, eligible=int(eligible[c]))
            )
        if model.lower[c].sum() > problem.panel_size or model.upper[c].sum() < problem.panel_size:
            out.append(_reason(case.id, None, "ranges"))
    if not out:
        # Each case could be staffed alone; together they ask more of some role than its members can give.
        for r_index, role in enumerate(ROLES):
            demand = int(model.lower[:, r_index].sum())
            supply = int(model.cap[model.role_of == r_index].sum())
            if demand > supply:
                out.append(_reason(None, role, "role_capacity", demand=demand, supply=supply))
        total = problem.panel_size * model.n_cases
        if int(model.cap.sum()) < total:
            out.append(_reason(None, None, "capacity", total=total, supply=int(model.cap.sum())))
    if not out:
        out.append(_reason(None, None, "combination"))
    return out
