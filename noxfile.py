"""Sessions: the plugin's tests, the sheets per torch version, the compatibility table, lint."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import nox
from packaging.requirements import Requirement

# The torch releases the sheets are verified on, oldest first. Override with the environment:
#   CHEATSHEET_TORCH_VERSIONS="2.4 2.13" nox -s cheatsheet
TORCH_VERSIONS = os.environ.get("CHEATSHEET_TORCH_VERSIONS", "2.1 2.4 2.8 2.13 2.14").split()
# torch releases built against NumPy 1 (before 2.3) need numpy<2.
NUMPY_1_BEFORE = (2, 3)
# The release the plugin's own tests run on (a CPU build of it lies on the development machines).
TESTS_TORCH = "2.13.0"
REPORTS = Path("reports")

nox.options.default_venv_backend = "venv"  # honours pip's configuration (uv does not)
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint"]


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2])


def _torch_requirement(version: str) -> list[str]:
    requirement = [f"torch=={version}" if version.count(".") >= 2 else f"torch=={version}.*"]
    if _version_tuple(version) < NUMPY_1_BEFORE:
        requirement.append("numpy<2")
    return requirement


def _declared_requirements() -> list[Requirement]:
    """pyproject.toml's dependencies and test extra, as packaging reads them."""
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return [Requirement(line) for line in lines]


def _floor_pins() -> list[str]:
    """``name==floor`` for every declared ``name>=floor`` but torch (whose floor the cheatsheet
    session runs: the plugin's tests assert this torch's printing)."""
    pins = []
    for requirement in _declared_requirements():
        floors = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        if floors and requirement.name != "torch":
            pins.append(f"{requirement.name}=={floors[0]}")
    return pins


def _floor_python() -> str:
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(project["requires-python"]).removeprefix(">=")


@nox.session(python=_floor_python())
def floors(session: nox.Session) -> None:
    """The suite at the lowest versions pyproject.toml allows: Python, pytest, pluggy, Sybil..."""
    session.install(*_torch_requirement(TESTS_TORCH))
    constraints = Path(session.create_tmp()) / "floors.txt"
    constraints.write_text("\n".join(_floor_pins()) + "\n", encoding="utf-8")
    session.install("-c", str(constraints), "-e", ".[test]")
    session.run("python", "-m", "pip", "freeze")
    session.run("pytest", *session.posargs)


@nox.session
def newest(session: nox.Session) -> None:
    """The suite at the newest releases of everything (torch included)."""
    session.install("--upgrade", "--upgrade-strategy", "eager", "torch", "-e", ".[test]")
    session.run("python", "-m", "pip", "freeze")
    session.run("pytest", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The plugin's own test suite and the sheets, as CI runs them."""
    session.install(*_torch_requirement(TESTS_TORCH))
    session.install("-e", ".[test,package]")
    session.run("pytest", *session.posargs)


@nox.session
@nox.parametrize("torch", TORCH_VERSIONS)
def cheatsheet(session: nox.Session, torch: str) -> None:
    """The sheets on one torch release, with a JSON report in reports/."""
    session.install(*_torch_requirement(torch))
    session.install(".")
    REPORTS.mkdir(exist_ok=True)
    report = REPORTS / f"torch-{torch}.json"
    session.run(
        "pytest",
        "cheatsheet/",
        "-p",
        "no:cacheprovider",
        f"--cheatsheet-report={report}",
        *session.posargs,
        success_codes=[0, 1],  # a claim that no longer holds is a result, not a broken session
    )


@nox.session
def compat(session: nox.Session) -> None:
    """Merge reports/*.json into cheatsheet/COMPATIBILITY.md."""
    reports = sorted(str(path) for path in REPORTS.glob("torch-*.json"))
    if not reports:
        session.error("no reports/torch-*.json: run `nox -s cheatsheet` first")
    session.install("--no-deps", ".")  # the merge needs only the standard library
    session.run(
        "python",
        "-m",
        "pytest_cheatsheet.compat",
        *reports,
        "--output",
        "cheatsheet/COMPATIBILITY.md",
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and mypy."""
    session.install(*_torch_requirement(TESTS_TORCH))
    session.install("-e", ".[test,lint]", "nox")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against plain exec and bare Sybil; prints the table of times and ratios."""
    session.install(*_torch_requirement(TESTS_TORCH))
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def realworld(session: nox.Session) -> None:
    """Real packages' Markdown (sdists from PyPI) under bare Sybil and the plugin, compared."""
    session.install(*_torch_requirement(TESTS_TORCH))
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/realworld.py", *session.posargs)
