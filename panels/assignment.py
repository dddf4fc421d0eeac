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
as long as each affiliation belongs to one role. The solver is HiGHS, through its own bindings (``highspy``:
scipy's ``linprog`` runs the same solver but starts every solve from scratch). One restricted LP — the
master, see ``_Master`` — lives in HiGHS and grows in place, so that each re-solve starts from the last
basis: candidate pairs enter when the duals price them below zero (computed over every eligible pair),
load segments when the duals call for a wider window, affiliation rows when the solution breaks one. When
nothing enters, the master's optimum is the LP's over all pairs. Should the LP come out fractional
(affiliations shared across roles), HiGHS's branch and bound finishes, with every pair whose reduced cost
lies within its gap to the LP bound, which makes its answer the optimum over all pairs.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from evaluation.text import N_

ROLES = ("official", "lawyer", "township_rep", "citizen_rep", "expert")
DEFAULT_WEIGHTS = {"load": 1.0, "expertise": 3.0, "district": 4.0, "perturbation": 0.5}
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

    def identifier(raw: dict, path: str, seen: set[str], kind: str) -> str:
        value = text(raw.get("id"), f"{path}.id")
        if value in seen:
            problems.append((f"{path}.id", f"duplicates {kind} {value!r}"))
        seen.add(value or "")
        return value or ""

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
        case_id = identifier(raw, path, seen_cases, "case")
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
        cases.append(CaseSpec(case_id, strings(raw.get("departments"), f"{path}.departments"),
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
        member_id = identifier(raw, path, seen_members, "member")
        role = raw.get("role")
        if role not in ROLES:
            problems.append((f"{path}.role", f"unknown role; one of {', '.join(ROLES)}"))
        members.append(MemberSpec(member_id, role if role in ROLES else "official",
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
    """SplitMix64's finaliser, element-wise (in place on a copy: the draw's matrix is large)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


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
    eligible_by_role: np.ndarray  # (case, role): how many members of the role may sit on the case
    cost: np.ndarray  # (case, member) pair cost
    recused_by_affiliation: np.ndarray  # (case, member) bool
    recused_by_conflict: np.ndarray  # (case, member) bool, where not already by affiliation
    member_affiliations: list[tuple[int, ...]]
    affiliation_members: dict[int, np.ndarray]


def _incidence(rows: list[tuple[str | None, ...] | tuple[str, ...]], names: dict[str, int]) -> np.ndarray:
    """A 0/1 matrix: row i has a one in the column of each of its names that ``names`` knows."""
    out = np.zeros((len(rows), len(names)))
    for i, row in enumerate(rows):
        for name in row:
            if name in names:
                out[i, names[name]] = 1.0
    return out


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
    by_affiliation = np.zeros((n, m), dtype=bool)
    by_affiliation[recused.row, recused.col] = True
    case_pos = {c.id: i for i, c in enumerate(cases)}
    member_pos = {x.id: i for i, x in enumerate(members)}
    by_conflict = np.zeros((n, m), dtype=bool)
    if problem.conflicts:
        conflicts = list(problem.conflicts)
        by_conflict[np.fromiter((case_pos[c] for _, c in conflicts), dtype=np.intp, count=len(conflicts)),
                    np.fromiter((member_pos[j] for j, _ in conflicts), dtype=np.intp, count=len(conflicts))] = True
    by_conflict &= ~by_affiliation
    eligible &= ~(by_affiliation | by_conflict)
    # Pair costs: matches lower it (products of incidence matrices: a case has one category and one
    # district), the seeded perturbation breaks ties.
    w = problem.weights
    township = role_of == role_index["township_rep"]
    categories = {name: i for i, name in enumerate(sorted({c.category for c in cases if c.category}))}
    districts = {name: i for i, name in enumerate(sorted({c.district for c in cases if c.district}))}
    cost = 0.0 - w["expertise"] * (_incidence([(c.category,) for c in cases], categories)
                                   @ _incidence([x.expertise for x in members], categories).T)
    cost -= w["district"] * (_incidence([(c.district,) for c in cases], districts)
                             @ _incidence([(x.district,) if township[j] else () for j, x in enumerate(members)],
                                          districts).T)
    if w["perturbation"]:
        pair = _keys(problem.seed, "case", [c.id for c in cases])[:, None] ^ _splitmix(
            _keys(problem.seed, "member", [x.id for x in members]))[None, :]
        pair = _splitmix(pair)
        pair >>= np.uint64(11)
        cost += w["perturbation"] * pair.astype(np.float64) / float(1 << 53)
    member_affiliations = [tuple(names[a] for a in x.affiliations) for x in members]
    affiliation_members: dict[int, list[int]] = defaultdict(list)
    for j, affs in enumerate(member_affiliations):
        for a in affs:
            affiliation_members[a].append(j)
    eligible_by_role = np.stack([eligible[:, role_of == r].sum(axis=1) for r in range(len(ROLES))], axis=1)
    return _Model(problem, n, m, role_of, cap, lower, upper, eligible, eligible_by_role, cost, by_affiliation,
                  by_conflict, member_affiliations,
                  {a: np.array(js) for a, js in affiliation_members.items() if len(js) > 1})


# ------------------------------------------------------------------------------------------ explanations

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
    "combination": N_("no assignment satisfies the quotas, caps, recusals and distinct affiliations together; "
                      "widen the role ranges or raise caps"),
}


def _reason(case: str | None, role: str | None, kind: str, details: dict[str, int] | None = None,
            **numbers: int) -> dict[str, Any]:
    """One problem: its case and role, its kind and numbers, the further counts that explain it (each a
    kind of its own, given only when not zero), and all of that as one English sentence."""
    details = {k: v for k, v in (details or {}).items() if v}
    parts = [REASONS[kind] % {"role": role, **numbers}] + [REASONS[k] % {"count": v} for k, v in details.items()]
    return {"case": case, "role": role, "reason": "; ".join(parts), "kind": kind, **numbers,
            **({"details": details} if details else {})}


def explain_infeasibility(model: _Model) -> list[dict[str, Any]]:
    """Per case and role: who is short and why (recused, capped out, none of that role in the pool)."""
    problem, out = model.problem, []
    pool = {r: np.flatnonzero(model.role_of == i) for i, r in enumerate(ROLES)}
    available = model.eligible_by_role
    short = model.lower > available
    eligible = model.eligible.sum(axis=1)
    for c in np.flatnonzero(short.any(axis=1) | (eligible < problem.panel_size)
                            | (model.lower.sum(axis=1) > problem.panel_size)
                            | (model.upper.sum(axis=1) < problem.panel_size)).tolist():
        case = problem.cases[c]
        for r_index in np.flatnonzero(short[c]).tolist():
            role, members = ROLES[r_index], pool[ROLES[r_index]]
            out.append(_reason(case.id, role, "role_short", {
                "recused_by_affiliation": int(model.recused_by_affiliation[c, members].sum()),
                "recused_by_conflict": int(model.recused_by_conflict[c, members].sum()),
                "no_capacity": int((model.cap[members] <= 0).sum())},
                need=int(model.lower[c, r_index]), available=int(available[c, r_index]), pool=len(members)))
        if eligible[c] < problem.panel_size:
            out.append(_reason(case.id, None, "too_few_eligible", size=problem.panel_size, eligible=int(eligible[c])))
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


# ----------------------------------------------------------------------------------------------- solving

@dataclass
class _LP:
    pairs_case: np.ndarray
    pairs_member: np.ndarray
    c: np.ndarray
    a_eq: sp.csr_matrix
    b_eq: np.ndarray
    a_ub: sp.csr_matrix
    b_ub: np.ndarray
    n_segments: int


def _formulate(model: _Model, candidates: np.ndarray) -> _LP:
    """The whole model over the given pairs as one matrix: every load segment, a row for each binding role
    range and for each affiliation with two members among a case's pairs. The solver builds its master
    incrementally instead; this form is the reference the tests and the benchmark hand to a generic MILP."""
    w = model.problem.weights
    pc, pm = np.nonzero(candidates)
    n_pairs = pc.size
    seg_member = np.repeat(np.arange(model.n_members), model.cap)
    seg_k = np.concatenate([np.arange(1, k + 1) for k in model.cap]) if model.cap.sum() else np.zeros(0)
    c = np.concatenate([model.cost[pc, pm], w["load"] * (2 * seg_k - 1)])
    n_vars = n_pairs + seg_member.size
    rows = np.concatenate([pc, model.n_cases + pm, model.n_cases + seg_member])
    cols = np.concatenate([np.arange(n_pairs), np.arange(n_pairs), n_pairs + np.arange(seg_member.size)])
    vals = np.concatenate([np.ones(n_pairs), np.ones(n_pairs), -np.ones(seg_member.size)])
    a_eq = sp.csr_matrix((vals, (rows, cols)), shape=(model.n_cases + model.n_members, n_vars))
    b_eq = np.concatenate([np.full(model.n_cases, model.problem.panel_size, dtype=float), np.zeros(model.n_members)])
    ub_rows, ub_cols, ub_vals, b_ub = [], [], [], []

    def row(members: np.ndarray, sign: float, bound: float) -> None:
        ub_rows.append(np.full(members.size, len(b_ub)))
        ub_cols.append(members)
        ub_vals.append(np.full(members.size, sign))
        b_ub.append(sign * bound)

    role_of_pair = model.role_of[pm]
    order = np.lexsort((role_of_pair, pc))
    boundaries = np.flatnonzero(np.diff(pc[order] * len(ROLES) + role_of_pair[order])) + 1
    unmet = model.lower > 0  # (case, role) minimums; those without any pair stay as rows nobody can satisfy
    for group in np.split(order, boundaries):
        if group.size:
            case, role = int(pc[group[0]]), int(role_of_pair[group[0]])
            if model.lower[case, role] > 0:
                row(group, -1.0, float(model.lower[case, role]))
                unmet[case, role] = False
            if model.upper[case, role] < min(group.size, model.problem.panel_size):
                row(group, 1.0, float(model.upper[case, role]))
    for case, role in zip(*np.nonzero(unmet), strict=True):
        row(np.zeros(0, dtype=np.intp), -1.0, float(model.lower[case, role]))
    for members in model.affiliation_members.values():
        idx = np.flatnonzero(np.isin(pm, members))
        order = np.argsort(pc[idx], kind="stable")
        for group in np.split(idx[order], np.flatnonzero(np.diff(pc[idx][order])) + 1):
            if group.size > 1:
                row(group, 1.0, 1.0)
    a_ub = (sp.csr_matrix((np.concatenate(ub_vals), (np.concatenate(ub_rows), np.concatenate(ub_cols))),
                          shape=(len(b_ub), n_vars)) if b_ub else sp.csr_matrix((0, n_vars)))
    return _LP(pc, pm, c, a_eq, b_eq, a_ub, np.array(b_ub, dtype=float), seg_member.size)


def _balanced_loads(model: _Model) -> np.ndarray:
    """Each member's expected load: one common load for everybody, less where a member's cap or the cases
    they may sit on allow less, and levelled per role between what the cases' role ranges require and allow
    (bisection on the common load, then on each role's own)."""
    roles = [model.role_of == r for r in range(len(ROLES))]
    capacity = np.minimum(model.cap, model.eligible.sum(axis=0)).astype(float)
    low = model.lower.sum(axis=0).astype(float)
    high = np.minimum(np.minimum(model.upper, model.eligible_by_role), model.problem.panel_size).sum(axis=0)
    high = np.minimum(high, [capacity[members].sum() for members in roles])

    def level(target: float, members: np.ndarray, clip: bool) -> float:
        a, b = 0.0, float(model.problem.panel_size * model.n_cases)
        for _ in range(60):
            middle = (a + b) / 2
            load = np.minimum(middle, capacity[members])
            total = (np.clip([load[model.role_of[members] == r].sum() for r in range(len(ROLES))], low, high).sum()
                     if clip else load.sum())
            a, b = (middle, b) if total < target else (a, middle)
        return b

    common = level(float(model.problem.panel_size * model.n_cases), np.arange(model.n_members), clip=True)
    expected = np.zeros(model.n_members)
    for r, members in enumerate(roles):
        if members.any():
            total = float(np.clip(np.minimum(common, capacity[members]).sum(), low[r], high[r]))
            expected[members] = np.minimum(level(total, np.flatnonzero(members), clip=False), capacity[members])
    return expected


class _Master:
    """The restricted LP in HiGHS, grown in place so that every re-solve starts from the last basis.

    Columns: the candidate pairs, and each member's load segments within a window around their expected
    load (the segments below it are fixed at 1 through the member row's right-hand side, those above are
    left out; pricing moves the window when a fixed or left-out segment's reduced cost says it should).
    Rows: one per case (= panel size), one per member (pairs - segments = fixed segments), a ranged row per
    case and role whose range can bind, and one per case and affiliation shared by two of the case's first
    candidates — later ones only once a solution breaks them. An absent row counts with a zero dual; when
    pricing finds nothing and the solution breaks no absent row, that solution with those duals is optimal
    for the full LP.

    The costs are shifted by an estimate of the duals (a price per member from the balanced loads, a level
    per case): adding a multiple of an equality row to the objective changes it by a constant, but it starts
    the dual simplex near the optimum instead of at the slack basis' zero prices.
    """

    WINDOW = 4
    PER_CASE = 2  # columns entering per case and round
    MARGIN = 2  # candidates per case and role beyond the role's maximum

    def __init__(self, model: _Model):
        self.model = model
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        # The master has no redundancy worth presolving, and later solves start from a basis anyway.
        self.highs.setOptionValue("presolve", "off")
        n, m, w = model.n_cases, model.n_members, model.problem.weights["load"]
        size = model.problem.panel_size
        expected = _balanced_loads(model)
        self.price = 2 * w * expected
        shifted = np.where(model.eligible, model.cost + self.price[None, :], np.inf)
        self.level, candidates = self._cheapest(shifted)
        estimate = np.rint(expected).astype(np.intp)
        self.fixed = np.maximum(estimate - self.WINDOW, 0)
        self.top = np.minimum(estimate + self.WINDOW, model.cap)
        self.present = np.zeros((n, m), dtype=bool)
        self.pair_case = np.zeros(0, dtype=np.intp)
        self.pair_member = np.zeros(0, dtype=np.intp)
        self.pair_column = np.zeros(0, dtype=np.intp)
        self.segment_k: list[np.ndarray] = []
        self.segment_column: list[np.ndarray] = []
        # Rows: cases, members, role ranges that can bind.
        binds = (model.lower > 0) | (model.upper < np.minimum(model.eligible_by_role, size))
        self.role_row = np.full((n, len(ROLES)), -1, dtype=np.intp)
        self.role_row[binds] = n + m + np.arange(int(binds.sum()))
        case_of, role_of = np.nonzero(binds)
        lower = np.concatenate([np.full(n, size), self.fixed, model.lower[case_of, role_of]]).astype(float)
        upper = np.concatenate([np.full(n, size), self.fixed, model.upper[case_of, role_of]]).astype(float)
        self.highs.addRows(lower.size, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        self.affiliation_row: dict[tuple[int, int], int] = {}
        self.solution = highspy.HighsSolution()  # of the last run
        for j in range(m):
            self._add_segments(j, self.fixed[j] + 1, self.top[j])
        # Each member's affiliations shared with another member, as a CSR-like list.
        shared = [[a for a in affs if a in model.affiliation_members] for affs in model.member_affiliations]
        self.affiliation_start = np.concatenate([[0], np.cumsum([len(a) for a in shared])]).astype(np.intp)
        self.affiliation_list = np.array([a for affs in shared for a in affs], dtype=np.intp)
        self.has_affiliation = np.diff(self.affiliation_start) > 0
        self.add_pairs(*np.nonzero(candidates))
        # Rows for the affiliations already shared among a case's candidates; later ones only once violated.
        self.add_affiliation_rows(self.shared_affiliations())

    def _cheapest(self, shifted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """From each case's cheapest members of each role at the estimated prices (``MARGIN`` beyond the
        role's maximum):

        * the candidates the first master starts with, so that it has a choice in every role;
        * the case's level, the estimated price of a seat: the dearest member of the cheapest panel that
          respects the role ranges (the lower bounds first, then the cheapest of what the upper bounds still
          allow), plus half the perturbation's scale.
        """
        model, size = self.model, self.model.problem.panel_size
        candidates = np.zeros_like(model.eligible)
        values, required = [], []
        for r in range(len(ROLES)):
            members = np.flatnonzero(model.role_of == r)
            most = min(int(model.upper[:, r].max()), members.size)
            if most == 0:
                continue
            keep = min(members.size, most + self.MARGIN)
            block = shifted[:, members]
            top = (np.argpartition(block, keep - 1, axis=1)[:, :keep] if keep < members.size
                   else np.broadcast_to(np.arange(members.size), block.shape))
            value = np.take_along_axis(block, top, axis=1)
            rows = np.repeat(np.arange(model.n_cases), keep)
            finite = np.isfinite(value).ravel()
            candidates[rows[finite], members[top].ravel()[finite]] = True
            values.append(np.sort(value, axis=1)[:, :most])
            required.append(np.arange(most)[None, :] < model.lower[:, r][:, None])
        value = np.concatenate(values, axis=1) if values else np.zeros((model.n_cases, 0))
        if value.shape[1] < size:
            return np.zeros(model.n_cases), candidates
        first = np.where(np.concatenate(required, axis=1), -np.inf, value)
        picked = np.take_along_axis(value, np.argpartition(first, size - 1, axis=1)[:, :size], axis=1)
        level = np.where(np.isfinite(picked), picked, -np.inf).max(axis=1)
        level = np.where(np.isfinite(level), level, 0.0)
        return level + 0.5 * model.problem.weights["perturbation"], candidates

    def _add_segments(self, member: int, first: int, last: int) -> None:
        if last < first:
            return
        k = np.arange(first, last + 1)
        w = self.model.problem.weights["load"]
        start = self.highs.getNumCol()
        self.highs.addCols(k.size, w * (2 * k - 1.0) - self.price[member], np.zeros(k.size), np.ones(k.size),
                           k.size, np.arange(k.size, dtype=np.int32),
                           np.full(k.size, self.model.n_cases + member, dtype=np.int32), -np.ones(k.size))
        self.segment_k.append(k)
        self.segment_column.append(start + np.arange(k.size))

    def add_pairs(self, cases: np.ndarray, members: np.ndarray) -> None:
        """Columns for these pairs, in their case's, member's and role's rows and in any affiliation row of
        their case that one of the member's affiliations already has."""
        model, n = self.model, self.model.n_cases
        if cases.size == 0:
            return
        start = self.highs.getNumCol()
        column = np.arange(cases.size)
        role_row = self.role_row[cases, model.role_of[members]]
        entry_column = [column, column, column[role_row >= 0]]
        entry_row = [cases, n + members, role_row[role_row >= 0]]
        if self.affiliation_row:
            # Rows of the case's affiliations that the member shares (one lookup per membership).
            which, affiliations = self._affiliations_of(members)
            rows = np.array([self.affiliation_row.get(key, -1) for key in
                             zip(cases[which].tolist(), affiliations.tolist(), strict=True)], dtype=np.intp)
            entry_column.append(which[rows >= 0])
            entry_row.append(rows[rows >= 0])
        entry_column = np.concatenate(entry_column)
        order = np.argsort(entry_column, kind="stable")
        index = np.concatenate(entry_row)[order].astype(np.int32)
        starts = np.searchsorted(entry_column[order], column).astype(np.int32)
        cost = model.cost[cases, members] + self.price[members] - self.level[cases]
        self.highs.addCols(cases.size, cost, np.zeros(cases.size), np.ones(cases.size), index.size, starts, index,
                           np.ones(index.size))
        self.present[cases, members] = True
        self.pair_case = np.concatenate([self.pair_case, cases])
        self.pair_member = np.concatenate([self.pair_member, members])
        self.pair_column = np.concatenate([self.pair_column, start + np.arange(cases.size)])

    def _affiliations_of(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each member's shared affiliations, flattened: (index into ``members``, affiliation)."""
        counts = self.affiliation_start[members + 1] - self.affiliation_start[members]
        which = np.repeat(np.arange(members.size), counts)
        offsets = np.arange(which.size) - np.repeat(np.cumsum(counts) - counts, counts)
        return which, self.affiliation_list[np.repeat(self.affiliation_start[members], counts) + offsets]

    def _memberships(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For pairs at these positions: (case, affiliation, position) once per shared affiliation of the
        member, sorted by case and affiliation."""
        which, affiliations = self._affiliations_of(self.pair_member[positions])
        expanded = positions[which]
        cases = self.pair_case[expanded]
        order = np.lexsort((expanded, affiliations, cases))
        return cases[order], affiliations[order], expanded[order]

    def _groups(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The (case, affiliation) groups among these pairs: each group's case and affiliation, the start of
        its run in ``expanded`` (pair positions, grouped)."""
        cases, affiliations, expanded = self._memberships(positions)
        starts = np.r_[0, np.flatnonzero((np.diff(cases) != 0) | (np.diff(affiliations) != 0)) + 1] if cases.size \
            else np.zeros(0, dtype=np.intp)
        return cases[starts], affiliations[starts], starts, expanded

    def add_affiliation_rows(self, keys: list[tuple[int, int]]) -> None:
        """At most one member of the affiliation on the case: one row per key, over its present columns."""
        wanted = set(keys) - set(self.affiliation_row)
        if not wanted:
            return
        cases = np.array(sorted({c for c, _ in wanted}))
        positions = np.flatnonzero(np.isin(self.pair_case, cases) & self.has_affiliation[self.pair_member])
        group_case, group_affiliation, starts, expanded = self._groups(positions)
        ends = np.r_[starts[1:], expanded.size]
        rows, entries = [], []
        for c, a, begin, end in zip(group_case.tolist(), group_affiliation.tolist(), starts.tolist(), ends.tolist(),
                                    strict=True):
            if (c, a) in wanted:
                self.affiliation_row[(c, a)] = self.highs.getNumRow() + len(rows)
                rows.append((c, a))
                entries.append(self.pair_column[expanded[begin:end]])
        counts = np.array([e.size for e in entries], dtype=np.int32)
        self.highs.addRows(len(rows), np.full(len(rows), -highspy.kHighsInf), np.ones(len(rows)),
                           int(counts.sum()), np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32),
                           np.concatenate(entries).astype(np.int32), np.ones(int(counts.sum())))

    def shared_affiliations(self) -> list[tuple[int, int]]:
        """(case, affiliation) pairs with two or more columns: the rows the first master starts with."""
        group_case, group_affiliation, starts, expanded = self._groups(
            np.flatnonzero(self.has_affiliation[self.pair_member]))
        size = np.diff(np.r_[starts, expanded.size])
        return list(zip(group_case[size > 1].tolist(), group_affiliation[size > 1].tolist(), strict=True))

    def violated_affiliations(self) -> list[tuple[int, int]]:
        x = np.asarray(self.solution.col_value)[self.pair_column]
        positions = np.flatnonzero(self.has_affiliation[self.pair_member] & (x > TOLERANCE))
        group_case, group_affiliation, starts, expanded = self._groups(positions)
        if starts.size == 0:
            return []
        over = np.add.reduceat(x[expanded], starts) > 1 + TOLERANCE
        return [key for key in zip(group_case[over].tolist(), group_affiliation[over].tolist(), strict=True)
                if key not in self.affiliation_row]

    def run(self) -> str:
        self.highs.run()
        self.solution = self.highs.getSolution()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            # Later rounds change little: Devex pricing avoids recomputing exact edge weights each time.
            self.highs.setOptionValue("simplex_dual_edge_weight_strategy", 1)
            return "optimal"
        if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return "infeasible"
        raise RuntimeError(f"the LP solver stopped: {self.highs.modelStatusToString(status)}")

    def duals(self) -> tuple[np.ndarray, np.ndarray, dict[int, list[tuple[np.ndarray, float]]]]:
        """The current duals as reduced-cost terms: per member, per (case, role), and per case the
        affiliation rows with a nonzero dual (members, dual). An absent row's dual is zero."""
        model, n, m = self.model, self.model.n_cases, self.model.n_members
        y = np.asarray(self.solution.row_dual)
        member_term = self.price - y[n:n + m]
        role_dual = np.where(self.role_row >= 0, y[np.maximum(self.role_row, 0)], 0.0)
        case_term = (self.level + y[:n])[:, None] + role_dual
        affiliation: dict[int, list[tuple[np.ndarray, float]]] = defaultdict(list)
        for (c, a), row in self.affiliation_row.items():
            if y[row] != 0:
                affiliation[c].append((model.affiliation_members[a], float(y[row])))
        return member_term, case_term, affiliation

    def absent_below(self, threshold: float, duals=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Eligible pairs without a column whose reduced cost is below the threshold: (cases, members,
        reduced costs), computed a block of cases at a time so that no case x member temporary is made."""
        model = self.model
        member_term, case_term, affiliation = duals if duals is not None else self.duals()
        found_cases, found_members, found_values = [], [], []
        step = max(1, (1 << 21) // max(1, model.n_members))
        for first in range(0, model.n_cases, step):
            rows = slice(first, min(first + step, model.n_cases))
            reduced = model.cost[rows] + member_term[None, :]
            reduced -= case_term[rows][:, model.role_of]
            for c in range(rows.start, rows.stop):
                for members, dual in affiliation.get(c, ()):
                    reduced[c - first, members] -= dual
            hit = model.eligible[rows] & ~self.present[rows] & (reduced < threshold)
            cases, members = np.nonzero(hit)
            found_cases.append(cases + first)
            found_members.append(members)
            found_values.append(reduced[cases, members])
        return np.concatenate(found_cases), np.concatenate(found_members), np.concatenate(found_values)

    def price_out(self) -> bool:
        """Add what the duals say could lower the cost (pairs; segments beyond either end of a window) and
        the affiliation rows the solution violates. False when there is nothing: the master's optimum is
        then the full LP's."""
        model, n, m = self.model, self.model.n_cases, self.model.n_members
        w = model.problem.weights["load"]
        member_dual = np.asarray(self.solution.row_dual)[n:n + m]
        cases, members, values = self.absent_below(-TOLERANCE)
        violated = self.violated_affiliations()
        self.add_affiliation_rows(violated)
        changed = bool(violated)
        # Segments: the last fixed one must not want to leave, the first left-out one must not want to enter.
        segment_dual = -self.price + member_dual
        unfix = (self.fixed > 0) & (w * (2 * self.fixed - 1) + segment_dual > TOLERANCE)
        extend = (self.top < model.cap) & (w * (2 * self.top + 1) + segment_dual < -TOLERANCE)
        for j in np.flatnonzero(unfix):
            first = max(0, int(self.fixed[j]) - self.WINDOW)
            self._add_segments(int(j), first + 1, int(self.fixed[j]))
            self.fixed[j] = first
            self.highs.changeRowBounds(n + int(j), float(first), float(first))
            changed = True
        for j in np.flatnonzero(extend):
            last = min(int(model.cap[j]), int(self.top[j]) + self.WINDOW)
            self._add_segments(int(j), int(self.top[j]) + 1, last)
            self.top[j] = last
            changed = True
        if cases.size:
            order = np.lexsort((members, values, cases))
            cases, members = cases[order], members[order]
            first = np.r_[0, np.flatnonzero(np.diff(cases)) + 1]
            rank = np.arange(cases.size) - np.repeat(first, np.diff(np.r_[first, cases.size]))
            keep = rank < self.PER_CASE
            self.add_pairs(cases[keep], members[keep])
            changed = True
        return changed

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.asarray(self.solution.col_value)
        return self.pair_case, self.pair_member, x[self.pair_column]

    def objective(self) -> float:
        """The true objective of the current solution: pair costs plus each member's load cost."""
        x = np.asarray(self.solution.col_value)
        w = self.model.problem.weights["load"]
        pairs = float(self.model.cost[self.pair_case, self.pair_member] @ x[self.pair_column])
        k = np.concatenate(self.segment_k)
        segments = float((w * (2 * k - 1.0)) @ x[np.concatenate(self.segment_column)])
        return pairs + segments + float(w * (self.fixed.astype(float) ** 2).sum())

    def release_segments(self) -> None:
        """Every load segment back in as a column: no load is fixed or out of reach any more."""
        model, n = self.model, self.model.n_cases
        for j in range(model.n_members):
            self._add_segments(j, 1, int(self.fixed[j]))
            self._add_segments(j, int(self.top[j]) + 1, int(model.cap[j]))
            if self.fixed[j]:
                self.highs.changeRowBounds(n + j, 0.0, 0.0)
        self.fixed[:] = 0
        self.top[:] = model.cap

    def integer(self) -> bool:
        """Branch and bound (HiGHS's MIP solver) over the master's columns, every affiliation row in; False
        if no integral solution uses only them."""
        self.release_segments()
        self.add_affiliation_rows(self.shared_affiliations())
        columns = self.pair_column.astype(np.int32)
        self.highs.changeColsIntegrality(columns.size, columns, np.full(columns.size, highspy.HighsVarType.kInteger))
        self.highs.run()
        self.solution = self.highs.getSolution()
        return self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal


def solve(problem: Problem, *, max_rounds: int = 200) -> Solution:
    """The optimal draw: column and row generation on HiGHS's dual simplex, warm-started between rounds
    (see _Master); HiGHS's branch and bound only if the LP optimum should be fractional."""
    model = _build(problem)
    explanations = [p for p in explain_infeasibility(model) if p["case"] is not None]
    if explanations:
        return Solution("infeasible", problems=explanations)
    master = _Master(model)
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


def _solution(model: _Model, cases: np.ndarray, members: np.ndarray, objective: float, bound: float,
              status: str) -> Solution:
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
    incidence = np.zeros((model.n_members, max(1, max((a for affs in model.member_affiliations for a in affs),
                                                       default=0) + 1)), dtype=np.float32)
    for j, affiliations in enumerate(model.member_affiliations):
        incidence[j, list(affiliations)] = 1
    shares = (incidence @ incidence.T) > 0
    seats, substitutes = [], {}
    for block in range(0, panel_cases.size, 512):
        c, panel = panel_cases[block:block + 512], panels[block:block + 512]
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
            top = (np.argpartition(seat_score, keep - 1, axis=1)[:, :keep] if keep < pool.size
                   else np.broadcast_to(np.arange(pool.size), seat_score.shape))
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
                case_subs[member_id] = [problem.members[p].id for p, v in
                                        zip(ranked[i, seat].tolist(), ranked_score[i, seat].tolist(), strict=True)
                                        if v != np.inf]
            substitutes[case_id] = case_subs
    return Solution(status, objective, seats, substitutes, lower_bound=bound)
