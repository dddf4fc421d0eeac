"""Random but realistic draw problems, for tests and the benchmark (pure, deterministic given the seed)."""

from __future__ import annotations

import random
from typing import Any

CATEGORIES = [
    "物业纠纷",
    "噪音扰民",
    "劳动纠纷",
    "交通出行",
    "教育入学",
    "医疗卫生",
    "消费纠纷",
    "环境污染",
    "城市管理",
    "供水供电供气",
    "社保医保",
    "房屋质量",
]
LEGAL = {"物业纠纷", "劳动纠纷", "消费纠纷", "房屋质量"}
DISTRICTS = [
    "510104",
    "510105",
    "510106",
    "510107",
    "510108",
    "510112",
    "510113",
    "510114",
    "510115",
    "510116",
]


def random_problem(
    n_cases: int, n_members: int, *, seed: int = 1, conflict_rate: float = 0.05, slack: float = 1.4
) -> dict[str, Any]:
    """A problem file: four roles in proportion to the seats they fill, caps with ``slack`` spare capacity,
    departments shared between cases and officials / township representatives, declared conflicts."""
    rng = random.Random(seed)
    departments = [f"D{i}" for i in range(max(20, n_members // 20))]
    shares = {"official": 0.2, "lawyer": 0.25, "township_rep": 0.25, "citizen_rep": 0.3}
    seats_per_role = {"official": 1, "lawyer": 1.2, "township_rep": 1.2, "citizen_rep": 1.6}
    members = []
    for i in range(n_members):
        role = rng.choices(list(shares), weights=list(shares.values()))[0]
        count = max(1, round(n_members * shares[role]))
        cap = max(1, round(slack * n_cases * seats_per_role[role] / count))
        affiliations = [rng.choice(departments)] if role in ("official", "township_rep") else []
        members.append(
            {
                "id": f"M{i}",
                "role": role,
                "affiliations": affiliations,
                "district": rng.choice(DISTRICTS),
                "expertise": rng.sample(CATEGORIES, 2),
                "max_cases": cap + rng.randint(0, 2),
            }
        )
    cases = []
    for i in range(n_cases):
        category = rng.choice(CATEGORIES)
        cases.append(
            {
                "id": f"C{i}",
                "departments": rng.sample(departments, rng.choice((1, 1, 2))),
                "district": rng.choice(DISTRICTS),
                "category": category,
                "needs": {"lawyer": 1} if category in LEGAL else {},
            }
        )
    conflicts = [
        [m["id"], c["id"]]
        for c in cases
        for m in rng.sample(members, k=max(0, round(conflict_rate * len(members))))
    ]
    return {
        "seed": f"bench-{seed}",
        "panel_size": 5,
        "roles": {"official": [0, 1], "lawyer": [0, 2], "township_rep": [0, 2], "citizen_rep": [1, 3]},
        "cases": cases,
        "members": members,
        "conflicts": conflicts,
    }
