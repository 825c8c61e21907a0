"""Which of the regions, code blocks and directive comments Sybil's parsers find in a sheet are
live, and the error for two live regions that overlap.

What lies in a fenced block whose language does not run (a ````markdown illustration of how to
write a sheet) is text, not live code or directives; so is a directive inside any fence, and
whatever a sheet shows rather than means (Markdown's indented code, reST's literal blocks), where
only a reST doctest still runs.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from pytest_cheatsheet.formats import DEFAULT_LANGUAGES
from pytest_cheatsheet.illustrations import (
    Fences,
    inside,
    python_comments,
    shown_text,
    strictly_inside,
)
from pytest_cheatsheet.lines import line_of
from pytest_cheatsheet.seam import (
    CLEAR_NAMESPACE_DIRECTIVE,
    DOCTEST_EXAMPLE,
    INVISIBLE_CODE_BLOCK,
    SKIP_DIRECTIVE,
    FoundRegion,
    FoundRegions,
    ParsedRegion,
    ParseError,
    directive_comments,
)

# Regions that act on the sheet rather than run its code: never live inside any fence.
DIRECTIVE_KINDS = frozenset({INVISIBLE_CODE_BLOCK, SKIP_DIRECTIVE, CLEAR_NAMESPACE_DIRECTIVE})


def live_regions(found: FoundRegions) -> list[ParsedRegion]:
    """The live regions of ``found`` placed in file order; raises ParseError for two that
    overlap (a code block inside an invisible code block, say) or text Sybil cannot parse."""
    fences = Fences(found.text, found.languages, markdown=found.format == "markdown")
    shown = [shown_text(part, found.format, found.languages) for _, part in found.texts]
    starts: list[int] = []
    placed: list[FoundRegion] = []
    live = []
    for index, region in enumerate(found.regions):
        if inside(region.text_start, shown[region.text]) and (
            found.format == "markdown" or region.kind != DOCTEST_EXAMPLE
        ):
            continue  # shown in a literal block; a reST doctest there still runs
        if not fences.is_live(region.start, region.kind in DIRECTIVE_KINDS):
            continue
        at = bisect.bisect_left(starts, region.start)
        if at > 0 and placed[at - 1].end > region.start:
            raise _overlap(found.text, region, placed[at - 1])
        if at < len(placed) and placed[at].start < region.end:
            raise _overlap(found.text, region, placed[at])
        starts.insert(at, region.start)
        placed.insert(at, region)
        live.append(index)
    if found.error is not None:
        raise found.error
    return found.place(live)


def _overlap(text: str, region: FoundRegion, other: FoundRegion) -> ParseError:
    """A clear error for ``region``, which overlaps ``other``, a region already placed."""
    first, second = sorted((region, other), key=lambda r: r.start)
    return ParseError(
        line_of(text, first.start),
        f"{_a(first.kind)} (lines {line_of(text, first.start)}-{line_of(text, first.end)}) "
        f"overlaps {_a(second.kind)} (line {line_of(text, second.start)}): one cannot hold the "
        "other",
    )


def _a(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def live_code_blocks(found: FoundRegions) -> list[tuple[int, int]]:
    """(start, end) of every live Python code block (a module's docstring), in order."""
    blocks = found.code_blocks()
    if found.format == "python":
        return blocks
    illustrations = Fences(
        found.text, found.languages, markdown=found.format == "markdown"
    ).illustrations
    shown = shown_text(found.text, found.format, found.languages)
    return [
        (start, end)
        for start, end in blocks
        if not strictly_inside(start, illustrations) and not inside(start, shown)
    ]


def live_directive_comments(text: str, path: str, name: str) -> Iterator[tuple[int, str]]:
    """(position, text) of every live ``<!-- name: ... -->`` comment (``% name:`` in MyST,
    ``.. name:`` in reST), outside fences and shown text; raises ParseError for one that is not
    closed. In a Python module, every ``# name: ...`` comment (a line of a docstring is none)."""
    if path.endswith(".py"):
        pattern = re.compile(rf"#[ \t]*{name}:(.*)$")
        comments = python_comments(text)
        if comments is None:  # it does not tokenize: its lines, as written
            pattern = re.compile(rf"^[ \t]*#[ \t]*{name}:(.*)$", re.MULTILINE)
            comments = [(0, text)]
        for position, comment in comments:
            for match in pattern.finditer(comment):
                yield position + match.start(), match.group(1)
        return
    rest = path.endswith(".rst")
    fences = Fences(text, markdown=not rest).all
    shown = shown_text(text, "rest" if rest else "markdown", DEFAULT_LANGUAGES)
    for position, comment in directive_comments(text, path, name):
        if not strictly_inside(position, fences) and not inside(position, shown):
            yield position, comment
