"""Every verdict true: no example is reported passed, verified or expected to fail that did not
run and hold; the summary table and the JSON report agree with pytest's own counts.

Each test names the item of issue 20 it checks.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from typing import Any

import pytest

GRANULARITIES = ("example", "block")
PYTEST_NAMES = {"errors": "error", "error": "error"}


def write(
    pytester: pytest.Pytester, sheets: dict[str, str], items: str = "block", ini: str = ""
) -> None:
    pytester.makeini(
        f"[pytest]\ncheatsheet_items = {items}\ncheatsheet_devices = cpu\n{textwrap.dedent(ini)}"
    )
    for name, text in sheets.items():
        path = pytester.path / "cheatsheet" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def run(pytester: pytest.Pytester, *args: str, **kwargs: Any) -> pytest.RunResult:
    return pytester.runpytest("cheatsheet", "--cheatsheet-report=r.json", *args, **kwargs)


def records(pytester: pytest.Pytester) -> dict[tuple[str, str, int], dict[str, Any]]:
    """The report's records by (sheet name, combination, line)."""
    document = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    return {
        (r["sheet"].rsplit("/", 1)[-1], r["combination"], r["line"]): r for r in document["results"]
    }


def outcomes(pytester: pytest.Pytester) -> dict[int, str]:
    """Line -> outcome, for a run of one sheet in one combination."""
    return {line: record["outcome"] for (_, _, line), record in records(pytester).items()}


def table_counts(result: pytest.RunResult) -> Counter[str]:
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["combination", "passed"])
    header = lines[start].split()[1:]
    counts: Counter[str] = Counter()
    for row in lines[start + 1 :]:
        values = row.split()[1 : 1 + len(header)]
        if len(values) < len(header) or not all(value.isdigit() for value in values):
            break
        for name, value in zip(header, values, strict=True):
            counts[name] += int(value)
    return +counts


def assert_counts_agree(result: pytest.RunResult, pytester: pytest.Pytester, items: str) -> None:
    """The summary table counts what the report records; one item per example, both count
    what pytest counts."""
    table = table_counts(result)
    report = Counter(record["outcome"] for record in records(pytester).values())
    assert table == report
    if items == "example":
        counted = Counter(
            {PYTEST_NAMES.get(name, name): n for name, n in result.parseoutcomes().items()}
        )
        for outcome in ("passed", "failed", "skipped", "xfailed", "xpassed", "error"):
            assert counted[outcome] == table[outcome], outcome


# -- 1. a skip directive without a reason ------------------------------------------------------

SKIPS = """\
<!-- skip: next -->
```python
>>> 1 + 1
3
```

<!-- skip: start -->
```python
>>> 2 + 2
5
>>> 3
4
```
<!-- skip: end -->

```python
>>> 1
1
```
"""


@pytest.mark.parametrize("items", GRANULARITIES)
def test_a_skip_directive_without_a_reason_skips_what_it_covers_everywhere(
    pytester: pytest.Pytester, items: str
) -> None:
    write(pytester, {"skips.md": SKIPS}, items)
    result = run(pytester, "-rs")
    found = records(pytester)
    assert {line: r["outcome"] for (_, _, line), r in found.items()} == {
        3: "skipped",
        9: "skipped",
        11: "skipped",
        17: "passed",
    }
    assert found[("skips.md", "any", 3)]["reason"] == "skipped by a skip directive at line 1"
    assert found[("skips.md", "any", 11)]["reason"] == "skipped by a skip directive at line 7"
    result.stdout.fnmatch_lines(["*skipped by a skip directive at line 1*"])
    assert_counts_agree(result, pytester, items)
    assert result.parseoutcomes()["passed"] == 1


def test_a_directive_inside_a_skipped_range_does_not_act_and_does_not_fail(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        {
            "range.md": """\
            ```python
            >>> x = 1
            ```

            <!-- skip: start -->
            ```python
            >>> 1 / 0
            ```
            <!-- clear-namespace -->
            <!-- skip: end -->

            ```python
            >>> x
            1
            ```
            """
        },
        "example",
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, skipped=1)
    assert_counts_agree(result, pytester, "example")


# -- 2 and 10. a block stopped from outside ----------------------------------------------------

STOPPED = """\
```python
>>> import pytest
>>> 1
1
>>> pytest.fail("stopped here")
>>> 2
2
```

```python
import pytest
pytest.fail("a code block stopped")
```
"""


@pytest.mark.parametrize("items", GRANULARITIES)
def test_a_block_stopped_by_pytest_fail_records_no_unfinished_example_as_passed(
    pytester: pytest.Pytester, items: str
) -> None:
    write(pytester, {"stopped.md": STOPPED}, items)
    result = run(pytester)
    found = records(pytester)
    assert found[("stopped.md", "any", 5)]["outcome"] == "failed"
    assert "stopped here" in found[("stopped.md", "any", 5)]["reason"]
    if items == "block":  # the rest of the block never ran
        assert found[("stopped.md", "any", 6)]["outcome"] == "failed"
        assert "did not run" in found[("stopped.md", "any", 6)]["reason"]
    code = found[("stopped.md", "any", 10)]
    assert code["outcome"] == "failed"
    assert "a code block stopped" in code["reason"]
    assert_counts_agree(result, pytester, items)


SLOW = """\
```python
>>> import time
>>> time.sleep(4)
>>> time.sleep(4)
>>> 1
1
```
"""


@pytest.mark.parametrize("items", GRANULARITIES)
def test_a_timeout_inside_a_block_stops_it_and_fails_the_example_asked_for(
    pytester: pytest.Pytester, items: str
) -> None:
    write(pytester, {"slow.md": SLOW}, items)
    result = run(pytester, "--timeout=1")
    found = records(pytester)
    assert found[("slow.md", "any", 3)]["outcome"] == "failed"
    assert "Timeout" in found[("slow.md", "any", 3)]["reason"]
    if items == "block":
        # The block stopped at the timeout: the second sleep never ran.
        assert found[("slow.md", "any", 4)]["outcome"] == "failed"
        assert found[("slow.md", "any", 5)]["outcome"] == "failed"
        assert "did not run" in found[("slow.md", "any", 5)]["reason"]
        assert result.duration < 3.5
    else:
        assert found[("slow.md", "any", 4)]["outcome"] == "failed"
        assert "Timeout" in found[("slow.md", "any", 4)]["reason"]
        assert found[("slow.md", "any", 5)]["outcome"] == "passed"
    assert_counts_agree(result, pytester, items)


# -- 3. pytest.skip inside a doctest -----------------------------------------------------------

SKIPPED_BY_THE_SHEET = """\
```python
>>> import pytest
>>> pytest.skip("needs a GPU")
>>> 1
1
```
"""


@pytest.mark.parametrize("items", GRANULARITIES)
def test_pytest_skip_inside_a_doctest_skips_that_example_with_its_reason(
    pytester: pytest.Pytester, items: str
) -> None:
    write(pytester, {"skip.md": SKIPPED_BY_THE_SHEET}, items)
    result = run(pytester)
    found = records(pytester)
    assert found[("skip.md", "any", 3)]["outcome"] == "skipped"
    assert found[("skip.md", "any", 3)]["reason"] == "needs a GPU"
    assert found[("skip.md", "any", 4)]["outcome"] == "passed"
    assert_counts_agree(result, pytester, items)


@pytest.mark.parametrize("items", GRANULARITIES)
def test_pytest_xfail_inside_a_doctest_is_an_expected_failure_everywhere(
    pytester: pytest.Pytester, items: str
) -> None:
    write(
        pytester,
        {"xfail.md": "```python\n>>> import pytest\n>>> pytest.xfail('known')\n```\n"},
        items,
    )
    result = run(pytester)
    found = records(pytester)
    assert found[("xfail.md", "any", 3)]["outcome"] == "xfailed"
    assert found[("xfail.md", "any", 3)]["reason"] == "known"
    assert_counts_agree(result, pytester, items)


# -- 4. the summary table is pytest's count ----------------------------------------------------


@pytest.mark.parametrize("items", GRANULARITIES)
def test_with_reruns_each_example_counts_once_in_the_table(
    pytester: pytest.Pytester, items: str
) -> None:
    write(
        pytester,
        {
            "rerun.md": """\
            ```python
            >>> 1
            2
            ```

            ```python
            >>> 2
            2
            ```
            """
        },
        items,
    )
    result = run(pytester, "--reruns=2")
    assert table_counts(result) == Counter(passed=1, failed=1)
    assert_counts_agree(result, pytester, items)


def test_after_ctrl_c_the_interrupted_example_is_an_error_in_the_table(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        {"interrupted.md": "```python\n>>> 1\n1\n>>> raise KeyboardInterrupt\n```\n"},
        "example",
    )
    result = run(pytester, no_reraise_ctrlc=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert table_counts(result) == Counter(passed=1, error=1)
    assert outcomes(pytester) == {2: "passed", 4: "error"}


@pytest.mark.parametrize("items", GRANULARITIES)
def test_a_crashed_workers_examples_are_errors_in_the_table(
    pytester: pytest.Pytester, items: str
) -> None:
    write(
        pytester,
        {
            "crash.md": """\
            ```python
            >>> 1
            1
            ```

            ```python
            >>> import os
            >>> os._exit(1)
            ```
            """
        },
        items,
    )
    result = run(pytester, "-n", "2")
    found = outcomes(pytester)
    assert found[2] == "passed"
    assert found[8] == "error"
    assert found[7] == ("passed" if items == "example" else "error")
    counts = table_counts(result)
    assert counts["error"] >= 1
    assert counts == Counter(record for record in found.values())


# -- 5. set-up errors are errors under an xfail gate -------------------------------------------

GATED = """\
<!-- cheatsheet: xfail python>=3 reason="believed broken" -->
```python
>>> 1 + 1
3
```
"""


@pytest.mark.parametrize("cause", ["namespace-hook", "fixture", "module"])
def test_a_set_up_error_under_an_xfail_gate_is_an_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, cause: str
) -> None:
    monkeypatch.syspath_prepend(pytester.path / "cheatsheet")
    if cause == "namespace-hook":
        write(pytester, {"gated.md": GATED})
        pytester.makeconftest(
            "def pytest_cheatsheet_namespace(namespace, combination, sheet):\n"
            "    raise RuntimeError('hook broke')\n"
        )
    elif cause == "fixture":
        write(pytester, {"gated.md": GATED}, ini="cheatsheet_fixtures = broken\n")
        pytester.makeconftest(
            "import pytest\n\n\n@pytest.fixture\ndef broken():\n"
            "    raise RuntimeError('fixture broke')\n"
        )
    else:
        write(
            pytester,
            {
                "gated.py": '''\
                # cheatsheet: xfail python>=3 reason="believed broken"
                """
                >>> 1 + 1
                3
                """
                import no_such_module_here
                '''
            },
        )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    assert list(outcomes(pytester).values()) == ["error"]
    assert_counts_agree(result, pytester, "block")


# -- 6. illustrations stay text ----------------------------------------------------------------


def test_directives_shown_in_an_indented_markdown_code_block_are_text(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        {
            "shown.md": """\
            # How to write a sheet

            Like this:

                <!-- cheatsheet: xfail python>=3 reason="shown only" -->
                <!-- skip: next -->
                <!-- invisible-code-block: python
                raise RuntimeError("an illustration ran")
                -->

            ```python
            >>> 1 + 1
            3
            ```
            """
        },
        "example",
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert outcomes(pytester) == {12: "failed"}


def test_directives_shown_in_a_rest_literal_block_are_text(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        {
            "shown.rst": """\
            How to write a sheet
            ====================

            Like this::

                .. cheatsheet: xfail python>=3 reason="shown only"

                .. skip: next

                .. invisible-code-block: python

                    raise RuntimeError("an illustration ran")

            .. code-block:: python

                x = 1 + 1

            >>> x
            3
            """
        },
        "example",
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    assert outcomes(pytester) == {14: "passed", 18: "failed"}


def test_directives_in_a_python_sheets_docstring_prose_are_text(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(pytester.path / "cheatsheet")
    write(
        pytester,
        {
            "shown.py": '''\
            """How to gate an example in a module: write a comment before its docstring,

            # cheatsheet: xfail python>=3 reason="shown only"

            as in this docstring.
            """


            def add(a, b):
                """
                >>> add(1, 1)
                3
                """
                return a + b
            '''
        },
        "example",
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)


# -- 7. the combination's names stay the combination's ------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "def f():\n    global dtype\n    dtype = torch.float16\nf()",
        "def f():\n    global device\n    device = 'meta'\nf()",
        "[(dtype := torch.float16) for _ in range(1)]",
        "globals()['dtype'] = torch.float16",
        "exec('dtype = torch.float16')",
        "def f():\n    def g():\n        nonlocal dtype\n        dtype = 1\n"
        "    dtype = 0\n    g()\nf()",
    ],
    ids=["global", "global-device", "walrus", "globals", "exec", "nonlocal"],
)
def test_rebinding_a_combination_name_indirectly_warns_at_collection(
    pytester: pytest.Pytester, code: str
) -> None:
    body = "import torch\n" + code + "\n"
    pytester.makeini("[pytest]\ncheatsheet_devices = cpu\n")
    (pytester.path / "cheatsheet").mkdir()
    (pytester.path / "cheatsheet" / "rebind.md").write_text(
        f"```python\n{body}```\n\n```python\n>>> str(dtype)\n'torch.float32'\n```\n",
        encoding="utf-8",
    )
    result = pytester.runpytest("cheatsheet", "-W", "error::pytest_cheatsheet.CheatsheetWarning")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*CheatsheetWarning*cheatsheet/rebind.md:*"])


@pytest.mark.parametrize("name", ["dtype", "device", "autocast"])
def test_a_combination_name_in_cheatsheet_fixtures_is_a_usage_error(
    pytester: pytest.Pytester, name: str
) -> None:
    write(pytester, {"a.md": "```python\n>>> 1\n1\n```\n"}, ini=f"cheatsheet_fixtures = {name}\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*cheatsheet_fixtures*{name!r}*each combination*"])


# -- 8. function-scoped fixtures are each block's own -----------------------------------------

FIXTURE_SHEET = """\
```python
>>> (tmp_path / "first.txt").write_text("one")
3
>>> monkeypatch.setenv("CHEATSHEET_BLOCK", "first")
```

```python
>>> sorted(path.name for path in tmp_path.iterdir())
[]
>>> import os
>>> os.environ.get("CHEATSHEET_BLOCK")
```
"""


@pytest.mark.parametrize(
    "selection",
    [(), ("-k", "line:8"), ("-n", "2")],
    ids=["serial", "alone", "xdist"],
)
@pytest.mark.parametrize("items", GRANULARITIES)
def test_function_scoped_fixtures_are_each_blocks_own_however_selected(
    pytester: pytest.Pytester, items: str, selection: tuple[str, ...]
) -> None:
    write(
        pytester,
        {"fixtures.md": FIXTURE_SHEET},
        items,
        ini="cheatsheet_fixtures = tmp_path monkeypatch\n",
    )
    result = run(pytester, *selection)
    found = outcomes(pytester)
    assert found[8] == "passed"
    assert found.get(11, "passed") == "passed"
    assert result.ret == 0


# -- 9. isolation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (
            ">>> torch.set_autocast_enabled('cpu', True)\n"
            ">>> torch.set_autocast_dtype('cpu', torch.float16)\n"
            ">>> torch.set_autocast_cache_enabled(False)",
            ">>> torch.is_autocast_enabled('cpu'), torch.get_autocast_dtype('cpu')\n"
            "(False, torch.bfloat16)\n"
            ">>> torch.is_autocast_cache_enabled()\nTrue",
        ),
        (
            ">>> torch.nn.functional.relu = lambda x: x\n>>> numpy.fft.fft = None",
            ">>> torch.nn.functional.relu(torch.tensor([-1.0]))\ntensor([0.])\n"
            ">>> numpy.fft.fft is not None\nTrue",
        ),
        (
            ">>> import sys\n>>> sys.set_int_max_str_digits(640)",
            ">>> import sys\n>>> sys.get_int_max_str_digits() == 4300\nTrue",
        ),
        (
            ">>> import sys, types\n>>> sys.modules['cheatsheet_fake'] = types.ModuleType('x')",
            ">>> import importlib.util\n"
            ">>> importlib.util.find_spec('cheatsheet_fake') is None\nTrue",
        ),
    ],
    ids=["autocast", "submodules", "int-digits", "sys-modules"],
)
def test_what_a_sheet_changes_does_not_reach_the_next_sheet(
    pytester: pytest.Pytester, change: str, check: str
) -> None:
    prelude = ">>> import torch, numpy, numpy.fft, torch.nn.functional\n"
    write(
        pytester,
        {
            "a_change.md": f"```python\n{prelude}{change}\n```\n",
            "b_check.md": f"```python\n{prelude}{check}\n```\n",
        },
        "example",
    )
    result = run(pytester, "-p", "no:randomly")
    assert result.ret == 0, result.stdout.str()


# -- 16. .py files under the paths that hold no example ---------------------------------------


def test_python_files_without_examples_never_stop_collection(pytester: pytest.Pytester) -> None:
    write(pytester, {"a.md": "```python\n>>> 1\n1\n```\n"})
    folder = pytester.path / "cheatsheet"
    (folder / "old_script.py").write_text('print "hello"\n', encoding="utf-8")
    (folder / "latin.py").write_bytes('# café\nNAME = "é"\n'.encode("latin-1"))
    result = run(pytester)
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=1)
    # With examples, each is skipped with its reason, and the other sheets still run.
    (folder / "old_doctests.py").write_text('"""\n>>> 1\n1\n"""\nprint "hello"\n')
    (folder / "latin_doctests.py").write_bytes('"""\n>>> "é"\n\'é\'\n"""\n'.encode("latin-1"))
    result = run(pytester, "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines_random(
        [
            "SKIPPED*old_doctests.py*not a Python 3 module*SyntaxError*line 5*",
            "SKIPPED*latin_doctests.py*not valid UTF-8*",
        ]
    )


# -- 17. cheatsheet_paths entries are whole paths --------------------------------------------


def test_a_cheatsheet_paths_entry_with_a_space_is_one_path(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        "[tool.pytest.ini_options]\n"
        'cheatsheet_paths = ["user guide"]\n'
        'cheatsheet_devices = ["cpu"]\n'
    )
    folder = pytester.path / "user guide"
    folder.mkdir()
    (folder / "a.md").write_text("```python\n>>> 1\n1\n```\n", encoding="utf-8")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_a_cheatsheet_paths_entry_outside_the_rootdir_is_not_silently_ignored(
    pytester: pytest.Pytester,
) -> None:
    project = pytester.path / "project"
    project.mkdir()
    outside = pytester.path / "docs"
    outside.mkdir()
    (outside / "a.md").write_text("```python\n>>> 1\n2\n```\n", encoding="utf-8")
    (project / "pytest.ini").write_text("[pytest]\ncheatsheet_paths = ../docs\n")
    result = pytester.runpytest(project)
    if result.ret == pytest.ExitCode.USAGE_ERROR:
        result.stderr.fnmatch_lines(["*cheatsheet_paths*../docs*outside the rootdir*"])
    else:
        result.assert_outcomes(failed=1)


# -- the same verdicts however the run is made ------------------------------------------------

SEVERAL = """\
```python
>>> import pytest
>>> 1
1
```

<!-- skip: next -->
```python
>>> 1
2
```

```python
>>> pytest.skip("not here")
>>> (tmp_path / "x").write_text("x")
1
```

```python
>>> sorted(path.name for path in tmp_path.iterdir())
[]
>>> 2
3
```

<!-- cheatsheet: xfail python>=3 reason="known" -->
```python
>>> 1
0
```
"""


@pytest.mark.parametrize("items", GRANULARITIES)
def test_a_sheet_of_several_items_has_the_same_verdicts_however_run(
    pytester: pytest.Pytester, items: str
) -> None:
    write(pytester, {"several.md": SEVERAL}, items, ini="cheatsheet_fixtures = tmp_path\n")
    result = run(pytester)
    serial = outcomes(pytester)
    assert serial == {
        2: "passed",
        3: "passed",
        9: "skipped",
        14: "skipped",
        15: "passed",
        20: "passed",
        22: "failed",
        28: "xfailed",
    }
    assert_counts_agree(result, pytester, items)
    for options in (("-n", "2"), ("-p", "randomly"), ("--lf",), ("-k", "line:20")):
        result = run(pytester, *options)
        again = outcomes(pytester)
        assert again == {line: serial[line] for line in again}, options
        assert again, options
        assert_counts_agree(result, pytester, items)
    first_lines = sorted(serial) if items == "example" else [2, 9, 14, 20, 28]
    for line in first_lines:
        run(pytester, f"cheatsheet/several.md::any::line:{line}")
        alone = outcomes(pytester)
        assert alone == {each: serial[each] for each in alone}, line
        assert line in alone
