from __future__ import annotations

import json
import sys

import numpy
import pytest
import torch

from conftest import SheetWriter
from pytest_cheatsheet import directives

TORCH = torch.__version__.split("+")[0]


def test_a_requires_gate_skips_the_next_block_with_the_requirement_as_reason(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "gates.md",
        """
        <!-- cheatsheet: requires torch>=99.0 -->
        ```python
        >>> 1 + 1
        2
        >>> 2 + 2
        4
        ```

        ```python
        >>> 3 + 3
        6
        ```
        """,
    )
    result = sheets.run("-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        [f"SKIPPED * requires torch>=99.0 (have torch {torch.__version__})"]
    )


def test_a_requires_gate_that_holds_runs_the_block(sheets: SheetWriter) -> None:
    sheets.write(
        "gates.md",
        """
        <!-- cheatsheet: requires torch>=2.0,<99 numpy>=1 python>=3.10 -->
        ```python
        >>> 1 + 1
        2
        ```
        """,
    )
    sheets.run().assert_outcomes(passed=1)


def test_an_xfail_gate_expects_failure_only_where_every_condition_holds(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "xfail.md",
        f"""
        <!-- cheatsheet: devices=cpu dtypes=float32,float16 -->
        ```python
        >>> import torch
        ```

        <!-- cheatsheet: xfail torch>={TORCH} dtypes=float16 reason="half is coarse" -->
        ```python
        >>> torch.tensor(1.0001, dtype=dtype).item() > 1.0
        True
        ```
        """,
    )
    result = sheets.run("-rxX", "-v")
    result.assert_outcomes(passed=3, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*xfail.md::cpu-float16::line:8 XFAIL*",
            "XFAIL *float16*expected to fail where*half is coarse",
        ]
    )


def test_an_unexpected_pass_of_an_xfail_gate_fails(sheets: SheetWriter) -> None:
    sheets.write(
        "xpass.md",
        """
        <!-- cheatsheet: xfail python>=3 reason="believed broken" -->
        ```python
        >>> 1 + 1
        2
        ```
        """,
    )
    result = sheets.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*believed broken*"])


@pytest.mark.parametrize(
    ("directive", "message"),
    [
        ("requires", "requires needs a version condition"),
        ("requires jax>>1", "malformed requirement 'jax>>1'"),
        ("requires torch>>2", "malformed version condition 'torch>>2'"),
        ("xfail", "xfail needs a condition"),
        ("requires torch>=2 dtypes=float16", "requires takes versions only"),
    ],
)
def test_a_bad_gate_is_a_collection_error_naming_file_line_and_problem(
    sheets: SheetWriter, directive: str, message: str
) -> None:
    sheets.write("bad.md", f"# t\n\n<!-- cheatsheet: {directive} -->\n```python\n>>> 1\n1\n```\n")
    result = sheets.run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*cheatsheet/bad.md:3: *{message}*"])
    assert "INTERNALERROR" not in result.stdout.str()


def test_a_gate_followed_by_no_code_block_is_an_error(sheets: SheetWriter) -> None:
    sheets.write("bad.md", "```python\n>>> 1\n1\n```\n\n<!-- cheatsheet: requires torch>=2 -->\n")
    result = sheets.run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*bad.md:6: requires gate is followed by no Python code block*"])


def test_every_requires_gate_that_does_not_hold_is_the_reason_on_the_skip_line_and_the_report(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "gates.md",
        """
        <!-- cheatsheet: requires torch>=99 -->
        <!-- cheatsheet: requires numpy<1 -->
        ```python
        >>> 1 + 1
        2
        ```

        <!-- cheatsheet: requires python>=3 -->
        <!-- cheatsheet: requires numpy<1 -->
        ```python
        >>> 2 + 2
        4
        ```
        """,
    )
    result = sheets.run("-rs", "--cheatsheet-report=report.json")
    result.assert_outcomes(skipped=2)
    both = (
        f"requires torch>=99 (have torch {torch.__version__}) and "
        f"requires numpy<1 (have numpy {numpy.__version__})"
    )
    only_numpy = f"requires numpy<1 (have numpy {numpy.__version__})"
    # Each skip is reported at the first gate that does not hold (the python gate holds).
    result.stdout.fnmatch_lines(
        [
            f"SKIPPED [1] cheatsheet/gates.md:1: {both}",
            f"SKIPPED [1] cheatsheet/gates.md:9: {only_numpy}",
        ],
        consecutive=False,
    )
    report = json.loads((sheets.pytester.path / "report.json").read_text(encoding="utf-8"))
    reasons = {record["line"]: record["reason"] for record in report["results"]}
    assert reasons == {4: both, 11: only_numpy}


def test_the_installed_versions_are_read_once_a_session(
    sheets: SheetWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    read = directives.installed_versions
    read = getattr(read, "__wrapped__", read)  # under a cache, each call still counts

    def counted() -> dict[str, str]:
        calls.append(1)
        return read()

    for module in list(sys.modules.values()):
        if module.__name__.startswith("pytest_cheatsheet") and hasattr(
            module, "installed_versions"
        ):
            monkeypatch.setattr(module, "installed_versions", counted)
    block = "```python\n>>> 1 + 1\n2\n>>> dtype is not None\nTrue\n```\n"
    gated = "<!-- cheatsheet: requires torch>=99 -->\n"
    sheets.write("one.md", f"<!-- cheatsheet: devices=cpu dtypes=float32,float64 -->\n{block}")
    sheets.write(
        "two.md", f"<!-- cheatsheet: devices=cpu dtypes=float32,float16 -->\n{gated}{block}"
    )
    sheets.run().assert_outcomes(passed=4, skipped=4)
    assert len(calls) == 1
