"""The shape the code keeps: pure cores that import neither Flask nor SQLAlchemy, one transaction edge, small
files and functions, and a command line that keeps its promises without any configuration."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("evaluation", "panels", "rubrics", "procurement")
PURE = (
    "panels.assignment",
    "evaluation.agreement",
    "evaluation.severity",
    "rubrics.scoring",
    "evaluation.privacy",
    "evaluation.figures",
    "evaluation.ranking",
    "procurement.credit_code",
    "procurement.scoring",
    "procurement.honoraria",
    "procurement.transitions",
    "procurement.kpi",
)
PROBLEM = ROOT / "tests" / "fixtures" / "draw_problem.json"


def _sources() -> list[Path]:
    return [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]


def _bare_env(**extra: str) -> dict[str, str]:
    """No configuration at all: nothing of ours, nothing of Flask's."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    return {**keep, **extra}


@pytest.mark.parametrize("module", PURE)
def test_pure_cores_load_neither_flask_nor_sqlalchemy(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'werkzeug')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_bare_env(), capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", f"{module} pulls in {out.stdout.strip()}"


def test_no_view_commits_or_rolls_back() -> None:
    """The request's edge (evaluation.web) commits once; views, the API and operations never do."""
    offenders = []
    for path in _sources():
        if path.name in ("cli.py", "runner.py", "outbox.py", "web.py") or path.parent.name == "demo":
            continue  # the other edges: a command, the job runner, the outbox's worker, the request
        text = path.read_text(encoding="utf-8")
        for word in ("session.commit()", "session.rollback()", ".commit()\n"):
            if word in text:
                offenders.append(f"{path.relative_to(ROOT)}: {word.strip()}")
    assert not offenders


def test_files_and_functions_stay_small() -> None:
    long_files, long_functions = [], []
    for path in [*_sources(), *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 600:
            long_files.append(str(path.relative_to(ROOT)))
        for node in ast.walk(ast.parse(text)):
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node.end_lineno - node.lineno >= 80
            ):
                long_functions.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert not long_files and not long_functions


def _flask(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "evaluation", *args],
        cwd=ROOT,
        env=_bare_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_panels_solve_prints_json_alone_with_no_configuration() -> None:
    """The auditor's replay: no settings, no database; standard output parses as the answer."""
    result = _flask("panels", "solve", str(PROBLEM))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "optimal" and len(answer["seats"]) == 5


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("panels", "--help"),
        ("batches", "--help"),
        ("users", "--help"),
        ("panels", "solve", "--help"),
        ("jobs", "work", "--help"),
    ],
)
def test_help_needs_no_configuration(args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """In process (a fresh interpreter per --help would cost seconds each): the same loading as the command."""
    for name in [n for n in os.environ if n.startswith(("EVALUATION_", "FLASK_", "MAIL_"))] + [
        "SECRET_KEY",
        "DATABASE_URL",
    ]:
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(FlaskGroup(), ["--app", "evaluation", *args])
    assert result.exit_code == 0 and "Usage:" in result.output, result.output


def test_a_command_that_needs_settings_names_the_missing_one() -> None:
    result = _flask("batches", "list")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SECRET_KEY" in lines[0]


@pytest.mark.parametrize(
    ("env", "setting"),
    [({"SECRET_KEY": "a-real-secret"}, "EVALUATION_PII_KEY"), ({"MAIL_PORT": "twenty-five"}, "MAIL_PORT")],
)
def test_each_missing_or_malformed_setting_is_named(
    env: dict[str, str], setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "SECRET_KEY",
        "EVALUATION_PII_KEY",
        "EVALUATION_AUDIT_KEY",
        "FLASK_DEBUG",
        "MAIL_PORT",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(FlaskGroup(), ["--app", "evaluation", "batches", "list"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith(f"Error: {setting}")
