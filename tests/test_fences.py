"""The one fence detector: where a Markdown text's fenced blocks are, as Sybil reads them
(issue 18: one fence detector per format)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sybil import Document
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer, RawFencedCodeBlockLexer

from pytest_cheatsheet.fences import fenced_blocks, is_fence_line
from pytest_cheatsheet.formats import DEFAULT_LANGUAGES, info_language

ROOT = Path(__file__).resolve().parent.parent


def _blocks(text: str) -> list[tuple[str, str, str]]:
    return [(text[f.start : f.end], f.info, f.prefix) for f in fenced_blocks(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("```python\nx = 1\n```\n", [("```python\nx = 1\n```", "python", "")]),
        ("~~~python\nx = 1\n~~~\n", [("~~~python\nx = 1\n~~~", "python", "")]),
        ("```\nplain\n```\n", [("```\nplain\n```", "", "")]),
        (
            '```Python title="a.py"  \nx\n```\n',
            [('```Python title="a.py"  \nx\n```', 'Python title="a.py"', "")],
        ),
        ("```{doctest}\n>>> 1\n1\n```\n", [("```{doctest}\n>>> 1\n1\n```", "{doctest}", "")]),
        # A longer closing fence closes; a shorter one does not.
        ("```python\nx\n`````\n", [("```python\nx\n`````", "python", "")]),
        ("````python\nx\n```\ny\n````\n", [("````python\nx\n```\ny\n````", "python", "")]),
        # A fence of the other character is text inside the block.
        ("```python\n~~~\nx\n```\n", [("```python\n~~~\nx\n```", "python", "")]),
        ("~~~text\n```\n~~~\n", [("~~~text\n```\n~~~", "text", "")]),
        # A fence line with an info string does not close; inside an open block it opens one.
        (
            "````markdown\n```python\nx\n```\n````\n",
            [
                ("````markdown\n```python\nx\n```\n````", "markdown", ""),
                ("```python\nx\n```", "python", ""),
            ],
        ),
        # An unclosed fence runs to the end of the text.
        ("```python\nx = 1\n", [("```python\nx = 1\n", "python", "")]),
        ("text\n```python", []),  # no line after the opening one: no block
        # Up to three spaces of indentation; the closing fence's prefix has the same length.
        ("   ```python\n   x\n   ```\n", [("   ```python\n   x\n   ```", "python", "   ")]),
        (" ```python\nx\n```\n ```\n", [(" ```python\nx\n```\n ```", "python", " ")]),
        # In a blockquote and in list items, as Sybil's lexer reads them.
        ("> ```python\n> x\n> ```\n", [("> ```python\n> x\n> ```", "python", "> ")]),
        ("> > ~~~py\n> > x\n> > ~~~\n", [("> > ~~~py\n> > x\n> > ~~~", "py", "> > ")]),
        ("- ```python\n  x\n  ```\n", [("- ```python\n  x\n  ```", "python", "- ")]),
        ("1. ```python\n   x\n   ```\n", [("1. ```python\n   x\n   ```", "python", "1. ")]),
        ("2) ~~~\n   x\n   ~~~\n", [("2) ~~~\n   x\n   ~~~", "", "2) ")]),
        ("``python\nx\n``\n", []),  # two backticks are code, not a fence
        ("a ```python\nx ```\n", []),  # a fence starts its line
    ],
)
def test_fenced_blocks_are_found_with_their_info_and_prefix(
    text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert _blocks(text) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("```", True),
        ("~~~~ text", True),
        ("   ```python", True),
        ("> ```", True),
        ("- ~~~", True),
        ("10. ```", True),
        ("``", False),
        ("text ```", False),
        ("~~", False),
    ],
)
def test_a_fence_line_is_told_from_any_other(line: str, expected: bool) -> None:
    assert is_fence_line(line) is expected


# -- agreement with Sybil's own lexers --------------------------------------------------------

_ANY_INFO = RawFencedCodeBlockLexer(info_pattern=re.compile(r"(?P<info>[^\n]*)$\n", re.MULTILINE))
# The lexer Sybil's Markdown and MyST code-block parsers use for fenced blocks.
_CODE_BLOCKS = FencedCodeBlockLexer(language=r".+", mapping={"language": "arguments"})


def _sybils_blocks(text: str) -> list[tuple[int, int, str]]:
    return sorted(
        (region.start, region.end, str(region.lexemes["info"]).strip())
        for region in _ANY_INFO(Document(text, ""))
    )


def _sybils_runnable_blocks(text: str) -> list[tuple[int, int]]:
    return sorted(
        (region.start, region.end)
        for region in _CODE_BLOCKS(Document(text, ""))
        if info_language(str(region.lexemes["arguments"])) in DEFAULT_LANGUAGES
    )


def _agrees_with_sybil(text: str) -> None:
    fences = fenced_blocks(text)
    assert [(f.start, f.end, f.info) for f in fences] == _sybils_blocks(text)
    runnable = [(f.start, f.end) for f in fences if info_language(f.info) in DEFAULT_LANGUAGES]
    assert runnable == _sybils_runnable_blocks(text)


def _fixture_texts() -> list[tuple[str, str]]:
    """Every Markdown file of the sheets, the docs and the tests, and every string in a test
    module that holds a fence."""
    texts = [
        (str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
        for folder in ("cheatsheet", "docs", "tests")
        for path in sorted((ROOT / folder).rglob("*.md"))
    ]
    for module in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            if "```" in node.value or "~~~" in node.value:
                texts.append((f"{module.name}:{node.lineno}", node.value))
    return texts


FIXTURES = _fixture_texts()


def test_the_fixtures_hold_many_fences() -> None:
    assert sum(len(fenced_blocks(text)) for _, text in FIXTURES) > 500


@pytest.mark.parametrize(("name", "text"), FIXTURES, ids=[name for name, _ in FIXTURES])
def test_fences_agree_with_sybils_lexer_on_every_fixture(name: str, text: str) -> None:
    _agrees_with_sybil(text)


_LINES = st.lists(
    st.sampled_from(
        [
            "",
            "text",
            "```",
            "```python",
            "````",
            "````markdown",
            "~~~",
            "~~~py",
            "> ```python",
            "> ```",
            "- ```python",
            "  ```",
            "   ```python",
            "    ```",
            ">>> 1",
            "```{doctest}",
            "``` ",
        ]
    ),
    max_size=14,
)


@given(_LINES, st.booleans())
def test_fences_agree_with_sybils_lexer_on_any_lines(lines: list[str], newline: bool) -> None:
    _agrees_with_sybil("\n".join(lines) + ("\n" if newline else ""))
