"""The one truncation rule: at most ``limit`` characters, the last one ``…`` where the text was
cut; for Markdown, on one line and never cut inside a code span."""

from __future__ import annotations

ELLIPSIS = "…"


def shorten(text: str, limit: int, *, markdown: bool = False) -> str:
    """``text`` if it has at most ``limit`` characters, else its first ``limit - 1`` and ``…``.

    With ``markdown``, runs of white space (line ends too) become one space first, and a cut
    inside a code span moves before the span opens, with no space left before the ``…``."""
    if markdown:
        text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if markdown:
        if cut.count("`") % 2:  # inside a code span: cut before it opens
            cut = cut[: cut.rindex("`")]
        cut = cut.rstrip()
    return cut + ELLIPSIS
