from __future__ import annotations

import doctest
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path

import hypothesis
import pytest
from hypothesis import strategies as st

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
    sheets.run().assert_outcomes(passed=8)  # serially: the sheet is right, however it is run


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
    result.stdout.fnmatch_lines(
        ["cheatsheet: not updated: cheatsheet/sheet.md:2: *changed since the sheet was collected*"]
    )
    assert "INTERNALERROR" not in result.stdout.str()
    assert ">>> 1 + 1\n5\n" in _read(sheets).decode()


DTYPE_SHEET = """\
<!-- cheatsheet: dtypes={dtypes} -->
```python
>>> str(dtype)
'torch.float16'
```
"""


@pytest.mark.parametrize(
    "narrowing",
    [("--cheatsheet-dtypes=float64",), ("-k", "float64"), ("--cheatsheet-dtypes=float64", "-n2")],
    ids=["dtypes-option", "keyword", "xdist"],
)
def test_update_writes_nothing_for_a_sheet_whose_written_combination_did_not_run(
    sheets: SheetWriter, narrowing: tuple[str, ...]
) -> None:
    sheets.write("first32.md", DTYPE_SHEET.format(dtypes="float32,float64"))
    sheets.write("first64.md", DTYPE_SHEET.format(dtypes="float64,float32"))
    before = (sheets.pytester.path / "cheatsheet" / "first32.md").read_bytes()
    result = sheets.run("--cheatsheet-update", *narrowing)
    result.assert_outcomes(failed=2)
    assert (sheets.pytester.path / "cheatsheet" / "first32.md").read_bytes() == before
    assert (sheets.pytester.path / "cheatsheet" / "first64.md").read_text() == DTYPE_SHEET.format(
        dtypes="float64,float32"
    ).replace("'torch.float16'", "'torch.float64'")
    result.stdout.fnmatch_lines(
        [
            "cheatsheet: not updated: cheatsheet/first32.md: its written combination float32 "
            "did not run*",
            "cheatsheet/first64.md: lines 3",
        ]
    )


def test_update_writes_nothing_where_the_written_combinations_device_is_absent(
    sheets: SheetWriter,
) -> None:
    before = _write(
        sheets,
        "<!-- cheatsheet: devices=cuda:7,cpu -->\n"
        "```python\n>>> __import__('torch').ones(2, device=device).sum().item()\n3.0\n```\n",
    )
    result = sheets.run("--cheatsheet-update")
    result.assert_outcomes(failed=1, skipped=1)
    assert _read(sheets) == before
    result.stdout.fnmatch_lines(
        ["cheatsheet: not updated: cheatsheet/sheet.md: its written combination cuda:7 did not*"]
    )


TWO_EXAMPLES = "```python\n>>> 1 + 1\n3\n>>> 2 + 2\n5\n```\n"


@pytest.mark.parametrize(
    ("edit", "edited"),
    [
        ("swap the sources", "```python\n>>> 2 + 2\n3\n>>> 1 + 1\n5\n```\n"),
        ("insert a line", "新的一行\n" + TWO_EXAMPLES),
        ("shorten", "```python\n>>> 1 + 1\n"),
        ("delete the output", "```python\n>>> 1 + 1\n>>> 2 + 2\n5\n```\n"),
    ],
)
def test_update_never_writes_into_a_sheet_edited_during_the_run(
    sheets: SheetWriter, edit: str, edited: str
) -> None:
    _write(sheets, TWO_EXAMPLES)
    sheets.pytester.makeconftest(
        f"""
        from pathlib import Path

        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_sessionfinish(session):
            path = Path(session.config.rootpath, "cheatsheet", "sheet.md")
            path.write_bytes({edited.encode()!r})
        """
    )
    result = sheets.run("--cheatsheet-update", "--cheatsheet-report=r.json")
    result.assert_outcomes(failed=2)
    assert _read(sheets) == edited.encode()
    result.stdout.fnmatch_lines(
        ["cheatsheet: not updated: cheatsheet/sheet.md:*: the example's source or expected*"]
    )
    assert "INTERNALERROR" not in result.stdout.str()
    assert "updated" not in result.stdout.str().replace("not updated", "")
    assert (sheets.pytester.path / "r.json").exists()


def test_update_still_writes_the_examples_that_stand_where_they_were(sheets: SheetWriter) -> None:
    _write(sheets, TWO_EXAMPLES + "\n说明\n")
    sheets.pytester.makeconftest(
        """
        from pathlib import Path

        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_sessionfinish(session):
            path = Path(session.config.rootpath, "cheatsheet", "sheet.md")
            path.write_text(path.read_text().replace(">>> 2 + 2", ">>> 2 * 3"))
        """
    )
    result = sheets.run("--cheatsheet-update")
    result.stdout.fnmatch_lines(["cheatsheet/sheet.md: lines 2"])
    assert (
        _read(sheets) == b"```python\n>>> 1 + 1\n2\n>>> 2 * 3\n5\n```\n\n\xe8\xaf\xb4\xe6\x98\x8e\n"
    )


def test_update_never_rewrites_an_output_an_xfail_gate_expects_to_fail(
    sheets: SheetWriter,
) -> None:
    before = _write(
        sheets,
        '<!-- cheatsheet: xfail torch<99 reason="the claim" -->\n'
        "```python\n>>> 1 + 1\n3\n```\n\n```python\n>>> 2 + 2\n5\n```\n",
    )
    result = sheets.run("--cheatsheet-update")
    result.assert_outcomes(failed=1, xfailed=1)
    assert _read(sheets) == before.replace(b">>> 2 + 2\n5\n", b">>> 2 + 2\n4\n")


@pytest.mark.parametrize(
    ("code", "old", "new"),
    [
        ("for i in range(2):\n...     print(i)\n...", "0\n2", "0\n1"),
        ("print('a'); print('b')", "x\n...", "a\nb"),
        ("print('a\\n\\n  b  ')", "a", "a\n<BLANKLINE>\n  b"),
        ("print('')", "x", "<BLANKLINE>"),
        ("None", "1", None),
        (
            "int('x')",
            "Traceback (most recent call last):\n    ...\nValueError: nope",
            "Traceback (most recent call last):\n    ...\n"
            "ValueError: invalid literal for int() with base 10: 'x'",
        ),
        (
            "print('before'); {}['k']",
            "Traceback (most recent call last):\n  File x\nTypeError: no",
            "Traceback (most recent call last):\n    ...\nKeyError: 'k'",
        ),
        ("print('α\\u00a0β ✓')", "x", "α\u00a0β ✓"),
    ],
    ids=[
        "source-ends-with-ellipsis",
        "output-ends-with-ellipsis",
        "blank-lines",
        "only-blank",
        "no-output",
        "traceback",
        "traceback-after-output",
        "non-ascii",
    ],
)
def test_update_writes_outputs_that_read_back_as_the_same_doctest(
    sheets: SheetWriter, code: str, old: str, new: str | None
) -> None:
    template = "说明\n\n```python\n>>> {code}\n{out}```\n\n```python\n>>> 1\n1\n```\n"
    _write(sheets, template.format(code=code, out=old + "\n"))
    result = sheets.run("--cheatsheet-update")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["cheatsheet/sheet.md: lines 4"])
    out = "" if new is None else new + "\n"
    assert _read(sheets) == template.format(code=code, out=out).encode()
    sheets.run().assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("print('```')", "*output line 1 ('```') would close the code block*"),
        ("print('ok\\n  ~~~~')", "*output line 2 ('  ~~~~') would close the code block*"),
        ("print('>>> 1')", "*starts with '>>>', which doctest reads as a new example*"),
        ("print('ok\\n   >>> x')", "*output line 2*starts with '>>>'*"),
        ("print('...')", "*starts with '...', which doctest reads as more source*"),
        ("print('a\\rb')", "*holds the control character U+000D*"),
        ("print('a\\u2028b')", "*holds the control character U+2028*"),
        ("print('\\ud800')", "*holds a lone surrogate*"),
        ("print('<BLANKLINE>')", "*prints <BLANKLINE>, which doctest reads as a blank line*"),
    ],
    ids=[
        "fence",
        "tilde-fence",
        "prompt",
        "indented-prompt",
        "continuation",
        "carriage-return",
        "line-separator",
        "surrogate",
        "blankline-marker",
    ],
)
def test_update_refuses_an_output_that_would_not_read_back_as_the_same_doctest(
    sheets: SheetWriter, code: str, reason: str
) -> None:
    text = f"```python\n>>> {code}\nx\n>>> 1 + 1\n3\n```\n"
    _write(sheets, text)
    result = sheets.run("--cheatsheet-update")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([f"cheatsheet: not updated: cheatsheet/sheet.md:2: {reason}"])
    assert _read(sheets) == text.replace("3\n```", "2\n```").encode()
    assert "INTERNALERROR" not in result.stdout.str()


def test_update_refuses_an_arrow_that_would_close_an_invisible_block(sheets: SheetWriter) -> None:
    text = "<!-- invisible-code-block: python\n>>> print('a -' + '-> b')\nx\n-->\n"
    before = _write(sheets, text)
    result = sheets.run("--cheatsheet-update")
    result.stdout.fnmatch_lines(["*sheet.md:2: output line 1 ('a --> b') holds '-->'*"])
    assert _read(sheets) == before


def test_update_writes_a_symlinked_sheet_through_the_link_once_keeping_its_mode(
    sheets: SheetWriter,
) -> None:
    real = sheets.pytester.path / "cheatsheet" / "real.md"
    real.write_text("```python\n>>> 1 + 1\n3\n```\n")
    real.chmod(0o640)
    link = sheets.pytester.path / "cheatsheet" / "link.md"
    link.symlink_to("real.md")
    result = sheets.run("--cheatsheet-update")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*cheatsheet: updated 1 expected output*"])
    assert link.is_symlink()
    assert os.readlink(link) == "real.md"
    assert real.read_text() == "```python\n>>> 1 + 1\n2\n```\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["link.md", "real.md"]


def test_update_refuses_a_read_only_sheet_with_a_message(sheets: SheetWriter) -> None:
    before = _write(sheets, TWO_EXAMPLES)
    path = sheets.pytester.path / "cheatsheet" / "sheet.md"
    path.chmod(0o444)
    sheets.write("other.md", "```python\n>>> 3\n4\n```\n")
    result = sheets.run("--cheatsheet-update")
    result.stdout.fnmatch_lines(
        ["cheatsheet: not updated: cheatsheet/sheet.md: read-only (mode 0444)*"]
    )
    result.stdout.fnmatch_lines(["cheatsheet/other.md: lines 2"])
    assert _read(sheets) == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_update_refuses_a_hard_linked_sheet_rather_than_split_the_link(
    sheets: SheetWriter,
) -> None:
    before = _write(sheets, TWO_EXAMPLES)
    path = sheets.pytester.path / "cheatsheet" / "sheet.md"
    other_name = sheets.pytester.path / "elsewhere.md"
    os.link(path, other_name)
    result = sheets.run("--cheatsheet-update")
    result.stdout.fnmatch_lines(["cheatsheet: not updated: cheatsheet/sheet.md: has 2 hard links*"])
    assert _read(sheets) == before == other_name.read_bytes()
    assert path.stat().st_ino == other_name.stat().st_ino


def test_an_error_in_one_sheet_loses_neither_the_others_nor_the_report_nor_the_summary(
    sheets: SheetWriter,
) -> None:
    sheets.write("a.md", "```python\n>>> 1 + 1\n3\n>>> 2 + 2\n5\n```\n")
    sheets.write("b.md", "```python\n>>> 3 + 3\n7\n```\n")
    sheets.pytester.makeconftest(
        """
        from pathlib import Path

        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_sessionfinish(session):
            Path(session.config.rootpath, "cheatsheet", "a.md").write_text("```python\\n")
        """
    )
    result = sheets.run("--cheatsheet-update", "--cheatsheet-report=r.json")
    assert "INTERNALERROR" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["cheatsheet: not updated: cheatsheet/a.md:2:*", "*cheatsheet: what was verified*"]
    )
    result.stdout.fnmatch_lines(["cheatsheet/b.md: lines 2"])
    assert (
        (sheets.pytester.path / "cheatsheet" / "b.md")
        .read_text()
        .startswith("```python\n>>> 3 + 3\n6\n")
    )
    assert len(json.loads((sheets.pytester.path / "r.json").read_text())["results"]) == 3


def test_a_report_that_cannot_be_written_loses_neither_the_updates_nor_the_summary(
    sheets: SheetWriter,
) -> None:
    sheets.write("b.md", "```python\n>>> 3 + 3\n7\n```\n")
    sheets.pytester.makeconftest(
        """
        from pathlib import Path

        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_sessionfinish(session):
            Path(session.config.rootpath, "r.json").mkdir()
        """
    )
    result = sheets.run("--cheatsheet-update", "--cheatsheet-report=r.json")
    assert "INTERNALERROR" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "cheatsheet: the report was not written to *r.json: IsADirectoryError*",
            "*cheatsheet: updated 1 expected output*",
            "*cheatsheet: what was verified*",
        ]
    )
    assert (
        (sheets.pytester.path / "cheatsheet" / "b.md")
        .read_text()
        .startswith("```python\n>>> 3 + 3\n6\n")
    )


CONCURRENT_CONFTEST = """
import os
import time
from pathlib import Path

import pytest

real_replace = os.replace


def slow_replace(source, destination):
    time.sleep(0.5)  # widen the window between reading a sheet and renaming over it
    real_replace(source, destination)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    ready = Path(session.config.rootpath, "ready")
    ready.mkdir(exist_ok=True)
    (ready / str(os.getpid())).touch()
    deadline = time.monotonic() + 120
    while len(list(ready.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.replace = slow_replace
"""


KEYWORDS = ("line:2", "line:4")


def _run_at_once(sheets: SheetWriter, commands: list[list[str]]) -> list[str]:
    """Start the commands together; their outputs, once all have ended."""
    logs = [sheets.pytester.path / f"run{index}.log" for index in range(len(commands))]
    runs = []
    for command, log in zip(commands, logs, strict=True):
        with log.open("w") as stream:
            runs.append(sheets.pytester.popen(command, stdout=stream, stderr=subprocess.STDOUT))
    for run in runs:
        run.wait(timeout=300)
    return [log.read_text() for log in logs]


def test_two_update_runs_at_once_both_land_or_one_says_why_it_did_not(
    sheets: SheetWriter,
) -> None:
    _write(sheets, "```python\n>>> 1 + 1\n3\n>>> 2 + 2\n5\n>>> 3 + 3\n7\n```\n")
    sheets.pytester.makeconftest(CONCURRENT_CONFTEST)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "cheatsheet"]
    outputs = _run_at_once(sheets, [[*command, "--cheatsheet-update", "-k", k] for k in KEYWORDS])
    assert _read(sheets) == b"```python\n>>> 1 + 1\n2\n>>> 2 + 2\n4\n>>> 3 + 3\n7\n```\n", outputs
    for output in outputs:
        assert "cheatsheet: updated 1 expected output" in output, output


def test_two_update_runs_at_once_never_lose_one_silently_when_lines_move(
    sheets: SheetWriter,
) -> None:
    _write(sheets, "```python\n>>> print(1); print(1)\n3\n>>> 2 + 2\n5\n```\n")
    sheets.pytester.makeconftest(CONCURRENT_CONFTEST)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "cheatsheet"]
    outputs = _run_at_once(sheets, [[*command, "--cheatsheet-update", "-k", k] for k in KEYWORDS])
    final = _read(sheets)
    landed = [output for output in outputs if "cheatsheet: updated 1 expected output" in output]
    refused = [
        output for output in outputs if "cheatsheet: not updated: cheatsheet/sheet.md:" in output
    ]
    assert len(landed) + len(refused) == 2, outputs
    assert (b">>> print(1); print(1)\n1\n1\n" in final) == any("lines 2" in o for o in landed)
    assert (b">>> 2 + 2\n4\n" in final) == any("lines 4" in o for o in landed)


_PRINTABLE = st.lists(
    st.characters(codec="utf-8")
    | st.sampled_from(["\n", "```", "~~~", ">>>", "...", "-->", " ", "\t", "<BLANKLINE>", "> "]),
    max_size=30,
).map("".join)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(printed=_PRINTABLE, prefix=st.sampled_from(["", "  ", "> "]))
def test_an_update_is_refused_or_reads_back_as_exactly_what_was_printed(
    printed: str, prefix: str
) -> None:
    from pytest_cheatsheet.sheet import make_sybil, parse_sheet
    from pytest_cheatsheet.update import make_update, want_from_output

    got = printed if printed.endswith("\n") or not printed else printed + "\n"
    lines = ["```python", ">>> x", "old", "```", "", "after"]
    sheet = "\n".join(prefix + line if line else line for line in lines[:4]) + "\nafter\n"
    new_want = want_from_output(got)
    update = make_update("s.md", sheet, 2, doctest.Example("x\n", "old\n"), new_want, got)
    if update.refusal:
        return
    written = "".join(f"{prefix}{line}".rstrip() + "\n" for line in update.new_lines)
    text = f"{prefix}```python\n{prefix}>>> x\n{written}{prefix}```\nafter\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "s.md")
        path.write_text(text, encoding="utf-8")
        examples = parse_sheet(path, make_sybil(Path(folder))).examples
    assert len(examples) == 1, text
    want = examples[0].region.parsed.want
    read_back = re.sub(r"(?m)^<BLANKLINE>\s*?$", "", want)
    assert read_back == "".join(line.rstrip() + "\n" for line in got.split("\n")[:-1]), text


@pytest.mark.parametrize(
    ("declared", "narrowing", "written"),
    [
        ({}, {}, "cpu-float32"),
        ({"dtypes": ("float64", "float32")}, {"dtypes": ("float32",)}, "cpu-float64"),
        ({"devices": ("cuda", "cpu")}, {"devices": ("cpu",)}, "cuda-float32"),
        ({"autocast": (True, False)}, {}, "cpu-float32"),
        ({"autocast": (True,)}, {}, "cpu-float32"),
        ({"dtypes": ("float32", "float64"), "written": ("cpu-float64",)}, {}, "cpu-float64"),
    ],
    ids=["defaults", "not-narrowed", "absent-device", "autocast-last", "autocast-only", "key"],
)
def test_the_written_combination_is_the_declared_first_device_and_dtype_with_autocast_off(
    declared: dict[str, tuple[object, ...]], narrowing: dict[str, tuple[object, ...]], written: str
) -> None:
    from pytest_cheatsheet.directives import MatrixDirective
    from pytest_cheatsheet.matrix import Axes
    from pytest_cheatsheet.options import SheetPaths
    from pytest_cheatsheet.settings import Settings
    from pytest_cheatsheet.sheet import Sheet

    settings = Settings(
        rootpath=Path("."),
        paths=SheetPaths((), frozenset()),
        axes=Axes(devices=("cpu", "cuda"), dtypes=("float32",), autocast=(False,)),
        narrowing=narrowing,
        autocast_dtype=None,
        sybils={},
    )
    axes = {axis: values for axis, values in declared.items() if axis != "written"}
    key = declared.get("written")
    matrix = MatrixDirective(1, axes, written=str(key[0]) if key else None)
    sheet = Sheet(Path("s.md"), "", [], [], matrix, frozenset({"devices", "dtypes"}))
    combination = settings.written_combination(sheet)
    assert combination.id == written
    assert not combination.autocast


def test_update_writes_what_the_combination_named_by_written_printed(sheets: SheetWriter) -> None:
    text = "<!-- cheatsheet: dtypes=float32,float64 written=float64 -->\n" + DTYPE_SHEET.split(
        "\n", 1
    )[1].replace("{dtypes}", "")
    before = _write(sheets, text)
    result = sheets.run("--cheatsheet-update")
    result.assert_outcomes(failed=2)
    assert _read(sheets) == before.replace(b"'torch.float16'", b"'torch.float64'")


# -- issue 20, items 11-15: the bytes written are the right ones, in the right place -----------


def _module_sheet(pytester: pytest.Pytester, text: str) -> Path:
    """A Python module under src/ (its docstrings a sheet), importable, one item per example."""
    pytester.makeini("[pytest]\ncheatsheet_items = example\ncheatsheet_paths = src\n")
    package = pytester.path / "src" / "helpers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    path = package / "sheet.py"
    path.write_bytes(text.encode("utf-8"))
    return path


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)


# Escapes in the docstring before its examples: the value has a tab, a backslash and a newline
# where the source has two characters each (and the newline makes one more line in the value).
ESCAPED_DOCSTRING = r'''"""Escapes before the examples: a tab\t, a backslash \\ and a newline\n.

>>> print(1)
1
>>> print(1)
2
"""
'''


def test_lines_of_a_docstring_with_escapes_map_to_the_source_and_update_writes_there(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(pytester.path / "src"))
    path = _module_sheet(pytester, ESCAPED_DOCSTRING)
    result = _run(pytester, "-rf", "--cheatsheet-update")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED src/helpers/sheet.py::any::line:5*"])
    assert "not updated" not in result.stdout.str()
    expected = ESCAPED_DOCSTRING.replace(">>> print(1)\n2\n", ">>> print(1)\n1\n")
    assert path.read_bytes() == expected.encode()
    _run(pytester).assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("body", "value", "expected"),
    [
        ("plain", "plain", None),
        (r"a\tb", "a\tb", [0, 1, 3, 4]),
        (r"\\x", "\\x", [0, 2, 3]),
        ("a\\\nb", "ab", [0, 3, 4]),
        (r"\x41\u00e9\N{BULLET}z", "A\u00e9\u2022z", [0, 4, 10, 20, 21]),
        (r"\101\0", "A\0", [0, 4, 6]),
        (r"\q\t", "\\q\t", [0, 1, 2, 4]),
    ],
    ids=["none", "tab", "backslash", "line-continuation", "hex-unicode-named", "octal", "unknown"],
)
def test_literal_positions_place_each_character_of_a_docstring_where_its_source_stands(
    body: str, value: str, expected: list[int] | None
) -> None:
    from pytest_cheatsheet.literals import literal_positions

    source = f'x = 1\n"""{body}"""\n'
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # \q: an invalid escape, kept as it stands
        assert eval(source[6:]) == value  # the literal's value, as Python reads it
    assert literal_positions(source, 9, value) == expected
    assert literal_positions(f"r{source[6:]}", 4, body) is None  # a raw string's value is itself


@pytest.mark.parametrize(
    ("opening", "code", "reason"),
    [
        ('"""', "print('\"' * 3)", 'output line 1 (\'"""\') holds """, which would close*'),
        ("'''", 'print("\'" * 3)', "output line 1 (\"'''\") holds ''', which would close*"),
        ('"""', "print('a' + chr(92))", "output line 1 (*) holds a backslash, which*"),
    ],
    ids=["double-quotes", "single-quotes", "backslash-not-raw"],
)
def test_update_refuses_an_output_the_docstring_literal_cannot_hold(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, opening: str, code: str, reason: str
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(pytester.path / "src"))
    text = f"{opening}Doc.\n\n>>> {code}\nx\n>>> 1 + 1\n3\n{opening}\n"
    path = _module_sheet(pytester, text)
    result = _run(pytester, "--cheatsheet-update")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([f"cheatsheet: not updated: src/helpers/sheet.py:3: {reason}"])
    assert path.read_bytes() == text.replace(">>> 1 + 1\n3\n", ">>> 1 + 1\n2\n").encode()
    _run(pytester).assert_outcomes(passed=1, failed=1)


def test_update_writes_a_backslash_into_a_raw_docstring(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(pytester.path / "src"))
    text = 'r"""Doc.\n\n>>> print(\'a\' + chr(92))\nx\n"""\n'
    path = _module_sheet(pytester, text)
    _run(pytester, "--cheatsheet-update").assert_outcomes(failed=1)
    assert path.read_bytes() == text.replace("\nx\n", "\na\\\n").encode()
    _run(pytester).assert_outcomes(passed=1)


def test_update_never_rewrites_an_xfail_gated_example_of_a_block_that_also_passed(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "cheatsheet").mkdir()
    path = pytester.path / "cheatsheet" / "sheet.md"
    text = (
        '<!-- cheatsheet: xfail torch<99 reason="the claim" -->\n'
        "```python\n>>> 1 + 1\n2\n>>> 2 + 2\n5\n```\n\n```python\n>>> 3 + 3\n7\n```\n"
    )
    path.write_bytes(text.encode())
    for extra in ((), ("-n", "2")):
        result = _run(pytester, "cheatsheet", "--cheatsheet-update", *extra)
        result.assert_outcomes(failed=2)  # the block's passing example fails the gate strictly
        assert path.read_bytes() == text.replace(">>> 3 + 3\n7\n", ">>> 3 + 3\n6\n").encode()
        path.write_bytes(text.encode())


@pytest.mark.parametrize(
    "printed",
    [
        ".. skip: next",
        "..skip: start",
        ".. skip",
        ".. cheatsheet: xfail torch<99",
        ".. invisible-code-block: python",
        ".. clear-namespace",
        ".. code-block:: python",
        "..",
    ],
)
def test_update_refuses_an_output_that_reads_back_as_a_rest_directive(
    sheets: SheetWriter, printed: str
) -> None:
    text = f"Text.\n\n>>> print({printed!r})\nx\n\n>>> 1 + 1\n3\n"
    path = sheets.pytester.path / "cheatsheet" / "sheet.rst"
    path.write_bytes(text.encode())
    result = sheets.run("--cheatsheet-update")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        ["cheatsheet: not updated: cheatsheet/sheet.rst:3: output line 1 (*) would be read back*"]
    )
    assert path.read_bytes() == text.replace(">>> 1 + 1\n3\n", ">>> 1 + 1\n2\n").encode()


def test_update_refuses_a_directive_in_a_module_docstring(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(pytester.path / "src"))
    text = '"""Doc.\n\n>>> print(".. skip: next")\nx\n>>> print("# cheatsheet: x")\nx\n"""\n'
    path = _module_sheet(pytester, text)
    result = _run(pytester, "--cheatsheet-update")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "cheatsheet: not updated: src/helpers/sheet.py:3: *read back as a reST directive",
            "cheatsheet: not updated: src/helpers/sheet.py:5: *read back as a '# cheatsheet:'*",
        ]
    )
    assert path.read_bytes() == text.encode()


def test_update_keeps_an_output_indented_deeper_than_its_prompt(sheets: SheetWriter) -> None:
    text = (
        "- item\n\n  ```python\n  >>> print(1)\n      2\n  >>> print('a\\n b')\n     x\n"
        "     y\n  >>> 7\n  7\n  ```\n"
    )
    before = _write(sheets, text)
    result = sheets.run("--cheatsheet-update")
    result.assert_outcomes(failed=2, passed=1)
    after = before.replace(b"      2\n", b"      1\n").replace(
        b"     x\n     y\n", b"     a\n      b\n"
    )
    assert _read(sheets) == after
    sheets.run().assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("a" * 59 + "\x01", "a" * 59 + "\\x01"),
        ("a" * 70 + "\x01", "a" * 59 + "…"),  # cut by the one truncation rule: it says so
    ],
)
def test_a_refused_output_line_is_quoted_up_to_sixty_characters(line: str, shown: str) -> None:
    from pytest_cheatsheet.update import _refusal

    message = _refusal("", line + "\n", in_comment=False)
    assert message == f"output line 1 ('{shown}') holds the control character U+0001"
