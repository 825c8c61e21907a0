"""``--cheatsheet-update``: rewrite a doctest's expected output with what was printed.

Only the lines of the expected output change; every other byte of the sheet (prose, other
blocks, line endings, a BOM, non-ASCII text) stays as it was. Updates travel in the test reports
(so pytest-xdist workers hand them to the controller) and are applied once, at the end of the
session, by writing a temporary file and renaming it over the sheet.
"""

from __future__ import annotations

import doctest
import traceback
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pytest_cheatsheet.report import write_atomically

UPDATE_PROPERTY = "cheatsheet_update"
BOM = "\ufeff"


class UpdateError(Exception):
    """A sheet that cannot be updated safely; the message names the file and line."""


@dataclass(frozen=True)
class ExpectedOutputUpdate:
    """Replace the expected output of the doctest whose ``>>>`` is on ``line``."""

    path: str
    line: int
    source_lines: int
    old_want: str
    new_want: str

    def as_property(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_property(cls, value: dict[str, Any]) -> ExpectedOutputUpdate:
        return cls(**value)


def want_from_output(got: str) -> str:
    """Doctest's expected-output text for what was printed (blank lines as ``<BLANKLINE>``)."""
    lines = [line.rstrip() for line in got.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "".join(f"{line or doctest.BLANKLINE_MARKER}\n" for line in lines)


def want_from_exception(exc_info: Any) -> str:
    """Doctest's expected-output text for an exception (its stack is not compared)."""
    exception_only = traceback.format_exception_only(exc_info[0], exc_info[1])
    return "Traceback (most recent call last):\n    ...\n" + "".join(exception_only)


def apply(updates: Iterable[ExpectedOutputUpdate]) -> tuple[dict[str, list[int]], list[str]]:
    """Apply updates, one atomic write per sheet; return the changed lines by sheet, and why
    the sheets that could not be updated safely were left as they were."""
    by_path: dict[str, dict[int, ExpectedOutputUpdate]] = defaultdict(dict)
    for update in updates:
        by_path[update.path][update.line] = update
    changed: dict[str, list[int]] = {}
    errors: list[str] = []
    for path, updates_by_line in sorted(by_path.items()):
        try:
            _apply_to_sheet(Path(path), sorted(updates_by_line.values(), key=lambda u: u.line))
        except (UpdateError, OSError, UnicodeDecodeError) as error:
            errors.append(str(error) if isinstance(error, UpdateError) else f"{path}: {error}")
        else:
            changed[path] = sorted(updates_by_line)
    return changed, errors


def _apply_to_sheet(path: Path, updates: list[ExpectedOutputUpdate]) -> None:
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    bom = BOM if text.startswith(BOM) else ""
    text = text.removeprefix(BOM)
    if "\r" in text.replace("\r\n", ""):
        raise UpdateError(
            f"{path}: line endings are bare carriage returns; not updating this sheet"
        )
    lines = text.split("\n")  # each keeps a trailing "\r" where the sheet uses CRLF
    for update in reversed(updates):  # bottom-up, so earlier line numbers stay valid
        first = update.line - 1
        prompt_line = lines[first].rstrip("\r")
        prefix = prompt_line[: prompt_line.find(">>>")] if ">>>" in prompt_line else None
        if prefix is None:
            raise UpdateError(f"{path}:{update.line}: no '>>>' on this line any more; not updating")
        start = first + update.source_lines
        old_count = update.old_want.count("\n")
        old_lines = [line.rstrip("\r") for line in lines[start : start + old_count]]
        expected_old = [
            prefix + line if line else prefix.rstrip() for line in update.old_want.splitlines()
        ]
        if [line.rstrip() for line in old_lines] != [line.rstrip() for line in expected_old]:
            raise UpdateError(
                f"{path}:{update.line}: the expected output changed since the run; not updating"
            )
        ending = "\r" if lines[first].endswith("\r") else ""
        new_lines = [(prefix + line).rstrip() + ending for line in update.new_want.splitlines()]
        lines[start : start + old_count] = new_lines
    write_atomically(path, bom + "\n".join(lines))
