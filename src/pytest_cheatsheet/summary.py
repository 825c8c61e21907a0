"""What a run verified: outcomes per combination and the versions and devices it ran on."""

from __future__ import annotations

import platform
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

from pytest_cheatsheet.outcomes import OUTCOMES
from pytest_cheatsheet.outcomes import UNCHECKED as UNCHECKED  # nodes.py imports it from here

if TYPE_CHECKING:
    import pytest  # annotations only: `python -m pytest_cheatsheet.compat` needs no pytest


EXAMPLE_PROPERTY = "cheatsheet"
# A failed example's reason and, for a doctest whose output differs, what it expected and what
# it printed: carried as data, so that nothing reads them back out of the failure's text.
FAILURE_PROPERTY = "cheatsheet_failure"
# Each example's own result in a block item's call: line, outcome, reason, duration, and a
# failure's expected and printed output, and with --cheatsheet-audit its audit (see audit.py).
RESULTS_PROPERTY = "cheatsheet_results"
# The summary's columns: every outcome; ``unchecked`` only when a run has one.
COLUMNS = tuple(outcome for outcome in OUTCOMES if outcome != UNCHECKED)
# The summary's column, with torch defaults on: the code blocks that made a tensor of the
# combination's dtype on its device.
EXERCISED = "exercised"


def example_properties(report: pytest.TestReport) -> dict[str, Any] | None:
    """What an example item put in its report: sheet, line, heading and combination."""
    for name, value in report.user_properties:
        if name == EXAMPLE_PROPERTY and isinstance(value, dict):
            return value
    return None


def example_results(
    report: pytest.TestReport, outcome: str
) -> list[tuple[int, str, str, dict[str, Any] | None]]:
    """(line, heading, outcome, result) of each example of the item this report is about:
    ``result`` is the example's own, from the block's call, and its outcome the example's; else
    None, and the example's outcome is ``outcome``, the report's (a skipped or failed set-up, an
    interrupted block)."""
    properties = example_properties(report) or {}
    listed = properties.get("examples") or [[properties.get("line", 0), properties.get("heading")]]
    results: dict[int, dict[str, Any]] = {}
    if report.when == "call":
        for name, value in report.user_properties:
            if name == RESULTS_PROPERTY and isinstance(value, list):
                results = {result["line"]: result for result in value}  # the last run's
    found = []
    for line, heading in listed:
        result = results.get(line)
        if result is not None and outcome == "xpassed":  # a non-strict xfail: the item's
            result = dict(result, outcome="xpassed")
        each = str(result["outcome"]) if result is not None else outcome
        found.append((int(line), str(heading or ""), each, result))
    return found


def failure_of(report: pytest.TestReport) -> dict[str, Any] | None:
    """What a failed example put in its report: ``reason``, ``expected``, ``printed``."""
    found = None
    for name, value in report.user_properties:
        if name == FAILURE_PROPERTY and isinstance(value, dict):
            found = value  # the last: a rerun's failure follows the first one's
    return found


def outcome_of(report: pytest.TestReport) -> str | None:
    """The outcome this report settles for its example, or None if another phase settles it."""
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return "xpassed" if report.passed else "xfailed"
        return report.outcome
    if report.when == "setup" and not report.passed:
        if hasattr(report, "wasxfail"):
            return "xfailed"
        return "skipped" if report.skipped else "error"
    if report.when == "teardown" and report.failed:
        return "error"
    return None


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr: Any = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return ""


@dataclass
class Tally:
    """Outcome counts per combination id, and the skip reasons seen, of each example's last
    record (the JSON report's records: the table and the report count the same things); with
    torch defaults on, which blocks exercised each combination (made a tensor of its dtype on
    its device).
    """

    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    skip_reasons: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    devices: set[str] = field(default_factory=set)
    # (sheet, combination) -> {block line: whether it exercised it}; and its dtype and device,
    # for the note on a combination no block exercised.
    exercised: dict[tuple[str, str], dict[int, bool]] = field(default_factory=dict)
    watched: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    collapsed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # sheet -> its notes

    def add(self, report: pytest.TestReport) -> None:
        """Note the device of the item ``report`` is about (for the environment line), its
        sheet's collapse notes, and which blocks exercised its combination."""
        properties = example_properties(report)
        if properties is not None:
            self.devices.add(properties.get("device") or "cpu")
        if properties is None:
            return
        outcome = outcome_of(report)
        if outcome is None:
            return
        combination = str(properties["combination"])
        sheet = str(properties.get("sheet"))
        if properties.get("collapsed"):
            self.collapsed[sheet] = tuple(properties["collapsed"])
        for _, _, _, result in example_results(report, outcome):
            if result is not None and "exercised" in result:
                key = (sheet, combination)
                blocks = self.exercised.setdefault(key, {})
                block = int(result.get("block") or result["line"])
                blocks[block] = blocks.get(block, False) or bool(result["exercised"])
                self.watched[key] = (
                    str(properties.get("dtype")),
                    str(properties.get("device") or "cpu"),
                )

    def count(self, records: Iterable[Any]) -> None:
        """Count ``records`` (each with ``combination``, ``outcome`` and ``reason``): one per
        example and combination, its last attempt's outcome."""
        self.counts.clear()
        self.skip_reasons.clear()
        for record in records:
            self.counts[record.combination][record.outcome] += 1
            if record.outcome == "skipped":
                self.skip_reasons[record.combination][record.reason] += 1

    def exercised_by_combination(self) -> dict[str, list[int]]:
        """Per combination: [blocks watched, blocks that exercised it]."""
        totals: dict[str, list[int]] = {}
        for (_, combination), blocks in self.exercised.items():
            counts = totals.setdefault(combination, [0, 0])
            counts[0] += len(blocks)
            counts[1] += sum(blocks.values())
        return totals

    def not_exercised(self) -> list[str]:
        """A line per sheet and combination of which no watched block made a tensor of the
        combination's dtype on its device: its passes verify nothing of that dtype."""
        lines = []
        for (sheet, combination), blocks in sorted(self.exercised.items()):
            if not any(blocks.values()):
                dtype, device = self.watched[sheet, combination]
                lines.append(
                    f"{sheet} [{combination}]: no block made a {dtype} tensor on {device}; "
                    f"its passes verify nothing of {dtype}"
                )
        return lines

    def collapse_lines(self) -> list[str]:
        return [
            f"{sheet}: {note}" for sheet, notes in sorted(self.collapsed.items()) for note in notes
        ]

    def lines(self) -> list[str]:
        if not self.counts:
            return []
        width = max(len("combination"), *(len(name) for name in self.counts))
        outcomes: tuple[str, ...] = COLUMNS
        if any(counts[UNCHECKED] for counts in self.counts.values()):
            outcomes = (*COLUMNS, UNCHECKED)
        header = f"{'combination':<{width}}  " + "  ".join(f"{o:>7}" for o in outcomes)
        exercised = self.exercised_by_combination()
        if exercised:
            header += f"  {EXERCISED:>9}"
        lines = [header]
        for name in sorted(self.counts):
            counts = self.counts[name]
            row = f"{name:<{width}}  " + "  ".join(f"{counts[o]:>7}" for o in outcomes)
            if exercised:
                watched, made = exercised.get(name, (0, 0))
                row += f"  {made if watched else '-':>9}"
                if watched and not made:
                    row += "  (not exercised)"
            reasons = self.skip_reasons.get(name)
            if reasons:
                (reason, _), others = reasons.most_common(1)[0], len(reasons) - 1
                if others:
                    reason += f"; and {others} other reason{'s' if others > 1 else ''}"
                row += f"  ({reason})"
            lines.append(row)
        return lines


def environment(devices: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Versions of what the sheets ran on, and a description of each device."""
    from pytest_cheatsheet.optional import installed

    numpy = installed("numpy")
    torch = installed("torch")
    return {
        "python": platform.python_version(),
        "torch": torch.__version__ if torch is not None else None,
        "cuda": torch.version.cuda if torch is not None else None,
        "cuda_available": torch is not None and torch.cuda.is_available(),
        "numpy": numpy.__version__ if numpy is not None else None,
        "sybil": _version_of("sybil"),
        "pytest_cheatsheet": _version_of("pytest-cheatsheet"),
        "platform": f"{sys.platform} {platform.machine()}",
        "devices": {device: describe_device(device) for device in devices},
    }


def describe_device(device: str) -> str:
    try:
        return _describe_device(device)
    except Exception as error:  # a summary line must not end the session
        return f"unknown ({type(error).__name__}: {error})"


def _describe_device(device: str) -> str:
    from pytest_cheatsheet.matrix import device_is_available

    if not device_is_available(device):
        return "not available"
    kind = device.partition(":")[0]
    if kind == "cpu":
        return platform.processor() or platform.machine()
    import torch

    backend = getattr(torch, kind)
    get_name = getattr(backend, "get_device_name", None)
    return str(get_name(device)) if get_name is not None else "available"


def _version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def environment_line(env: dict[str, Any]) -> str:
    cuda = f"CUDA {env['cuda']}" if env["cuda"] else "no CUDA build"
    if env["cuda"] and not env["cuda_available"]:
        cuda += " (no GPU available)"
    torch = f"torch {env['torch']}, {cuda}" if env["torch"] else "torch not installed"
    numpy = f"numpy {env['numpy']}" if env["numpy"] else "numpy not installed"
    devices = ", ".join(f"{name}: {description}" for name, description in env["devices"].items())
    return f"{torch}, {numpy}, Python {env['python']}, sybil {env['sybil']}" + (
        f"; devices: {devices}" if devices else ""
    )
