"""The panel draw as an exact optimisation. Pure: plain data in, plain data out; no Flask, no ORM.

The problem (DESIGN §6, issue 5): every case gets exactly ``panel_size`` distinct members; each role's count
lies in its range, raised to the case's own needs (a lawyer for a legal dispute); no member sits on a case
they are recused from (a shared affiliation with one of its departments, or a listed conflict); no two
members of one affiliation sit on one panel; no member takes more cases than their cap. The cost is

* load balance, convex in a member's load: their k-th case costs ``(2k - 1) * load_weight`` (so the total
  is ``load_weight * load²``), which spreads the work evenly;
* minus ``expertise_weight`` when the case's category is among the member's expertise, and minus
  ``district_weight`` for a township representative from the case's district;
* plus ``perturbation_weight * u``, with ``u`` in [0, 1) derived from the seed, the case and the member, so
  that ties break randomly, fairly and reproducibly.

Per-role quotas with caps are a transportation problem, whose LP is integral; the affiliation rows keep it so
as long as each affiliation belongs to one role. The solver is HiGHS (scipy's ``linprog``) on a candidate set
— for each case and role, the cheapest few eligible members — followed by **pricing**: the LP's duals give
every excluded pair's reduced cost, computed over all eligible pairs at once, and any pair that could lower
the cost joins the candidates; when none can, the LP over the candidates is the LP over all pairs, so its
optimum is the true optimum. Should the LP come out fractional (affiliations shared across roles), scipy's
``milp`` finishes on the final candidates and the LP bound certifies the gap.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

ROLES = ("official", "lawyer", "township_rep", "citizen_rep", "expert")
DEFAULT_WEIGHTS = {"load": 1.0, "expertise": 3.0, "district": 4.0, "perturbation": 0.5}
CANDIDATE_MARGIN = 6  # extra candidates per case and role beyond the role's maximum
SUBSTITUTES = 3
TOLERANCE = 1e-7


class ProblemError(ValueError):
    """A malformed problem file; ``problems`` lists (JSON path, message) for every fault found."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


@dataclass(frozen=True)
class CaseSpec:
    id: str
    departments: tuple[str, ...] = ()
    district: str | None = None
    category: str | None = None
    needs: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberSpec:
    id: str
    role: str
    affiliations: tuple[str, ...] = ()
    district: str | None = None
    expertise: tuple[str, ...] = ()
    max_cases: int = 20


@dataclass
class Problem:
    seed: str
    panel_size: int
    roles: dict[str, tuple[int, int]]
    cases: list[CaseSpec]
    members: list[MemberSpec]
    conflicts: set[tuple[str, str]] = field(default_factory=set)  # (member, case)
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


@dataclass
class Solution:
    status: str  # optimal | infeasible
    objective: float | None = None
    seats: list[dict[str, str]] = field(default_factory=list)
    substitutes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    lower_bound: float | None = None

    def as_json(self) -> dict[str, Any]:
        if self.status == "infeasible":
            return {"status": "infeasible", "problems": self.problems}
        return {"status": self.status, "objective": round(self.objective, 9), "seats": self.seats,
                "substitutes": self.substitutes}


# ------------------------------------------------------------------------------------------------ parsing

def parse_problem(data: Any) -> Problem:
    """The problem file (issue 5's format) as a Problem; every fault is named by its JSON path."""
    problems: list[tuple[str, str]] = []

    def text(value: Any, path: str, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            problems.append((path, "must be a non-empty string"))
            return None
        return value

    def strings(value: Any, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append((path, "must be a list of strings"))
            return ()
        return tuple(value)

    def whole(value: Any, path: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            problems.append((path, f"must be a whole number of at least {minimum}"))
            return minimum
        return value

    if not isinstance(data, dict):
        raise ProblemError([("$", "must be a JSON object")])
    seed = text(data.get("seed"), "seed") or ""
    panel_size = whole(data.get("panel_size", 5), "panel_size", 1)
    roles: dict[str, tuple[int, int]] = {}
    raw_roles = data.get("roles")
    if not isinstance(raw_roles, dict) or not raw_roles:
        problems.append(("roles", "must be an object of role: [min, max]"))
        raw_roles = {}
    for role, bounds in raw_roles.items():
        path = f"roles.{role}"
        if role not in ROLES:
            problems.append((path, f"unknown role; one of {', '.join(ROLES)}"))
        elif (not isinstance(bounds, list) or len(bounds) != 2
              or not all(isinstance(b, int) and not isinstance(b, bool) and b >= 0 for b in bounds)
              or bounds[0] > bounds[1]):
            problems.append((path, "must be [min, max] with 0 <= min <= max"))
        else:
            roles[role] = (bounds[0], bounds[1])
    cases: list[CaseSpec] = []
    seen_cases: set[str] = set()
    for i, raw in enumerate(data.get("cases") if isinstance(data.get("cases"), list) else []):
        path = f"cases[{i}]"
        if not isinstance(raw, dict):
            problems.append((path, "must be a JSON object"))
            continue
        case_id = text(raw.get("id"), f"{path}.id")
        if case_id in seen_cases:
            problems.append((f"{path}.id", f"duplicates case {case_id!r}"))
        seen_cases.add(case_id or "")
        needs: dict[str, int] = {}
        raw_needs = raw.get("needs") or {}
        if not isinstance(raw_needs, dict):
            problems.append((f"{path}.needs", "must be an object of role: count"))
        else:
            for role, count in raw_needs.items():
                if role not in ROLES:
                    problems.append((f"{path}.needs.{role}", "unknown role"))
                else:
                    needs[role] = whole(count, f"{path}.needs.{role}", 0)
        cases.append(CaseSpec(case_id or "", strings(raw.get("departments"), f"{path}.departments"),
                              text(raw.get("district"), f"{path}.district", required=False),
                              text(raw.get("category"), f"{path}.category", required=False), needs))
    if not isinstance(data.get("cases"), list) or not data.get("cases"):
        problems.append(("cases", "must be a non-empty list"))
    members: list[MemberSpec] = []
    seen_members: set[str] = set()
    for i, raw in enumerate(data.get("members") if isinstance(data.get("members"), list) else []):
        path = f"members[{i}]"
        if not isinstance(raw, dict):
            problems.append((path, "must be a JSON object"))
            continue
        member_id = text(raw.get("id"), f"{path}.id")
        if member_id in seen_members:
            problems.append((f"{path}.id", f"duplicates member {member_id!r}"))
        seen_members.add(member_id or "")
        role = raw.get("role")
        if role not in ROLES:
            problems.append((f"{path}.role", f"unknown role; one of {', '.join(ROLES)}"))
        members.append(MemberSpec(member_id or "", role if role in ROLES else "official",
                                  strings(raw.get("affiliations"), f"{path}.affiliations"),
                                  text(raw.get("district"), f"{path}.district", required=False),
                                  strings(raw.get("expertise"), f"{path}.expertise"),
                                  whole(raw.get("max_cases", 20), f"{path}.max_cases", 0)))
    if not isinstance(data.get("members"), list) or not data.get("members"):
        problems.append(("members", "must be a non-empty list"))
    conflicts: set[tuple[str, str]] = set()
    raw_conflicts = data.get("conflicts") or []
    if not isinstance(raw_conflicts, list):
        problems.append(("conflicts", "must be a list of [member, case] pairs"))
        raw_conflicts = []
    for i, pair in enumerate(raw_conflicts):
        if (not isinstance(pair, list) or len(pair) != 2 or pair[0] not in seen_members
                or pair[1] not in seen_cases):
            problems.append((f"conflicts[{i}]", "must be [member id, case id] naming a known member and case"))
        else:
            conflicts.add((pair[0], pair[1]))
    weights = dict(DEFAULT_WEIGHTS)
    for key, value in (data.get("weights") or {}).items():
        if key not in DEFAULT_WEIGHTS or isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append((f"weights.{key}", f"must be one of {', '.join(DEFAULT_WEIGHTS)} with a number >= 0"))
        else:
            weights[key] = float(value)
    if problems:
        raise ProblemError(problems)
    return Problem(seed, panel_size, roles, cases, members, conflicts, weights)


def problem_hash(problem: Problem) -> str:
    """SHA-256 of the problem's canonical form: what a draw records so anyone can check its input."""
    body = {
        "seed": problem.seed, "panel_size": problem.panel_size,
        "roles": {r: list(b) for r, b in sorted(problem.roles.items())},
        "cases": [{"id": c.id, "departments": list(c.departments), "district": c.district, "category": c.category,
                   "needs": dict(sorted(c.needs.items()))} for c in problem.cases],
        "members": [{"id": m.id, "role": m.role, "affiliations": list(m.affiliations), "district": m.district,
                     "expertise": list(m.expertise), "max_cases": m.max_cases} for m in problem.members],
        "conflicts": sorted(list(p) for p in problem.conflicts), "weights": dict(sorted(problem.weights.items())),
    }
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------- the model

def _keys(seed: str, kind: str, ids: list[str]) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.sha256(f"{seed}|{kind}|{i}".encode()).digest()[:8], "big") for i in ids],
                    dtype=np.uint64)


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@dataclass
class _Model:
    problem: Problem
    n_cases: int
    n_members: int
    role_of: np.ndarray  # member -> role index
    cap: np.ndarray
    lower: np.ndarray  # (case, role) minimum, needs included
    upper: np.ndarray  # (case, role) maximum
    eligible: np.ndarray  # (case, member) bool
    cost: np.ndarray  # (case, member) pair cost
    recusal_reason: dict[tuple[int, int], str]
    member_affiliations: list[tuple[int, ...]]
    affiliation_members: dict[int, np.ndarray]


def _build(problem: Problem) -> _Model:
    cases, members = problem.cases, problem.members
    n, m = len(cases), len(members)
    role_index = {r: i for i, r in enumerate(ROLES)}
    role_of = np.array([role_index[x.role] for x in members], dtype=np.intp)
    cap = np.array([x.max_cases for x in members], dtype=np.intp)
    lower = np.zeros((n, len(ROLES)), dtype=np.intp)
    upper = np.zeros((n, len(ROLES)), dtype=np.intp)
    for r, (lo, hi) in problem.roles.items():
        lower[:, role_index[r]], upper[:, role_index[r]] = lo, hi
    for c, case in enumerate(cases):
        for r, count in case.needs.items():
            lower[c, role_index[r]] = max(lower[c, role_index[r]], count)
    # Recusal: a shared affiliation with one of the case's departments, or a listed conflict.
    names: dict[str, int] = {}
    for x in members:
        for a in x.affiliations:
            names.setdefault(a, len(names))
    for case in cases:
        for d in case.departments:
            names.setdefault(d, len(names))
    member_aff = sp.csr_matrix((np.ones(sum(len(x.affiliations) for x in members)),
                                ([i for i, x in enumerate(members) for _ in x.affiliations],
                                 [names[a] for x in members for a in x.affiliations])), shape=(m, len(names)))
    case_dep = sp.csr_matrix((np.ones(sum(len(c.departments) for c in cases)),
                              ([i for i, c in enumerate(cases) for _ in c.departments],
                               [names[d] for c in cases for d in c.departments])), shape=(n, len(names)))
    recused = (case_dep @ member_aff.T).tocoo()
    eligible = np.ones((n, m), dtype=bool)
    eligible[:, cap <= 0] = False
    eligible[:, np.isin(role_of, [role_index[r] for r, (_, hi) in problem.roles.items() if hi > 0],
                        invert=True)] = False
    reasons: dict[tuple[int, int], str] = {}
    for c, j in zip(recused.row, recused.col, strict=True):
        eligible[c, j] = False
        reasons[(int(c), int(j))] = "affiliation"
    case_pos = {c.id: i for i, c in enumerate(cases)}
    member_pos = {x.id: i for i, x in enumerate(members)}
    for member_id, case_id in problem.conflicts:
        c, j = case_pos[case_id], member_pos[member_id]
        eligible[c, j] = False
        reasons.setdefault((c, j), "conflict")
    # Pair costs: matches lower it, the seeded perturbation breaks ties.
    w = problem.weights
    categories = {c.category for c in cases if c.category}
    cost = np.zeros((n, m))
    for category in categories:
        rows = np.array([c.category == category for c in cases])
        cols = np.array([category in x.expertise for x in members])
        cost[np.ix_(rows, cols)] -= w["expertise"]
    township = role_of == role_index["township_rep"]
    for district in {c.district for c in cases if c.district}:
        rows = np.array([c.district == district for c in cases])
        cols = township & np.array([x.district == district for x in members])
        cost[np.ix_(rows, cols)] -= w["district"]
    if w["perturbation"]:
        pair = _keys(problem.seed, "case", [c.id for c in cases])[:, None] ^ _splitmix(
            _keys(problem.seed, "member", [x.id for x in members]))[None, :]
        cost += w["perturbation"] * (_splitmix(pair) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    member_affiliations = [tuple(names[a] for a in x.affiliations) for x in members]
    by_affiliation: dict[int, list[int]] = defaultdict(list)
    for j, affs in enumerate(member_affiliations):
        for a in affs:
            by_affiliation[a].append(j)
    return _Model(problem, n, m, role_of, cap, lower, upper, eligible, cost, reasons, member_affiliations,
                  {a: np.array(js) for a, js in by_affiliation.items() if len(js) > 1})


# ------------------------------------------------------------------------------------------ explanations

def explain_infeasibility(model: _Model) -> list[dict[str, Any]]:
    """Per case and role: who is short and why (recused, capped out, none of that role in the pool)."""
    problem, out = model.problem, []
    pool = {r: np.flatnonzero(model.role_of == i) for i, r in enumerate(ROLES)}
    for c, case in enumerate(problem.cases):
        for r_index, role in enumerate(ROLES):
            need = int(model.lower[c, r_index])
            if need == 0:
                continue
            members = pool[role]
            available = int(model.eligible[c, members].sum())
            if available >= need:
                continue
            by_affiliation = sum(model.recusal_reason.get((c, int(j))) == "affiliation" for j in members)
            by_conflict = sum(model.recusal_reason.get((c, int(j))) == "conflict" for j in members)
            capped = int((model.cap[members] <= 0).sum())
            parts = [f"needs {need} {role}, {available} available of {len(members)} in the pool"]
            if by_affiliation:
                parts.append(f"{by_affiliation} recused by affiliation with the case's departments")
            if by_conflict:
                parts.append(f"{by_conflict} recused by declared conflicts")
            if capped:
                parts.append(f"{capped} with no capacity left")
            out.append({"case": case.id, "role": role, "reason": "; ".join(parts)})
        if model.eligible[c].sum() < problem.panel_size:
            out.append({"case": case.id, "role": None,
                        "reason": f"needs {problem.panel_size} members, only {int(model.eligible[c].sum())} eligible"})
        if model.lower[c].sum() > problem.panel_size or model.upper[c].sum() < problem.panel_size:
            out.append({"case": case.id, "role": None, "reason": "the role ranges cannot add up to the panel size"})
    if not out:
        # Each case could be staffed alone; together they ask more of some role than its members can give.
        for r_index, role in enumerate(ROLES):
            demand = int(model.lower[:, r_index].sum())
            supply = int(model.cap[model.role_of == r_index].sum())
            if demand > supply:
                out.append({"case": None, "role": role,
                            "reason": f"the cases need at least {demand} {role} seats; their caps allow {supply}"})
        total = problem.panel_size * model.n_cases
        if int(model.cap.sum()) < total:
            out.append({"case": None, "role": None,
                        "reason": f"the cases need {total} seats; the members' caps allow {int(model.cap.sum())}"})
    if not out:
        out.append({"case": None, "role": None, "reason": "no assignment satisfies the quotas, caps, recusals "
                    "and distinct affiliations together; widen the role ranges or raise caps"})
    return out


# ----------------------------------------------------------------------------------------------- solving

def _initial_candidates(model: _Model) -> np.ndarray:
    """For each case and role, the cheapest eligible members (a sparse boolean mask)."""
    chosen = np.zeros_like(model.eligible)
    for r_index in range(len(ROLES)):
        members = np.flatnonzero(model.role_of == r_index)
        if members.size == 0 or model.upper[:, r_index].max() == 0:
            continue
        keep = min(members.size, int(model.upper[:, r_index].max()) + CANDIDATE_MARGIN)
        block = np.where(model.eligible[:, members], model.cost[:, members], np.inf)
        top = np.argpartition(block, keep - 1, axis=1)[:, :keep] if keep < members.size else \
            np.broadcast_to(np.arange(members.size), block.shape)
        rows = np.repeat(np.arange(model.n_cases), top.shape[1])
        cols = members[top.ravel()]
        ok = np.isfinite(block[rows, top.ravel()])
        chosen[rows[ok], cols[ok]] = True
    return chosen


@dataclass
class _LP:
    pairs_case: np.ndarray
    pairs_member: np.ndarray
    c: np.ndarray
    a_eq: sp.csr_matrix
    b_eq: np.ndarray
    a_ub: sp.csr_matrix
    b_ub: np.ndarray
    ub_kind: list[tuple[str, int, int]]  # ("lo"|"hi"|"aff", case, role-or-affiliation)
    n_segments: int


def _formulate(model: _Model, candidates: np.ndarray) -> _LP:
    w = model.problem.weights
    pc, pm = np.nonzero(candidates)
    n_pairs = pc.size
    seg_member = np.repeat(np.arange(model.n_members), model.cap)
    seg_k = np.concatenate([np.arange(1, k + 1) for k in model.cap]) if model.cap.sum() else np.zeros(0)
    c = np.concatenate([model.cost[pc, pm], w["load"] * (2 * seg_k - 1)])
    n_vars = n_pairs + seg_member.size
    # Equalities: each case takes panel_size; each member's pairs equal their load segments.
    rows = np.concatenate([pc, model.n_cases + pm, model.n_cases + seg_member])
    cols = np.concatenate([np.arange(n_pairs), np.arange(n_pairs), n_pairs + np.arange(seg_member.size)])
    vals = np.concatenate([np.ones(n_pairs), np.ones(n_pairs), -np.ones(seg_member.size)])
    a_eq = sp.csr_matrix((vals, (rows, cols)), shape=(model.n_cases + model.n_members, n_vars))
    b_eq = np.concatenate([np.full(model.n_cases, model.problem.panel_size, dtype=float), np.zeros(model.n_members)])
    # Inequalities: role ranges where they bind, and at most one member of an affiliation per panel.
    ub_rows, ub_cols, ub_vals, b_ub, kinds = [], [], [], [], []
    role_of_pair = model.role_of[pm]
    order = np.lexsort((role_of_pair, pc))
    pc_sorted, role_sorted = pc[order], role_of_pair[order]
    boundaries = np.flatnonzero(np.diff(pc_sorted * 8 + role_sorted)) + 1
    for group in np.split(order, boundaries):
        if group.size == 0:
            continue
        case, role = int(pc[group[0]]), int(role_of_pair[group[0]])
        lo, hi = int(model.lower[case, role]), int(model.upper[case, role])
        if lo > 0:
            kinds.append(("lo", case, role))
            ub_rows.append(np.full(group.size, len(b_ub)))
            ub_cols.append(group)
            ub_vals.append(-np.ones(group.size))
            b_ub.append(-lo)
        if hi < min(group.size, model.problem.panel_size):
            kinds.append(("hi", case, role))
            ub_rows.append(np.full(group.size, len(b_ub)))
            ub_cols.append(group)
            ub_vals.append(np.ones(group.size))
            b_ub.append(hi)
    for a, members in model.affiliation_members.items():
        on = np.isin(pm, members)
        if on.sum() < 2:
            continue
        idx = np.flatnonzero(on)
        cases_of = pc[idx]
        order_a = np.argsort(cases_of, kind="stable")
        for group in np.split(idx[order_a], np.flatnonzero(np.diff(cases_of[order_a])) + 1):
            if group.size < 2:
                continue
            kinds.append(("aff", int(pc[group[0]]), a))
            ub_rows.append(np.full(group.size, len(b_ub)))
            ub_cols.append(group)
            ub_vals.append(np.ones(group.size))
            b_ub.append(1)
    if b_ub:
        a_ub = sp.csr_matrix((np.concatenate(ub_vals), (np.concatenate(ub_rows), np.concatenate(ub_cols))),
                             shape=(len(b_ub), n_vars))
    else:
        a_ub = sp.csr_matrix((0, n_vars))
    return _LP(pc, pm, c, a_eq, b_eq, a_ub, np.array(b_ub, dtype=float), kinds, seg_member.size)


def _price(model: _Model, lp: _LP, result: Any, candidates: np.ndarray) -> np.ndarray:
    """Eligible non-candidate pairs whose reduced cost is negative: they could lower the LP's optimum."""
    duals_eq = result.eqlin.marginals
    case_dual = duals_eq[:model.n_cases]
    member_dual = duals_eq[model.n_cases:]
    reduced = model.cost - case_dual[:, None] - member_dual[None, :]
    duals_ub = result.ineqlin.marginals if lp.b_ub.size else np.zeros(0)
    for (kind, case, key), dual in zip(lp.ub_kind, duals_ub, strict=True):
        if abs(dual) <= 0:
            continue
        if kind == "lo":
            reduced[case, model.role_of == key] += dual  # coefficient -1
        elif kind == "hi":
            reduced[case, model.role_of == key] -= dual
        else:
            reduced[case, model.affiliation_members[key]] -= dual
    return model.eligible & ~candidates & (reduced < -TOLERANCE)


def solve(problem: Problem, *, max_rounds: int = 60) -> Solution:
    model = _build(problem)
    explanations = [p for p in explain_infeasibility(model) if p["case"] is not None]
    if explanations:
        return Solution("infeasible", problems=explanations)
    candidates = _initial_candidates(model)
    for _ in range(max_rounds):
        lp = _formulate(model, candidates)
        result = linprog(lp.c, A_ub=lp.a_ub if lp.b_ub.size else None, b_ub=lp.b_ub if lp.b_ub.size else None,
                         A_eq=lp.a_eq, b_eq=lp.b_eq, bounds=(0, 1), method="highs")
        if result.status == 2:
            # Infeasible over the candidates: widen to every eligible pair once before concluding.
            if candidates.sum() < model.eligible.sum():
                candidates = model.eligible.copy()
                continue
            return Solution("infeasible", problems=explain_infeasibility(model))
        if result.status != 0:
            raise RuntimeError(f"the LP solver stopped: {result.message}")
        entering = _price(model, lp, result, candidates)
        if not entering.any():
            break
        candidates |= entering
    else:
        raise RuntimeError("pricing did not converge; raise max_rounds")
    x = result.x[:lp.pairs_case.size]
    objective, bound = float(result.fun), float(result.fun)
    if np.any((x > TOLERANCE) & (x < 1 - TOLERANCE)):
        integrality = np.concatenate([np.ones(lp.pairs_case.size), np.zeros(lp.n_segments)])
        constraints = [LinearConstraint(lp.a_eq, lp.b_eq, lp.b_eq)]
        if lp.b_ub.size:
            constraints.append(LinearConstraint(lp.a_ub, -np.inf, lp.b_ub))
        mip = milp(lp.c, integrality=integrality, bounds=Bounds(0, 1), constraints=constraints)
        if mip.status != 0:
            return Solution("infeasible", problems=explain_infeasibility(model))
        x, objective = mip.x[:lp.pairs_case.size], float(mip.fun)
    chosen = x > 0.5
    status = "optimal" if math.isclose(objective, bound, rel_tol=1e-9, abs_tol=1e-6) else "feasible"
    return _solution(model, lp.pairs_case[chosen], lp.pairs_member[chosen], objective, bound, status)


def _solution(model: _Model, cases: np.ndarray, members: np.ndarray, objective: float, bound: float,
              status: str) -> Solution:
    """Seats in a stable order, and for each seat up to three ranked substitutes: same role, eligible for the
    case, not on the panel, no affiliation shared with the rest of the panel, capacity left; cheapest first
    (pair cost plus the marginal load cost of one more case)."""
    problem = model.problem
    load = np.bincount(members, minlength=model.n_members)
    marginal = problem.weights["load"] * (2 * load + 1)
    open_capacity = load < model.cap
    role_masks = [model.role_of == r for r in range(len(ROLES))]
    affiliation_members = {a: np.array(js) for a, js in _members_by_affiliation(model).items()}
    order = np.lexsort((members, cases))
    cases, members = cases[order], members[order]
    boundaries = np.flatnonzero(np.diff(cases)) + 1
    seats, substitutes = [], {}
    for case_members, c in zip(np.split(members, boundaries), cases[np.r_[0, boundaries]], strict=True):
        c = int(c)
        panel = sorted(case_members.tolist(), key=lambda j: (model.role_of[j], problem.members[j].id))
        case_id = problem.cases[c].id
        available = model.eligible[c] & open_capacity
        available[panel] = False
        case_subs: dict[str, list[str]] = {}
        for j in panel:
            seats.append({"case": case_id, "member": problem.members[j].id, "role": ROLES[model.role_of[j]]})
            mask = available & role_masks[model.role_of[j]]
            for other in panel:
                if other != j:
                    for a in model.member_affiliations[other]:
                        mask[affiliation_members[a]] = False
            pool = np.flatnonzero(mask)
            if pool.size > SUBSTITUTES:
                score = model.cost[c, pool] + marginal[pool]
                keep = np.argpartition(score, SUBSTITUTES - 1)[:SUBSTITUTES]
                pool = pool[keep]
            score = model.cost[c, pool] + marginal[pool]
            ranked = pool[np.lexsort((pool, score))]
            case_subs[problem.members[j].id] = [problem.members[p].id for p in ranked]
        substitutes[case_id] = case_subs
    return Solution(status, objective, seats, substitutes, lower_bound=bound)


def _members_by_affiliation(model: _Model) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for j, affiliations in enumerate(model.member_affiliations):
        for a in affiliations:
            out[a].append(j)
    return out
