"""One item per code block (the default), and ``cheatsheet_items = example``: one per example.

Whatever the granularity, each example has one outcome, in the report, the summary, the audit
and update mode; a block's failure names the failing example's own line.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent

SHEET = """\
# Blocks

```python
>>> import torch
>>> x = torch.tensor([1.0, 2.0], dtype=dtype)
>>> x.sum().item()
3.0
>>> (x * 2).tolist()
[2.0, 4.0]
```

```python
y = torch.arange(3, dtype=dtype)
```

```python
>>> y.tolist()
[0.0, 1.0, 2.0]
```
"""


def write(pytester: pytest.Pytester, items: str | None, sheets: dict[str, str]) -> None:
    ini = "[pytest]\ncheatsheet_dtypes = float32 float64\n"
    if items is not None:
        ini += f"cheatsheet_items = {items}\n"
    pytester.makeini(ini)
    for name, text in sheets.items():
        path = pytester.path / "cheatsheet" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "cheatsheet", *args)


def verdicts(pytester: pytest.Pytester, *args: str) -> dict[tuple[Any, ...], str]:
    report = pytester.path / "report.json"
    run(pytester, f"--cheatsheet-report={report}", *args)
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    assert results, "nothing ran"
    return {(r["sheet"], r["line"], r["combination"]): r["outcome"] for r in results}


def test_each_code_block_is_one_item_named_by_its_first_example_s_line(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, None, {"a.md": SHEET})
    result = run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "cheatsheet/a.md::float32::line:4",
            "cheatsheet/a.md::float32::line:12",
            "cheatsheet/a.md::float32::line:17",
            "cheatsheet/a.md::float64::line:4",
            "cheatsheet/a.md::float64::line:12",
            "cheatsheet/a.md::float64::line:17",
            "6 tests collected*",
        ]
    )
    result = run(pytester)
    result.assert_outcomes(passed=6)
    # The summary counts examples, not items: 6 in each combination.
    result.stdout.fnmatch_lines(["float32 * 6 * 0 * 0 *", "float64 * 6 * 0 * 0 *"])


def test_cheatsheet_items_example_makes_one_item_per_example(pytester: pytest.Pytester) -> None:
    write(pytester, "example", {"a.md": SHEET})
    result = run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["cheatsheet/a.md::float32::line:4", "cheatsheet/a.md::float32::line:5"]
    )
    result.stdout.fnmatch_lines(["12 tests collected*"])


def test_a_bad_cheatsheet_items_is_a_usage_error_naming_the_valid_values(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "statement", {"a.md": SHEET})
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: ini option cheatsheet_items: 'statement' is not one of block, example*"]
    )


def test_a_block_s_failure_names_its_own_line_and_shows_the_examples_before_it(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, None, {"a.md": SHEET.replace("[2.0, 4.0]", "[2.0, 5.0]")})
    result = run(pytester, "--cheatsheet-dtypes=float32")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ cheatsheet/a.md:4 [[]float32[]] _*",
            "cheatsheet/a.md:8 [[]float32[]]: doctest output differs",
            "*the examples of this block (4)*",
            "  line 4     passed   >>> import torch",
            "  line 5     passed   >>> x = torch.tensor([[]1.0, 2.0[]], dtype=dtype)",
            "  line 6     passed   >>> x.sum().item()",
            "> line 8     failed   >>> (x * 2).tolist()",
            "FAILED cheatsheet/a.md::float32::line:4*",
        ]
    )


def test_the_examples_after_a_failure_in_a_block_still_run_and_report(
    pytester: pytest.Pytester,
) -> None:
    sheet = SHEET.replace("3.0\n", "4.0\n").replace("[2.0, 4.0]", "[2.0, 5.0]")
    write(pytester, None, {"a.md": sheet})
    found = verdicts(pytester, "--cheatsheet-dtypes=float32")
    assert found == {
        ("cheatsheet/a.md", 4, "float32"): "passed",
        ("cheatsheet/a.md", 5, "float32"): "passed",
        ("cheatsheet/a.md", 6, "float32"): "failed",
        ("cheatsheet/a.md", 8, "float32"): "failed",
        ("cheatsheet/a.md", 12, "float32"): "passed",
        ("cheatsheet/a.md", 17, "float32"): "passed",
    }


WRONG = """\
# Wrong outputs

```python
>>> import math
>>> math.sqrt(16)
4.0
>>> math.floor(2.5)
3
>>> total = 0
```

<!-- skip: next if(True, reason="shown, not run") -->

```python
>>> 1 / 0
```

```python
>>> for i in range(3):
...     total += i
>>> total
4
>>> total + 1
5
```

<!-- cheatsheet: xfail python>=3 reason="no such function" -->

```python
>>> math.no_such_function()
>>> math.also_missing()
```

```python
raise ValueError("a plain block fails")
```

```python
>>> math.pi > 3
True
```
"""


# The serial verdicts of WRONG one item per example, worked out once for the tests below.
_BY_EXAMPLE: dict[tuple[Any, ...], str] = {}


def by_example(pytester: pytest.Pytester) -> dict[tuple[Any, ...], str]:
    if not _BY_EXAMPLE:
        write(pytester, "example", {"wrong.md": WRONG})
        _BY_EXAMPLE.update(verdicts(pytester, "--cheatsheet-dtypes=float32"))
    return _BY_EXAMPLE


@pytest.mark.parametrize(
    "extra",
    [
        (),
        ("-n", "2"),
        ("-n", "2", "--dist", "loadscope"),
        ("-p", "randomly"),
        ("--reruns", "1"),
        ("--timeout", "60"),
    ],
)
def test_a_sheet_with_wrong_outputs_has_the_same_verdicts_in_both_granularities(
    pytester: pytest.Pytester, extra: tuple[str, ...]
) -> None:
    expected = by_example(pytester)
    write(pytester, "block", {"wrong.md": WRONG})
    by_block = verdicts(pytester, "--cheatsheet-dtypes=float32", *extra)
    assert by_block == expected
    outcomes = sorted(by_block.values())
    assert outcomes.count("failed") == 4  # floor(2.5), total (twice), the plain block
    assert outcomes.count("xfailed") == 2
    assert outcomes.count("skipped") == 1


def test_pytest_cheatsheet_gives_the_same_verdicts_in_both_granularities_on_a_real_sheet(
    pytester: pytest.Pytester,
) -> None:
    """A sheet of this repository with one wrong output, run both ways."""
    text = (REPOSITORY / "cheatsheet" / "torch" / "math.md").read_text(encoding="utf-8")
    wrong = text.replace(
        "tensor([-0.7616,  0.0000,  0.7616,  0.9640])",
        "tensor([-0.7616,  0.0000,  0.7616,  0.9641])",
        1,
    )
    assert wrong != text
    shutil.copy(REPOSITORY / "pyproject.toml", pytester.path / "pyproject.toml")
    (pytester.path / "docs").mkdir()  # a sheet path of the repository's configuration
    for items in ("example", "block"):
        path = pytester.path / "cheatsheet" / "torch" / "math.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wrong, encoding="utf-8")
        pytester.makeini(f"[pytest]\ncheatsheet_items = {items}\n")
        found = verdicts(pytester, "--cheatsheet-devices=cpu")
        if items == "example":
            by_example = found
    assert found == by_example
    failed = sorted(key for key, outcome in found.items() if outcome == "failed")
    assert failed
    # the block whose first output was made wrong: the line of its first `>>>` statement
    changed = wrong.index("0.9641")
    block_start = wrong.rindex("```", 0, changed)
    first_example = wrong.index(">>> ", block_start)
    assert {line for _, line, _ in failed} == {wrong.count("\n", 0, first_example) + 1}


def test_selecting_one_block_replays_the_blocks_before_it(pytester: pytest.Pytester) -> None:
    write(pytester, None, {"a.md": SHEET})
    result = run(pytester, "-k", "line:17 and float64")
    result.assert_outcomes(passed=1)


def test_update_mode_rewrites_every_wrong_output_of_a_block_in_one_run(
    pytester: pytest.Pytester,
) -> None:
    sheet = SHEET.replace("3.0\n", "4.0\n").replace("[2.0, 4.0]", "[2.0, 5.0]")
    write(pytester, None, {"a.md": sheet})
    result = run(pytester, "--cheatsheet-update")
    result.stdout.fnmatch_lines(["*cheatsheet: updated 2 expected outputs*"])
    assert (pytester.path / "cheatsheet" / "a.md").read_text(encoding="utf-8") == SHEET
    run(pytester).assert_outcomes(passed=6)


def test_the_audit_is_the_same_in_both_granularities(pytester: pytest.Pytester) -> None:
    scores = []
    for items in ("example", "block"):
        write(pytester, items, {"a.md": SHEET})
        result = run(pytester, "--cheatsheet-audit")
        scores.append([line for line in result.outlines if line.startswith("score:")])
    assert scores[0] == scores[1]
    assert scores[0][0].startswith("score: 6 outputs checked")


def test_an_xfail_block_whose_examples_do_not_all_fail_fails_naming_the_line_that_passed(
    pytester: pytest.Pytester,
) -> None:
    sheet = """\
    <!-- cheatsheet: xfail python>=3 reason="not there" -->

    ```python
    >>> import math
    >>> math.no_such_function()
    ```
    """
    for items, failed in (("block", 1), ("example", 1)):
        write(pytester, items, {"a.md": sheet})
        result = run(pytester, "--cheatsheet-dtypes=float32")
        result.assert_outcomes(failed=failed, xfailed=0 if items == "block" else 1)
    write(pytester, "block", {"a.md": sheet})
    run(pytester, "--cheatsheet-dtypes=float32").stdout.fnmatch_lines(
        [
            "cheatsheet/a.md:4 [[]any[]]: passed (line 4), but the xfail gate expects every "
            "example of this block to fail: expected to fail where python>=3: not there",
            "> line 4     failed   >>> import math",
            "  line 5     xfailed  >>> math.no_such_function()",
        ]
    )


def test_a_block_whose_examples_are_all_skipped_is_skipped(pytester: pytest.Pytester) -> None:
    sheet = """\
    <!-- skip: start if(True, reason="not on this page") -->

    ```python
    >>> 1 / 0
    >>> 2 / 0
    ```

    <!-- skip: end -->

    ```python
    >>> 1 + 1
    2
    ```
    """
    write(pytester, None, {"a.md": sheet})
    result = run(pytester, "--cheatsheet-dtypes=float32", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] cheatsheet/a.md:4: not on this page"])


DRAWS = """\
```python
>>> import random
>>> random.random()
0.8444218515250481
```

```python
>>> random.random()
0.7579544029403025
>>> random.random()
0.420571580830845
```
"""


@pytest.mark.parametrize("items", ["block", "example"])
def test_pytest_randomly_changes_no_draw_of_a_sheet_in_either_granularity(
    pytester: pytest.Pytester, items: str
) -> None:
    write(pytester, items, {"draws.md": DRAWS})
    expected = 2 if items == "block" else 4
    run(pytester).assert_outcomes(passed=expected)
    run(pytester, "-p", "randomly").assert_outcomes(passed=expected)  # reseeds every item


BROKEN_UNDER_XFAIL = """\
<!-- skip: next if(no_such_name, reason="never") -->

<!-- cheatsheet: xfail python>=3 reason="raises" -->

```python
>>> 1 / 0
>>> 2 / 0
```
"""


@pytest.mark.parametrize("items", ["block", "example"])
def test_a_failing_directive_before_an_xfail_block_is_a_failure_in_the_report_too(
    pytester: pytest.Pytester, items: str
) -> None:
    write(pytester, items, {"a.md": BROKEN_UNDER_XFAIL})
    found = verdicts(pytester, "--cheatsheet-dtypes=float32")
    assert found == {
        ("cheatsheet/a.md", 6, "any"): "failed",  # the directive's failure, never expected
        ("cheatsheet/a.md", 7, "any"): "xfailed",
    }
