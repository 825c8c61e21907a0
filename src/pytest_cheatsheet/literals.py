"""Where a string literal's characters stand in its source: a docstring's value differs from its
source text by its escapes (``\\t``, ``\\n``, a backslash at a line's end)."""

from __future__ import annotations

import re

# An escape sequence of a (non-raw) string literal, as Python's tokenizer reads it.
_ESCAPE = re.compile(
    r"\\(?P<decoded>\n|N\{[^}\n]*\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}"
    r"|[0-7]{1,3}|[\\'\"abfnrtv])|\\(?P<kept>.)",
    re.DOTALL,
)
_OPENING = re.compile(r"(?P<prefix>[A-Za-z]*)(?:\"\"\"|\'\'\'|\"|\')\Z")


def literal_positions(text: str, start: int, value: str) -> list[int] | None:
    """Where each character of a string literal's ``value`` (and its end) stands in the
    source ``text``, counted from ``start`` (where the literal's body begins); None where each
    stands where it is in the value (a raw string, a string without escapes). A docstring's
    ``\\t`` is two characters of source and one of value; ``\\n`` is one more line in the value
    than in the source; a backslash at a line's end is one line less."""
    opening = _OPENING.search(text, max(0, start - 8), start)
    if opening is None or "r" in opening.group("prefix").lower():
        return None  # a raw string: its value is its source
    positions: list[int] = []
    index = start
    while len(positions) < len(value) and index < len(text):
        match = _ESCAPE.match(text, index) if text[index] == "\\" else None
        if match is None:
            positions.append(index - start)
            index += 1
            continue
        if match.group("decoded") is not None and match.group("decoded") != "\n":
            positions.append(index - start)
        elif match.group("kept") is not None:  # an unknown escape (\\q) keeps both characters
            positions += (index - start, index - start + 1)
        index = match.end()  # a backslash-newline is nothing in the value
    positions.append(index - start)
    if len(positions) != len(value) + 1 or positions == list(range(len(value) + 1)):
        return None
    return positions
