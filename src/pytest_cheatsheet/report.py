"""The JSON report (``--cheatsheet-report=PATH``): what each example did in each combination.

Schema (version 3; 2 has no claim fields, 1 no ``expected``/``printed`` either), stable;
``nox -s compat`` reads nothing else::

    {
      "schema": 3,
      "created": "2026-11-26T02:00:00+00:00",
      "versions": {"python": "3.11.7", "torch": "2.13.0+cpu", "cuda": null, "numpy": "2.4.6",
                   "sybil": "10.1.0", "pytest_cheatsheet": "0.1.0"},
      "devices": {"cpu": "x86_64", "cuda": "not available"},
      "results": [
        {"sheet": "cheatsheet/torch/math.md", "line": 12, "heading": "torch.tanh",
         "combination": "cpu-float16", "outcome": "passed", "reason": "", "duration": 0.0012,
         "expected": null, "printed": null, "device": "cpu", "claim": "torch.tanh|6f1e0c2a9b",
         "block": 10, "gate": "requires torch>=2.3", "gate_text": "自 torch 2.3 起……",
         "sheet_digest": "a41f03c2e5b7d918"}
      ]
    }

``outcome`` is one of outcomes.OUTCOMES (passed, failed, skipped, xfailed, xpassed, error,
unchecked); ``reason`` says why an example was skipped, expected to fail, or failed (first line
of the failure; at most 500 characters, the last one then ``…``). An example whose run did not
complete (the session was interrupted, its xdist worker crashed) is an ``error``.
``expected`` and ``printed`` are a failed doctest's expected output and what it printed (at most
2000 characters each, the last one then ``…``), ``null`` otherwise; ``audit`` is there only with
``--cheatsheet-audit``. ``claim`` (heading and source hash), ``block`` (its code block's line),
``gate`` (its ``requires``/``xfail`` directives), ``gate_text`` (the sentence above them) and
``sheet_digest`` (of the text the run parsed) are computed at collection (history/claims.py).

The report is written into PATH itself (through a symlink, into an existing file, a FIFO or a
device), never by replacing it; PATH is checked before the run.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import re
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_cheatsheet.summary import (
    environment,
    example_properties,
    example_results,
    failure_of,
    outcome_of,
    skip_reason,
)
from pytest_cheatsheet.truncation import shorten

if TYPE_CHECKING:
    import pytest  # annotations only: `python -m pytest_cheatsheet.compat` needs no pytest

SCHEMA_VERSION = 3
# What a reader of the report (the history) needs of each result: the others it may do without.
REQUIRED_FIELDS = ("sheet", "line", "combination", "outcome", "claim", "block", "sheet_digest")
MAX_REASON = 500
OPTIONAL_KEYS = ("audit", "exercised")  # left out of a record where they are None
INCOMPLETE = "the run of this example did not complete (interrupted, or its worker crashed)"


@dataclass
class Record:
    sheet: str
    line: int
    heading: str
    combination: str
    outcome: str
    reason: str
    duration: float
    expected: str | None = None
    printed: str | None = None
    audit: dict[str, Any] | None = None  # with --cheatsheet-audit: how strong its check is
    # With torch defaults on: whether the example made a tensor of its combination's dtype on
    # its device.
    exercised: bool | None = None
    device: str = ""
    claim: str = ""
    block: int = 0
    gate: str = ""
    gate_text: str = ""
    sheet_digest: str = ""


class Report:
    """Collects one record per example and combination from the test reports."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}

    def add(self, report: pytest.TestReport) -> None:
        properties = example_properties(report)
        if properties is None:
            return
        outcome = outcome_of(report)
        if outcome is None and report.failed and report.when not in ("setup", "call", "teardown"):
            outcome = "error"  # pytest-xdist's report of a crashed worker (when="???")
        item_reason = _reason(report, outcome) if outcome is not None else ""
        if report.when not in ("setup", "call", "teardown"):
            crash = [line for line in report.longreprtext.splitlines() if "crashed" in line]
            item_reason = shorten(crash[0] if crash else INCOMPLETE, MAX_REASON)
        item_failure = failure_of(report) if report.when == "call" else None
        examples = example_results(report, outcome or "")
        for index, (line, heading, each, result) in enumerate(examples):
            key = f"{report.nodeid}:{line}"
            record = self.records.get(key)
            if record is None:
                # Until its call reports, an example has not passed: a run that never completes
                # (Ctrl-C, a crashed worker) leaves it an error.
                record = self.records[key] = Record(
                    sheet=properties["sheet"],
                    line=line,
                    heading=heading,
                    combination=properties["combination"],
                    outcome="error",
                    reason=INCOMPLETE,
                    duration=0.0,
                    device=str(properties.get("device") or "cpu"),
                    **(properties.get("claims") or [{}] * (index + 1))[index],
                )
            if result is not None:
                record.duration += result.get("duration", 0.0)
                if isinstance(result.get("audit"), dict):
                    record.audit = result["audit"]
                if "exercised" in result:
                    record.exercised = bool(result["exercised"])
            elif index == 0:
                record.duration += report.duration  # set-up and teardown: the block's first
            if outcome is None:
                continue
            if each == "error" and record.outcome == "failed":
                continue
            record.outcome = each
            failure = result if result is not None else item_failure
            record.reason = (
                shorten(str(result["reason"]), MAX_REASON) if result is not None else item_reason
            )
            if each == "failed" and failure is not None:
                record.expected, record.printed = failure.get("expected"), failure.get("printed")
            else:
                record.expected = record.printed = None

    def document(self, devices: list[str]) -> dict[str, Any]:
        env = environment(devices)
        return {
            "schema": SCHEMA_VERSION,
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "versions": {
                key: env[key]
                for key in ("python", "torch", "cuda", "numpy", "sybil", "pytest_cheatsheet")
            },
            "platform": env["platform"],
            "devices": env["devices"],
            "results": [
                {
                    key: value
                    for key, value in asdict(record).items()
                    if value is not None or key not in OPTIONAL_KEYS
                }
                for record in self.records.values()
            ],
        }

    def write(self, path: Path, devices: list[str]) -> None:
        write_in_place(path, to_json(self.document(devices)))


def to_json(document: Any) -> str:
    """Readable JSON (non-ASCII as is) that is valid UTF-8 even for lone surrogates (an output
    that printed undecodable bytes): those are written as ``\\udXXX`` escapes."""
    text = json.dumps(document, indent=1, ensure_ascii=False)
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n"


_SURROGATE = re.compile("[\ud800-\udfff]")


def report_path_problem(path: Path) -> str | None:
    """Why the report cannot be written to ``path``, checked before the run; None if it can."""
    if path.is_dir():
        return "is a directory"
    if path.exists():
        if not os.access(path, os.W_OK):
            return "is not writable"
        return None
    target = Path(os.path.realpath(path))  # a dangling symlink: its target is created
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"cannot be created: {folder} is not a directory"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot be created: {folder} is not writable"
    return None


def write_in_place(path: Path, text: str) -> None:
    """Write ``text`` into ``path`` itself: through a symlink, into an existing file's inode
    (its links, owner and mode stay), a FIFO (which needs a reader) or a device; create it (and
    its folders) where it does not exist."""
    data = text.encode("utf-8")
    Path(os.path.realpath(path)).parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags, 0o666)
    except OSError as error:
        if error.errno == errno.ENXIO:  # a FIFO no process reads: a blocking open would hang
            raise OSError(error.errno, "no process is reading this FIFO", str(path)) from None
        raise
    try:
        os.set_blocking(descriptor, True)
        if stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.ftruncate(descriptor, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _reason(report: pytest.TestReport, outcome: str) -> str:
    if outcome == "skipped":
        reason = skip_reason(report)
    elif outcome in ("xfailed", "xpassed"):
        reason = str(getattr(report, "wasxfail", ""))
    elif outcome in ("failed", "error"):
        failure = failure_of(report) if report.when == "call" else None
        if failure is not None:
            reason = str(failure["reason"])
        else:
            reason = _first_line_of_failure(report.longreprtext)
    else:
        reason = ""
    return shorten(reason, MAX_REASON)


_EXCEPTION_LINE = re.compile(
    r"^(?:E\s+)?([A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt)\b.*)$"
)


def _first_line_of_failure(text: str) -> str:
    """The line that says what went wrong: the checker's first difference, else the exception."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("First difference:"):
            return line
    for line in reversed(lines):
        match = _EXCEPTION_LINE.match(line)
        if match:
            return match.group(1)
    for line in lines:
        if line.startswith("E "):
            return line.removeprefix("E").strip()
    return lines[0] if lines else ""
