"""Where a sheet shows text rather than means it: Markdown indented code blocks and reST literal
blocks, whose directives are illustrations, and the comments of a Python module.

Only directives that GitHub, docutils or Python read as comments are live; one shown inside a
literal block is text, as its reader sees it. Each function returns sorted, disjoint spans
(start, end) of offsets into the text it is given.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Collection, Iterator, Sequence

_LIST_ITEM = re.compile(r"( {0,3})([-*+]|\d{1,9}[.)])( {1,4}(?! )|[ \t]*$)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
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
        if item is not None and not _FENCE.match(line):
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
