"""What the session verified: outcomes counted per combination as reports arrive (from xdist
workers too), the JSON report, the expected-output updates written back, the summary printed;
with ``--cheatsheet-audit``, the audit's totals."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from pytest_cheatsheet.options import NO_COMBINATION_LEFT
from pytest_cheatsheet.report import Report, report_path_problem
from pytest_cheatsheet.settings import SETTINGS
from pytest_cheatsheet.summary import (
    Tally,
    environment,
    environment_line,
    example_properties,
    example_results,
    outcome_of,
    skip_reason,
)
from pytest_cheatsheet.update import UPDATE_PROPERTY, ExpectedOutputUpdate
from pytest_cheatsheet.update import Outcome as UpdateOutcome
from pytest_cheatsheet.update import apply as apply_updates


class Recorder:
    """Counts outcomes per combination as reports arrive (from xdist workers too), writes the
    JSON report and the expected-output updates, and prints what was verified."""

    def __init__(self, report_path: Path | None) -> None:
        if report_path is not None:
            problem = report_path_problem(report_path)
            if problem is not None:
                raise pytest.UsageError(f"--cheatsheet-report={report_path}: {problem}")
        self.tally = Tally()
        # One record per example and combination, its last attempt's: the JSON report's and
        # the summary table's, so that both count the same (reruns once, an interrupted or
        # crashed example as an error).
        self.report = Report()
        self.report_path = report_path
        self.report_error = ""
        self.updates: list[ExpectedOutputUpdate] = []
        self.no_combination: dict[str, str] = {}  # sheet node id -> why
        self.update_outcome = UpdateOutcome()
        self.written: dict[str, str] = {}  # sheet -> its written combination
        self.written_ran: set[str] = set()  # sheets of which an example of it ran
        self.update_mode = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.tally.add(report)
        self.report.add(report)
        properties = example_properties(report)
        if properties is None or "written_combination" not in properties:
            return
        sheet = str(properties["sheet"])
        self.written[sheet] = str(properties["written_combination"])
        if report.when == "call" and properties["combination"] == self.written[sheet]:
            self.written_ran.add(sheet)
        if report.when == "call" and not hasattr(report, "wasxfail"):
            # An output an xfail gate expects to fail is the claim: it is never rewritten.
            self.updates += [
                ExpectedOutputUpdate.from_property(value)
                for name, value in report.user_properties
                if name == UPDATE_PROPERTY and isinstance(value, dict)
            ]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        reason = skip_reason(report)
        if report.skipped and reason.startswith(NO_COMBINATION_LEFT):
            self.no_combination[report.nodeid] = reason  # once, however many xdist workers

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):  # xdist workers hand their reports on
            return
        self.update_mode = session.config.stash[SETTINGS].update
        if self.updates:
            try:
                self.update_outcome = apply_updates(self.updates, session.config.rootpath)
            except Exception as error:  # the report and the summary must still come
                self.update_outcome.refused.append(f"{type(error).__name__}: {error}")
        if self.report_path is not None:
            try:
                self.report.write(self.report_path, sorted(self.tally.devices))
            except Exception as error:
                self.report_error = f"{type(error).__name__}: {error}"
                if session.exitstatus == pytest.ExitCode.OK:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        if self.report_error:
            terminalreporter.write_line(
                f"cheatsheet: the report was not written to {self.report_path}: "
                f"{self.report_error}",
                red=True,
            )
        for message in self.update_outcome.refused:
            terminalreporter.write_line(f"cheatsheet: not updated: {message}", red=True)
        if self.update_mode:
            for sheet in sorted(set(self.written) - self.written_ran):
                terminalreporter.write_line(
                    f"cheatsheet: not updated: {sheet}: its written combination "
                    f"{self.written[sheet]} did not run (narrowed with --cheatsheet-* or -k, "
                    "or its device is absent)",
                    yellow=True,
                )
        changed = self.update_outcome.changed
        if changed:
            total = sum(len(lines) for lines in changed.values())
            noun = "output" if total == 1 else "outputs"
            terminalreporter.write_sep("=", f"cheatsheet: updated {total} expected {noun}")
            for path, changed_lines in changed.items():
                relative = (
                    Path(path).relative_to(config.rootpath)
                    if Path(path).is_relative_to(config.rootpath)
                    else path
                )
                terminalreporter.write_line(
                    f"{relative}: lines {', '.join(map(str, changed_lines))}"
                )
        self.tally.count(self.report.records.values())
        lines = self.tally.lines()
        if lines:
            terminalreporter.write_sep("=", "cheatsheet: what was verified")
            terminalreporter.write_line(environment_line(environment(sorted(self.tally.devices))))
            for line in lines:
                terminalreporter.write_line(line)
        if collapsed := self.tally.collapse_lines():
            terminalreporter.write_sep("=", "cheatsheet: axes run once")
            for line in collapsed:
                terminalreporter.write_line(line, yellow=True)
        if not_exercised := self.tally.not_exercised():
            terminalreporter.write_sep("=", "cheatsheet: not exercised")
            for line in not_exercised:
                terminalreporter.write_line(line, yellow=True)
        if self.no_combination:
            terminalreporter.write_sep("=", "cheatsheet: sheets left nothing to run")
            for sheet, reason in sorted(self.no_combination.items()):
                terminalreporter.write_line(f"{sheet}: {reason}", yellow=True)


class AuditRecorder:
    """Adds up the audit properties of the reports (from xdist workers too) and prints them."""

    def __init__(self) -> None:
        self.outputs = 0
        self.tried: Counter[str] = Counter()
        self.caught: Counter[str] = Counter()
        self.within: Counter[str] = Counter()
        self.weak: dict[tuple[str, int], dict[str, list[str]]] = defaultdict(dict)
        self.nothing: dict[str, set[int]] = defaultdict(set)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = outcome_of(report)
        example = example_properties(report)
        if report.when != "call" or example is None or outcome is None:
            return
        sheet, combination = example["sheet"], example["combination"]
        for line, _, _, result in example_results(report, outcome):
            audit = result.get("audit") if result is not None else None
            if not isinstance(audit, dict):
                continue
            if audit["checks_nothing"]:
                self.nothing[sheet].add(line)
            for output in audit["outputs"]:
                self.outputs += 1
                self.tried[combination] += output["perturbations"]
                self.caught[combination] += output["caught"]
                self.within[combination] += output["within_tolerance"]
                if output["survivors"]:
                    self.weak[(sheet, line)][combination] = output["survivors"]

    def lines(self) -> list[str]:
        lines = []
        for (sheet, line), by_combination in sorted(self.weak.items()):
            for combination, survivors in sorted(by_combination.items()):
                more = f" (and {len(survivors) - 1} more)" if len(survivors) > 1 else ""
                lines.append(
                    f"weak: {sheet}:{line} [{combination}]: {survivors[0]} still passes{more}"
                )
        for sheet, numbers in sorted(self.nothing.items()):
            shown = ", ".join(map(str, sorted(numbers)))
            lines.append(
                f"checks nothing (a value computed and not checked): {sheet}: lines {shown}"
            )
        if self.tried:
            width = max(len("combination"), *(len(name) for name in self.tried))
            lines.append(
                f"{'combination':<{width}}  perturbations   caught  within tolerance  share"
            )
            for name in sorted(self.tried):
                lines.append(
                    f"{name:<{width}}  {self.tried[name]:>13}  {self.caught[name]:>7}  "
                    f"{self.within[name]:>16}  {_share(self.caught[name], self.tried[name])}"
                )
        tried, caught = sum(self.tried.values()), sum(self.caught.values())
        statements = sum(len(numbers) for numbers in self.nothing.values())
        lines.append(
            f"score: {self.outputs} outputs checked, {caught} of {tried} perturbations caught "
            f"({_share(caught, tried)}); {len(self.weak)} weak examples; "
            f"{statements} blocks or statements check nothing"
        )
        return lines

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("=", "cheatsheet audit: how strong each check is")
        for line in self.lines():
            terminalreporter.write_line(line)


def _share(caught: int, tried: int) -> str:
    return f"{100 * caught / tried:.1f}%" if tried else "n/a"
