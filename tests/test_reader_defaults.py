from __future__ import annotations

import pytest

from conftest import SheetWriter
from pytest_cheatsheet.reader_defaults import shadowing

READER_SHEET = """
    # dtypes
    <!-- cheatsheet: devices=cpu dtypes=float32,float64 autocast=off,on -->

    <!-- cheatsheet: reader-defaults -->
    ```python
    import torch
    device = "cpu"
    dtype = torch.float32
    autocast = False
    ```

    ```python
    >>> str(dtype), device, autocast
    ('torch.float32', 'cpu', False)
    ```
"""


def test_after_reader_defaults_each_combination_gets_its_own_dtype_and_autocast(
    sheets: SheetWriter,
) -> None:
    sheets.write("readers.md", READER_SHEET)
    result = sheets.run("-rf", "-W", "error::UserWarning")
    # The reader-defaults block passes everywhere; the doctest holds only for cpu-float32.
    result.assert_outcomes(passed=4 + 1, failed=3)
    result.stdout.fnmatch_lines(["*cheatsheet/readers.md:13 [[]cpu-float64]*"])
    result.stdout.fnmatch_lines(["*cheatsheet/readers.md:13 [[]cpu-float32-autocast]*"])
    result.stdout.no_fnmatch_line("*readers.md:13 [[]cpu-float32[]]*")


def test_reader_defaults_hold_when_one_example_is_run_alone(sheets: SheetWriter) -> None:
    sheets.write("readers.md", READER_SHEET)
    result = sheets.run("-k", "float64 and not autocast and line:13")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*('torch.float64', 'cpu', False)*"])


def test_reader_defaults_may_be_doctests_and_may_read_the_combination(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "readers.md",
        """
        <!-- cheatsheet: devices=cpu dtypes=float32,float64 -->

        <!-- cheatsheet: reader-defaults -->
        ```python
        >>> import torch
        >>> dtype = torch.float16
        >>> device = "meta"
        ```

        ```python
        >>> torch.ones(2, dtype=dtype, device=device).dtype in (torch.float32, torch.float64)
        True
        >>> torch.ones(2, device=device).device.type
        'cpu'
        ```
        """,
    )
    sheets.run("-W", "error::UserWarning").assert_outcomes(passed=2 * 5)


def test_a_sheet_that_assigns_dtype_outside_reader_defaults_is_warned_at_that_line(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "shadow.md",
        """
        <!-- cheatsheet: devices=cpu dtypes=float32,float16 -->

        ```python
        import torch
        x = torch.ones(2, dtype=dtype)
        dtype = torch.float32
        ```

        ```python
        >>> device = "cpu"
        ```
        """,
    )
    result = sheets.run("-W", "default::pytest_cheatsheet.CheatsheetWarning")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*cheatsheet/shadow.md:6: CheatsheetWarning: cheatsheet/shadow.md:6: assigns 'dtype', "
            "which each combination sets*reader-defaults*",
            "*shadow.md:10: CheatsheetWarning: cheatsheet/shadow.md:10: assigns 'device'*",
        ]
    )


def test_the_shadowing_warning_can_be_made_an_error_by_its_class(sheets: SheetWriter) -> None:
    sheets.write("shadow.md", "```python\n>>> dtype = 1\n>>> dtype\n1\n```\n")
    result = sheets.run("-W", "error::pytest_cheatsheet.CheatsheetWarning")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CheatsheetWarning: cheatsheet/shadow.md:2: assigns 'dtype'*"])


def test_function_locals_attributes_and_reader_defaults_are_not_warned(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "quiet.md",
        """
        <!-- cheatsheet: reader-defaults -->
        ```python
        device = "cpu"
        ```

        ```python
        import types
        def move(device):
            device = str(device)
            return device
        class Box:
            dtype = None
        box = types.SimpleNamespace()
        box.dtype = "float32"
        pairs = [dtype for dtype in ("a", "b")]
        ```
        """,
    )
    result = sheets.run("-W", "error::UserWarning")
    result.assert_outcomes(passed=2, skipped=2)  # the function reads device: cpu and cuda
    result.stdout.no_fnmatch_line("*CheatsheetWarning*")


def test_reader_defaults_not_followed_by_a_code_block_is_a_collection_error(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "bad.md",
        """
        ```python
        >>> 1
        1
        ```

        <!-- cheatsheet: reader-defaults -->
        Prose only.
        """,
    )
    result = sheets.run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*cheatsheet/bad.md:6: reader-defaults is followed by no Python code block*"]
    )


def test_reader_defaults_with_arguments_is_a_collection_error(sheets: SheetWriter) -> None:
    sheets.write(
        "bad.md", "<!-- cheatsheet: reader-defaults dtype=float32 -->\n```python\nx = 1\n```\n"
    )
    result = sheets.run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*cheatsheet/bad.md:1: reader-defaults takes nothing after it, got 'dtype=float32'*"]
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("device = 'cpu'", [(10, "device")]),
        ("x = 1\ndtype = 2", [(11, "dtype")]),
        ("for dtype in (1, 2):\n    pass", [(10, "dtype")]),
        ("with open('f') as device:\n    pass", [(10, "device")]),
        ("import numpy as dtype", [(10, "dtype")]),
        ("from torch import device", [(10, "device")]),
        ("def device():\n    pass", [(10, "device")]),
        ("device, y = 1, 2", [(10, "device")]),
        ("del dtype", [(10, "dtype")]),
        ("if True:\n    dtype = 1", [(11, "dtype")]),
        ("x.dtype = 1", []),
        ("d[dtype] = 1", []),
        ("def f(device):\n    device = 1", []),
        ("f = lambda dtype: dtype", []),
        ("[device for device in 'ab']", []),
        ("class A:\n    dtype = 1", []),
        ("print(device, dtype)", []),
        ("dtype ==", []),  # a syntax error fails when the block runs
        ("\uff44type = 1", [(10, "dtype")]),  # a full-width d: Python reads it as dtype
        ("x = 1", []),
    ],
)
def test_shadowing_finds_module_level_bindings_of_device_and_dtype(
    source: str, expected: list[tuple[int, str]]
) -> None:
    assert list(shadowing(source, 10)) == expected
