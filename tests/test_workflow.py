"""The GitHub workflow cannot run here; check that it parses and calls what it should."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "ci.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_the_workflow_runs_on_pushes_and_pull_requests(workflow: dict[Any, Any]) -> None:
    # PyYAML reads the bare key `on` as the boolean True.
    triggers = workflow["on"] if "on" in workflow else workflow[True]
    assert {"push", "pull_request"} <= set(triggers)


def test_the_workflow_has_least_privilege_permissions(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        assert "permissions" not in job or job["permissions"] in ({}, {"contents": "read"})
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout"):
                assert step["with"]["persist-credentials"] is False


def test_every_job_calls_a_nox_session_that_exists(workflow: dict[Any, Any]) -> None:
    import ast

    noxfile = ast.parse((WORKFLOW.parents[2] / "noxfile.py").read_text(encoding="utf-8"))
    sessions = {
        node.name
        for node in ast.walk(noxfile)
        if isinstance(node, ast.FunctionDef)
        and any("session" in ast.unparse(decorator) for decorator in node.decorator_list)
    }
    called = set()
    for job in workflow["jobs"].values():
        assert "runs-on" in job, job
        assert job["steps"], job
        for step in job["steps"]:
            run = step.get("run", "")
            if run.startswith("nox -s"):
                session = run.split("-s", 1)[1].strip().strip("\"'").split("(")[0]
                if session == "${{ matrix.session }}":
                    called |= set(job["strategy"]["matrix"]["session"])
                else:
                    called.add(session)
    assert called == {"tests", "floors", "newest", "cheatsheet", "compat", "lint"}
    assert called <= sessions


def test_the_tests_job_covers_every_supported_python(workflow: dict[Any, Any]) -> None:
    pythons = workflow["jobs"]["tests"]["strategy"]["matrix"]["python"]
    assert pythons == ["3.11", "3.12", "3.13"]


def test_a_job_runs_the_suite_at_the_floors_and_at_the_newest(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["floors"]
    assert job["strategy"]["matrix"]["session"] == ["floors", "newest"]
    assert any(step.get("run") == "nox -s ${{ matrix.session }}" for step in job["steps"])
