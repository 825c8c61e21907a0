"""Whatever text a sheet holds, parsing it gives a sheet or a SheetError naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_cheatsheet.sheet import Sheet, SheetError, make_sybil, parse_sheet

FRAGMENTS = [
    "```python\n",
    "```\n",
    "~~~python\n",
    "```pycon\n",
    ">>> 1 + 1\n",
    "2\n",
    "... x\n",
    ">>>print(1)\n",
    "<!-- cheatsheet: devices=cpu -->\n",
    "<!-- cheatsheet: dtypes=float17 -->\n",
    "<!-- cheatsheet: requires torch>=2 -->\n",
    "<!-- cheatsheet: xfail -->\n",
    "<!-- cheatsheet: ",
    "<!-- skip: next -->\n",
    "<!-- skip: nonsense -->\n",
    "<!-- skip: start if(dtype == 1) -->\n",
    "<!-- clear-namespace -->\n",
    "<!-- invisible-code-block: python\n",
    "-->\n",
    "# heading\n",
    "- item\n  ",
    "> ",
    "\t",
    "\r\n",
    "\ufeff",
    "文字 ",
    "\n",
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=30))
def test_any_text_parses_or_raises_a_sheet_error(tmp_path: Path, parts: list[str]) -> None:
    path = tmp_path / "sheet.md"
    path.write_text("".join(parts), encoding="utf-8", newline="")
    outcome: Sheet | SheetError
    try:
        outcome = parse_sheet(path, make_sybil(tmp_path))
    except SheetError as error:
        outcome = error
    if isinstance(outcome, SheetError):
        assert outcome.line >= 1
        assert str(outcome).startswith(f"{path}:{outcome.line}: ")
        # Overlaps are found before Sybil places the regions: its own message never shows.
        assert "overlaps" not in outcome.message or outcome.message.endswith("hold the other")
    else:
        assert all(step.line >= 1 for step in outcome.steps)


@pytest.mark.parametrize("data", [b"\xff\xfe", b"ok\n\x80\n", b"```python\n>>> 1\n\xc3\n```\n"])
def test_bytes_that_are_not_utf8_are_an_error_naming_the_line(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "sheet.md"
    path.write_bytes(data)
    with pytest.raises(SheetError, match="not valid UTF-8") as error:
        parse_sheet(path, make_sybil(tmp_path))
    first_bad = next(index for index, byte in enumerate(data) if byte >= 0x80)
    assert error.value.line == data.count(b"\n", 0, first_bad) + 1


@pytest.mark.parametrize(
    "hidden",
    [
        "<!-- invisible-code-block: python\n# a comment, not a heading\nx = 1\n-->\n",
        "<!--\n# a commented-out heading\n-->\n",
        "```text\n# inside a fence\n```\n",
        "```html\n<!-- an unclosed comment shown in a fence\n```\n\n## Real section\n",
        "<!--\n```\n# a fence in a comment\n```\n# still in the comment\n-->\n",
    ],
    ids=["invisible-code-block", "html-comment", "fence", "comment-in-fence", "fence-in-comment"],
)
def test_headings_come_only_from_markdown_headings(tmp_path: Path, hidden: str) -> None:
    path = tmp_path / "sheet.md"
    path.write_text(
        f"# Sheet\n\n## Real section\n\n{hidden}\n```python\n>>> 1 + 1\n2\n```\n",
        encoding="utf-8",
    )
    sheet = parse_sheet(path, make_sybil(tmp_path))
    assert [step.heading for step in sheet.examples][-1] == "Real section"


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        (
            "sheet.md",
            "# t\n\n<!-- invisible-code-block: python\n```python\nx = 1\n```\n-->\n",
            3,
            "an invisible code block (lines 3-7) overlaps a code block (line 4)",
        ),
        (
            "sheet.md",
            "<!-- invisible-code-block: python\nx = 1\n\n<!-- skip: next -->\n-->\n",
            1,
            "an invisible code block (lines 1-4) overlaps a skip directive (line 4)",
        ),
        (
            "sheet.md",
            "<!-- invisible-code-block: python\nx = 1\n\n<!-- clear-namespace -->\n-->\n",
            1,
            "an invisible code block (lines 1-4) overlaps a clear-namespace directive (line 4)",
        ),
        (
            "sheet.rst",
            ".. invisible-code-block: python\n\n    x = 1\n\n    >>> 1\n    1\n",
            1,
            "an invisible code block (lines 1-6) overlaps a doctest example (line 5)",
        ),
        (
            "sheet.rst",
            ".. code-block:: python\n\n    x = 1\n\n    .. skip: next\n",
            1,
            "a code block (lines 1-5) overlaps a skip directive (line 5)",
        ),
    ],
)
def test_regions_that_overlap_are_an_error_naming_both(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    sybil = make_sybil(tmp_path, format="rest" if name.endswith(".rst") else "markdown")
    with pytest.raises(SheetError) as error:
        parse_sheet(path, sybil)
    assert (error.value.line, error.value.message) == (
        line,
        f"{message}: one cannot hold the other",
    )


def test_a_docstring_that_starts_with_a_fence_line_keeps_its_doctests_lines(
    tmp_path: Path,
) -> None:
    # Fences are Markdown's: a docstring is reST, its doctests are on the lines Sybil finds.
    path = tmp_path / "module.py"
    path.write_text('"""```\n>>> 1 + 1\n2\n```\n"""\n', encoding="utf-8")
    sheet = parse_sheet(path, make_sybil(tmp_path, format="python"))
    assert [step.line for step in sheet.examples] == [2]
