"""The doctest OutputChecker of a sheet's examples: Sybil's (with its NUMBER and
KEEP_TRAILING_WHITESPACE flags), and where its literal check fails, checker.compare."""

from __future__ import annotations

import doctest
import re

from pytest_cheatsheet.checker import CheckContext, Comparison, compare
from pytest_cheatsheet.seam import SybilOutputChecker

_BLANKLINE_LINE = re.compile(rf"^{re.escape(doctest.BLANKLINE_MARKER)}[ \t]*$", re.MULTILINE)


class TensorOutputChecker(SybilOutputChecker):
    """A doctest OutputChecker that applies :func:`compare` where the literal check fails.

    ``context`` is what it knows of the example it checks; ``last`` keeps the last comparison
    for the message.
    """

    def __init__(self, context: CheckContext | None = None) -> None:
        super().__init__()
        self.context = context or CheckContext()
        self.last: Comparison | None = None
        # (want, got, flags) of the checks that passed, for the audit; None when not auditing.
        self.passed: list[tuple[str, str, int]] | None = None

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        matches = self.matches(want, got, optionflags)
        if matches and self.passed is not None:
            self.passed.append((want, got, optionflags))
        return matches

    def matches(self, want: str, got: str, optionflags: int) -> bool:
        """The check itself, under ``self.context``; records nothing for the audit."""
        self.last = None
        if super().check_output(want, got, optionflags):
            return True
        if not optionflags & doctest.DONT_ACCEPT_BLANKLINE:
            want = _BLANKLINE_LINE.sub("", want)
        self.last = compare(want, got, self.context, bool(optionflags & doctest.ELLIPSIS))
        return self.last.matches

    def first_difference(self) -> str | None:
        """Where the last output it rejected first differs, when the comparison found it."""
        mismatch = self.last.mismatch if self.last is not None else None
        return mismatch.reason if mismatch is not None else None

    def output_difference(self, example: doctest.Example, got: str, optionflags: int) -> str:
        difference: str = super().output_difference(example, got, optionflags)
        if self.last is not None:
            if self.last.rules:
                difference += f"Numbers compared: {'; '.join(self.last.rules)}.\n"
            if self.last.mismatch is not None:
                difference += f"First difference: {self.last.mismatch.reason}\n"
        return difference
