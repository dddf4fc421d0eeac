"""The panel draw: solve time and objective of panels.assignment beside a generic full MILP of the same model
(scipy's milp with every eligible case-member pair as a binary variable) at 3,000 cases x 300 members, and
the solver alone at 20,000 x 2,000. Four roles, 5 % declared conflicts, caps with 40 % spare capacity.

    make bench-assignment   (or: .venv/bin/python bench/assignment.py [--skip-big] [--milp-time-limit S] [--repeat N])

Goal (issue 5): 3,000 x 300 in <= 2 s and 20,000 x 2,000 in <= 60 s, both optimal, and the same objective
as the MILP.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from panels.assignment import parse_problem, solve
from panels.assignment.generate import random_problem
from panels.assignment.model import build_model, formulate


def full_milp(problem, time_limit: float) -> tuple[float, float | None, str]:
    start = time.perf_counter()
    model = build_model(problem)
    lp = formulate(model, model.eligible.copy())
    constraints = [LinearConstraint(lp.a_eq, lp.b_eq, lp.b_eq)]
    if lp.b_ub.size:
        constraints.append(LinearConstraint(lp.a_ub, -np.inf, lp.b_ub))
    integrality = np.concatenate([np.ones(lp.pairs_case.size), np.zeros(lp.n_segments)])
    result = milp(
        lp.c,
        integrality=integrality,
        bounds=Bounds(0, 1),
        constraints=constraints,
        options={"time_limit": time_limit},
    )
    status = {0: "optimal", 1: "time limit"}.get(result.status, result.message)
    return time.perf_counter() - start, (float(result.fun) if result.x is not None else None), status


def timed(problem, repeat: int):
    """The solution and the median time of ``repeat`` solves (this machine's timings vary by a quarter),
    with the fastest and slowest."""
    times, solution = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        solution = solve(problem)
        times.append(time.perf_counter() - start)
    return solution, statistics.median(times), f"(min {min(times):.2f}, max {max(times):.2f}, n={len(times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-big", action="store_true", help="only the 3,000 x 300 comparison")
    parser.add_argument("--milp-time-limit", type=float, default=900.0)
    parser.add_argument("--repeat", type=int, default=3, help="solves of each size; the median is reported")
    args = parser.parse_args()
    data = random_problem(3000, 300, seed=7)
    problem = parse_problem(data)
    ours, ours_seconds, spread = timed(problem, args.repeat)
    peer_seconds, peer_objective, peer_status = full_milp(problem, args.milp_time_limit)
    print(f"3,000 cases x 300 members, {len(data['conflicts']):,} conflicts")
    print(
        f"  panels.assignment  {ours_seconds:8.2f} s  {ours.status:<8} objective {ours.objective:.6f}   goal <= 2 s"
        f"   {spread}"
    )
    print(
        f"  full MILP (milp)   {peer_seconds:8.2f} s  {peer_status:<8} objective "
        f"{peer_objective if peer_objective is None else f'{peer_objective:.6f}'}"
    )
    if peer_objective is not None:
        print(
            f"  same objective: {abs(peer_objective - ours.objective) <= 1e-6}   "
            f"time ratio ours/MILP {ours_seconds / peer_seconds:.3f}"
        )
    if not args.skip_big:
        data = random_problem(20000, 2000, seed=11)
        problem = parse_problem(data)
        big, seconds, spread = timed(problem, args.repeat)
        print(f"20,000 cases x 2,000 members, {len(data['conflicts']):,} conflicts")
        print(
            f"  panels.assignment  {seconds:8.2f} s  {big.status:<8} objective {big.objective:.6f}   goal <= 60 s"
            f"   {spread}"
        )


if __name__ == "__main__":
    main()
