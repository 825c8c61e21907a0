"""The documentation formats a sheet may be written in, by file name: Markdown (CommonMark and
MyST, which Sybil's MyST parsers read as one), reStructuredText, and the docstrings of Python
modules (each module a sheet, its ``>>>`` examples run in the module's namespace). Each has
Sybil's own parsers for it (built in seam.py); directives are comments in each format's own syntax:
``<!-- cheatsheet: ... -->`` or ``% cheatsheet: ...`` in Markdown, ``.. cheatsheet: ...`` in reST,
``# cheatsheet: ...`` in a Python module.
"""

from __future__ import annotations

import re
from pathlib import Path

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".rst": "rest", ".py": "python"}
FORMATS = tuple(dict.fromkeys(SUFFIXES.values()))
# Python modules are sheets under the paths only: a test file named on the command line is not.
NAMED_FORMATS = ("markdown", "rest")


# How a cheatsheet directive is written in each format ({} is what follows ``cheatsheet:``).
DIRECTIVE_FORMS = {
    "markdown": "<!-- cheatsheet: {} -->",
    "rest": ".. cheatsheet: {}",
    "python": "# cheatsheet: {}",
}


def format_of(path: Path) -> str | None:
    """The format of the file at ``path``, or None when it is not one sheets are written in."""
    return SUFFIXES.get(path.suffix.lower())


# Code-block languages that run unless the ini option cheatsheet_languages says otherwise.
DEFAULT_LANGUAGES = ("python", "py", "python3", "pycon")
_INFO_LANGUAGE = re.compile(r"[^\s{,]+")


def info_language(info: str) -> str:
    """The language of a code block's info string: its first word, lower-cased
    (``Python title="x.py"`` -> ``python``)."""
    match = _INFO_LANGUAGE.match(info.strip())
    return match.group().lower() if match else ""
