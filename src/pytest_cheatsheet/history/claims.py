"""Each example's claim, computed at collection from the parsed sheet: what the report carries
and the history keys results by, so that ``compat`` never reads a sheet.

A claim is keyed by heading and a hash of its source (``heading|digest``, ``|2`` for a second
example alike under one heading), not by its line, which moves whenever the sheet is edited above
it, nor by its expected output, which is the claim. Each also carries its code block's line, its
gates (``requires``/``xfail`` directives) and the sentence above them, and a digest of the text
the run parsed, by which ``compat record`` knows whether the sheet changed since.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import TYPE_CHECKING, Any

from pytest_cheatsheet.lines import line_of
from pytest_cheatsheet.truncation import shorten

if TYPE_CHECKING:
    from pytest_cheatsheet.sheet import Sheet

MAX_GATE_TEXT = 160
_NOT_PROSE = ("#", "```", "~~~", "<!--", "|", "..", ">>>", ":::")


def text_digest(text: str) -> str:
    """The digest of a sheet's text (line ends made ``\\n``, as the sheet is parsed)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def claims_of(sheet: Sheet) -> dict[int, dict[str, Any]]:
    """Each example's claim by its line, as the report's fields: ``claim`` (the key), ``block``,
    ``gate``, ``gate_text`` and ``sheet_digest``."""
    cached: dict[int, dict[str, Any]] | None = vars(sheet).get("_claims")
    if cached is not None:
        return cached
    lines = sheet.text.split("\n")
    digest = text_digest(sheet.text)
    seen: Counter[str] = Counter()
    claims = {}
    for group in sheet.blocks:
        first = group[0]
        block = line_of(sheet.text, first.block[0]) if first.block else first.line
        for step in group:
            source = step.parsed.text
            base = f"{step.heading}|{hashlib.sha1(source.encode('utf-8')).hexdigest()[:10]}"
            seen[base] += 1
            claims[step.line] = {
                "claim": base if seen[base] == 1 else f"{base}|{seen[base]}",
                "block": block,
                "gate": " ; ".join(f"{gate.kind} {gate.text}" for gate in step.gates),
                "gate_text": _sentence_before(lines, step.gates[0].line) if step.gates else "",
                "sheet_digest": digest,
            }
    vars(sheet)["_claims"] = claims
    return claims


def _sentence_before(lines: list[str], line: int) -> str:
    """The paragraph just above a gate directive (what the gate says in words), shortened."""
    number = line - 1
    while number >= 1 and not lines[number - 1].strip():
        number -= 1
    paragraph: list[str] = []
    while number >= 1 and lines[number - 1].strip():
        paragraph.insert(0, lines[number - 1].strip())
        number -= 1
    if not paragraph or paragraph[0].startswith(_NOT_PROSE):
        return ""
    return shorten(" ".join(paragraph), MAX_GATE_TEXT, markdown=True)
