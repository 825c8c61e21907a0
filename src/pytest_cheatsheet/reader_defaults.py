"""Reader defaults: the visible block that binds ``device`` and ``dtype`` for a reader who copies
a page into a REPL, and the warning for a sheet that binds them anywhere else.

Each combination runs the reader-defaults block like any other, then gets its own ``device``,
``dtype`` and ``autocast`` back: the page reads naturally and still runs on every combination.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pytest_cheatsheet.block_names import scan
from pytest_cheatsheet.directives import READER_DEFAULTS, ReaderDefaults
from pytest_cheatsheet.seam import ParsedRegion, region_source

SHADOWED_NAMES = ("device", "dtype", "autocast")


def reader_defaults_blocks(
    marked: Mapping[tuple[int, int], Sequence[ReaderDefaults]],
    regions: Sequence[ParsedRegion],
) -> tuple[list[tuple[int, int]], list[int], list[tuple[int, str]]]:
    """The blocks that reader-defaults marks precede (``marked``: each block's marks): their
    spans, the index in ``regions`` of each block's last code region (after it runs, the
    combination's names are bound again), and (line, message) for a block without Python code."""
    spans = []
    last_regions = []
    errors = []
    for block, marks in marked.items():
        inside = [index for index, r in enumerate(regions) if _is_code_in(r, block)]
        if not inside:
            errors.append((marks[0].line, f"{READER_DEFAULTS} is followed by no Python code block"))
            continue
        spans.append(block)
        last_regions.append(inside[-1])
    return spans, last_regions, errors


def _is_code_in(parsed: ParsedRegion, block: tuple[int, int]) -> bool:
    return block[0] <= parsed.region.start < block[1] and parsed.runs_code


def shadowing(source: str, first_line: int) -> Iterator[tuple[int, str]]:
    """(line, name) where ``source``, whose first line is ``first_line`` of the sheet, binds
    ``device``, ``dtype`` or ``autocast`` in the sheet's namespace (see block_names)."""
    for line, name in scan(source, SHADOWED_NAMES).binds:
        yield first_line + line - 1, name


def shadowing_message(name: str, directive: str = "<!-- cheatsheet: {} -->") -> str:
    """The warning for a binding of ``name``; ``directive`` is the sheet format's directive form
    (``.. cheatsheet: {}`` in reST)."""
    return (
        f"assigns {name!r}, which each combination sets: this and later examples may not run on "
        f"the combination they are reported for. Put reader defaults in a block after "
        f"{directive.format(READER_DEFAULTS)}, or use another name"
    )


def shadowing_warnings(
    steps: Iterable[Any],
    reader_blocks: Sequence[tuple[int, int]],
    directive: str = "<!-- cheatsheet: {} -->",
) -> tuple[tuple[int, str], ...]:
    """(line, message) for every binding of ``device`` or ``dtype`` outside reader defaults."""
    found = []
    for step in steps:
        if any(start <= step.region.start < end for start, end in reader_blocks):
            continue
        code = region_source(step.region, step.line)
        if code is not None:
            found += [(line, shadowing_message(name, directive)) for line, name in shadowing(*code)]
    return tuple(found)
