"""Line numbers of positions in a text: each found by bisection over the text's line breaks, so
that numbering every region of a long sheet stays linear."""

from __future__ import annotations

import bisect
import functools
import re


@functools.lru_cache(maxsize=8)
def _line_breaks(text: str) -> list[int]:
    return [match.start() for match in re.finditer("\n", text)]


def line_of(text: str, position: int) -> int:
    """The 1-based line of ``text`` that ``position`` is on: ``text.count("\\n", 0, position)
    + 1``."""
    return bisect.bisect_left(_line_breaks(text), position) + 1
