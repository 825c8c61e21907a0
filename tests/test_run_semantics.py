"""How a sheet runs: one outcome per example however it is selected, ordered or interrupted."""

from __future__ import annotations

import json
import re

import pytest

from conftest import SheetWriter

# -- skip state, directive errors and selection ------------------------------------------------


def test_skip_next_before_a_gated_block_skips_that_block_not_the_one_after(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "sheet.md",
        """\
        <!-- skip: next -->
        <!-- cheatsheet: requires torch>=99 -->

        ```python
        >>> 1 + 1
        2
        ```

        ```python
        >>> 2 + 2
        5
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*sheet.md:10 [[]any[]]: doctest output differs*"])


def test_a_stray_skip_end_before_an_xfail_block_is_an_error_not_an_expected_failure(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "sheet.md",
        """\
        <!-- skip: end -->
        <!-- cheatsheet: xfail torch>=1 reason="known to fail" -->

        ```python
        >>> 1 / 0
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*sheet.md:1 [[]any[]]: this directive failed: ValueError*"])


def test_a_trailing_directive_error_after_an_xfail_block_is_an_error(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """\
        <!-- cheatsheet: xfail torch>=1 reason="known to fail" -->

        ```python
        >>> 1 / 0
        ```

        <!-- skip: end -->
        """,
    )
    sheets.run("--cheatsheet-devices=cpu").assert_outcomes(failed=1)


DIRECTIVE_FAILS = """\
```python
>>> first = 1
```

<!-- skip: end -->

```python
>>> second = first + 1
```

```python
>>> second
2
```
"""


@pytest.mark.parametrize(
    "selection",
    [
        (),
        ("-k", "line:12"),
        ("-k", "line:12 or line:2"),
        ("-p", "randomly", "--randomly-seed=1"),
        ("-n", "2", "--dist", "load"),
    ],
    ids=["full", "alone", "with-first", "shuffled", "xdist"],
)
def test_an_example_after_a_failing_directive_has_one_outcome_however_selected(
    sheets: SheetWriter, selection: tuple[str, ...]
) -> None:
    sheets.write("sheet.md", DIRECTIVE_FAILS)
    result = sheets.run("--cheatsheet-devices=cpu", "--cheatsheet-report=r.json", *selection)
    records = json.loads((sheets.pytester.path / "r.json").read_text())["results"]
    outcomes = {record["line"]: record["outcome"] for record in records}
    expected = {2: "passed", 8: "failed", 12: "passed"}
    assert outcomes == {line: expected[line] for line in outcomes}
    assert 12 in outcomes
    assert result.ret != 0 or 8 not in outcomes


# -- pytest-randomly, pytest-timeout, pytest-rerunfailures ---------------------------------------

RANDOM_DRAWS = """\
<!-- cheatsheet: dtypes=float32,float64 -->

```python
import random
import numpy
import torch
from pathlib import Path

def executed(block):
    with Path("executed.txt").open("a") as log:
        log.write(f"{block}\\n")

assert dtype in (torch.float32, torch.float64)
executed(1)
```

```python
>>> round(random.random(), 6)
0.844422
>>> executed(2)
```

```python
>>> round(float(numpy.random.rand()), 6)
0.548814
>>> executed(3)
```

```python
>>> round(torch.rand(1).item(), 4)
0.4963
>>> executed(4)
```
"""


@pytest.mark.parametrize(
    "options",
    [
        (),
        ("-p", "randomly", "--randomly-seed=3"),
        ("-p", "randomly", "--randomly-seed=4"),
        ("-p", "randomly", "--randomly-seed=5", "--randomly-dont-reorganize"),
        ("-p", "randomly", "--randomly-seed=6", "-n", "2", "--dist", "loadscope"),
    ],
    ids=["serial", "shuffled", "shuffled-again", "reseeded-in-order", "xdist"],
)
def test_random_draws_and_executions_are_the_same_with_pytest_randomly(
    sheets: SheetWriter, options: tuple[str, ...]
) -> None:
    sheets.write("draws.md", RANDOM_DRAWS)
    sheets.write("other.md", "```python\n>>> str(dtype)\n'torch.float32'\n```\n")
    result = sheets.run(*options)
    result.assert_outcomes(passed=15)
    executed = (sheets.pytester.path / "executed.txt").read_text().split()
    # Each block runs once per combination: shuffling costs no replay.
    assert sorted(executed) == sorted(["1", "2", "3", "4"] * 2)


def test_a_timeout_raised_while_earlier_examples_run_as_set_up_fails_the_example(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "sheet.md",
        """\
        ```python
        import time
        time.sleep(30)
        ```

        ```python
        >>> 1 + 1
        2
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu", "--timeout=1", "-k", "line:7")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Timeout*"])


def test_warnings_of_examples_asked_for_out_of_order_are_reported(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """\
        ```python
        >>> import warnings
        >>> warnings.warn("from the first block", UserWarning)
        ```

        ```python
        >>> warnings.warn("from the second block", UserWarning)
        ```
        """,
    )
    # The later example first: the earlier one must not restart the combination and lose them.
    result = sheets.pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "-W",
        "always",
        "cheatsheet/sheet.md::any::line:7",
        "cheatsheet/sheet.md::any::line:3",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*UserWarning: from the second block*"])
    result.stdout.fnmatch_lines(["*UserWarning: from the first block*"])


def test_a_rerun_example_runs_its_set_up_once_and_gets_the_same_outcome(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "sheet.md",
        """\
        ```python
        >>> total = 1
        ```

        ```python
        >>> total
        2
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu", "--reruns=2")
    assert result.parseoutcomes() == {"passed": 1, "failed": 1, "rerun": 2}


# -- the namespace belongs to the sheet ----------------------------------------------------------


def test_a_sheet_may_delete_builtins_or_clear_its_namespace(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """\
        ```python
        del __builtins__
        ```

        ```python
        >>> len([1, 2])
        2
        >>> globals().clear()
        >>> del __builtins__
        >>> 3
        3
        ```
        """,
    )
    sheets.run("--cheatsheet-devices=cpu").assert_outcomes(passed=5)


# -- what is live in a sheet ---------------------------------------------------------------------


def test_directives_and_code_inside_an_illustration_block_are_not_live(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "sheet.md",
        """\
        # 如何写一页

        `````markdown
        <!-- cheatsheet: devices=cpu dtypes=float64,float16 -->
        <!-- skip: next -->
        <!-- cheatsheet: requires torch>=99 -->

        ```python
        >>> 1 + 1
        3
        ```
        `````

        ```python
        >>> dtype
        torch.float32
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*sheet.md::float32::line:15 PASSED*"])


def test_a_very_deep_expression_fails_its_example_with_a_clear_error(sheets: SheetWriter) -> None:
    deep = "1" + " + 1" * 100_000
    sheets.write(
        "sheet.md",
        f"""\
        ```python
        >>> 1 + 1
        2
        ```

        ```python
        total = {deep}
        ```

        ```python
        >>> device
        'cpu'
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*sheet.md:6 [[]cpu[]]: this block is too deeply nested*"])
    assert "INTERNALERROR" not in result.stdout.str()


def test_a_collection_error_under_xdist_is_reported_once(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """\
        <!-- invisible-code-block: python
        ```python
        >>> 1
        1
        ```
        -->
        """,
    )
    result = sheets.run("-n", "2")
    result.assert_outcomes(errors=1)
    assert not re.search(r"0x[0-9a-f]{6,}", result.stdout.str())


# -- declared axes multiply ----------------------------------------------------------------------


def test_declared_axes_multiply_with_torch_defaults_when_the_code_never_names_them(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "sheet.md",
        """\
        <!-- cheatsheet: devices=cpu,cuda dtypes=float32,float64 torch-defaults=on -->

        ```python
        >>> 1 + 1
        2
        ```
        """,
    )
    result = sheets.run("-v", "-rs")
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*sheet.md::cpu-float32::line:4 PASSED*",
            "*sheet.md::cpu-float64::line:4 PASSED*",
            "*sheet.md::cuda-float32::line:4 SKIPPED*",
            "*sheet.md::cuda-float64::line:4 SKIPPED*",
        ]
    )


def test_axes_read_indirectly_multiply(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """\
        ```python
        >>> globals()["device"] in ("cpu", "cuda")
        True
        ```
        """,
    )
    result = sheets.run("-v")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*sheet.md::cpu-float32::line:2 PASSED*"])


def test_a_collapsed_device_axis_runs_on_a_device_that_is_here_or_is_skipped(
    sheets: SheetWriter,
) -> None:
    sheets.write("sheet.md", "```python\n>>> sorted([2, 1])\n[1, 2]\n```\n")
    sheets.run("-v").assert_outcomes(passed=1)
    result = sheets.run("-v", "-rs", "--cheatsheet-devices=cuda")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*device 'cuda' is not available*"])


def test_an_autocast_dtype_that_autocast_refuses_is_a_usage_error(sheets: SheetWriter) -> None:
    sheets.write("sheet.md", "```python\n>>> device\n'cpu'\n```\n")
    result = sheets.run("-o", "cheatsheet_autocast_dtype=float64", "--cheatsheet-autocast=on")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*cheatsheet_autocast_dtype: autocast on cpu does not support float64; valid: *bfloat16*"]
    )
