"""Where a Markdown text's fenced code blocks (``` and ~~~) are, read as Sybil's Markdown and MyST
lexers read them: the package's one fence detector. reST and docstrings have no fences.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# A fence line as Sybil's Markdown lexers read one (sybil.parsers.markdown.lexers.FENCE): a
# prefix (blockquote markers, a list marker, or indentation), three or more ` or ~, the info.
FENCE_LINE = re.compile(
    r"^(?P<prefix>(?:[ \t]*>)+[ \t]*|[ \t]*(?:[-*+]|\d+[.)])[ \t]+|[ \t]*)"
    r"(?P<fence>`{3,}|~{3,})(?P<trailing>[^\n]*)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Fence:
    """A fenced block: from its opening line's start to its closing line's end (the text's end
    where it is not closed), its info string (stripped), and its opening line's prefix."""

    start: int
    end: int
    info: str
    prefix: str


def is_fence_line(line: str) -> bool:
    """Whether ``line`` opens or closes a fence (with a quote, list marker or indent before it)."""
    return FENCE_LINE.match(line) is not None


def _closes(closing: re.Match[str], opening: re.Match[str]) -> bool:
    """Whether ``closing`` closes ``opening``: the same character, at least as long, a prefix of
    the same length, and no info string."""
    fence, opened = closing.group("fence"), opening.group("fence")
    return (
        fence[0] == opened[0]
        and len(fence) >= len(opened)
        and len(closing.group("prefix")) == len(opening.group("prefix"))
        and not closing.group("trailing").strip()
    )


def _fence(text: str, opening: re.Match[str], end: int, content_end: int) -> Fence | None:
    info_end = text.find("\n", opening.start("trailing"), content_end)
    if info_end < 0:
        return None  # no line after the opening one: Sybil finds no block
    return Fence(
        opening.start(), end, text[opening.start("trailing") : info_end].strip(), opening["prefix"]
    )


@functools.lru_cache(maxsize=4)
def fenced_blocks(text: str) -> tuple[Fence, ...]:
    """Every fenced block of ``text``, in order of its start. As Sybil reads them, a fence line
    inside an open block that does not close it opens another (```` ```python ```` inside a
    ````` ````markdown ````` block is a block of its own); an unclosed block runs to the end."""
    found: list[Fence] = []
    open_blocks: list[re.Match[str]] = []
    for line in FENCE_LINE.finditer(text):
        for index, opening in enumerate(open_blocks):
            if _closes(line, opening):
                fence = _fence(text, opening, line.end(), line.start())
                if fence is not None:
                    found.append(fence)
                del open_blocks[index:]
                break
        else:
            open_blocks.append(line)
    if open_blocks:  # only the outermost unclosed block runs to the end
        fence = _fence(text, open_blocks[0], len(text), len(text))
        if fence is not None:
            found.append(fence)
    return tuple(sorted(found, key=lambda fence: (fence.start, fence.end)))
