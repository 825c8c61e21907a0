"""The JSON report (``--cheatsheet-report=PATH``): what each example did in each combination.

Schema (version 1), stable; ``nox -s compat`` reads nothing else::

    {
      "schema": 1,
      "created": "2026-11-26T02:00:00+00:00",
      "versions": {"python": "3.11.7", "torch": "2.13.0+cpu", "cuda": null, "numpy": "2.4.6",
                   "sybil": "10.1.0", "pytest_cheatsheet": "0.1.0"},
      "devices": {"cpu": "x86_64", "cuda": "not available"},
      "results": [
        {"sheet": "cheatsheet/torch/math.md", "line": 12, "heading": "torch.tanh",
         "combination": "cpu-float16", "outcome": "passed", "reason": "", "duration": 0.0012}
      ]
    }

``outcome`` is one of passed, failed, skipped, xfailed, xpassed, error; ``reason`` says why an
example was skipped, expected to fail, or failed (first line of the failure).
"""

from __future__ import annotations

import datetime
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_cheatsheet.summary import (
    environment,
    example_properties,
    failure_of,
    outcome_of,
    skip_reason,
)

if TYPE_CHECKING:
    import pytest  # annotations only: `python -m pytest_cheatsheet.compat` needs no pytest

SCHEMA_VERSION = 1
MAX_REASON = 500


@dataclass
class Record:
    sheet: str
    line: int
    heading: str
    combination: str
    outcome: str
    reason: str
    duration: float


class Report:
    """Collects one record per example and combination from the test reports."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}

    def add(self, report: pytest.TestReport) -> None:
        properties = example_properties(report)
        if properties is None:
            return
        record = self.records.get(report.nodeid)
        if record is None:
            record = self.records[report.nodeid] = Record(
                sheet=properties["sheet"],
                line=properties["line"],
                heading=properties["heading"],
                combination=properties["combination"],
                outcome="passed",
                reason="",
                duration=0.0,
            )
        record.duration += report.duration
        outcome = outcome_of(report)
        if outcome is None:
            return
        if outcome == "error" and record.outcome == "failed":
            return
        record.outcome = outcome
        record.reason = _reason(report, outcome)

    def document(self, devices: list[str]) -> dict[str, Any]:
        env = environment(devices)
        return {
            "schema": SCHEMA_VERSION,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "versions": {
                key: env[key]
                for key in ("python", "torch", "cuda", "numpy", "sybil", "pytest_cheatsheet")
            },
            "platform": env["platform"],
            "devices": env["devices"],
            "results": [asdict(record) for record in self.records.values()],
        }

    def write(self, path: Path, devices: list[str]) -> None:
        write_atomically(
            path, json.dumps(self.document(devices), indent=1, ensure_ascii=False) + "\n"
        )


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
    return reason[:MAX_REASON]


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


def write_atomically(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding=encoding, newline="") as stream:
            stream.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
