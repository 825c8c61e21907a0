"""The GitHub workflow cannot run here; check that it parses and calls what it should."""

from __future__ import annotations

import shlex
import warnings
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
            words = shlex.split(step.get("run", ""))
            if words[:2] == ["nox", "-s"]:
                session = words[2].split("(")[0]
                if session == "${{":  # nox -s ${{ matrix.session }}
                    called |= set(job["strategy"]["matrix"]["session"])
                else:
                    called.add(session)
    assert called == {
        "tests",
        "floors",
        "newest",
        "cheatsheet",
        "numpy_pair",
        "python",
        "compat",
        "lint",
    }
    assert called <= sessions


def _noxfile_value(name: str) -> Any:
    import ast

    noxfile = ast.parse((WORKFLOW.parents[2] / "noxfile.py").read_text(encoding="utf-8"))
    for node in noxfile.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == name:
            value = node.value
            if isinstance(value, ast.Attribute):  # "...".split()
                value = value.value
            if isinstance(value, ast.Call):  # os.environ.get(NAME, "2.0 2.1").split()
                inner = value.func.value if isinstance(value.func, ast.Attribute) else value
                assert isinstance(inner, ast.Call)
                return ast.literal_eval(inner.args[1]).split()
            return ast.literal_eval(value)
    raise AssertionError(f"{name} is not in noxfile.py")


def test_the_sheets_job_runs_every_torch_release_of_the_noxfile(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["cheatsheet"]
    releases = _noxfile_value("TORCH_VERSIONS")
    assert job["strategy"]["matrix"]["torch"] == releases
    assert releases[0].startswith("2.0.")  # the floor pyproject.toml claims
    assert job["strategy"]["fail-fast"] is False  # every release runs when one fails


def test_the_python_job_runs_every_python_version_the_sheets_claim(
    workflow: dict[Any, Any],
) -> None:
    pythons = workflow["jobs"]["python"]["strategy"]["matrix"]["python"]
    assert pythons == _noxfile_value("PYTHON_VERSIONS")
    assert sorted({*pythons, "3.11"}) == ["3.11", "3.12", "3.13"]  # requires-python >=3.11


def test_the_history_is_uploaded_even_when_claims_fail_and_the_table_is_made_from_it(
    workflow: dict[Any, Any],
) -> None:
    for name in ("cheatsheet", "numpy", "python"):
        (upload,) = [
            step
            for step in workflow["jobs"][name]["steps"]
            if str(step.get("uses", "")).startswith("actions/upload-artifact")
        ]
        assert upload["if"] == "always()"
        assert upload["with"]["path"].startswith("cheatsheet/history/")
    compat = workflow["jobs"]["compat"]
    assert compat["if"] == "always()"
    assert set(compat["needs"]) == {"cheatsheet", "numpy", "python"}
    (download,) = [s for s in compat["steps"] if "download-artifact" in str(s.get("uses", ""))]
    assert download["with"]["path"] == "cheatsheet/history"


def test_a_session_whose_claims_fail_fails() -> None:
    noxfile = (WORKFLOW.parents[2] / "noxfile.py").read_text(encoding="utf-8")
    assert "success_codes" not in noxfile  # no status is let through
    assert '"record",' in noxfile
    assert '"--pytest-status",' in noxfile


@pytest.mark.parametrize(
    ("test", "status", "exit_status"),
    [("def test_x(): pass", 0, 0), ("def test_x(): assert 0", 1, 0), (None, 4, 4)],
    ids=["passes", "fails: recorded, then compat fails", "usage error: fails at once"],
)
def test_pytest_runs_keeping_its_status_for_the_record_step(
    tmp_path: Path, test: str | None, status: int, exit_status: int
) -> None:
    import subprocess
    import sys

    script = _load_noxfile(["nox"])._PYTEST_KEEPING_STATUS
    if test is not None:
        (tmp_path / "test_a.py").write_text(test + "\n", encoding="utf-8")
    target = "test_a.py" if test is not None else "missing_test.py"
    done = subprocess.run(
        [sys.executable, "-c", script, "status", target, "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert done.returncode == exit_status
    assert (tmp_path / "status").read_text() == str(status)


def _load_noxfile(argv: list[str]) -> Any:
    import importlib.util
    import sys

    pytest.importorskip("nox")
    spec = importlib.util.spec_from_file_location(
        "noxfile_under_test", WORKFLOW.parents[2] / "noxfile.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = sys.argv
    sys.argv = argv
    try:
        with warnings.catch_warnings():  # nox's registry is global: sessions registered again
            warnings.simplefilter("ignore", FutureWarning)
            spec.loader.exec_module(module)
    finally:
        sys.argv = saved
    return module


@pytest.mark.parametrize(
    ("argv", "release"),
    [
        (["nox", "-s", "upgrade", "--", "2.15"], "2.15"),
        (["nox", "--envdir", "x", "-s", "upgrade", "--", "2.15.1", "-k", "tanh"], "2.15.1"),
        (["nox", "-s", "upgrade", "--", "-k", "tanh"], None),
        (["nox", "-s", "tests", "--", "2.15"], None),
        (["nox", "-s", "upgrade"], None),
    ],
)
def test_the_upgrade_command_names_its_release(argv: list[str], release: str | None) -> None:
    noxfile = _load_noxfile(["nox"])
    assert noxfile._upgrade_release(argv) == release


def test_a_release_named_for_upgrade_gets_a_cheatsheet_session() -> None:
    assert "2.99" not in _load_noxfile(["nox"]).TORCH_VERSIONS
    assert _load_noxfile(["nox", "-s", "upgrade", "--", "2.99"]).TORCH_VERSIONS[-1] == "2.99"


def test_the_tests_job_covers_every_supported_python(workflow: dict[Any, Any]) -> None:
    pythons = workflow["jobs"]["tests"]["strategy"]["matrix"]["python"]
    assert pythons == ["3.11", "3.12", "3.13"]


def test_a_job_runs_the_suite_at_the_floors_and_at_the_newest(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["floors"]
    assert job["strategy"]["matrix"]["session"] == ["floors", "newest"]
    assert any(step.get("run") == "nox -s ${{ matrix.session }}" for step in job["steps"])
