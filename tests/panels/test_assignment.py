"""panels.assignment: pure tests on small problems (no app)."""

from __future__ import annotations

import copy
import json
from collections import Counter

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from panels.assignment import ProblemError, parse_problem, problem_hash, solve
from panels.assignment.generate import random_problem
from panels.assignment.master import Master
from panels.assignment.model import balanced_loads, build_model, formulate
from tests.panels.problems import EXAMPLE, check_invariants


def full_milp(data: dict):
    """The same model with every eligible pair as a binary variable: the generic MILP (scipy's result)."""
    model = build_model(parse_problem(data))
    lp = formulate(model, model.eligible.copy())
    constraints = [LinearConstraint(lp.a_eq, lp.b_eq, lp.b_eq)]
    if lp.b_ub.size:
        constraints.append(LinearConstraint(lp.a_ub, -np.inf, lp.b_ub))
    integrality = np.concatenate([np.ones(lp.pairs_case.size), np.zeros(lp.n_segments)])
    return milp(lp.c, integrality=integrality, bounds=Bounds(0, 1), constraints=constraints)


def full_milp_objective(data: dict) -> float:
    result = full_milp(data)
    assert result.status == 0
    return float(result.fun)


def test_the_issue_example() -> None:
    result = solve(parse_problem(EXAMPLE)).as_json()
    assert result["status"] == "optimal"
    check_invariants(EXAMPLE, result)
    panel = {s["member"] for s in result["seats"]}
    assert "M3" not in panel  # affiliated with the case's department D1
    assert "M8" not in panel  # declared conflict
    assert "M5" in panel  # the township representative from the case's own district is preferred


@pytest.mark.parametrize("n_cases, n_members, seed", [(30, 40, 1), (80, 60, 2), (150, 90, 3), (400, 150, 4)])
def test_random_problems_satisfy_every_rule_and_match_the_full_milp(n_cases, n_members, seed) -> None:
    data = random_problem(n_cases, n_members, seed=seed)
    solution = solve(parse_problem(data))
    assert solution.status == "optimal"
    check_invariants(data, solution.as_json())
    assert solution.objective == pytest.approx(full_milp_objective(data), abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_tight_and_conflicted_problems_match_the_full_milp(seed) -> None:
    """Caps with little or no spare capacity and many conflicts: some problems are infeasible, and for some
    (seeds 3 and 9) the restricted master is infeasible at first and has to widen; whatever happens, the
    answer is the full MILP's (or both say infeasible)."""
    data = random_problem(
        20 + 9 * seed,
        14 + 3 * seed,
        seed=100 + seed,
        conflict_rate=(0.05, 0.2, 0.35)[seed % 3],
        slack=(1.0, 1.05, 1.2)[seed % 3],
    )
    solution = solve(parse_problem(data))
    reference = full_milp(data)
    if reference.status == 2:
        assert solution.status == "infeasible" and solution.problems
    else:
        assert solution.status == "optimal"
        check_invariants(data, solution.as_json())
        assert solution.objective == pytest.approx(float(reference.fun), abs=1e-6)


def test_branch_and_bound_takes_in_pairs_within_its_gap(monkeypatch) -> None:
    """Three officials any two of whom share an affiliation (a fractional LP), small caps and a sparse first
    master: the best integral panels need pairs the LP never priced in. Only the completion by reduced costs
    (every pair within the gap to the LP bound) finds them; branch and bound over the master alone ends
    higher."""
    monkeypatch.setattr(Master, "MARGIN", 0)
    data = {
        "seed": "s46",
        "panel_size": 3,
        "roles": {"official": [0, 3], "citizen_rep": [0, 3]},
        "cases": [{"id": f"C{i}", "category": "物业纠纷"} for i in range(4)],
        "members": [
            *(
                {
                    "id": name,
                    "role": "official",
                    "affiliations": pair,
                    "expertise": ["物业纠纷"],
                    "max_cases": 2,
                }
                for name, pair in (("A", ["X", "Y"]), ("B", ["Y", "Z"]), ("C", ["Z", "X"]))
            ),
            *({"id": f"R{i}", "role": "citizen_rep", "max_cases": 1 + i % 2} for i in range(8)),
        ],
        "weights": {"perturbation": 2},
    }
    solution = solve(parse_problem(data))
    assert solution.status == "optimal" and solution.lower_bound < solution.objective
    check_invariants(data, solution.as_json())
    assert solution.objective == pytest.approx(full_milp_objective(data), abs=1e-6)


@pytest.mark.parametrize("seed", [201, 203])
def test_loads_far_from_the_balanced_estimate_are_still_optimal(seed) -> None:
    """Heavy match bonuses pull members' loads far from the even spread the solver starts from, so its load
    windows have to move; the answer is still the full MILP's."""
    data = random_problem(150, 60, seed=seed)
    data["weights"] = {"expertise": 30, "district": 40}
    solution = solve(parse_problem(data))
    assert solution.status == "optimal"
    check_invariants(data, solution.as_json())
    loads = Counter(s["member"] for s in solution.seats)
    expected = np.rint(balanced_loads(build_model(parse_problem(data))))
    actual = np.array([loads.get(m["id"], 0) for m in data["members"]])
    assert np.abs(actual - expected).max() > Master.WINDOW  # the windows had to move
    assert solution.objective == pytest.approx(full_milp_objective(data), abs=1e-6)


def test_a_fractional_lp_is_finished_by_branch_and_bound() -> None:
    """Three officials, any two of whom share an affiliation: the LP seats half of each, the draw one."""
    data = {
        "seed": "odd cycle",
        "panel_size": 3,
        "roles": {"official": [0, 3], "citizen_rep": [0, 3]},
        "cases": [{"id": "C1", "category": "物业纠纷"}, {"id": "C2", "category": "物业纠纷"}],
        "members": [
            {"id": "A", "role": "official", "affiliations": ["X", "Y"], "expertise": ["物业纠纷"]},
            {"id": "B", "role": "official", "affiliations": ["Y", "Z"], "expertise": ["物业纠纷"]},
            {"id": "C", "role": "official", "affiliations": ["Z", "X"], "expertise": ["物业纠纷"]},
            *({"id": f"R{i}", "role": "citizen_rep"} for i in range(5)),
        ],
    }
    solution = solve(parse_problem(data))
    assert solution.status == "optimal"
    assert solution.lower_bound < solution.objective  # the LP bound was fractional
    check_invariants(data, solution.as_json())
    assert solution.objective == pytest.approx(full_milp_objective(data), abs=1e-6)
    for case in ("C1", "C2"):
        assert sum(s["role"] == "official" for s in solution.seats if s["case"] == case) == 1


def test_the_same_seed_gives_the_same_answer_byte_for_byte() -> None:
    data = random_problem(120, 80, seed=9)
    first = json.dumps(solve(parse_problem(data)).as_json(), sort_keys=True)
    again = json.dumps(solve(parse_problem(copy.deepcopy(data))).as_json(), sort_keys=True)
    assert first == again
    data["seed"] = "another seed"
    assert json.dumps(solve(parse_problem(data)).as_json(), sort_keys=True) != first
    assert problem_hash(parse_problem(data)) != problem_hash(parse_problem(random_problem(120, 80, seed=9)))


def test_ties_break_evenly_across_seeds() -> None:
    twins = {
        "seed": "",
        "panel_size": 1,
        "roles": {"lawyer": [1, 1]},
        "cases": [{"id": "C1"}],
        "members": [
            {"id": "A", "role": "lawyer", "max_cases": 1},
            {"id": "B", "role": "lawyer", "max_cases": 1},
        ],
    }
    picks = Counter()
    for i in range(200):
        twins["seed"] = f"seed-{i}"
        picks[solve(parse_problem(twins)).seats[0]["member"]] += 1
    assert 70 <= picks["A"] <= 130


def test_load_is_balanced() -> None:
    data = {
        "seed": "s",
        "panel_size": 1,
        "roles": {"citizen_rep": [1, 1]},
        "cases": [{"id": f"C{i}"} for i in range(30)],
        "members": [{"id": f"M{i}", "role": "citizen_rep", "max_cases": 30} for i in range(3)],
    }
    loads = Counter(s["member"] for s in solve(parse_problem(data)).seats)
    assert sorted(loads.values()) == [10, 10, 10]


def test_an_infeasible_problem_names_the_case_and_the_role() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["members"][0]["affiliations"] = ["D1"]  # M1 now works for the case's department
    data["conflicts"].append(["M2", "C1"])  # and M2 declared a conflict
    solution = solve(parse_problem(data))
    assert solution.status == "infeasible"
    (problem,) = [p for p in solution.problems if p["role"] == "lawyer"]
    assert problem["case"] == "C1"
    assert (
        "1 recused by affiliation" in problem["reason"]
        and "1 recused by declared conflicts" in problem["reason"]
    )
    assert problem["kind"] == "role_short" and (problem["need"], problem["available"], problem["pool"]) == (
        1,
        0,
        2,
    )
    assert problem["details"] == {"recused_by_affiliation": 1, "recused_by_conflict": 1}
    assert solution.as_json() == {"status": "infeasible", "problems": solution.problems}


def test_a_shortage_across_cases_is_explained_by_role() -> None:
    data = {
        "seed": "s",
        "panel_size": 1,
        "roles": {"lawyer": [1, 1]},
        "cases": [{"id": f"C{i}"} for i in range(5)],
        "members": [
            {"id": "L1", "role": "lawyer", "max_cases": 2},
            {"id": "L2", "role": "lawyer", "max_cases": 2},
        ],
    }
    solution = solve(parse_problem(data))
    assert solution.status == "infeasible"
    assert solution.problems == [
        {
            "case": None,
            "role": "lawyer",
            "reason": "the cases need at least 5 lawyer seats; their caps allow 4",
            "kind": "role_capacity",
            "demand": 5,
            "supply": 4,
        },
        {
            "case": None,
            "role": None,
            "reason": "the cases need 5 seats; the members' caps allow 4",
            "kind": "capacity",
            "total": 5,
            "supply": 4,
        },
    ]


def test_a_malformed_problem_names_every_path() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["roles"]["official"] = [2, 1]
    data["cases"][0]["needs"] = {"judge": 1}
    data["members"][1]["role"] = "mayor"
    data["members"][2]["max_cases"] = -1
    data["conflicts"].append(["M99", "C1"])
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    paths = [path for path, _ in caught.value.problems]
    assert paths == [
        "roles.official",
        "cases[0].needs.judge",
        "members[1].role",
        "members[2].max_cases",
        "conflicts[1]",
    ]
    with pytest.raises(ProblemError, match=r"\$: must be a JSON object"):
        parse_problem([])


def test_duplicate_ids_are_named() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["cases"].append(dict(data["cases"][0]))
    data["members"][1]["id"] = "M1"
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    assert caught.value.problems == [
        ("cases[1].id", "duplicates case 'C1'"),
        ("members[1].id", "duplicates member 'M1'"),
    ]
