"""A project whose ``testpaths`` lists its tests only still runs its sheets on a bare ``pytest``."""

from __future__ import annotations

import pytest


def _project(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntestpaths = tests\ncheatsheet_paths = docs README.md\n")
    pytester.mkdir("tests")
    pytester.path.joinpath("tests", "test_unit.py").write_text("def test_unit():\n    pass\n")
    pytester.mkdir("docs")
    pytester.path.joinpath("docs", "page.md").write_text("```python\n>>> 1 + 1\n2\n```\n")
    pytester.path.joinpath("README.md").write_text("```python\n>>> 2 + 2\n4\n```\n")


def test_a_bare_pytest_collects_the_sheet_paths_testpaths_does_not_list(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)


def test_arguments_given_on_the_command_line_collect_only_what_they_name(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester)
    result = pytester.runpytest("tests")
    result.assert_outcomes(passed=1)
