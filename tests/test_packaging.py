"""The wheel and the sdist: what they hold, that twine accepts them, and that the installed wheel
is a working pytest plugin.

The project is built once per session from a copy of its source tree (what git tracks or would
track), so that building leaves nothing behind in the checkout.
"""

from __future__ import annotations

import email
import email.message
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

import pytest

import pytest_cheatsheet

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "pytest_cheatsheet"
NAME = f"pytest_cheatsheet-{pytest_cheatsheet.__version__}"
# setuptools learnt `license = "MIT"` (PEP 639) in 77: older ones need an isolated build.
SETUPTOOLS_WITH_PEP_639 = (77,)
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".nox", "build", "dist", "reports", "*.egg-info", "__pycache__", ".*cache"
)


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


def _source_tree(into: Path) -> Path:
    """A copy of the files a clean checkout holds (tracked or untracked, never ignored)."""
    tree = into / "source"
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        shutil.copytree(ROOT, tree, ignore=IGNORED)
        return tree
    listed = subprocess.run(
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / name)
    return tree


def _build_flags() -> list[str]:
    """Build with the setuptools at hand when it is new enough, else in isolation (PyPI)."""
    try:
        version = tuple(int(part) for part in metadata.version("setuptools").split(".")[:1])
    except (metadata.PackageNotFoundError, ValueError):
        return []
    return (
        ["--no-isolation", "--skip-dependency-check"] if version >= SETUPTOOLS_WITH_PEP_639 else []
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    pytest.importorskip("build", reason="the build frontend is not installed")
    work = tmp_path_factory.mktemp("packaging")
    tree = _source_tree(work)
    out = work / "tmp"
    done = subprocess.run(
        [sys.executable, "-m", "build", *_build_flags(), "--outdir", str(out), str(tree)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == len(sdists) == 1, sorted(path.name for path in out.iterdir())
    return Dist(wheels[0], sdists[0])


def _wheel_names(dist: Dist) -> set[str]:
    with zipfile.ZipFile(dist.wheel) as wheel:
        return set(wheel.namelist())


def _wheel_text(dist: Dist, name: str) -> str:
    with zipfile.ZipFile(dist.wheel) as wheel:
        return wheel.read(f"{NAME}.dist-info/{name}").decode("utf-8")


def _sdist_names(dist: Dist) -> set[str]:
    with tarfile.open(dist.sdist) as sdist:
        return {
            str(PurePosixPath(member.name).relative_to(NAME))
            for member in sdist.getmembers()
            if member.isfile()
        }


def _modules() -> Iterator[str]:
    for path in sorted(PACKAGE.glob("*.py")):
        yield f"pytest_cheatsheet/{path.name}"


def test_twine_accepts_the_wheel_and_the_sdist(dist: Dist) -> None:
    pytest.importorskip("twine", reason="twine is not installed")
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist.wheel), str(dist.sdist)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_wheel_holds_every_module_py_typed_and_the_pytest11_entry_point(dist: Dist) -> None:
    names = _wheel_names(dist)
    assert {*_modules(), "pytest_cheatsheet/py.typed"} <= names
    assert not [name for name in names if "/tests/" in name or name.startswith("tests/")]
    entry_points = _wheel_text(dist, "entry_points.txt")
    assert "[pytest11]\ncheatsheet = pytest_cheatsheet.plugin\n" in entry_points


def test_the_metadata_has_the_readme_as_markdown_and_the_mit_licence(dist: Dist) -> None:
    message: email.message.Message = email.message_from_string(_wheel_text(dist, "METADATA"))
    assert message["Name"] == "pytest-cheatsheet"
    assert message["Version"] == pytest_cheatsheet.__version__
    assert message["Description-Content-Type"] == "text/markdown"
    assert message["License-Expression"] == "MIT"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert str(message.get_payload()).strip() == readme.strip()


def test_the_sdist_holds_the_readme_pyproject_sources_and_tests(dist: Dist) -> None:
    names = _sdist_names(dist)
    assert {"README.md", "pyproject.toml", "PKG-INFO"} <= names
    assert {f"src/{module}" for module in _modules()} | {"src/pytest_cheatsheet/py.typed"} <= names
    tests = {f"tests/{path.name}" for path in sorted((ROOT / "tests").glob("test_*.py"))}
    assert tests <= names


def test_the_sdist_holds_everything_its_tests_need(dist: Dist) -> None:
    names = _sdist_names(dist)
    needed = {"tests/conftest.py", "benchmarks/bench.py"}
    needed |= {f"tests/realworld/{path.name}" for path in (ROOT / "tests/realworld").glob("*.md")}
    assert needed <= names


def test_the_installed_wheel_runs_a_sheet_as_the_plugin_it_installs(
    dist: Dist, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile"]
    subprocess.run(
        [*pip, "--target", str(target), str(dist.wheel)], check=True, capture_output=True
    )
    project = tmp_path / "project"
    (project / "cheatsheet").mkdir(parents=True)
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (project / "conftest.py").write_text(
        "import pytest_cheatsheet\n\n\n"
        "def pytest_report_header(config):\n"
        "    for plugin, distribution in config.pluginmanager.list_plugin_distinfo():\n"
        "        if distribution.project_name == 'pytest-cheatsheet':\n"
        "            yield f'cheatsheet entry point: {distribution.locate_file(\"\")}'\n"
        "    yield f'cheatsheet module: {pytest_cheatsheet.__file__}'\n",
        encoding="utf-8",
    )
    (project / "cheatsheet" / "sorted.md").write_text(
        "# sorted\n\n```python\n>>> sorted([3, 1, 2])\n[1, 2, 3]\n```\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(target), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "cheatsheet"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert f"cheatsheet entry point: {target}\n" in output
    assert f"cheatsheet module: {target / 'pytest_cheatsheet' / '__init__.py'}\n" in output
    assert "cheatsheet: what was verified" in output
    assert "1 passed" in output


def test_installing_the_wheel_pulls_neither_torch_nor_numpy_but_its_extras_do(dist: Dist) -> None:
    from packaging.requirements import Requirement

    message: email.message.Message = email.message_from_string(_wheel_text(dist, "METADATA"))
    requirements = [Requirement(line) for line in message.get_all("Requires-Dist") or []]
    plain = {r.name for r in requirements if r.marker is None}
    assert {"pytest", "sybil", "packaging", "pluggy"} <= plain
    assert not plain & {"torch", "numpy"}
    for extra, name in (("torch", "torch"), ("numpy", "numpy")):
        assert any(
            r.name == name and r.marker is not None and r.marker.evaluate({"extra": extra})
            for r in requirements
        ), extra


def test_packaging_tools_have_their_own_extra_and_ci_installs_it() -> None:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    names = {
        extra: {re.split(r"[<>=!~ \[]", requirement)[0] for requirement in requirements}
        for extra, requirements in extras.items()
    }
    assert {"build", "twine"} <= names["package"]
    assert not {"build", "twine"} & names["test"]
    # Where the suite runs in CI, the packaging tests run too, not skip for want of the tools.
    assert '".[test,package]"' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert '".[test,package]"' in (ROOT / "noxfile.py").read_text(encoding="utf-8")
