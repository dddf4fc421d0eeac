"""A draw problem: the file format anyone can replay a draw from (parse, validate, hash), and the answer.

Pure: plain data in, plain data out; no Flask, no ORM. Every fault of a file is named by its JSON path.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

ROLES = ("official", "lawyer", "township_rep", "citizen_rep", "expert")
DEFAULT_WEIGHTS = {"load": 1.0, "expertise": 3.0, "district": 4.0, "perturbation": 0.5}


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
        return {
            "status": self.status,
            "objective": round(self.objective or 0.0, 9),
            "seats": self.seats,
            "substitutes": self.substitutes,
        }


# ------------------------------------------------------------------------------------------------ parsing

# ------------------------------------------------------------------------------------------------ parsing


class _Reader:
    """Reads a problem file's values, noting every fault by its JSON path instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fault(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def text(self, value: Any, path: str, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            self.fault(path, "must be a non-empty string")
            return None
        return value

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fault(path, "must be a list of strings")
            return ()
        return tuple(value)

    def whole(self, value: Any, path: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fault(path, f"must be a whole number of at least {minimum}")
            return minimum
        return value

    def identifier(self, raw: dict[str, Any], path: str, seen: set[str], kind: str) -> str:
        value = self.text(raw.get("id"), f"{path}.id")
        if value in seen:
            self.fault(f"{path}.id", f"duplicates {kind} {value!r}")
        seen.add(value or "")
        return value or ""

    def objects(self, data: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
        """The list under ``key`` as (path, object) pairs; a missing or empty list, or a non-object, is a fault."""
        raw = data.get(key)
        if not isinstance(raw, list) or not raw:
            self.fault(key, "must be a non-empty list")
            return []
        out = []
        for i, item in enumerate(raw):
            if isinstance(item, dict):
                out.append((f"{key}[{i}]", item))
            else:
                self.fault(f"{key}[{i}]", "must be a JSON object")
        return out

    def roles(self, raw_roles: Any) -> dict[str, tuple[int, int]]:
        if not isinstance(raw_roles, dict) or not raw_roles:
            self.fault("roles", "must be an object of role: [min, max]")
            return {}
        roles: dict[str, tuple[int, int]] = {}
        for role, bounds in raw_roles.items():
            path = f"roles.{role}"
            if role not in ROLES:
                self.fault(path, f"unknown role; one of {', '.join(ROLES)}")
            elif (
                not isinstance(bounds, list)
                or len(bounds) != 2
                or not all(isinstance(b, int) and not isinstance(b, bool) and b >= 0 for b in bounds)
                or bounds[0] > bounds[1]
            ):
                self.fault(path, "must be [min, max] with 0 <= min <= max")
            else:
                roles[role] = (bounds[0], bounds[1])
        return roles

    def case(self, path: str, raw: dict[str, Any], seen: set[str]) -> CaseSpec:
        case_id = self.identifier(raw, path, seen, "case")
        needs: dict[str, int] = {}
        raw_needs = raw.get("needs") or {}
        if not isinstance(raw_needs, dict):
            self.fault(f"{path}.needs", "must be an object of role: count")
        else:
            for role, count in raw_needs.items():
                if role not in ROLES:
                    self.fault(f"{path}.needs.{role}", "unknown role")
                else:
                    needs[role] = self.whole(count, f"{path}.needs.{role}", 0)
        return CaseSpec(
            case_id,
            self.strings(raw.get("departments"), f"{path}.departments"),
            self.text(raw.get("district"), f"{path}.district", required=False),
            self.text(raw.get("category"), f"{path}.category", required=False),
            needs,
        )

    def member(self, path: str, raw: dict[str, Any], seen: set[str]) -> MemberSpec:
        member_id = self.identifier(raw, path, seen, "member")
        role = raw.get("role")
        if role not in ROLES:
            self.fault(f"{path}.role", f"unknown role; one of {', '.join(ROLES)}")
        return MemberSpec(
            member_id,
            role if role in ROLES else "official",
            self.strings(raw.get("affiliations"), f"{path}.affiliations"),
            self.text(raw.get("district"), f"{path}.district", required=False),
            self.strings(raw.get("expertise"), f"{path}.expertise"),
            self.whole(raw.get("max_cases", 20), f"{path}.max_cases", 0),
        )

    def conflicts(self, raw: Any, members: set[str], cases: set[str]) -> set[tuple[str, str]]:
        if not isinstance(raw, list):
            self.fault("conflicts", "must be a list of [member, case] pairs")
            return set()
        pairs: set[tuple[str, str]] = set()
        for i, pair in enumerate(raw):
            if not isinstance(pair, list) or len(pair) != 2 or pair[0] not in members or pair[1] not in cases:
                self.fault(f"conflicts[{i}]", "must be [member id, case id] naming a known member and case")
            else:
                pairs.add((pair[0], pair[1]))
        return pairs

    def weights(self, raw: Any) -> dict[str, float]:
        weights = dict(DEFAULT_WEIGHTS)
        for key, value in (raw or {}).items():
            if (
                key not in DEFAULT_WEIGHTS
                or isinstance(value, bool)
                or not isinstance(value, int | float)
                or value < 0
            ):
                self.fault(
                    f"weights.{key}", f"must be one of {', '.join(DEFAULT_WEIGHTS)} with a number >= 0"
                )
            else:
                weights[key] = float(value)
        return weights


def parse_problem(data: Any) -> Problem:
    """The problem file (issue 5's format) as a Problem; every fault is named by its JSON path."""
    if not isinstance(data, dict):
        raise ProblemError([("$", "must be a JSON object")])
    read = _Reader()
    seed = read.text(data.get("seed"), "seed") or ""
    panel_size = read.whole(data.get("panel_size", 5), "panel_size", 1)
    roles = read.roles(data.get("roles"))
    seen_cases: set[str] = set()
    cases = [read.case(path, raw, seen_cases) for path, raw in read.objects(data, "cases")]
    seen_members: set[str] = set()
    members = [read.member(path, raw, seen_members) for path, raw in read.objects(data, "members")]
    conflicts = read.conflicts(data.get("conflicts") or [], seen_members, seen_cases)
    weights = read.weights(data.get("weights"))
    if read.problems:
        raise ProblemError(read.problems)
    return Problem(seed, panel_size, roles, cases, members, conflicts, weights)


def problem_hash(problem: Problem) -> str:
    """SHA-256 of the problem's canonical form: what a draw records so anyone can check its input."""
    body = {
        "seed": problem.seed,
        "panel_size": problem.panel_size,
        "roles": {r: list(b) for r, b in sorted(problem.roles.items())},
        "cases": [
            {
                "id": c.id,
                "departments": list(c.departments),
                "district": c.district,
                "category": c.category,
                "needs": dict(sorted(c.needs.items())),
            }
            for c in problem.cases
        ],
        "members": [
            {
                "id": m.id,
                "role": m.role,
                "affiliations": list(m.affiliations),
                "district": m.district,
                "expertise": list(m.expertise),
                "max_cases": m.max_cases,
            }
            for m in problem.members
        ],
        "conflicts": sorted(list(p) for p in problem.conflicts),
        "weights": dict(sorted(problem.weights.items())),
    }
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
