from __future__ import annotations

import json

import sqlalchemy as sa

from evaluation.extensions import db
from rubrics.models import RubricVersion
from rubrics.operations import load_template


def test_export_import_export_is_identical(runner, tmp_path) -> None:
    template = tmp_path / "template.json"
    template.write_text(json.dumps(load_template(), ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["rubrics", "import", str(template), "--publish"])
    assert result.exit_code == 0, result.output
    assert "imported unsatisfied-case-standard v1 (published)" in result.output
    first = runner.invoke(args=["rubrics", "export", "unsatisfied-case-standard"])
    assert json.loads(first.output) == load_template()
    exported = tmp_path / "exported.json"
    exported.write_text(first.output, encoding="utf-8")
    assert runner.invoke(args=["rubrics", "import", str(exported)]).exit_code == 0
    second = runner.invoke(args=["rubrics", "export", "unsatisfied-case-standard", "--version", "2"])
    assert second.output == first.output


def test_list_json(runner, tmp_path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(load_template(), ensure_ascii=False), encoding="utf-8")
    runner.invoke(args=["rubrics", "import", str(path), "--publish"])
    runner.invoke(args=["rubrics", "import", str(path)])
    result = runner.invoke(args=["rubrics", "list", "--json"])
    assert json.loads(result.output) == [
        {"code": "unsatisfied-case-standard", "version": 1, "state": "published"},
        {"code": "unsatisfied-case-standard", "version": 2, "state": "draft"},
    ]
    plain = runner.invoke(args=["rubrics", "list"])
    assert "unsatisfied-case-standard\tv2\tdraft" in plain.output


def test_an_invalid_file_lists_every_problem_and_stores_nothing(runner, tmp_path) -> None:
    spec = load_template()
    spec["criteria"][0]["weight"] = 50
    spec["criteria"][1]["code"] = "P1"
    spec["criteria"][12]["role"] = "note"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["rubrics", "import", str(path)])
    assert result.exit_code != 0
    assert "criteria: the weights of the scored criteria sum to 144, not 100" in result.output
    assert "criteria[1].code: duplicates the code of criteria[0]" in result.output
    assert 'criteria: no criterion has the role "verdict"' in result.output
    assert "3 problem(s); nothing was imported" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RubricVersion)) == 0


def test_bad_files_and_codes_get_one_line_reasons(runner, tmp_path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    for args, reason in (
        (["rubrics", "import", str(broken)], "is not valid JSON"),
        (["rubrics", "import", str(tmp_path / "missing.json")], "no such file"),
        (["rubrics", "export", "nope"], "no rubric 'nope'"),
        (["rubrics", "export", "nope", "--version", "3"], "no version 3 of rubric 'nope'"),
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and reason in result.output, args
