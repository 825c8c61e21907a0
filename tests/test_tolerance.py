"""The written combination, the tolerance a sheet sets and the checker's messages, end to end."""

from __future__ import annotations

import pytest

from conftest import SheetWriter

POWER = """\
# 幂

<!-- cheatsheet: devices=cpu dtypes=float32,float16{matrix} -->
{directive}
```python
>>> import torch
>>> torch.tensor(1.001, dtype=dtype) ** 1000
{output}
```
"""


def power_sheet(output: str = "tensor(2.7171)", directive: str = "", matrix: str = "") -> str:
    return POWER.format(output=output, directive=directive, matrix=matrix)


def test_float16_fails_a_claim_beyond_its_default_tolerance_with_the_rule_named(
    sheets: SheetWriter,
) -> None:
    sheets.write("power.md", power_sheet())
    result = sheets.run()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*power.md:7 ?cpu-float16?: doctest output differs",
            "Numbers compared: rtol=0.001, atol=1e-05 (float16, from dtype=torch.float16) plus "
            "half a unit of the last written and printed digits.",
            "First difference: expected 2.7171, got 2.6543: |difference| 0.0628 > allowed *",
        ]
    )


def test_a_tolerance_directive_before_a_block_loosens_the_other_combinations(
    sheets: SheetWriter,
) -> None:
    sheets.write("power.md", power_sheet(directive="<!-- cheatsheet: tolerance rtol=0.05 -->"))
    sheets.run().assert_outcomes(passed=4)


def test_the_written_combination_stays_exact_under_a_tolerance_directive(
    sheets: SheetWriter,
) -> None:
    text = power_sheet("tensor(2.7172)", directive="<!-- cheatsheet: tolerance rtol=0.05 -->")
    sheets.write("power.md", text)
    result = sheets.run()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*power.md:7 ?cpu-float32?: doctest output differs",
            "Numbers compared: written combination: the printed digits, cut or rounded (a "
            "tolerance is set).",
            "First difference: expected 2.7172, got 2.7171 (written combination: the printed *",
        ]
    )


def test_the_matrix_directive_sets_the_sheets_tolerance(sheets: SheetWriter) -> None:
    sheets.write("power.md", power_sheet(matrix=" rtol=0.05"))
    sheets.run().assert_outcomes(passed=4)


def test_ini_options_set_every_sheets_tolerance(sheets: SheetWriter) -> None:
    sheets.pytester.makeini(
        "[pytest]\ncheatsheet_items = example\ncheatsheet_rtol = 0.05\ncheatsheet_atol = 1e-5\n"
    )
    sheets.write("power.md", power_sheet())
    sheets.run().assert_outcomes(passed=4)


def test_a_block_tolerance_applies_to_its_block_only(sheets: SheetWriter) -> None:
    text = power_sheet(directive="<!-- cheatsheet: tolerance rtol=0.05 -->") + (
        "\n```python\n>>> torch.tensor(1.001, dtype=dtype) ** 1000\ntensor(2.7171)\n```\n"
    )
    sheets.write("power.md", text)
    result = sheets.run()
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*power.md:12 ?cpu-float16?: doctest output differs"])


@pytest.mark.parametrize(
    ("directive", "error"),
    [
        (
            "<!-- cheatsheet: tolerance rtol=abc -->",
            "power.md:4: rtol='abc' is not a valid tolerance; valid: a finite number >= 0, "
            "e.g. rtol=1e-3",
        ),
        (
            "<!-- cheatsheet: tolerance atol=-1 -->",
            "power.md:4: atol='-1' is not a valid tolerance; valid: a finite number >= 0, "
            "e.g. atol=1e-3",
        ),
        (
            "<!-- cheatsheet: tolerance rtol=nan -->",
            "power.md:4: rtol='nan' is not a valid tolerance; valid: *",
        ),
        (
            "<!-- cheatsheet: tolerance -->",
            "power.md:4: tolerance needs rtol= and/or atol=, e.g. tolerance rtol=1e-3 atol=1e-5",
        ),
        (
            "<!-- cheatsheet: tolerance rtol=1 ratol=2 -->",
            "power.md:4: malformed tolerance part 'ratol=2'; valid: rtol=<number> and/or "
            "atol=<number>, *",
        ),
        (
            "<!-- cheatsheet: tolerance rtol=1 rtol=2 -->",
            "power.md:4: rtol= is given twice",
        ),
    ],
)
def test_a_bad_tolerance_directive_is_a_collection_error_naming_line_value_and_choices(
    sheets: SheetWriter, directive: str, error: str
) -> None:
    sheets.write("power.md", power_sheet(directive=directive))
    result = sheets.run("--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting cheatsheet/power.md*", f"cheatsheet/{error}"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("matrix", "error"),
    [
        (" rtol=big", "power.md:3: rtol='big' is not a valid tolerance; valid: *"),
        (
            " written=cpu-float99",
            "power.md:3: written='cpu-float99' names no combination of this sheet; "
            "valid: cpu-float32, cpu-float16",
        ),
        (" written=", "power.md:3: written= needs a combination id, e.g. written=cpu-float64"),
    ],
)
def test_a_bad_matrix_key_is_a_collection_error(
    sheets: SheetWriter, matrix: str, error: str
) -> None:
    sheets.write("power.md", power_sheet(matrix=matrix))
    result = sheets.run("--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"cheatsheet/{error}"])


def test_a_tolerance_directive_with_no_block_after_it_is_a_collection_error(
    sheets: SheetWriter,
) -> None:
    sheets.write("power.md", power_sheet() + "\n<!-- cheatsheet: tolerance rtol=1 -->\n")
    result = sheets.run("--collect-only")
    result.stdout.fnmatch_lines(
        ["cheatsheet/power.md:11: tolerance directive is followed by no Python code block"]
    )


@pytest.mark.parametrize(
    ("ini", "error"),
    [
        ("cheatsheet_rtol = lots", "ERROR: ini option cheatsheet_rtol: rtol='lots' is not *"),
        ("cheatsheet_atol = -0.1", "ERROR: ini option cheatsheet_atol: atol='-0.1' is not *"),
    ],
)
def test_a_bad_ini_tolerance_is_a_usage_error_naming_the_option(
    sheets: SheetWriter, ini: str, error: str
) -> None:
    sheets.pytester.makeini(f"[pytest]\ncheatsheet_items = example\n{ini}\n")
    sheets.write("power.md", power_sheet())
    result = sheets.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([error])


E_SHEET = """\
# e

<!-- cheatsheet: devices=cpu dtypes=float32,float64{written} -->

```python
>>> import torch
>>> torch.tensor([1.0], dtype=dtype).exp()
{tensor}
>>> torch.tensor(1.0, dtype=dtype).exp().item()
{item}
```
"""
E32, E64 = "2.7182817459106445", "2.718281828459045"


def test_written_names_the_combination_whose_outputs_are_exact(sheets: SheetWriter) -> None:
    tensor = "tensor([2.7183], dtype=torch.float64)"  # stands for float32's tensor([2.7183])
    sheets.write("e.md", E_SHEET.format(written=" written=cpu-float64", tensor=tensor, item=E64))
    sheets.run().assert_outcomes(passed=6)
    sheets.write("e.md", E_SHEET.format(written=" written=cpu-float64", tensor=tensor, item=E32))
    result = sheets.run()
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*e.md:9 ?cpu-float64?: doctest output differs",
            "Numbers compared: written combination: printed exactly.",
        ]
    )


def test_the_written_combination_is_the_declared_first_dtype_whatever_the_run_is_narrowed_to(
    sheets: SheetWriter,
) -> None:
    # float32's e is within float64's tolerance of float64's, and exact only on float32.
    sheets.write("e.md", E_SHEET.format(written="", tensor="tensor([2.7183])", item=E32))
    sheets.run("--cheatsheet-dtypes=float64").assert_outcomes(passed=3)
    sheets.write("e.md", E_SHEET.format(written="", tensor="tensor([2.7183])", item=E64))
    result = sheets.run()
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*e.md:9 ?cpu-float32?: doctest output differs"])


def test_a_sheet_that_never_reads_dtype_compares_its_float64_results_exactly(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "floats.md",
        "# 浮点\n\n```python\n>>> 0.1 + 0.2\n0.30000000000000004\n>>> 1 / 3\n"
        "0.3333333333333333\n>>> 2 / 3\n0.6666666667\n>>> 1.1 * 3\n3.3\n```\n",
    )
    result = sheets.run()
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*floats.md:8 ?any?*",
            "Numbers compared: written combination: printed exactly.",
            "First difference: expected 0.6666666667, got 0.6666666666666666 (written *",
            "*floats.md:10 ?any?*",
            "First difference: expected 3.3, got 3.3000000000000003 (written combination: *",
        ]
    )
