"""Documentation examples (Markdown, MyST, reST, docstrings) run as tests, across device x dtype
x autocast; cheat-sheets whose every example is checked."""

from __future__ import annotations

__all__ = ["CheatsheetWarning", "__version__"]

__version__ = "0.1.0"


class CheatsheetWarning(UserWarning):
    """A sheet that runs but does not verify what it seems to (filter it by this class:
    ``-W error::pytest_cheatsheet.CheatsheetWarning``)."""
