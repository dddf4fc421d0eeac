"""Solving a draw: the master LP priced to optimality, branch and bound only if it comes out fractional, then
the seats and each seat's ranked substitutes."""

from __future__ import annotations

import numpy as np

from panels.assignment.infeasibility import explain_infeasibility
from panels.assignment.master import Master
from panels.assignment.model import TOLERANCE, Model, build_model
from panels.assignment.problem import ROLES, Problem, Solution

SUBSTITUTES = 3


def solve(problem: Problem, *, max_rounds: int = 200) -> Solution:
    """The optimal draw: column and row generation on HiGHS's dual simplex, warm-started between rounds
    (see Master); HiGHS's branch and bound only if the LP optimum should be fractional."""
    model = build_model(problem)
    explanations = [p for p in explain_infeasibility(model) if p["case"] is not None]
    if explanations:
        return Solution("infeasible", problems=explanations)
    master = Master(model)
    widened = 0
    for _ in range(max_rounds):
        if master.run() == "infeasible":
            # The restricted master can be infeasible where the full LP is not: free the loads first, then
            # take every eligible pair. Infeasible after that, the problem is.
            if widened == 0:
                master.release_segments()
            elif widened == 1:
                master.add_pairs(*np.nonzero(model.eligible & ~master.present))
            else:
                return Solution("infeasible", problems=explain_infeasibility(model))
            widened += 1
            continue
        if not master.price_out():
            break
    else:
        raise RuntimeError("pricing did not converge; raise max_rounds")
    bound = master.objective()
    cases, members, x = master.pairs()
    if np.any((x > TOLERANCE) & (x < 1 - TOLERANCE)):
        # Fractional (affiliations shared across roles): branch and bound over the master's pairs. A pair
        # left out has a reduced cost of at least zero, and an integral solution using it costs at least the
        # bound plus that reduced cost; so once every pair whose reduced cost is within the gap is in, the
        # integral optimum over the master is the optimum over all pairs.
        duals = master.duals()
        for _ in range(max_rounds):
            if not master.integer():
                missing = model.eligible & ~master.present
                if not missing.any():
                    return Solution("infeasible", problems=explain_infeasibility(model))
                master.add_pairs(*np.nonzero(missing))
                continue
            cases, members, _ = master.absent_below(master.objective() - bound + TOLERANCE, duals)
            if not cases.size:
                break
            master.add_pairs(cases, members)
        else:
            raise RuntimeError("branch and bound did not settle; raise max_rounds")
        cases, members, x = master.pairs()
    chosen = x > 0.5
    return _solution(model, cases[chosen], members[chosen], master.objective(), bound, "optimal")


def _solution(
    model: Model, cases: np.ndarray, members: np.ndarray, objective: float, bound: float, status: str
) -> Solution:
    """Seats in a stable order, and for each seat up to three ranked substitutes: same role, eligible for the
    case, not on the panel, no affiliation shared with the rest of the panel, capacity left; cheapest first
    (pair cost plus the marginal load cost of one more case), ties by member order."""
    problem, size = model.problem, model.problem.panel_size
    load = np.bincount(members, minlength=model.n_members)
    marginal = problem.weights["load"] * (2 * load + 1)
    open_capacity = load < model.cap
    id_rank = np.empty(model.n_members, dtype=np.intp)
    id_rank[sorted(range(model.n_members), key=lambda j: problem.members[j].id)] = np.arange(model.n_members)
    # Each case's panel as a row, seats ordered by role and member id.
    order = np.lexsort((id_rank[members], model.role_of[members], cases))
    panel_cases = cases[order][::size]
    panels = members[order].reshape(-1, size)
    # shares[j, k]: members j and k share an affiliation.
    incidence = np.zeros(
        (
            model.n_members,
            max(1, max((a for affs in model.member_affiliations for a in affs), default=0) + 1),
        ),
        dtype=np.float32,
    )
    for j, affiliations in enumerate(model.member_affiliations):
        incidence[j, list(affiliations)] = 1
    shares = (incidence @ incidence.T) > 0
    seats, substitutes = [], {}
    for block in range(0, panel_cases.size, 512):
        c, panel = panel_cases[block : block + 512], panels[block : block + 512]
        rows = np.arange(c.size)[:, None]
        available = model.eligible[c] & open_capacity[None, :]
        available[rows, panel] = False
        score = np.where(available, model.cost[c] + marginal[None, :], np.inf)
        blocked = shares[panel].sum(axis=1)  # by how many of the panel each member is blocked
        ranked = np.zeros(panel.shape + (SUBSTITUTES,), dtype=np.intp)
        ranked_score = np.full(ranked.shape, np.inf)
        for r in range(len(ROLES)):
            # Every seat of this role in the block, against the members of the role only.
            rows_r, seats_r = np.nonzero(model.role_of[panel] == r)
            pool = np.flatnonzero(model.role_of == r)
            if rows_r.size == 0 or pool.size == 0:
                continue
            free = (blocked[rows_r][:, pool] - shares[panel[rows_r, seats_r]][:, pool]) == 0
            seat_score = np.where(free, score[rows_r][:, pool], np.inf)
            keep = min(SUBSTITUTES, pool.size)
            top = (
                np.argpartition(seat_score, keep - 1, axis=1)[:, :keep]
                if keep < pool.size
                else np.broadcast_to(np.arange(pool.size), seat_score.shape)
            )
            top_score = np.take_along_axis(seat_score, top, axis=1)
            by = np.lexsort((top, top_score), axis=1)
            ranked[rows_r, seats_r, :keep] = pool[np.take_along_axis(top, by, axis=1)]
            ranked_score[rows_r, seats_r, :keep] = np.take_along_axis(top_score, by, axis=1)
        for i, case in enumerate(c.tolist()):
            case_id = problem.cases[case].id
            case_subs: dict[str, list[str]] = {}
            for seat, j in enumerate(panel[i].tolist()):
                member_id = problem.members[j].id
                seats.append({"case": case_id, "member": member_id, "role": ROLES[model.role_of[j]]})
                case_subs[member_id] = [
                    problem.members[p].id
                    for p, v in zip(ranked[i, seat].tolist(), ranked_score[i, seat].tolist(), strict=True)
                    if v != np.inf
                ]
            substitutes[case_id] = case_subs
    return Solution(status, objective, seats, substitutes, lower_bound=bound)
