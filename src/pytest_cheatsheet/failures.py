"""How a failed example shows (a TerminalRepr, as pytest's doctest plugin does) and what the
report keeps of it, as data."""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_cheatsheet
from pytest_cheatsheet.pytest_seam import TerminalRepr, TerminalWriter
from pytest_cheatsheet.seam import SYBIL_DIRECTORY, DoctestMismatch, DoctestRaised, failure_text
from pytest_cheatsheet.sheet import SheetError
from pytest_cheatsheet.truncation import shorten
from pytest_cheatsheet.update import escape_surrogates, want_from_exception

HIDDEN_FROM_TRACEBACKS = (
    str(Path(pytest_cheatsheet.__file__ or "").parent) + os.sep,
    SYBIL_DIRECTORY,
)
MAX_FAILURE_TEXT = 2000


@dataclass(eq=False)
class ExampleFailure(TerminalRepr):
    """How a failed example shows: where (sheet, line, combination), what, and the details."""

    location: str
    summary: str
    details: str = ""
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # as ExceptionRepr's

    def addsection(self, name: str, content: str, sep: str = "-") -> None:
        self.sections.append((name, content, sep))

    def toterminal(self, tw: TerminalWriter) -> None:
        tw.line(f"{self.location}: {self.summary}", red=True, bold=True)
        if self.details:
            tw.line("")
            for line in self.details.rstrip("\n").split("\n"):
                tw.line(line)
        for name, content, sep in self.sections:
            tw.sep(sep, name)
            tw.line(content)


def failure_data(error: BaseException) -> dict[str, Any]:
    """The report's data on a failed example: one line of reason, and a differing doctest's
    expected and printed output."""
    expected = printed = None
    if isinstance(error, DoctestMismatch):
        reason = (
            f"First difference: {error.difference}"
            if error.difference
            else "doctest output differs"
        )
        expected, printed = error.doctest_example.want, error.printed
    elif isinstance(error, DoctestRaised):
        reason = _exception_line(error.error)
        expected = error.doctest_example.want
        printed = want_from_exception((type(error.error), error.error))
    elif (text := failure_text(error)) is not None:
        reason = next((line for line in text.splitlines() if line.strip()), "")
    elif isinstance(error, SheetError):
        reason = error.message
    else:
        reason = _exception_line(error)
    return {
        "reason": escape_surrogates(reason.strip()),
        "expected": _bounded(expected),
        "printed": _bounded(printed),
    }


def _bounded(text: str | None) -> str | None:
    """At most MAX_FAILURE_TEXT characters (the last one then ``…``), lone surrogates escaped
    (what pytest-xdist sends between processes must encode as UTF-8)."""
    if text is None:
        return None
    text = escape_surrogates(text)
    return shorten(text, MAX_FAILURE_TEXT)


def _exception_line(error: BaseException) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return lines[-1].strip() if lines else type(error).__name__
