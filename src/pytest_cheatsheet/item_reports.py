"""What an item's pytest report says where pytest alone would say it wrong: the skips and the
failure the collection tree raises, where their reports point, and which failures an xfail
gate never excuses."""

from __future__ import annotations

from os import PathLike

import pytest

from pytest_cheatsheet.sheet import SheetError


class GateSkip(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """``requires`` gates that do not hold here (directives.Unmet); reported at the first one's
    line, so that ``-rs`` folds one line per gate (a skip marker would lose the line)."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.line = line


class DeviceUnavailable(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A combination's device is absent here: its examples are skipped, reported at ``line``
    (the sheet's matrix directive, or its first line)."""

    def __init__(self, reason: str, line: int = 1) -> None:
        super().__init__(reason)
        self.line = line


class PassedUnderXfail(Exception):
    """Examples of a block under an xfail gate passed while others failed: each example of such a
    block is expected to fail (as each would, strictly, as an item of its own)."""

    def __init__(self, reason: str, lines: list[int]) -> None:
        where = ", ".join(map(str, lines))
        super().__init__(
            f"passed (line{'s' if len(lines) > 1 else ''} {where}), but the xfail gate expects "
            f"every example of this block to fail: {reason}"
        )


def fix_item_report(
    report: pytest.TestReport, path: PathLike[str] | str, error: BaseException
) -> None:
    """Point a gate's or a device's skip at its line of the sheet ``path``, so that ``-rs``
    shows one line per gate, and per sheet and device, not one per example or the plugin's
    frame; and fail what an xfail gate never expects."""
    if isinstance(error, (DeviceUnavailable, GateSkip)):
        report.longrepr = (str(path), error.line, f"Skipped: {error}")
    never_expected_to_fail(report, error)


def never_expected_to_fail(report: pytest.TestReport, error: BaseException) -> None:
    """A sheet error (a failing directive, a block that cannot run) is a failure even under an
    xfail gate: the gate expects the example's code to fail, not the sheet to be broken; so is
    an example of an xfail block that passed, a block stopped by pytest.fail or a timeout, and
    any error setting an example up (a namespace hook, a fixture, a module that cannot be
    imported), which is an error."""
    if not hasattr(report, "wasxfail"):
        return
    stopped = isinstance(error, pytest.fail.Exception) and not isinstance(
        error,
        pytest.xfail.Exception,  # a subclass: the sheet's own pytest.xfail()
    )
    if report.when == "setup" or stopped or isinstance(error, (SheetError, PassedUnderXfail)):
        report.outcome = "failed"
        del report.wasxfail
