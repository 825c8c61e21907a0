"""Sessions: the plugin's tests, the sheets per torch and Python version, the table, lint.

After a torch upgrade, one command runs the sheets on the new release, records its results in
``cheatsheet/history/``, rewrites ``cheatsheet/COMPATIBILITY.md`` and prints the claims whose
outcome changed::

    nox -s upgrade -- 2.15
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path

import nox
from packaging.requirements import Requirement

# The torch releases the sheets are verified on, oldest first; the first is the floor that
# pyproject.toml and the README claim. Override with the environment:
#   CHEATSHEET_TORCH_VERSIONS="2.4.1 2.13.0" nox -s cheatsheet
TORCH_VERSIONS = os.environ.get(
    "CHEATSHEET_TORCH_VERSIONS",
    "2.0.1 2.1.2 2.2.2 2.3.1 2.4.1 2.5.1 2.6.0 2.7.1 "
    "2.8.0 2.9.1 2.10.0 2.11.0 2.12.1 2.13.0 2.14.1 2.15.0",
).split()
# The Python versions the python/ sheets claim besides the one the torch sessions run on, and
# the torch they run with.
PYTHON_VERSIONS = ["3.12", "3.13"]
PYTHON_TORCH = "2.14.1"
# NumPy is pinned, so that two consecutive torch runs differ in torch alone: torch releases
# built against NumPy 1 (before 2.3) run with NUMPY_1, the others with NUMPY_2. NUMPY_PAIR is
# also run with NUMPY_1 (session numpy_pair), the one step where only NumPy changes.
NUMPY_1_BEFORE = (2, 3)
NUMPY_1 = "1.26.4"
NUMPY_2 = "2.4.6"
NUMPY_PAIR = "2.3.1"
# The release the plugin's own tests run on (a CPU build of it lies on the development machines).
TESTS_TORCH = "2.13.0"
REPORTS = Path("reports")
HISTORY = Path("cheatsheet/history")
TABLE = Path("cheatsheet/COMPATIBILITY.md")
TABLE_LANGUAGE = "zh"
_RELEASE = re.compile(r"^\d+\.\d+(\.\d+)?$")

nox.options.default_venv_backend = "venv"  # honours pip's configuration (uv does not)
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint"]


def _upgrade_release(argv: list[str]) -> str | None:
    """The release named by ``nox -s upgrade -- 2.15``, so that it gets a session of its own."""
    if "--" not in argv or "upgrade" not in argv[: argv.index("--")]:
        return None
    rest = argv[argv.index("--") + 1 :]
    return rest[0] if rest and _RELEASE.match(rest[0]) else None


def _series(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _listed(release: str) -> str | None:
    """The entry of TORCH_VERSIONS that ``release`` names: itself, or its series' patch."""
    return next((v for v in TORCH_VERSIONS if release in (v, _series(v))), None)


_upgrade = _upgrade_release(sys.argv)
if _upgrade is not None and _listed(_upgrade) is None:
    TORCH_VERSIONS.append(_upgrade)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2])


def _torch_requirement(version: str, numpy: str | None = None) -> list[str]:
    if numpy is None:
        numpy = NUMPY_1 if _version_tuple(version) < NUMPY_1_BEFORE else NUMPY_2
    torch = f"torch=={version}" if version.count(".") >= 2 else f"torch=={version}.*"
    return [torch, f"numpy=={numpy}"]


def _install_with_torch(
    session: nox.Session, version: str, numpy: str | None, *packages: str
) -> None:
    """``packages`` with torch and NumPy exactly pinned, in one command (so that nothing they
    need moves torch). A machine-wide pip constraint (some cap torch below the newest release)
    is not applied to this one install: the pins are the point of the session."""
    requirement = _torch_requirement(version, numpy)
    session.install(*requirement, *packages, env={"PIP_CONSTRAINT": os.devnull})


# pytest in-process, its exit status kept for `compat record`: failed claims (status 1) are
# recorded first, then fail the session; any other status fails it at once.
_PYTEST_KEEPING_STATUS = (
    "import sys, pytest; code = int(pytest.main(sys.argv[2:])); "
    "open(sys.argv[1], 'w').write(str(code)); sys.exit(0 if code in (0, 1) else code)"
)


def _run_sheets(
    session: nox.Session, torch: str, label: str, paths: list[str], numpy: str | None = None
) -> None:
    """Run ``paths`` with a JSON report, then record it in the history and rewrite the table.

    The session fails when a claim fails (after everything is written), so CI goes red; nox
    still runs the other sessions.
    """
    _install_with_torch(session, torch, numpy, ".[numpy]")
    if session.posargs and session.posargs[0] in (torch, _series(torch)):
        session.posargs.pop(0)  # nox -s upgrade -- 2.15
    REPORTS.mkdir(exist_ok=True)
    report = REPORTS / f"{label}.json"
    status = REPORTS / f"{label}.status"
    status.unlink(missing_ok=True)
    session.run(
        "python",
        "-c",
        _PYTEST_KEEPING_STATUS,
        str(status),
        *paths,
        "-p",
        "no:cacheprovider",
        f"--cheatsheet-report={report}",
        *session.posargs,
    )
    session.run(
        "python",
        "-m",
        "pytest_cheatsheet.history",
        "record",
        str(report),
        "--label",
        label,
        "--history",
        str(HISTORY),
        "--output",
        str(TABLE),
        "--language",
        TABLE_LANGUAGE,
        "--pytest-status",
        str(status),
        *(["--partial"] if session.posargs else []),
    )


def _declared_requirements() -> list[Requirement]:
    """pyproject.toml's dependencies and the test and package extras, as packaging reads them."""
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    lines = [*project["dependencies"], *extras["test"], *extras["package"]]
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
    session.install(f"torch=={TESTS_TORCH}")
    constraints = Path(session.create_tmp()) / "floors.txt"
    constraints.write_text("\n".join(_floor_pins()) + "\n", encoding="utf-8")
    session.install("-c", str(constraints), "-e", ".[test,package]")
    session.run("python", "-m", "pip", "freeze")
    session.run("pytest", *session.posargs)


@nox.session
def newest(session: nox.Session) -> None:
    """The suite at the newest releases of everything (torch included)."""
    session.install("--upgrade", "--upgrade-strategy", "eager", "torch", "-e", ".[test,package]")
    session.run("python", "-m", "pip", "freeze")
    session.run("pytest", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The plugin's own test suite and the sheets, as CI runs them."""
    session.install(f"torch=={TESTS_TORCH}")
    session.install("-e", ".[test,package]")
    session.run("pytest", *session.posargs)


@nox.session
@nox.parametrize("torch", TORCH_VERSIONS)
def cheatsheet(session: nox.Session, torch: str) -> None:
    """The sheets on one torch release: recorded in cheatsheet/history/, table rewritten."""
    # 2.13.1 and 2.13 are recorded as torch-2.13
    _run_sheets(session, torch, f"torch-{_series(torch)}", ["cheatsheet/"])


@nox.session(python=PYTHON_VERSIONS)
def python(session: nox.Session) -> None:
    """The python/ sheets on another Python version (with PYTHON_TORCH)."""
    _run_sheets(session, PYTHON_TORCH, f"python-{session.python}", ["cheatsheet/python/"])


@nox.session
def numpy_pair(session: nox.Session) -> None:
    """The sheets on NUMPY_PAIR with NumPy 1: beside its NumPy 2 run, NumPy's own changes."""
    label = f"torch-{_series(NUMPY_PAIR)}-numpy-{NUMPY_1.split('.')[0]}"
    _run_sheets(session, NUMPY_PAIR, label, ["cheatsheet/"], NUMPY_1)


@nox.session(venv_backend="none")
def upgrade(session: nox.Session) -> None:
    """`nox -s upgrade -- 2.15`: the sheets on that release; prints the claims that changed."""
    if not session.posargs or not _RELEASE.match(session.posargs[0]):
        session.error("name the torch release: nox -s upgrade -- 2.15 [pytest options]")
    session.notify(f"cheatsheet(torch='{_listed(session.posargs[0])}')", session.posargs)


@nox.session
def compat(session: nox.Session) -> None:
    """Rewrite cheatsheet/COMPATIBILITY.md from the per-release results in cheatsheet/history/."""
    session.install("--no-deps", ".")  # the table needs only the standard library
    session.run(
        "python",
        "-m",
        "pytest_cheatsheet.history",
        "render",
        "--history",
        str(HISTORY),
        "--output",
        str(TABLE),
        "--language",
        TABLE_LANGUAGE,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and mypy."""
    session.install(f"torch=={TESTS_TORCH}")
    session.install("-e", ".[test,lint]", "nox")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """benchmarks/bench.py: the plugin against bare Sybil and plain exec, as CPU-time ratios."""
    session.install(f"torch=={TESTS_TORCH}")
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/bench.py", *session.posargs)
