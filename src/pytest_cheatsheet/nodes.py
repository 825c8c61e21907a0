"""The collection tree, pytest's view of a sheet: file -> combination -> block (or example)."""

from __future__ import annotations

import ast
import os
import time
import traceback
import unittest
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from pytest_cheatsheet import CheatsheetWarning
from pytest_cheatsheet.checker import CheckContext
from pytest_cheatsheet.failures import HIDDEN_FROM_TRACEBACKS, ExampleFailure, failure_data
from pytest_cheatsheet.formats import format_of
from pytest_cheatsheet.history.claims import claims_of
from pytest_cheatsheet.isolation import RandomStreams
from pytest_cheatsheet.item_reports import DeviceUnavailable, GateSkip, PassedUnderXfail
from pytest_cheatsheet.matrix import Combination, combinations, device_is_available
from pytest_cheatsheet.optional import installed
from pytest_cheatsheet.options import required_device
from pytest_cheatsheet.pytest_seam import (
    ExceptionRepr,
    TerminalRepr,
    Traceback,
    doctest_globals,
    fixture_values,
    fresh_fixture_values,
    module_globals,
    renew_request,
    request_fixtures,
    skip_at_item,
)
from pytest_cheatsheet.runner import STOPS, CombinationRunner
from pytest_cheatsheet.seam import failure_text, may_vary, region_source
from pytest_cheatsheet.seeding import fingerprint, streams_left_by
from pytest_cheatsheet.settings import SETTINGS
from pytest_cheatsheet.sheet import Sheet, SheetError, Step, parse_sheet
from pytest_cheatsheet.summary import (
    EXAMPLE_PROPERTY,
    FAILURE_PROPERTY,
    RESULTS_PROPERTY,
    UNCHECKED,
)
from pytest_cheatsheet.truncation import shorten
from pytest_cheatsheet.update import UPDATE_PROPERTY, escape_surrogates


class SheetFile(pytest.File):
    """A sheet file; its children are the combinations it runs on."""

    # (line, reason) when narrowing by the command line leaves this sheet nothing to run.
    no_combination_left: tuple[int, str] | None = None

    def collect(self) -> Iterator[CombinationCollector]:
        settings = self.config.stash[SETTINGS]
        if format_of(self.path) == "python":
            # A module under the paths that is not a sheet never stops collection: one with no
            # example is none, one that cannot be read is skipped, saying why.
            source = self.path.read_bytes()
            if b">>>" not in source:
                return
            unreadable = _unreadable_module(source)
            if unreadable is not None:
                raise pytest.skip.Exception(f"{self.nodeid or self.path}: {unreadable}")
        try:
            sheet = parse_sheet(self.path, settings.sybil_for(self.path))
            # Without torch, what the matrix needs comes first: the reach check's ways out
            # (read dtype, torch defaults) need torch too.
            needs = sorted(settings.multiplied_axes(sheet) & {"devices", "dtypes"})
            if sheet.examples and needs and installed("torch") is None:
                line = sheet.matrix.line if sheet.matrix is not None else 1
                raise self.CollectError(
                    f"{self.nodeid or self.path}:{line}: its matrix needs torch "
                    f"({', '.join(needs)}), which is not installed: install torch (or "
                    "pytest-cheatsheet[torch]), or drop the devices and dtypes from this sheet"
                )
            settings.check_reach(sheet)
            written = settings.written_combination(sheet)  # a bad written= fails the sheet here
        except SheetError as error:
            raise self.CollectError(f"{self._relative(error)}: {error.message}") from None
        for line, message in sheet.warnings:
            warning = CheatsheetWarning(f"{self.nodeid or self.path}:{line}: {message}")
            warnings.warn_explicit(warning, None, str(self.path), line)
        if not sheet.examples:
            return
        matrix = combinations(
            settings.axes_for(sheet), settings.multiplied_axes(sheet), settings.autocast_dtype
        )
        written = settings.written_combination(sheet)
        torch_defaults = settings.torch_defaults_for(sheet)
        collapsed = settings.collapse_notes(sheet)
        if not matrix:
            self.no_combination_left = (
                sheet.matrix.line if sheet.matrix is not None else 1,
                settings.narrowed_away(sheet),
            )
            raise NoCombinationLeft(self.no_combination_left[1])
        for combination in matrix:
            yield CombinationCollector.from_parent(
                self,
                name=combination.id,
                sheet=sheet,
                combination=combination,
                written_combination=written,
                updates_output=settings.update and combination.id == written.id,
                check_context=settings.check_context(sheet, combination),
                audit=settings.audit,
                torch_defaults=torch_defaults,
                collapsed=collapsed,
            )

    def _relative(self, error: SheetError) -> str:
        return f"{self.nodeid or self.path}:{error.line}"


def _unreadable_module(source: bytes) -> str | None:
    """Why a module's docstrings cannot be read (Sybil reads a module as UTF-8 and parses it as
    this Python does), else None."""
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = source.count(b"\n", 0, error.start) + 1
        return f"not valid UTF-8 at line {line}, which Sybil reads modules as: not run"
    try:
        ast.parse(text)
    except (SyntaxError, ValueError) as error:
        where = f" at line {error.lineno}" if isinstance(error, SyntaxError) else ""
        return f"not a Python 3 module ({type(error).__name__}{where}): not run"
    return None


class NoCombinationLeft(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The command line's narrowing leaves a sheet nothing to run: the sheet is skipped."""


def keep_combinations_in_file_order(items: list[pytest.Item]) -> None:
    """Put each combination's examples together and in file order, where its first example
    is: a combination runs its sheet from the top, so any other order (pytest-randomly's
    shuffle, --ff) costs a replay of the sheet per example. Other items keep their places."""
    groups: dict[pytest.Item | pytest.Collector, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(
            item.combination_collector if isinstance(item, ExamplesItem) else item, []
        ).append(item)
    ordered = []
    for group in groups.values():
        if len(group) > 1:
            group.sort(key=lambda item: item.step.index if isinstance(item, ExamplesItem) else 0)
        ordered.extend(group)
    items[:] = ordered


class CombinationCollector(pytest.Collector):
    """One combination of a sheet: set up fresh, its examples in file order, torn down clean."""

    def __init__(
        self,
        *,
        sheet: Sheet,
        combination: Combination,
        written_combination: Combination | None = None,
        updates_output: bool = False,
        check_context: CheckContext | None = None,
        audit: bool = False,
        torch_defaults: bool = False,
        collapsed: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sheet = sheet
        self.combination = combination
        self.fixture_closures: dict[Any, Any] = {}  # what its items request, found once
        self.torch_defaults = torch_defaults
        self.collapsed = collapsed  # notes on the axes that run once: the code never reads them
        self.written_combination = written_combination or combination
        self.runner = CombinationRunner(
            sheet,
            combination,
            self.config.stash[SETTINGS].versions,
            record_updates=updates_output,
            prepare_namespace=self._prepare_namespace,
            check_context=check_context,
            audit=audit,
            torch_defaults=torch_defaults,
        )
        registered = self.config.getini("markers")
        for marker in combination.markers:
            if not any(line.split(":")[0] == marker for line in registered):
                self.config.addinivalue_line("markers", f"{marker}: cheat-sheet axis value")
            self.add_marker(marker)

    def _prepare_namespace(
        self, namespace: dict[str, Any], doctest_names: Mapping[str, Any]
    ) -> None:
        if format_of(self.sheet.path) == "python":
            namespace.update(module_globals(self.sheet.path, self.config))
        namespace.update(doctest_names)  # over the module's globals, as in pytest's doctest
        self.config.hook.pytest_cheatsheet_namespace(
            namespace=namespace, combination=self.combination, sheet=self.sheet
        )

    def collect(self) -> Iterator[ExamplesItem]:
        groups: list[tuple[Step, ...]]
        if self.config.stash[SETTINGS].items == "example":
            groups = [(step,) for step in self.sheet.examples]
        else:
            groups = self.sheet.blocks
        self.runner.item_starts = frozenset(steps[0].index for steps in groups)
        for steps in groups:
            yield ExamplesItem.from_parent(self, name=f"line:{steps[0].line}", steps=steps)

    def setup(self) -> None:
        device = self.combination.target_device
        if not device_is_available(device):
            if required_device(device, self.config.stash[SETTINGS].required_devices):
                pytest.fail(
                    f"device {device!r} is required (cheatsheet_require_devices) "
                    "but is not available",
                    pytrace=False,
                )
            matrix = self.sheet.matrix
            raise DeviceUnavailable(
                f"device {device!r} is not available", matrix.line if matrix is not None else 1
            )
        self.runner.start()

    def teardown(self) -> None:
        self.runner.finish()


class ExamplesItem(pytest.Item):
    """The examples of one code block (with ``cheatsheet_items = example``, one example) in one
    combination: they run in order, each with an outcome of its own in the report."""

    obj: Any = None  # as pytest's DoctestItem: a fixture lookup error's report reads it
    gate_skip: GateSkip | None = None
    fixture_values: Mapping[str, Any] = {}
    doctest_names: Mapping[str, Any] = {}  # what pytest's doctest binds: doctest_namespace
    fixture_random: RandomStreams | None = None  # the random streams its fixtures left
    expected_to_fail: str | None = None  # an xfail gate's reason, where it applies here
    xfail_gated: bool = False  # an xfail gate applies here (--runxfail or not)
    failing_step: Step | None = None  # the example whose failure the item reports

    def __init__(self, *, steps: tuple[Step, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps = steps
        self.step = step = steps[0]
        self.results: list[dict[str, Any]] = []  # each example's result, from its last run
        self.failures: list[tuple[Step, BaseException]] = []  # each failed example, in order
        parent = self.parent
        assert isinstance(parent, CombinationCollector)
        self.combination_collector = parent
        sheet_file = parent.parent
        self.user_properties.append(
            (
                EXAMPLE_PROPERTY,
                {
                    "sheet": sheet_file.nodeid if sheet_file is not None else str(self.path),
                    "line": step.line,
                    "heading": step.heading,
                    "combination": parent.combination.id,
                    "device": parent.combination.target_device,
                    "written_combination": parent.written_combination.id,
                    "examples": [[each.line, each.heading] for each in steps],
                    "claims": [claims_of(parent.sheet)[each.line] for each in steps],
                    **({"collapsed": list(parent.collapsed)} if parent.collapsed else {}),
                    **(
                        {"dtype": parent.combination.dtype or "float32"}
                        if parent.torch_defaults
                        else {}
                    ),
                },
            )
        )
        self.requests_fixtures, self.runs_foreign_fixtures = request_fixtures(
            self, self.config.stash[SETTINGS].fixtures, parent.fixture_closures
        )
        versions = parent.runner.versions
        if not device_is_available(parent.combination.target_device):
            return  # the device skip says more than a gate would
        unmet = parent.runner.unmet.get(step.index)  # a block's examples share its gates
        if unmet is not None:
            self.gate_skip = GateSkip(unmet.reason, line=unmet.line)
        for gate in step.gates:
            if gate.kind == "xfail" and gate.applies_to(parent.combination, versions):
                self.add_marker(pytest.mark.xfail(reason=gate.xfail_reason(), strict=True))
                self.xfail_gated = True
                if not self.config.getoption("runxfail"):
                    self.expected_to_fail = gate.xfail_reason()

    def _initrequest(self) -> None:
        renew_request(self)  # pytest calls it to run the item again

    def getparent(self, cls: Any) -> Any:
        # A module-scoped fixture lives as long as the sheet (as in Sybil's pytest integration).
        if cls is pytest.Module:
            return self.combination_collector.parent
        return super().getparent(cls)

    def setup(self) -> None:
        if self.gate_skip is not None:
            raise self.gate_skip
        if self.requests_fixtures:
            # Only a fixture not pytest's own (a project's seeding fixture) may draw or reseed.
            before = fingerprint() if self.runs_foreign_fixtures else None
            self.fixture_values = fixture_values(self, self.config.stash[SETTINGS].fixtures)
            self.doctest_names = doctest_globals(self)
            self.fixture_random = streams_left_by(before) if before is not None else None

    def _fresh_fixture_values(self) -> Mapping[str, Any]:
        """New function-scoped fixture values, the item's own from now on (see runner.run)."""
        names = self.config.stash[SETTINGS].fixtures
        self.fixture_values = fresh_fixture_values(self, names) if names else {}
        return self.fixture_values

    def runtest(self) -> None:
        """Run the block's examples in order; each one runs whatever the earlier ones did, as
        when each is its own item. The first failure is the item's."""
        __tracebackhide__ = True
        runner = self.combination_collector.runner
        self.results = []
        self.user_properties.append((RESULTS_PROPERTY, self.results))
        self.failures = []
        with runner.resumed(self.doctest_names, self.fixture_random):
            for position, step in enumerate(self.steps):
                try:
                    error = self._run_step(runner, step)
                except STOPS as stop:
                    self._record_unfinished(step, stop, self.steps[position + 1 :])
                    raise
                if error is not None:
                    self.failures.append((step, error))
        self.failing_step, first_failure = self.failures[0] if self.failures else (None, None)
        if first_failure is not None:
            self.user_properties.append((FAILURE_PROPERTY, failure_data(first_failure)))
        if self.expected_to_fail is not None:
            broken = {step.line for step, error in self.failures if isinstance(error, SheetError)}
            self._judge_expected_failures(first_failure, broken)
        if first_failure is not None:
            raise first_failure
        if all(result["outcome"] == "skipped" for result in self.results):
            raise skip_at_item(self.results[0]["reason"])

    def _run_step(self, runner: CombinationRunner, step: Step) -> BaseException | None:
        """Run one example, record its result; return its failure, if it failed."""
        __tracebackhide__ = True
        result: dict[str, Any] = {"line": step.line, "outcome": "passed", "reason": ""}
        self.results.append(result)
        started = time.perf_counter()
        try:
            runner.run(step, self.fixture_values, self._fresh_fixture_values)
            if may_vary(step.region):
                result.update(outcome=UNCHECKED, reason="ran, unchecked: its output may vary")
        except (unittest.SkipTest, pytest.skip.Exception) as skip:
            # Sybil's skips (and a sheet's pytest.skip) skip that example, not the block.
            result.update(outcome="skipped", reason=str(skip))
        except pytest.xfail.Exception as xfail:  # a sheet's pytest.xfail(): the item xfails
            result.update(outcome="xfailed", reason=str(xfail))
            return xfail
        except STOPS as stop:  # Ctrl-C, pytest.exit, pytest.fail, a timeout: the block stops
            result.update(outcome="failed", **failure_data(stop))
            raise
        except BaseException as error:
            result.update(outcome="failed", **failure_data(error))
            return error
        finally:
            result["duration"] = time.perf_counter() - started
            if runner.exercised is not None:
                result.update(exercised=runner.exercised, block=runner.exercised_block)
            for update in runner.take_updates():
                # An output an xfail gate expects to fail is the claim, whatever the block's
                # other examples did: it is never rewritten.
                if not self.xfail_gated:
                    self.user_properties.append((UPDATE_PROPERTY, update.as_property()))
            if runner.audit:
                result["audit"] = runner.audit_of(step)
        return None

    def _record_unfinished(
        self, stopped: Step, stop: BaseException, rest: tuple[Step, ...]
    ) -> None:
        """The examples of the block after the one that stopped it never ran: failed, never
        passed, with the reason."""
        why = failure_data(stop)["reason"]
        for step in rest:
            self.results.append(
                {
                    "line": step.line,
                    "outcome": "failed",
                    "reason": f"did not run: the block stopped at line {stopped.line} ({why})",
                    "duration": 0.0,
                }
            )

    def _judge_expected_failures(
        self, first_failure: BaseException | None, broken: set[int]
    ) -> None:
        """Under an xfail gate every example of the block must fail, as each would as an item
        of its own: one that passes fails the block (strictly), naming its line. A broken sheet
        (``broken``: the lines of sheet errors) is never an expected failure."""
        assert self.expected_to_fail is not None
        passed = []
        for result in self.results:
            if result["outcome"] == "failed" and result["line"] not in broken:
                result.update(outcome="xfailed", reason=self.expected_to_fail)
            elif result["outcome"] == "passed":
                result.update(outcome="failed", reason=f"[XPASS(strict)] {self.expected_to_fail}")
                passed.append(result["line"])
        if first_failure is not None and passed:
            self.failing_step = next(step for step in self.steps if step.line == passed[0])
            raise PassedUnderXfail(self.expected_to_fail, passed)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return (
            self.path,
            self.step.line - 1,
            f"{self._location()} [{self.combination_collector.name}]",
        )

    def _location(self, line: int | None = None) -> str:
        """``cheatsheet/x.md:42``: the sheet's node id and the failing (else first) example's
        line."""
        sheet_file = self.combination_collector.parent
        if line is None:
            line = (self.failing_step or self.step).line
        return f"{sheet_file.nodeid if sheet_file else self.path}:{line}"

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        failure = self._repr_failure(excinfo, style)
        block = self._block_outcomes()
        if block and isinstance(failure, (ExceptionRepr, ExampleFailure)):
            failure.addsection(f"the examples of this block ({len(self.steps)})", block)
            for step, error in self.failures[1:]:
                details = failure_text(error)
                if details is None:
                    details = failure_data(error)["reason"]
                failure.addsection(
                    f"{self._location(step.line)} [{self.combination_collector.name}]: failed too",
                    escape_surrogates(details).rstrip("\n"),
                )
        return failure

    def _repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        where = f"{self._location()} [{self.combination_collector.name}]"
        text = failure_text(excinfo.value)
        if text is not None:
            details = escape_surrogates(text)  # xdist sends it as UTF-8
            return ExampleFailure(where, "doctest output differs", details)
        if isinstance(excinfo.value, SheetError):
            location = self._location(excinfo.value.line)
            return ExampleFailure(
                f"{location} [{self.combination_collector.name}]", excinfo.value.message
            )
        if isinstance(excinfo.value, PassedUnderXfail):
            return ExampleFailure(where, str(excinfo.value))
        if isinstance(excinfo.value, SyntaxError) and excinfo.value.filename == str(self.path):
            error = "".join(traceback.format_exception_only(excinfo.value)).rstrip()
            return ExampleFailure(where, "invalid Python", error)
        if style is None and self.config.getoption("tbstyle", "auto") == "auto":
            # pytest cannot tell where a statement starts in a sheet and would print the sheet
            # from its first line; the short style shows the failing lines of the sheet.
            style = "short"
        return super().repr_failure(excinfo, style)

    def _block_outcomes(self) -> str:
        """Each example of a block of several, its outcome and its first line of code, the
        failing one marked: what ran before the failure, and what failed after it."""
        if len(self.steps) < 2:
            return ""
        outcomes = {result["line"]: result["outcome"] for result in self.results}
        lines = []
        for step in self.steps:
            marker = ">" if step is self.failing_step else " "
            code = region_source(step.region)
            first = code[0].strip().split("\n")[0] if code is not None else ""
            if step.parsed.doctest_lineno is not None:
                first = f">>> {first}"
            first = shorten(first, 72)
            outcome = outcomes.get(step.line, "not run")
            lines.append(f"{marker} line {step.line:<5} {outcome:<8} {escape_surrogates(first)}")
        return "\n".join(lines)

    def _traceback_filter(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Traceback:
        """Hide pytest's, Sybil's and this plugin's frames: show the sheet's."""
        shown = excinfo.traceback.filter(
            lambda entry: (
                not str(entry.path).startswith(HIDDEN_FROM_TRACEBACKS)
                and "_pytest" not in str(entry.path)
                and "pluggy" not in str(entry.path)
            )
        )
        return shown or excinfo.traceback[-1:]
