from __future__ import annotations

import copy
import json

from tests.panels.problems import EXAMPLE, check_invariants


def test_panels_solve_prints_the_assignment(runner, tmp_path) -> None:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["panels", "solve", str(path)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["status"] == "optimal" and len(answer["seats"]) == 5
    check_invariants(EXAMPLE, answer)
    again = runner.invoke(args=["panels", "solve", str(path)])
    assert again.output == result.output


def test_panels_solve_infeasible_exits_1(runner, tmp_path) -> None:
    data = copy.deepcopy(EXAMPLE)
    data["conflicts"] += [["M1", "C1"], ["M2", "C1"]]
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(args=["panels", "solve", str(path)])
    assert result.exit_code == 1
    answer = json.loads(result.output)
    assert answer["status"] == "infeasible" and answer["problems"][0]["case"] == "C1"
    assert answer["problems"][0]["role"] == "lawyer"


def test_panels_solve_malformed_exits_2_naming_the_path(runner, tmp_path) -> None:
    data = copy.deepcopy(EXAMPLE)
    data["members"][3]["role"] = "judge"
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(args=["panels", "solve", str(path)])
    assert result.exit_code == 2 and "members[3].role: unknown role" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert runner.invoke(args=["panels", "solve", str(broken)]).exit_code == 2
    assert runner.invoke(args=["panels", "solve", str(tmp_path / "missing.json")]).exit_code == 2
