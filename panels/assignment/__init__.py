"""The panel draw as an exact optimisation. Pure: plain data in, plain data out; no Flask, no ORM.

The parts: ``problem`` (the file: parse, validate, hash), ``model`` (the matrices and the reference LP),
``master`` and ``solver`` (solving), ``infeasibility`` (why not), ``generate`` (random problems for tests).

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

from panels.assignment.infeasibility import REASONS, explain_infeasibility
from panels.assignment.problem import (
    DEFAULT_WEIGHTS,
    ROLES,
    CaseSpec,
    MemberSpec,
    Problem,
    ProblemError,
    Solution,
    parse_problem,
    problem_hash,
)
from panels.assignment.solver import SUBSTITUTES, solve

__all__ = [
    "DEFAULT_WEIGHTS",
    "REASONS",
    "ROLES",
    "SUBSTITUTES",
    "CaseSpec",
    "MemberSpec",
    "Problem",
    "ProblemError",
    "Solution",
    "explain_infeasibility",
    "parse_problem",
    "problem_hash",
    "solve",
]
