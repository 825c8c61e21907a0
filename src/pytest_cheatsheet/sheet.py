"""A sheet (Markdown, reST or a Python module's docstrings) parsed through the seam: its steps in
file order, its blocks, its matrix and its gates."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pytest_cheatsheet.block_names import scan
from pytest_cheatsheet.checker import ToleranceOverride
from pytest_cheatsheet.directives import (
    DIRECTIVE_NAME,
    READER_DEFAULTS,
    BlockTolerance,
    DirectiveError,
    Gate,
    MatrixDirective,
    ReaderDefaults,
    parse_directive,
)
from pytest_cheatsheet.doctest_markers import marker_gates
from pytest_cheatsheet.fences import fenced_blocks
from pytest_cheatsheet.formats import DIRECTIVE_FORMS, format_of
from pytest_cheatsheet.lines import line_of
from pytest_cheatsheet.reader_defaults import reader_defaults_blocks, shadowing_warnings
from pytest_cheatsheet.regions import live_code_blocks, live_directive_comments, live_regions
from pytest_cheatsheet.seam import (
    ENCODING,
    FoundRegions,
    ParsedRegion,
    ParseError,
    Region,
    Sybil,
    make_sybil,
    region_source,
    skip_condition,
)
from pytest_cheatsheet.truncation import shorten

__all__ = ["Sheet", "SheetError", "Step", "make_sybil", "parse_sheet"]

AXIS_NAMES = {"device": "devices", "dtype": "dtypes"}
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(?P<title>.*?)[ \t]*#*[ \t]*$", re.MULTILINE)
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


MAX_MESSAGE = 500


class SheetError(Exception):
    """A sheet that cannot be collected; the message starts with ``path:line:``."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        # An object's address differs between processes (xdist workers): leave it out.
        message = _ADDRESS.sub("", message)
        message = shorten(message, MAX_MESSAGE)  # Sybil's lexer quotes the rest of the document
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Step:
    """One region of a sheet in file order: an example (an item) or a Sybil directive."""

    index: int
    line: int
    column: int
    region: Region
    is_example: bool
    parsed: ParsedRegion
    heading: str
    gates: tuple[Gate, ...] = ()
    rebinds_combination: bool = False  # the last step of a reader-defaults block
    tolerance: ToleranceOverride | None = None  # a tolerance directive before its block
    block: tuple[int, int] | None = None  # (start, end) of the code block that holds it


@dataclass
class Sheet:
    path: Path
    text: str
    regions: list[ParsedRegion]
    steps: list[Step]
    matrix: MatrixDirective | None
    used_axes: frozenset[str]
    warnings: tuple[tuple[int, str], ...] = ()  # (line, message), shown at collection

    @cached_property
    def examples(self) -> list[Step]:
        """The steps that are examples, in file order."""
        return [step for step in self.steps if step.is_example]

    @cached_property
    def blocks(self) -> list[tuple[Step, ...]]:
        """The examples grouped by the code block that holds them, in file order. Examples in no
        block (reST ``>>>`` paragraphs) group by paragraph: only blank space between them."""
        groups: list[list[Step]] = []
        previous: Step | None = None
        for step in self.steps:
            if not step.is_example:
                previous = None  # a directive between two examples parts them
                continue
            if previous is not None and (
                step.block == previous.block
                if step.block is not None
                else previous.block is None
                and not self.text[previous.region.end : step.region.start].strip()
            ):
                groups[-1].append(step)
            else:
                groups.append([step])
            previous = step
        return [tuple(group) for group in groups]


def parse_sheet(path: Path, sybil: Sybil) -> Sheet:
    """Parse ``path`` into steps, the matrix directive and gates; raise SheetError on bad input."""
    raw = path.read_bytes()
    try:
        text = raw.decode(ENCODING)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise SheetError(
            path, line, f"not valid UTF-8 (byte {raw[error.start]:#04x} at offset {error.start})"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = FoundRegions(text, str(path), sybil)
    try:
        regions = live_regions(found)
    except ParseError as error:
        raise SheetError(path, error.line, error.message) from None
    blocks = live_code_blocks(found)
    directives = _directives(text, path)
    python_module = format_of(path) == "python"
    # A module's matrix comment may follow its docstring: it is the module's, wherever it is.
    matrix = _matrix_directive(directives, [] if python_module else blocks, path, text)
    gates_by_block = _by_next_block(directives, blocks, path, Gate)
    if python_module:
        for span, gates in marker_gates(text, blocks).items():
            gates_by_block[span] = (*gates_by_block.get(span, ()), *gates)
    marked = _by_next_block(directives, blocks, path, ReaderDefaults)
    reader_blocks, rebinding, errors = reader_defaults_blocks(marked, regions)
    if errors:
        raise SheetError(path, *errors[0])
    tolerances = _by_next_block(directives, blocks, path, BlockTolerance)
    headings = [] if python_module else _headings(text)
    # Where a Markdown fence (not a MyST directive's) opens, its source starts on the next line.
    fences = {f.start for f in fenced_blocks(text) if not f.info.startswith("{")}
    if found.format != "markdown":
        fences = set()  # reST and docstrings have no fences
    steps = []
    for index, parsed in enumerate(regions):
        region = parsed.region
        block = _block_of(region.start, blocks)
        line = parsed.line
        if block is not None and parsed.doctest_lineno is not None and block[0] in fences:
            # Sybil places a doctest by its offset in the block's source with any list or
            # quote prefix stripped; the doctest's own line number within the block is exact.
            line = line_of(text, block[0]) + 1 + parsed.doctest_lineno
        steps.append(
            Step(
                index=index,
                line=line,
                column=parsed.column,
                region=region,
                is_example=parsed.is_example,
                parsed=parsed,
                heading=_heading_at(region.start, headings),
                gates=gates_by_block.get(block, ()) if block is not None else (),
                rebinds_combination=index in rebinding,
                tolerance=tolerances[block][0].tolerance if block in tolerances else None,
                block=block,
            )
        )
    directive = DIRECTIVE_FORMS[format_of(path) or "markdown"]
    warnings = shadowing_warnings(steps, reader_blocks, directive)
    return Sheet(path, text, regions, steps, matrix, _used_axes(regions), warnings)


def _block_of(position: int, blocks: list[tuple[int, int]]) -> tuple[int, int] | None:
    index = bisect.bisect_right(blocks, (position, float("inf"))) - 1
    if index >= 0 and blocks[index][0] <= position < blocks[index][1]:
        return blocks[index]
    return None


def _directives(text: str, path: Path) -> list[tuple[int, Any]]:
    """(position, directive) for every live cheatsheet directive comment: ``<!-- cheatsheet:
    ... -->`` (Markdown), ``.. cheatsheet: ...`` (reST), ``# cheatsheet: ...`` (Python)."""
    found = []
    try:
        for position, comment in live_directive_comments(text, str(path), DIRECTIVE_NAME):
            line = line_of(text, position)
            try:
                found.append((position, parse_directive(comment, line)))
            except DirectiveError as error:
                raise SheetError(path, error.line, error.message) from None
    except ParseError as error:
        raise SheetError(path, error.line, "cheatsheet directive is not closed with -->") from None
    return found


def _matrix_directive(
    directives: list[tuple[int, Any]], blocks: list[tuple[int, int]], path: Path, text: str
) -> MatrixDirective | None:
    matrices = [(position, d) for position, d in directives if isinstance(d, MatrixDirective)]
    if not matrices:
        return None
    if len(matrices) > 1:
        raise SheetError(
            path,
            matrices[1][1].line,
            f"a second matrix directive; the first is at line {matrices[0][1].line}",
        )
    position, matrix = matrices[0]
    if blocks and position > blocks[0][0]:
        raise SheetError(
            path,
            matrix.line,
            "the matrix directive must come before the first code block "
            f"(line {text.count(chr(10), 0, blocks[0][0]) + 1})",
        )
    return matrix


def _by_next_block(
    directives: list[tuple[int, Any]], blocks: list[tuple[int, int]], path: Path, kind: type[Any]
) -> dict[tuple[int, int], tuple[Any, ...]]:
    """The directives of ``kind`` (gates, tolerances, reader-defaults marks) by the code block
    that follows each."""
    found: dict[tuple[int, int], tuple[Any, ...]] = {}
    for position, directive in directives:
        if not isinstance(directive, kind):
            continue
        following = next((block for block in blocks if block[0] > position), None)
        if following is None:
            what = (
                f"{directive.kind} gate"
                if isinstance(directive, Gate)
                else "tolerance directive"
                if isinstance(directive, BlockTolerance)
                else READER_DEFAULTS
            )
            raise SheetError(path, directive.line, f"{what} is followed by no Python code block")
        if kind is BlockTolerance and following in found:
            raise SheetError(path, directive.line, "a second tolerance directive for one block")
        found[following] = (*found.get(following, ()), directive)
    return found


def _headings(text: str) -> list[tuple[int, str]]:
    """(position, title) of every Markdown heading outside fenced code and HTML comments
    (an invisible code block's ``# comment`` is not a heading)."""
    fences = [(fence.start, fence.end) for fence in fenced_blocks(text)]
    comments = [
        match.span()
        for match in _HTML_COMMENT.finditer(text)
        if _block_of(match.start(), fences) is None  # `<!--` shown in a fence hides nothing
    ]
    fenced: list[tuple[int, int]] = []
    for start, end in sorted(fences + comments):  # merged, so that bisection sees nesting
        if fenced and start < fenced[-1][1]:
            fenced[-1] = (fenced[-1][0], max(end, fenced[-1][1]))
        else:
            fenced.append((start, end))
    headings = []
    for match in _HEADING.finditer(text):
        if _block_of(match.start(), fenced) is None:
            headings.append((match.start(), match.group("title")))
    return headings


def _heading_at(position: int, headings: list[tuple[int, str]]) -> str:
    index = bisect.bisect_right(headings, (position, "\uffff")) - 1
    return headings[index][1] if index >= 0 else ""


def _sources(regions: Iterable[ParsedRegion]) -> Iterator[str]:
    for parsed in regions:
        code = region_source(parsed.region)
        source = code[0] if code is not None else skip_condition(parsed.region)
        if source is not None:
            yield source


def _used_axes(regions: Iterable[ParsedRegion]) -> frozenset[str]:
    """The axes whose names (``device``, ``dtype``) the sheet's code reads."""
    used = set()
    for source in _sources(regions):
        used |= {AXIS_NAMES[name] for name in scan(source, AXIS_NAMES).reads}
    return frozenset(used)
