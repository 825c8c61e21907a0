"""Bad sheets and options fail clearly, at their file and line; odd but valid Markdown runs."""

from __future__ import annotations

import hypothesis  # noqa: F401 - imported lazily by its pytest plugin; pytester would re-import it
import pytest

from conftest import SheetWriter

BLOCK = "```python\n>>> 1 + 1\n2\n```\n"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param(
            f"# 表\n<!-- cheatsheet: dtypes=float32,float17 -->\n{BLOCK}",
            "bad.md:2: unknown dtype 'float17'; valid: float32, float64, float16, bfloat16, *",
            id="unknown-dtype",
        ),
        pytest.param(
            f"# 表\n<!-- cheatsheet: devices=cpu,gpu -->\n{BLOCK}",
            "bad.md:2: unknown device 'gpu'; valid: cpu, cuda, mps, xpu, *",
            id="unknown-device",
        ),
        pytest.param(
            f"# 表\n<!-- cheatsheet: autocast=maybe -->\n{BLOCK}",
            "bad.md:2: unknown autocast value 'maybe'; valid: off, on",
            id="unknown-autocast",
        ),
        pytest.param(
            f"# 表\n<!-- cheatsheet: device=cpu -->\n{BLOCK}",
            "bad.md:2: unknown key 'device'; valid keys: devices, dtypes, autocast, written, "
            "torch-defaults, rtol, atol",
            id="unknown-key",
        ),
        pytest.param(
            f"# 表\n\n{BLOCK}\n<!-- cheatsheet: devices=cpu -->\n",
            "bad.md:8: the matrix directive must come before the first code block (line 3)",
            id="matrix-after-first-block",
        ),
        pytest.param(
            f"# 表\n<!-- cheatsheet: devices=cpu -->\n<!-- cheatsheet: dtypes=float64 -->\n{BLOCK}",
            "bad.md:3: a second matrix directive; the first is at line 2",
            id="two-matrix-directives",
        ),
        pytest.param(
            f"# 表\n<!-- cheatsheet: devices=cpu\n\n{BLOCK}",
            "bad.md:2: cheatsheet directive is not closed with -->",
            id="unclosed-directive",
        ),
        pytest.param(
            f"# 表\n<!-- cheatsheet: xfail colour=red -->\n{BLOCK}",
            "bad.md:2: unknown condition 'colour=red'; valid: a version condition on torch, *",
            id="requires-unknown-package",
        ),
        pytest.param(
            f"# 表\n<!-- cheatsheet: xfail -->\n{BLOCK}",
            "bad.md:2: xfail needs a condition: a version (torch<2.1) or an axis (dtypes=float16)",
            id="xfail-without-condition",
        ),
        pytest.param(
            f"# 表\n{BLOCK}\n<!-- cheatsheet: requires torch>=2 -->\n\nNo code follows.\n",
            "bad.md:7: requires gate is followed by no Python code block",
            id="gate-without-block",
        ),
    ],
)
def test_a_bad_directive_is_a_collection_error_naming_file_line_value_and_choices(
    sheets: SheetWriter, text: str, error: str
) -> None:
    sheets.write("bad.md", text)
    sheets.write("good.md", BLOCK)
    result = sheets.run("--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting cheatsheet/bad.md*", f"cheatsheet/{error}"])
    result.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_sheet_that_is_not_utf8_is_a_collection_error_at_its_line(sheets: SheetWriter) -> None:
    path = sheets.pytester.path / "cheatsheet" / "latin1.md"
    path.write_bytes(b"# t\n\n\xe9t\xe9\n\n" + BLOCK.encode())
    result = sheets.run("--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["cheatsheet/latin1.md:3: not valid UTF-8 (byte 0xe9 at offset 5)"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_bad_axis_on_the_command_line_is_a_usage_error_naming_the_option(
    sheets: SheetWriter,
) -> None:
    sheets.write("good.md", BLOCK)
    result = sheets.run("--cheatsheet-dtypes=float32,float17")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --cheatsheet-dtypes: unknown dtype 'float17'; valid: float32, float64, *"]
    )


def test_a_bad_axis_in_the_ini_file_is_a_usage_error_naming_the_option(
    sheets: SheetWriter,
) -> None:
    sheets.pytester.makeini("[pytest]\ncheatsheet_devices = cpu gpu\n")
    sheets.write("good.md", BLOCK)
    result = sheets.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: ini option cheatsheet_devices: unknown device 'gpu'; valid: cpu, cuda, *"]
    )


def test_an_unclosed_fence_runs_to_the_end_of_the_sheet_as_in_commonmark(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "unclosed.md",
        """
        ```python
        x = 41
        ```

        ```python
        x += 1

        Prose the author meant to put after the block.
        """,
    )
    result = sheets.run("-v")
    result.stdout.fnmatch_lines(
        [
            "*unclosed.md::any::line:1 PASSED*",
            "*unclosed.md::any::line:5 FAILED*",
            "*unclosed.md:5 [[]any]: invalid Python",
            '*File "*unclosed.md", line 8',
            "    Prose the author meant to put after the block.",
        ]
    )


def test_crlf_line_endings_and_a_bom_are_collected_at_the_right_lines(
    sheets: SheetWriter,
) -> None:
    text = "# 表\n\n```python\n>>> x = 41\n>>> x + 1\n42\n>>> x\n0\n```\n"
    path = sheets.pytester.path / "cheatsheet" / "crlf.md"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    result = sheets.run("-v")
    result.stdout.fnmatch_lines(
        [
            "*crlf.md::any::line:4 PASSED*",
            "*crlf.md::any::line:5 PASSED*",
            "*crlf.md::any::line:7 FAILED*",
            "*cheatsheet/crlf.md:7 [[]any]: doctest output differs*",
        ]
    )
    result.assert_outcomes(passed=2, failed=1)


def test_tabs_and_an_empty_block_are_harmless(sheets: SheetWriter) -> None:
    sheets.write(
        "tabs.md",
        """
        ```python
        def f():
        \treturn 41
        ```

        ```python
        ```

        ```python
        >>> f() + 1\t# a tab
        42
        >>> print("a\\tb")
        a\tb
        ```
        """,
    )
    sheets.run().assert_outcomes(passed=4)


def test_fences_inside_list_items_and_block_quotes_run(sheets: SheetWriter) -> None:
    sheets.write(
        "nested.md",
        """
        # 嵌套

        1. A numbered item:

           ```python
           >>> x = 40
           ```

        - A bullet:

          ```python
          >>> x + 2
          42
          ```

        > A quote:
        >
        > ```python
        > >>> x + 3
        > 44
        > ```
        """,
    )
    result = sheets.run("-v")
    result.stdout.fnmatch_lines(
        [
            "*nested.md::any::line:6 PASSED*",
            "*nested.md::any::line:12 PASSED*",
            "*nested.md::any::line:19 FAILED*",
            "*nested.md:19 [[]any]: doctest output differs*",
            "Expected:",
            "    44",
            "Got:",
            "    43",
        ]
    )


def test_every_example_of_an_indented_block_gets_its_own_line(sheets: SheetWriter) -> None:
    sheets.write(
        "indented.md",
        """
        1. An item:

           ```python
           >>> x = 40
           >>> x + 1
           41
           >>> x + 2
           42
           ```
        """,
    )
    result = sheets.run("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "cheatsheet/indented.md::any::line:4",
            "cheatsheet/indented.md::any::line:5",
            "cheatsheet/indented.md::any::line:7",
        ]
    )


SYNTAX_ERROR_SHEET = """
    <!-- cheatsheet: dtypes=float32,float64 -->

    ```python
    >>> import torch
    >>> x = torch.ones(1, dtype=dtype)
    >>> def f(:
    ...     pass
    >>> x.dtype == dtype
    True
    ```
"""


def test_a_syntax_error_in_a_doctest_fails_only_that_example_in_each_combination(
    sheets: SheetWriter,
) -> None:
    sheets.write("syntax.md", SYNTAX_ERROR_SHEET)
    sheets.write("z_good.md", BLOCK)
    result = sheets.run("-v")
    result.stdout.fnmatch_lines(
        [
            "*syntax.md::float32::line:6 FAILED*",
            "*syntax.md::float32::line:8 PASSED*",
            "*syntax.md::float64::line:6 FAILED*",
            "*syntax.md::float64::line:8 PASSED*",
            "*z_good.md::any::line:2 PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(['*File "*syntax.md", line 6', "*SyntaxError: invalid syntax"])
    result.assert_outcomes(passed=7, failed=2)


def test_a_syntax_error_in_a_doctest_shows_the_sheet_not_doctest(sheets: SheetWriter) -> None:
    sheets.write("syntax.md", SYNTAX_ERROR_SHEET)
    result = sheets.run("-k", "float32 and line:6")
    result.assert_outcomes(failed=1)
    assert "doctest.py" not in result.stdout.str()


def test_a_failing_code_block_reports_its_own_lines_not_the_sheet_above_it(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "long.md",
        """
        # 长

        Prose well above the failure.

        ```python
        x = 1
        ```

        ```python
        assert x == 2
        ```
        """,
    )
    result = sheets.run()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*assert x == 2", "E*AssertionError*"])
    assert "Prose well above the failure." not in result.stdout.str()
