from __future__ import annotations

import textwrap

import pytest

from conftest import SheetWriter

SHEET = """\
# 张量与中文说明 ✓

<!-- cheatsheet: devices=cpu dtypes=float32,float64 -->

下面的输出写错了（正文不应被改动）。

```python
>>> import torch
>>> torch.arange(6, dtype=dtype).reshape(2, 3)
tensor([[0., 1., 2.],
        [3., 4., 5.]])
>>> print("第一行\\n\\n第三行")
第一行
>>> 1 + 1
2
```

结尾的说明：αβγ。
"""


def _write(sheets: SheetWriter, text: str, newline: str = "\n", bom: bool = False) -> bytes:
    path = sheets.pytester.path / "cheatsheet" / "sheet.md"
    path.parent.mkdir(exist_ok=True)
    data = ("\ufeff" if bom else "") + text.replace("\n", newline)
    path.write_bytes(data.encode("utf-8"))
    return path.read_bytes()


def _read(sheets: SheetWriter) -> bytes:
    return (sheets.pytester.path / "cheatsheet" / "sheet.md").read_bytes()


WRONG = SHEET.replace("        [3., 4., 5.]])", "        [3., 4., 6.]])")
FIXED = SHEET.replace("第一行\n>>> 1 + 1", "第一行\n<BLANKLINE>\n第三行\n>>> 1 + 1")


@pytest.mark.parametrize(
    ("newline", "bom"), [("\n", False), ("\r\n", False), ("\n", True)], ids=["lf", "crlf", "bom"]
)
def test_update_rewrites_only_the_expected_outputs_byte_for_byte(
    sheets: SheetWriter, newline: str, bom: bool
) -> None:
    _write(sheets, WRONG, newline, bom)
    first = sheets.run("--cheatsheet-update")
    first.assert_outcomes(passed=4, failed=4)
    first.stdout.fnmatch_lines(
        ["*cheatsheet: updated 2 expected outputs*", "cheatsheet/sheet.md: lines 9, 12"]
    )
    expected = ("\ufeff" if bom else "") + FIXED.replace("\n", newline)
    assert _read(sheets) == expected.encode("utf-8")
    sheets.run().assert_outcomes(passed=8)


def test_update_leaves_a_sheet_that_passes_untouched(sheets: SheetWriter) -> None:
    original = _write(sheets, FIXED)
    sheets.run("--cheatsheet-update").assert_outcomes(passed=8)
    assert _read(sheets) == original


def test_update_writes_atomically_and_leaves_no_temporary_file(sheets: SheetWriter) -> None:
    _write(sheets, WRONG)
    sheets.run("--cheatsheet-update")
    assert sorted(p.name for p in (sheets.pytester.path / "cheatsheet").iterdir()) == ["sheet.md"]


def test_update_under_xdist_writes_the_same_result(sheets: SheetWriter) -> None:
    _write(sheets, WRONG)
    result = sheets.run("--cheatsheet-update", "-n", "2")
    result.assert_outcomes(passed=4, failed=4)
    assert _read(sheets) == FIXED.encode("utf-8")
    sheets.run("-n", "2").assert_outcomes(passed=8)


def test_update_writes_an_unexpected_exception_as_a_doctest_traceback(
    sheets: SheetWriter,
) -> None:
    sheets.write("sheet.md", "```python\n>>> int('x')\n```\n")
    sheets.run("--cheatsheet-update").assert_outcomes(failed=1)
    assert _read(sheets).decode() == textwrap.dedent(
        """\
        ```python
        >>> int('x')
        Traceback (most recent call last):
            ...
        ValueError: invalid literal for int() with base 10: 'x'
        ```
        """
    )
    sheets.run().assert_outcomes(passed=1)


def test_update_keeps_the_prefix_of_blocks_inside_lists_and_quotes(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """
        - an item:

          ```python
          >>> [1, 2]
          [1, 3]
          ```

        > ```python
        > >>> 'a' * 2
        > 'b'
        > ```
        """,
    )
    sheets.run("--cheatsheet-update").assert_outcomes(failed=2)
    text = _read(sheets).decode()
    assert "  >>> [1, 2]\n  [1, 2]\n" in text
    assert "> >>> 'a' * 2\n> 'aa'\n" in text
    sheets.run().assert_outcomes(passed=2)


def test_update_uses_the_first_combination_and_not_the_others(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """
        <!-- cheatsheet: devices=cpu dtypes=float64,float32 -->
        ```python
        >>> str(dtype)
        'torch.float32'
        ```
        """,
    )
    sheets.run("--cheatsheet-update").assert_outcomes(passed=1, failed=1)
    assert "'torch.float64'" in _read(sheets).decode()


def test_update_refuses_a_sheet_that_changed_during_the_run(sheets: SheetWriter) -> None:
    sheets.write("sheet.md", "```python\n>>> 1 + 1\n3\n```\n")
    sheets.pytester.makeconftest(
        """
        from pathlib import Path

        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_sessionfinish(session):
            path = Path(session.config.rootpath, "cheatsheet", "sheet.md")
            path.write_text(path.read_text().replace("3", "5"))
        """
    )
    result = sheets.run("--cheatsheet-update")
    result.stdout.fnmatch_lines(["*cheatsheet update failed*sheet.md:2*changed since the run*"])
    assert "INTERNALERROR" not in result.stdout.str()
    assert ">>> 1 + 1\n5\n" in _read(sheets).decode()
