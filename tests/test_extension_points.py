from __future__ import annotations

import pytest

from conftest import SheetWriter

NAMESPACE_HOOK = """
import pytest

def pytest_cheatsheet_namespace(namespace, combination, sheet):
    import math
    namespace["math"] = math
    namespace["where"] = f"{sheet.path.name}:{combination.device}-{combination.dtype}"
    namespace["device"] = "meta"  # the combination's device wins
"""


def test_a_conftest_adds_names_to_every_combination_of_every_sheet(sheets: SheetWriter) -> None:
    sheets.pytester.makeconftest(NAMESPACE_HOOK)
    sheets.write(
        "a.md",
        """
        <!-- cheatsheet: devices=cpu dtypes=float32,float64 -->

        ```python
        >>> math.floor(2.5), device, dtype is not None
        (2, 'cpu', True)
        >>> where
        'a.md:cpu-float32'
        ```
        """,
    )
    result = sheets.run()
    # ``where`` names the combination: it matches on cpu-float32 only.
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*Got:*", "*'a.md:cpu-float64'*"])


def test_the_namespace_hook_runs_again_when_one_example_is_run_alone(
    sheets: SheetWriter,
) -> None:
    sheets.pytester.makeconftest(NAMESPACE_HOOK)
    sheets.write("a.md", "```python\n>>> math.pi > 3\nTrue\n>>> del math\n```\n")
    sheets.run("-k", "line:2").assert_outcomes(passed=1)
    sheets.run().assert_outcomes(passed=2)


def test_a_hook_that_raises_errors_the_combination_naming_the_hook(sheets: SheetWriter) -> None:
    sheets.pytester.makeconftest(
        "def pytest_cheatsheet_namespace(namespace, combination, sheet):\n"
        "    raise RuntimeError('no model here')\n"
    )
    sheets.write("a.md", "```python\n>>> 1\n1\n```\n")
    result = sheets.run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: no model here*"])


def test_fixtures_listed_in_the_ini_are_bound_in_the_sheet_namespace(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\ncheatsheet_items = example\ncheatsheet_fixtures = tmp_path data_folder model\n"
    )
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def data_folder(tmp_path_factory):
            folder = tmp_path_factory.mktemp("data")
            (folder / "x.txt").write_text("42")
            return folder

        @pytest.fixture(scope="module")
        def model(request):
            return [request.node.name]  # one per sheet
        """
    )
    (pytester.path / "cheatsheet").mkdir()
    for name in ("a", "b"):
        (pytester.path / "cheatsheet" / f"{name}.md").write_text(
            "```python\n"
            ">>> (data_folder / 'x.txt').read_text()\n'42'\n"
            ">>> tmp_path.is_dir()\nTrue\n"
            f">>> model.append(1); model\n['{name}.md', 1]\n"
            "```\n"
        )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_an_unknown_fixture_errors_each_example_with_pytest_s_message(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\ncheatsheet_items = example\ncheatsheet_fixtures = no_such_fixture\n"
    )
    (pytester.path / "cheatsheet").mkdir()
    (pytester.path / "cheatsheet" / "a.md").write_text("```python\n>>> 1\n1\n```\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*cheatsheet_fixtures: fixture 'no_such_fixture' not found here (`pytest --fixtures`*"]
    )


def test_a_fixture_name_that_is_not_an_identifier_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\ncheatsheet_fixtures = tmp-path\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cheatsheet_fixtures: 'tmp-path' is not a fixture name*"])
