"""Draw problems the panels tests share: the small example file and what every feasible answer must satisfy."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from panels.assignment import parse_problem

# The example problem, as a file anyone can hand to `flask --app evaluation panels solve`.
EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "draw_problem.json"
EXAMPLE = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))


def check_invariants(data: dict, result: dict) -> None:
    """Everything the acceptance list promises about a feasible draw."""
    problem = parse_problem(data)
    members = {m.id: m for m in problem.members}
    cases = {c.id: c for c in problem.cases}
    panels: dict[str, list[str]] = defaultdict(list)
    for seat in result["seats"]:
        assert members[seat["member"]].role == seat["role"]
        panels[seat["case"]].append(seat["member"])
    assert set(panels) == set(cases)
    load = Counter(seat["member"] for seat in result["seats"])
    for member_id, count in load.items():
        assert count <= members[member_id].max_cases
    for case_id, panel in panels.items():
        case = cases[case_id]
        assert len(panel) == problem.panel_size == len(set(panel))
        roles = Counter(members[m].role for m in panel)
        for role, (lo, hi) in problem.roles.items():
            assert max(lo, case.needs.get(role, 0)) <= roles.get(role, 0) <= hi, (case_id, role)
        affiliations = [a for m in panel for a in members[m].affiliations]
        assert len(affiliations) == len(set(affiliations)), case_id
        for m in panel:
            assert not set(members[m].affiliations) & set(case.departments)
            assert (m, case_id) not in problem.conflicts
        for seat_member, subs in result["substitutes"][case_id].items():
            for sub in subs:
                assert sub not in panel and members[sub].role == members[seat_member].role
                assert (sub, case_id) not in problem.conflicts
                assert not set(members[sub].affiliations) & set(case.departments)
                others = {a for m in panel if m != seat_member for a in members[m].affiliations}
                assert not set(members[sub].affiliations) & others
