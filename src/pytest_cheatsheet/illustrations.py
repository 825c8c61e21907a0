"""Where a sheet shows text rather than means it: fenced blocks whose language does not run
(a ````markdown illustration of how to write a sheet), Markdown indented code blocks and reST
literal blocks, whose directives are illustrations; and the comments of a Python module.

Only directives that GitHub, docutils or Python read as comments are live; one shown inside a
literal block is text, as its reader sees it. Spans are (start, end) offsets into the text given.
"""

from __future__ import annotations

import bisect
import functools
import io
import re
import tokenize
from collections.abc import Collection, Iterator, Sequence

from pytest_cheatsheet.fences import fenced_blocks
from pytest_cheatsheet.formats import DEFAULT_LANGUAGES, info_language

_LIST_ITEM = re.compile(r"( {0,3})([-*+]|\d{1,9}[.)])( {1,4}(?! )|[ \t]*$)")
_REST_CODE_DIRECTIVE = re.compile(r"\s*\.\.\s+(?:code-block|code|sourcecode)::\s*(\S*)")


def _width(line: str) -> int:
    """The indentation of ``line`` in columns (a tab to the next multiple of 4)."""
    column = 0
    for character in line:
        if character == " ":
            column += 1
        elif character == "\t":
            column += 4 - column % 4
        else:
            break
    return column


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line
        offset += len(line)


def indented_code_spans(text: str, fences: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Markdown's indented code blocks (CommonMark: lines indented by four columns more than the
    list item they are in, after a blank line), outside ``fences`` (fenced blocks' spans) and
    HTML comments. Where unsure (a lazy list continuation) a line is not code: what is not
    found here stays live."""
    spans: list[tuple[int, int]] = []
    lines = list(_lines(text))
    blank_before = True
    list_indent = 0
    in_comment = False
    fence_index = 0
    index = 0
    while index < len(lines):
        offset, line = lines[index]
        while fence_index < len(fences) and fences[fence_index][1] <= offset:
            fence_index += 1
        if fence_index < len(fences) and fences[fence_index][0] <= offset:
            blank_before = False
            index += 1
            continue
        if in_comment:
            in_comment = "-->" not in line
            index += 1
            continue
        if not line.strip():
            blank_before = True
            index += 1
            continue
        indent = _width(line)
        if blank_before and indent >= list_indent + 4:
            last = index
            following = index + 1
            while following < len(lines):
                following_line = lines[following][1]
                if following_line.strip():
                    if _width(following_line) < list_indent + 4:
                        break
                    last = following
                following += 1
            spans.append((offset, lines[last][0] + len(lines[last][1])))
            index = last + 1
            blank_before = False
            continue
        item = _LIST_ITEM.match(line)
        if item is not None:
            list_indent = len(item.group(1)) + len(item.group(2)) + max(len(item.group(3)), 1)
        elif blank_before and indent < list_indent:
            list_indent = 0  # a paragraph less indented than the item ends the list
        stripped = line.lstrip()
        if indent < 4 and stripped.startswith("<!--") and "-->" not in stripped[4:]:
            in_comment = True
        blank_before = False
        index += 1
    return spans


def literal_block_spans(text: str, languages: Collection[str]) -> list[tuple[int, int]]:
    """reST's literal blocks: the indented lines after a paragraph ending in ``::``, and the
    body of a ``code-block`` (``code``, ``sourcecode``) directive whose language does not run
    (``.. code-block:: rst``)."""
    spans: list[tuple[int, int]] = []
    lines = list(_lines(text))
    index = 0
    while index < len(lines):
        line = lines[index][1]
        stripped = line.strip()
        directive = _REST_CODE_DIRECTIVE.match(line)
        shows_text = (
            directive.group(1).lower() not in languages
            if directive is not None
            else stripped.endswith("::") and not stripped.startswith("..")
        )
        if not shows_text:
            index += 1
            continue
        indent = _width(line)
        following = index + 1
        last = None
        while following < len(lines):
            following_line = lines[following][1]
            if following_line.strip():
                if _width(following_line) <= indent:
                    break
                last = following
            following += 1
        if last is not None:
            start = lines[index + 1][0]
            spans.append((start, lines[last][0] + len(lines[last][1])))
            index = last + 1
        else:
            index += 1
    return spans


def python_comments(text: str) -> list[tuple[int, str]] | None:
    """(offset, text) of every comment of a Python module, None where it does not tokenize."""
    starts = [offset for offset, _ in _lines(text)]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    return [
        (starts[token.start[0] - 1] + token.start[1], token.string)
        for token in tokens
        if token.type == tokenize.COMMENT
    ]


def inside(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether ``position`` lies in one of ``spans`` (sorted, disjoint)."""
    low, high = 0, len(spans)
    while low < high:
        middle = (low + high) // 2
        if spans[middle][1] <= position:
            low = middle + 1
        else:
            high = middle
    return low < len(spans) and spans[low][0] <= position < spans[low][1]


def strictly_inside(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether ``position`` lies strictly inside one of ``spans`` (sorted, disjoint)."""
    index = bisect.bisect_left(spans, (position, -1)) - 1
    return index >= 0 and spans[index][0] < position < spans[index][1]


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans not inside another (sorted): a position is inside a span of ``spans`` exactly
    when it is inside one of these."""
    outer: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if not outer or start >= outer[-1][1]:
            outer.append((start, end))
    return outer


class Fences:
    """Where a sheet's fenced blocks are, to tell live text from illustrations. Fences are a
    Markdown notion: in reST (a section underlined with ``~``) and docstrings there are none."""

    def __init__(
        self, text: str, languages: Collection[str] = DEFAULT_LANGUAGES, markdown: bool = True
    ) -> None:
        blocks = fenced_blocks(text) if markdown else ()
        self.all = _outermost([(fence.start, fence.end) for fence in blocks])
        # A block in a language that runs, or a MyST directive fence (```{code-block} python,
        # ```{doctest}), is live; any other (````markdown) is an illustration.
        self.illustrations = _outermost(
            [
                (fence.start, fence.end)
                for fence in blocks
                if info_language(fence.info) not in languages and not fence.info.startswith("{")
            ]
        )

    def is_live(self, position: int, directive: bool) -> bool:
        """Whether what starts at ``position`` is live: a directive outside every fence, code
        outside every illustration."""
        return not strictly_inside(position, self.all if directive else self.illustrations)


def shown_text(text: str, format: str, languages: Collection[str]) -> Sequence[tuple[int, int]]:
    """The spans of ``text`` (a sheet, or a module's docstring) that show text, not mean it:
    Markdown's indented code blocks, reST's literal blocks (a docstring is reST). A sheet's
    regions, blocks and directive comments each ask: the answer is found once."""
    if format == "markdown":
        return _shown_markdown(text)
    return _shown_rest(text, frozenset(languages))


@functools.lru_cache(maxsize=4)
def _shown_markdown(text: str) -> tuple[tuple[int, int], ...]:
    fences = [(fence.start, fence.end) for fence in fenced_blocks(text)]
    return tuple(indented_code_spans(text, fences))


@functools.lru_cache(maxsize=4)
def _shown_rest(text: str, languages: frozenset[str]) -> tuple[tuple[int, int], ...]:
    return tuple(literal_block_spans(text, languages))
