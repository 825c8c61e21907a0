from __future__ import annotations

import textwrap

import hypothesis  # noqa: F401 - imported lazily by its pytest plugin; pytester would re-import it
import pytest
import torch._dynamo  # noqa: F401 - imported lazily by torch; pytester would unload and re-import it

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _pytester_runs_without_randomly(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest-randomly would shuffle and reseed the runs pytester makes: they go without it
    unless a test asks for it (``-p randomly`` on its command line comes later and wins)."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS when it starts
        monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly")


@pytest.fixture
def sheets(pytester: pytest.Pytester) -> SheetWriter:
    """Writes Markdown sheets under the pytester project's cheatsheet/ folder; one item per
    example (tests of one block's items: tests/test_blocks.py)."""
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    return SheetWriter(pytester)


def summary_table(result: pytest.RunResult) -> list[str]:
    """The lines of the "what was verified" table: its header and a row per combination."""
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if line.startswith("combination "))
    end = next(i for i, line in enumerate(lines) if i > start and line.startswith("="))
    return lines[start:end]


class SheetWriter:
    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        (pytester.path / "cheatsheet").mkdir(exist_ok=True)

    def write(self, name: str, text: str) -> str:
        path = self.pytester.path / "cheatsheet" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return f"cheatsheet/{name}"

    def run(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest("-p", "no:cacheprovider", "cheatsheet", *args)
