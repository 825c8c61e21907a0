"""The outcomes an example can have: the one vocabulary the summary, the report and the history
speak, in the summary's (pytest's) order."""

from __future__ import annotations

# An example that ran and did not raise, whose output may vary and was not compared: never
# verified.
UNCHECKED = "unchecked"
OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed", "error", UNCHECKED)
FAILING = frozenset({"failed", "error"})
