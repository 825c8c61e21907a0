from __future__ import annotations

import pytest

from conftest import SheetWriter

TANH_SHEET = """
    # tanh
    <!-- cheatsheet: devices=cpu dtypes=float32,float64,float16,bfloat16 -->

    ```python
    >>> import torch
    >>> torch.tanh(torch.tensor([1.0, 2.0], dtype=dtype, device=device))
    tensor([0.7616, 0.9640])
    ```
"""


def test_python_blocks_and_doctests_are_collected_per_combination(sheets: SheetWriter) -> None:
    sheets.write("tanh.md", TANH_SHEET)
    result = sheets.run("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "cheatsheet/tanh.md::cpu-float32::line:5",
            "cheatsheet/tanh.md::cpu-float32::line:6",
            "cheatsheet/tanh.md::cpu-float64::line:5",
            "cheatsheet/tanh.md::cpu-float16::line:6",
            "cheatsheet/tanh.md::cpu-bfloat16::line:6",
            "8 tests collected*",
        ]
    )


def test_one_float32_output_passes_on_float64_float16_and_bfloat16(sheets: SheetWriter) -> None:
    sheets.write("tanh.md", TANH_SHEET)
    sheets.run().assert_outcomes(passed=8)


def test_markdown_outside_the_sheet_folders_is_not_collected(sheets: SheetWriter) -> None:
    sheets.write("tanh.md", TANH_SHEET)
    sheets.pytester.makefile(".md", README="```python\n>>> 1 + 1\n3\n```\n")
    result = sheets.pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)


def test_cheatsheet_paths_ini_option_chooses_the_folders(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\ncheatsheet_paths = docs\n")
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "a.md").write_text("```python\n>>> 1 + 1\n2\n```\n")
    (pytester.path / "cheatsheet").mkdir()
    (pytester.path / "cheatsheet" / "b.md").write_text("```python\n>>> 1 + 1\n3\n```\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_examples_share_one_namespace_in_file_order(sheets: SheetWriter) -> None:
    sheets.write(
        "ns.md",
        """
        ```python
        values = [3, 1, 2]
        ```

        Some prose.

        ```python
        >>> sorted(values)
        [1, 2, 3]
        >>> values.append(0)
        >>> values
        [3, 1, 2, 0]
        ```
        """,
    )
    sheets.run().assert_outcomes(passed=4)


def test_sybil_directives_skip_clear_namespace_and_invisible_code_keep_working(
    sheets: SheetWriter,
) -> None:
    # Unlike bare Sybil, an unconditional skip skips, naming its line; a conditional one reports
    # its reason.
    sheets.write(
        "directives.md",
        """
        <!-- cheatsheet: devices=cpu -->
        <!-- invisible-code-block: python
        hidden = 41
        -->

        ```python
        >>> hidden + 1
        42
        ```

        <!-- skip: next -->

        ```python
        >>> 1 / 0
        ```

        <!-- skip: next if(device == "cpu", reason="not on the CPU") -->

        ```python
        >>> 1 / 0
        ```

        <!-- clear-namespace -->

        ```python
        >>> 'hidden' in dir()
        False
        >>> device, autocast
        ('cpu', False)
        ```
        """,
    )
    result = sheets.run("-rs")
    result.assert_outcomes(passed=4, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED * not on the CPU"])
    result.stdout.fnmatch_lines(["SKIPPED * skipped by a skip directive at line 11"])


def test_an_ini_axis_the_code_never_uses_does_not_multiply_runs(sheets: SheetWriter) -> None:
    sheets.pytester.makeini(
        "[pytest]\ncheatsheet_items = example\ncheatsheet_dtypes = float32 float64\n"
    )
    sheets.write(
        "sorted.md",
        """
        ```python
        >>> sorted([3, 1, 2])
        [1, 2, 3]
        ```
        """,
    )
    result = sheets.run("--collect-only", "-q")
    result.stdout.fnmatch_lines(["cheatsheet/sorted.md::any::line:2", "1 test collected*"])


def test_only_the_used_ini_axis_multiplies(sheets: SheetWriter) -> None:
    sheets.pytester.makeini(
        "[pytest]\ncheatsheet_items = example\ncheatsheet_dtypes = float32 float64\n"
    )
    sheets.write(
        "dtype_only.md",
        """
        ```python
        >>> dtype.is_floating_point
        True
        ```
        """,
    )
    result = sheets.run("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["cheatsheet/dtype_only.md::float32::line:2", "cheatsheet/dtype_only.md::float64::line:2"]
    )


def test_autocast_on_multiplies_runs_and_wraps_examples_in_torch_autocast(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "amp.md",
        """
        <!-- cheatsheet: autocast=off,on -->
        ```python
        >>> import torch
        >>> a = torch.ones(2, 2)
        >>> (a @ a).dtype == (torch.bfloat16 if autocast else torch.float32)
        True
        >>> torch.is_autocast_enabled("cpu") == autocast
        True
        ```
        """,
    )
    result = sheets.run("-v")
    result.stdout.fnmatch_lines(
        ["*amp.md::any::line:5 PASSED*", "*amp.md::autocast::line:7 PASSED*"]
    )
    result.assert_outcomes(passed=8)


def test_autocast_dtype_ini_option_overrides_the_device_default(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\ncheatsheet_items = example\n"
        "cheatsheet_autocast = on\ncheatsheet_autocast_dtype = float16\n"
    )
    (pytester.path / "cheatsheet").mkdir()
    (pytester.path / "cheatsheet" / "a.md").write_text(
        "```python\n>>> import torch\n"
        ">>> (torch.ones(2, 2) @ torch.ones(2, 2)).dtype\ntorch.float16\n```\n"
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_ini_defaults_apply_to_sheets_without_a_directive(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\ncheatsheet_items = example\n"
        "cheatsheet_devices = cpu\ncheatsheet_dtypes = float64 float16\n"
    )
    (pytester.path / "cheatsheet").mkdir()
    (pytester.path / "cheatsheet" / "a.md").write_text("```python\n>>> dtype.itemsize\n8\n```\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.stdout.fnmatch_lines(
        ["*a.md::float64::line:2 PASSED*", "*a.md::float16::line:2 FAILED*"]
    )


def test_command_line_narrows_the_matrix(sheets: SheetWriter) -> None:
    sheets.write("tanh.md", TANH_SHEET)
    result = sheets.run("--cheatsheet-dtypes=float16,bfloat16", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["*cpu-float16::line:5", "*cpu-bfloat16::line:6", "4 tests collected*"]
    )


def test_keyword_and_marker_selection_by_axis_value(sheets: SheetWriter) -> None:
    sheets.write("tanh.md", TANH_SHEET)
    sheets.run("-k", "cpu and float16 and not bfloat16").assert_outcomes(passed=2)
    sheets.run("-m", "bfloat16").assert_outcomes(passed=2)
    sheets.run("-m", "cpu and not float32").assert_outcomes(passed=6)


def test_one_example_run_alone_first_runs_the_earlier_examples_as_set_up(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "chain.md",
        """
        ```python
        >>> total = 1
        >>> total += 1
        >>> total * 10
        20
        ```
        """,
    )
    result = sheets.run("-k", "line:3", "-v")
    result.stdout.fnmatch_lines(["*chain.md::any::line:3 PASSED*"])
    result.assert_outcomes(passed=1)


def test_a_failing_claim_fails_at_its_markdown_line(sheets: SheetWriter) -> None:
    sheets.write(
        "wrong.md",
        """
        # arange

        ```python
        >>> import torch
        >>> len(torch.arange(0, 1, 0.3))
        3
        ```
        """,
    )
    result = sheets.run()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cheatsheet/wrong.md:5 [[]any]: doctest output differs*",
            "Expected:",
            "    3",
            "Got:",
            "    4",
        ]
    )


def test_a_syntax_error_fails_only_its_own_example_at_its_line(sheets: SheetWriter) -> None:
    sheets.write(
        "syntax.md",
        """
        ```python
        x = 1
        ```

        ```python
        def broken(:
            pass
        ```

        ```python
        >>> x
        1
        ```
        """,
    )
    result = sheets.run()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*syntax.md:5 [[]any]: invalid Python*", '*File "*syntax.md", line 6*']
    )


def test_tracebacks_show_the_sheet_not_the_plugin_or_sybil(sheets: SheetWriter) -> None:
    sheets.write(
        "raises.md",
        """
        ```python
        def f():
            raise ValueError("boom")

        f()
        ```
        """,
    )
    result = sheets.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "cheatsheet/raises.md:5: in <module>",
            "    f()",
            "cheatsheet/raises.md:3: in f",
            '    raise ValueError("boom")',
            "E   ValueError: boom",
        ]
    )
    output = result.stdout.str()
    assert "sybil/" not in output
    assert "pytest_cheatsheet/" not in output
    assert "_pytest/" not in output


def test_a_malformed_doctest_block_fails_as_one_example(sheets: SheetWriter) -> None:
    sheets.write(
        "malformed.md",
        """
        ```python
        >>>print(1)
        1
        ```

        ```python
        >>> 2
        2
        ```
        """,
    )
    result = sheets.run()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*malformed.md:2 [[]any]: cannot parse this block*lacks blank after >>>*"]
    )


def test_a_failing_skip_condition_fails_the_next_example_at_the_directive_line_only(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "skips.md",
        """
        <!-- skip: next if(undefined_name, reason="x") -->
        ```python
        >>> 1
        1
        ```

        <!-- skip: next if(True, reason="a later skip") -->
        ```python
        >>> 2
        3
        ```

        ```python
        >>> 3
        3
        ```
        """,
    )
    result = sheets.run("-rs")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*skips.md:1 [[]any]: this directive failed: NameError: *undefined_name*",
            "SKIPPED [[]1] cheatsheet/skips.md:9: a later skip",
        ]
    )


def test_p_no_cheatsheet_turns_the_plugin_off(sheets: SheetWriter) -> None:
    sheets.write("tanh.md", TANH_SHEET)
    result = sheets.run("-p", "no:cheatsheet")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "cheatsheet: what was verified" not in result.stdout.str()
