"""The draw as matrices: who may sit where, what each pair costs, and the whole model as one linear program
(the reference the tests and the benchmark hand to a generic MILP solver). Pure numpy/scipy."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from panels.assignment.problem import ROLES, Problem

TOLERANCE = 1e-7


def _keys(seed: str, kind: str, ids: list[str]) -> np.ndarray:
    return np.array(
        [int.from_bytes(hashlib.sha256(f"{seed}|{kind}|{i}".encode()).digest()[:8], "big") for i in ids],
        dtype=np.uint64,
    )


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
class Model:
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


def _recusals(problem: Problem) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """(case, member) recused by a shared affiliation with one of the case's departments, and by a listed
    conflict where not already by affiliation; and the index of every affiliation or department name."""
    cases, members = problem.cases, problem.members
    names: dict[str, int] = {}
    for x in members:
        for a in x.affiliations:
            names.setdefault(a, len(names))
    for case in cases:
        for d in case.departments:
            names.setdefault(d, len(names))

    def incidence(rows: list[tuple[str, ...]]) -> sp.csr_matrix:
        return sp.csr_matrix(
            (
                np.ones(sum(len(row) for row in rows)),
                ([i for i, row in enumerate(rows) for _ in row], [names[a] for row in rows for a in row]),
            ),
            shape=(len(rows), len(names)),
        )

    recused = (
        incidence([c.departments for c in cases]) @ incidence([x.affiliations for x in members]).T
    ).tocoo()
    by_affiliation = np.zeros((len(cases), len(members)), dtype=bool)
    by_affiliation[recused.row, recused.col] = True
    by_conflict = np.zeros_like(by_affiliation)
    if problem.conflicts:
        case_pos = {c.id: i for i, c in enumerate(cases)}
        member_pos = {x.id: i for i, x in enumerate(members)}
        conflicts = list(problem.conflicts)
        by_conflict[
            np.fromiter((case_pos[c] for _, c in conflicts), dtype=np.intp, count=len(conflicts)),
            np.fromiter((member_pos[j] for j, _ in conflicts), dtype=np.intp, count=len(conflicts)),
        ] = True
    return by_affiliation, by_conflict & ~by_affiliation, names


def _pair_costs(problem: Problem, township: np.ndarray) -> np.ndarray:
    """Matches lower a pair's cost (products of incidence matrices: a case has one category and one district),
    the seeded perturbation breaks ties."""
    cases, members, w = problem.cases, problem.members, problem.weights
    categories = {name: i for i, name in enumerate(sorted({c.category for c in cases if c.category}))}
    districts = {name: i for i, name in enumerate(sorted({c.district for c in cases if c.district}))}
    cost = 0.0 - w["expertise"] * (
        _incidence([(c.category,) for c in cases], categories)
        @ _incidence([x.expertise for x in members], categories).T
    )
    cost -= w["district"] * (
        _incidence([(c.district,) for c in cases], districts)
        @ _incidence([(x.district,) if township[j] else () for j, x in enumerate(members)], districts).T
    )
    if w["perturbation"]:
        pair = (
            _keys(problem.seed, "case", [c.id for c in cases])[:, None]
            ^ _splitmix(_keys(problem.seed, "member", [x.id for x in members]))[None, :]
        )
        pair = _splitmix(pair)
        pair >>= np.uint64(11)
        cost += w["perturbation"] * pair.astype(np.float64) / float(1 << 53)
    return np.asarray(cost, dtype=np.float64)


def build_model(problem: Problem) -> Model:
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
    by_affiliation, by_conflict, names = _recusals(problem)
    eligible = np.ones((n, m), dtype=bool)
    eligible[:, cap <= 0] = False
    drawn_roles = [role_index[r] for r, (_, hi) in problem.roles.items() if hi > 0]
    eligible[:, np.isin(role_of, drawn_roles, invert=True)] = False
    eligible &= ~(by_affiliation | by_conflict)
    cost = _pair_costs(problem, role_of == role_index["township_rep"])
    member_affiliations = [tuple(names[a] for a in x.affiliations) for x in members]
    affiliation_members: dict[int, list[int]] = defaultdict(list)
    for j, affs in enumerate(member_affiliations):
        for index in affs:
            affiliation_members[index].append(j)
    eligible_by_role = np.stack([eligible[:, role_of == r].sum(axis=1) for r in range(len(ROLES))], axis=1)
    shared = {a: np.array(js) for a, js in affiliation_members.items() if len(js) > 1}
    return Model(
        problem,
        n,
        m,
        role_of,
        cap,
        lower,
        upper,
        eligible,
        eligible_by_role,
        cost,
        by_affiliation,
        by_conflict,
        member_affiliations,
        shared,
    )


@dataclass
class LP:
    pairs_case: np.ndarray
    pairs_member: np.ndarray
    c: np.ndarray
    a_eq: sp.csr_matrix
    b_eq: np.ndarray
    a_ub: sp.csr_matrix
    b_ub: np.ndarray
    n_segments: int


def formulate(model: Model, candidates: np.ndarray) -> LP:
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
    b_eq = np.concatenate(
        [np.full(model.n_cases, model.problem.panel_size, dtype=float), np.zeros(model.n_members)]
    )
    ub_rows: list[np.ndarray] = []
    ub_cols: list[np.ndarray] = []
    ub_vals: list[np.ndarray] = []
    b_ub: list[float] = []

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
    a_ub = (
        sp.csr_matrix(
            (np.concatenate(ub_vals), (np.concatenate(ub_rows), np.concatenate(ub_cols))),
            shape=(len(b_ub), n_vars),
        )
        if b_ub
        else sp.csr_matrix((0, n_vars))
    )
    return LP(pc, pm, c, a_eq, b_eq, a_ub, np.array(b_ub, dtype=float), seg_member.size)


def balanced_loads(model: Model) -> np.ndarray:
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
            total = (
                np.clip([load[model.role_of[members] == r].sum() for r in range(len(ROLES))], low, high).sum()
                if clip
                else load.sum()
            )
            a, b = (middle, b) if total < target else (a, middle)
        return b

    common = level(float(model.problem.panel_size * model.n_cases), np.arange(model.n_members), clip=True)
    expected = np.zeros(model.n_members)
    for r, members in enumerate(roles):
        if members.any():
            total = float(np.clip(np.minimum(common, capacity[members]).sum(), low[r], high[r]))
            expected[members] = np.minimum(
                level(total, np.flatnonzero(members), clip=False), capacity[members]
            )
    return expected
