"""What a reader debugging a sheet sees: tracebacks at the sheet's lines, pdb, captured output."""

from __future__ import annotations

import sys

import pytest

from conftest import SheetWriter, summary_table


@pytest.fixture(autouse=True, params=["block", "example"])
def items(request: pytest.FixtureRequest, sheets: SheetWriter) -> str:
    """Each test runs with one item per code block (the default) and one per example."""
    sheets.pytester.makeini(f"[pytest]\ncheatsheet_items = {request.param}\n")
    return str(request.param)


def run_with_input(sheets: SheetWriter, commands: str, *args: str) -> pytest.RunResult:
    """Run pytest in a subprocess whose standard input holds ``commands`` (pdb's input)."""
    return sheets.pytester.run(
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "cheatsheet",
        "--cheatsheet-devices=cpu",
        *args,
        stdin=commands.encode(),
        timeout=300,
    )


def examples(result: pytest.RunResult) -> dict[str, int]:
    """The outcomes of the run's examples, from the summary table (which counts examples,
    whatever an item is): {outcome: count} of those that are not zero."""
    header, *rows = summary_table(result)
    names = header.split()[1:]
    counts = dict.fromkeys(names, 0)
    for row in rows:
        for name, value in zip(names, row.split()[1 : len(names) + 1], strict=True):
            counts[name] += int(value)
    return {name: count for name, count in counts.items() if count}


# -- tracebacks ----------------------------------------------------------------------------


def test_a_doctest_traceback_names_the_sheet_line_and_shows_its_source(
    sheets: SheetWriter, items: str
) -> None:
    sheets.write(
        "sheet.md",
        """\
        # Tracebacks

        ```python
        def divide(x):
            return 1 / x
        ```

        ```python
        >>> for pick in [lambda items: items[3]]:
        ...     pick([1, 2])
        >>> divide(0)
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu")
    assert examples(result) == {"passed": 1, "failed": 2}
    # A function of the failing example itself: its frames are at the example's lines.
    result.stdout.fnmatch_lines(
        [
            "*cheatsheet/sheet.md:9 [[]any[]]: doctest output differs",
            "Exception raised:",
            "    Traceback (most recent call last):",
            '      File "*cheatsheet/sheet.md", line 10, in <module>',
            "        pick([1, 2])",
            '      File "*cheatsheet/sheet.md", line 9, in <lambda>',
            "        for pick in [lambda items: items[3]]:",
            "    IndexError: list index out of range",
        ]
    )
    # A function of an earlier code block: its frame is at that block's line (one item per
    # block shows the block's later failures in full after its first).
    result.stdout.fnmatch_lines(
        [
            "*cheatsheet/sheet.md:11 [[]any[]]: "
            + ("failed too*" if items == "block" else "doctest output differs"),
            "Exception raised:",
            "    Traceback (most recent call last):",
            '      File "*cheatsheet/sheet.md", line 11, in <module>',
            "        divide(0)",
            '      File "*cheatsheet/sheet.md", line 5, in divide',
            "        return 1 / x",
            "    ZeroDivisionError: division by zero",
        ]
    )


# -- pdb -----------------------------------------------------------------------------------


# pdb runs in a subprocess (2-3 s each): in the default granularity only, the path is the same.
@pytest.mark.parametrize("items", ["block"], indirect=True)
@pytest.mark.parametrize(
    "stop",
    ["import pdb; pdb.set_trace()", "breakpoint()", "stop_here()"],
    ids=["pdb.set_trace", "breakpoint", "breakpoint-in-a-code-block-function"],
)
def test_the_debugger_stops_in_a_doctest_and_talks_to_the_terminal_not_the_output(
    sheets: SheetWriter, stop: str
) -> None:
    sheets.write(
        "sheet.md",
        f"""\
        # Debugging

        ```python
        def stop_here():
            breakpoint()
        ```

        ```python
        >>> x = 41
        >>> {stop}
        >>> x + 1
        42
        ```
        """,
    )
    result = run_with_input(sheets, "p x + 100\ncontinue\n", "-s")
    assert examples(result) == {"passed": 4}
    # The debugger's prompt and answers go to the terminal; the doctest printed nothing.
    result.stdout.fnmatch_lines(["(Pdb) 141"])
    if stop != "stop_here()":  # the doctest's own source line, shown at the prompt
        result.stdout.fnmatch_lines([f"-> {stop}"])


@pytest.mark.parametrize("items", ["block"], indirect=True)
def test_pdb_enters_post_mortem_at_a_failing_doctest_s_frame(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """\
        # Post-mortem

        ```python
        >>> z = 5
        >>> z / 0
        ```
        """,
    )
    result = run_with_input(sheets, "p z * 100\ncontinue\n", "--pdb")
    assert examples(result) == {"passed": 1, "failed": 1}
    result.stdout.fnmatch_lines(
        [
            "*entering PDB*",
            "> <doctest *cheatsheet/sheet.md[[]0[]]>(1)<module>()",
            "(Pdb) 500",
        ]
    )


@pytest.mark.parametrize("items", ["block"], indirect=True)
def test_pdb_enters_post_mortem_at_a_failing_code_block_s_line(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """\
        # Post-mortem

        ```python
        w = 6
        w / 0
        ```
        """,
    )
    result = run_with_input(sheets, "p w * 100\ncontinue\n", "--pdb")
    assert examples(result) == {"failed": 1}
    result.stdout.fnmatch_lines(
        ["*entering PDB*", "> *cheatsheet/sheet.md(5)<module>()", "(Pdb) 600"]
    )


# -- output --------------------------------------------------------------------------------


def test_what_a_failing_block_printed_is_captured_and_a_passing_doctest_s_output_is_not(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "sheet.md",
        """\
        # Output

        ```python
        >>> print("from the doctest")
        from the doctest
        ```

        ```python
        print("from the block")
        assert False, "the block fails"
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu")
    assert examples(result) == {"passed": 1, "failed": 1}
    result.stdout.fnmatch_lines(
        ["*AssertionError: the block fails", "*- Captured stdout call -*", "from the block"]
    )
    result.stdout.no_fnmatch_line("from the doctest")


def test_a_doctest_that_prints_the_wrong_thing_shows_what_it_printed(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "sheet.md",
        """\
        # Output

        ```python
        >>> print("printed")
        expected
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu")
    assert examples(result) == {"failed": 1}
    result.stdout.fnmatch_lines(["Expected:", "    expected", "Got:", "    printed"])
    result.stdout.no_fnmatch_line("*Captured stdout*")


def test_a_doctest_that_prints_its_expected_output_passes(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """\
        # Output

        ```python
        >>> for n in range(3):
        ...     print(n * n)
        0
        1
        4
        >>> import sys; _ = sys.stdout.write("written\\n")
        written
        >>> 6 * 7
        42
        ```
        """,
    )
    result = sheets.run("--cheatsheet-devices=cpu", "-s")
    assert examples(result) == {"passed": 3}
