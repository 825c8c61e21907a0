"""What a sheet shows rather than means: Markdown indented code, reST literal blocks, and the
comments of a Python module (issue 20, item 6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_cheatsheet.illustrations import (
    indented_code_spans,
    inside,
    literal_block_spans,
    python_comments,
)


def _shown(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in spans]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Like this:\n\n    <!-- skip: next -->\n\nAfter\n", ["    <!-- skip: next -->\n"]),
        ("Two:\n\n    a\n\n    b\nc\n", ["    a\n\n    b\n"]),
        ("    first line\n", ["    first line\n"]),
        ("a paragraph\n    goes on\n", []),  # no blank line: a lazy continuation
        ("- item\n\n    more of the item\n", []),
        ("1. item\n\n    ```python\n    >>> 1\n    ```\n", []),
        ("- item\n\n      code in the item\n", ["      code in the item\n"]),
        ("- item\n\nA paragraph\n\n    code again\n", ["    code again\n"]),
        ("<!-- invisible-code-block: python\ndef f():\n\n    return 1\n-->\n", []),
    ],
)
def test_indented_code_blocks_are_found_as_commonmark_reads_them(
    text: str, shown: list[str]
) -> None:
    assert _shown(text, indented_code_spans(text)) == shown


def test_lines_inside_a_fence_are_never_indented_code() -> None:
    text = "```text\n\n    <!-- skip: next -->\n```\n"
    assert indented_code_spans(text, [(0, len(text))]) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Like this::\n\n    .. skip: next\n\nAfter\n", ["\n    .. skip: next\n"]),
        ("::\n\n    a\n\n    b\nc\n", ["\n    a\n\n    b\n"]),
        (".. code-block:: rst\n\n    .. skip: next\n", ["\n    .. skip: next\n"]),
        (".. code-block:: python\n\n    x = 1\n", []),
        (".. doctest::\n\n    >>> 1\n    1\n", []),
        ("A sentence::\n\nNot indented\n", []),
    ],
)
def test_rest_literal_blocks_are_found(text: str, shown: list[str]) -> None:
    assert _shown(text, literal_block_spans(text, {"python", "py"})) == shown


def test_a_docstrings_lines_are_not_a_modules_comments() -> None:
    text = 'x = 1  # cheatsheet: a\n"""\n# cheatsheet: b\n"""\n# cheatsheet: c\n'
    assert python_comments(text) == [(7, "# cheatsheet: a"), (47, "# cheatsheet: c")]
    assert python_comments('"""unclosed\n') is None


@pytest.mark.parametrize(
    ("position", "expected"), [(0, False), (2, True), (4, False), (6, True), (8, False)]
)
def test_inside_is_half_open(position: int, expected: bool) -> None:
    assert inside(position, [(2, 4), (5, 7)]) is expected


_LINES = st.lists(
    st.sampled_from(
        ["", "text", "    code", "- item", "1. item", "  nested", "\tcode", "::", "a::", "<!-- x"]
    ),
    max_size=12,
)


@given(_LINES)
def test_spans_are_sorted_disjoint_whole_lines_of_indented_text(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    for spans in (indented_code_spans(text), literal_block_spans(text, {"python"})):
        assert spans == sorted(spans)
        for (start, end), following in zip(
            spans, [*spans[1:], (len(text), len(text))], strict=False
        ):
            assert 0 <= start < end <= following[0] <= len(text)
            assert start == 0 or text[start - 1] == "\n"
            assert all(not line.strip() or line[0] in " \t" for line in text[start:end].split("\n"))
