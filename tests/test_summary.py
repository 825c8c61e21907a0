"""The terminal summary: what was verified, per combination, on which versions and devices."""

from __future__ import annotations

import platform
from importlib import metadata

import hypothesis  # noqa: F401 - imported lazily by its pytest plugin; pytester would re-import it
import numpy
import pytest
import torch

from conftest import SheetWriter

COUNTED = ("passed", "failed", "skipped", "xfailed", "xpassed", "error")

MIXED_SHEET = """
    # 汇总
    <!-- cheatsheet: devices=cpu,cuda dtypes=float32,float64 -->

    ```python
    >>> import torch
    >>> torch.ones(1, dtype=dtype, device=device).element_size()
    4
    ```

    <!-- cheatsheet: requires torch<1 -->

    ```python
    >>> torch.ones(1, device=device).sum().item()
    1.0
    ```

    <!-- cheatsheet: xfail dtypes=float64 reason="8 bytes" -->

    ```python
    >>> dtype.itemsize
    4
    ```
"""

PURE_PYTHON_SHEET = """
    # 排序

    ```python
    >>> sorted([3, 1, 2])
    [1, 2, 3]
    >>> "".join(reversed("abc"))
    'cba'
    ```
"""


def summary(result: pytest.RunResult) -> tuple[str, dict[str, dict[str, int]]]:
    """The versions line and the table of counts by combination."""
    lines = result.stdout.lines
    title = next(i for i, line in enumerate(lines) if "cheatsheet: what was verified" in line)
    header = lines[title + 2].split()
    assert header == ["combination", *COUNTED]
    table = {}
    for line in lines[title + 3 :]:
        if line.startswith("="):
            break
        name, *counts = line.split()[: len(header)]
        table[name] = dict(zip(COUNTED, map(int, counts), strict=True))
    return lines[title + 1], table


def counts(**given: int) -> dict[str, int]:
    return {outcome: given.get(outcome, 0) for outcome in COUNTED}


def test_the_summary_counts_each_outcome_per_combination(sheets: SheetWriter) -> None:
    sheets.write("mixed.md", MIXED_SHEET)
    result = sheets.run()
    result.assert_outcomes(passed=4, failed=1, skipped=2 + 8, xfailed=1)
    _, table = summary(result)
    assert table == {
        "cpu-float32": counts(passed=3, skipped=1),
        "cpu-float64": counts(passed=1, failed=1, skipped=1, xfailed=1),
        "cuda-float32": counts(skipped=4),
        "cuda-float64": counts(skipped=4),
    }
    result.stdout.fnmatch_lines(["cuda-float32 * (device 'cuda' is not available*"])


def test_the_versions_line_names_torch_numpy_python_sybil_and_each_device(
    sheets: SheetWriter,
) -> None:
    sheets.write("mixed.md", MIXED_SHEET)
    versions, _ = summary(sheets.run())
    cpu = platform.processor() or platform.machine()
    assert versions.startswith(f"torch {torch.__version__}, ")
    assert f", numpy {numpy.__version__}, " in versions
    assert f", Python {platform.python_version()}, " in versions
    assert f", sybil {metadata.version('sybil')}" in versions
    assert versions.endswith(f"; devices: cpu: {cpu}, cuda: not available")
    if torch.version.cuda is None:
        assert ", no CUDA build, " in versions


def test_a_sheet_of_pure_python_is_counted_once_under_any(sheets: SheetWriter) -> None:
    sheets.write("sorted.md", PURE_PYTHON_SHEET)
    result = sheets.run()
    result.assert_outcomes(passed=2)
    _, table = summary(result)
    assert table == {"any": counts(passed=2)}
