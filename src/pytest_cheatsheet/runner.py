"""One run of a sheet for one combination: its namespace, its order and its isolation."""

from __future__ import annotations

import contextlib
import gc
import unittest
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from pytest_cheatsheet.audit import audit_output, checks_nothing
from pytest_cheatsheet.checker import CheckContext
from pytest_cheatsheet.directives import Unmet, unmet_requirements
from pytest_cheatsheet.exercised import TensorWatch
from pytest_cheatsheet.formats import format_of
from pytest_cheatsheet.isolation import (
    GlobalState,
    RandomStreams,
    release_device_memory,
    seed_everything,
)
from pytest_cheatsheet.matrix import Combination
from pytest_cheatsheet.output_checker import TensorOutputChecker
from pytest_cheatsheet.seam import (
    BlockFailure,
    DoctestMismatch,
    DoctestRaised,
    Run,
    doctests_own_output_checker,
    region_source,
)
from pytest_cheatsheet.sheet import Sheet, SheetError, Step
from pytest_cheatsheet.torch_defaults import apply_torch_defaults
from pytest_cheatsheet.update import ExpectedOutputUpdate, update_from_failure

# What stops the set-up of an example instead of counting as an earlier example's failure:
# Ctrl-C, pytest.exit(), and pytest.fail(), which is how pytest-timeout's timeout arrives.
STOPS = (KeyboardInterrupt, pytest.exit.Exception, pytest.fail.Exception)


def _directive_owners(sheet: Sheet, runnable: set[int]) -> dict[int, int]:
    """For each directive, the example that reports its failure: the first after it that runs
    here, or the last that runs for the directives after it."""
    owners: dict[int, int] = {}
    waiting: list[int] = []
    for step in sheet.steps:
        if not step.is_example:
            waiting.append(step.index)
        elif step.index in runnable:
            owners.update(dict.fromkeys(waiting, step.index))
            waiting = []
    last = max(runnable, default=-1)
    owners.update(dict.fromkeys(waiting, last))
    return owners


def _docstring_starts(sheet: Sheet) -> frozenset[int]:
    """The first step of each docstring of a Python module sheet (none for other formats)."""
    if format_of(sheet.path) != "python":
        return frozenset()
    starts: dict[tuple[int, int], int] = {}
    for step in sheet.steps:
        if step.block is not None:
            starts.setdefault(step.block, step.index)
    return frozenset(starts.values())


class CombinationRunner:
    """Runs a sheet's steps in file order for one combination.

    Items ask for their step with :meth:`run`; steps before it that have not run in this process
    (``-k``, ``--lf``, an xdist worker given part of a sheet) run first as set-up, and a step asked
    for again restarts the run from a clean state.
    """

    def __init__(
        self,
        sheet: Sheet,
        combination: Combination,
        versions: Mapping[str, str],
        record_updates: bool = False,
        prepare_namespace: Callable[[dict[str, Any], Mapping[str, Any]], None] | None = None,
        check_context: CheckContext | None = None,
        audit: bool = False,
        torch_defaults: bool = False,
    ) -> None:
        self.prepare_namespace = prepare_namespace
        self.torch_defaults = torch_defaults
        # With torch defaults on: whether the code block of the example last run had made a
        # tensor of the combination's dtype on its device (None: not watched). A block is
        # watched until it has: the watch costs each torch call the block makes.
        self.watch = (
            TensorWatch(combination.dtype or "float32", combination.target_device)
            if torch_defaults
            else None
        )
        self.exercised: bool | None = None
        self.exercised_block: int | None = None  # that block's line (its first example's)
        self._exercised_blocks: set[int] = set()  # their lines, in this run
        self._block_of = {step.index: block[0].line for block in sheet.blocks for step in block}
        # Where each item starts, and what pytest's doctest binds for it (doctest_namespace).
        self.item_starts: frozenset[int] = frozenset(step.index for step in sheet.examples)
        self.doctest_names: Mapping[str, Any] = {}
        # The random streams an item's fixtures left (they seeded), put back before each item's
        # first step, replayed ones included; None: the run keeps its own streams.
        self.fixture_random: RandomStreams | None = None
        self._names: Mapping[str, Any] = {}
        # A module's docstrings each run in a fresh copy of its globals, as doctest runs them.
        self.fresh_at = _docstring_starts(sheet)
        self.sheet = sheet
        self.combination = combination
        self.versions = versions
        self.record_updates = record_updates
        self.check_context = check_context
        self.audit = audit
        # The audits of the outputs the last example checked, for --cheatsheet-audit.
        self.audits: list[dict[str, Any]] = []
        # What the asked-for example printed instead of its expected output (--cheatsheet-update).
        self.updates: list[ExpectedOutputUpdate] = []
        self.document: Run | None = None
        self.next_index = 0
        self._state: GlobalState | None = None
        self._random = RandomStreams()
        self._froze_gc = False
        # The one decision on each example's requires gates: the items and the replays read it.
        self.unmet: dict[int, Unmet] = {}
        for step in sheet.examples:
            unmet = unmet_requirements(step.gates, versions)
            if unmet is not None:
                self.unmet[step.index] = unmet
        runnable = [step.index for step in sheet.examples if step.index not in self.unmet]
        self._last_example = runnable[-1] if runnable else -1
        self._owners = _directive_owners(sheet, set(runnable))

    def start(self) -> None:
        """Capture global state, seed, and open a fresh namespace."""
        # Objects alive now are not this run's garbage: freezing them makes the collection in
        # finish() cost what the run allocated, not all of torch.
        self._froze_gc = gc.get_freeze_count() == 0
        if self._froze_gc:
            gc.freeze()
        self._state = GlobalState.capture()
        self._open_namespace()

    def finish(self) -> None:
        """Drop the namespace and put global state back as :meth:`start` found it."""
        if self.document is not None:
            # What a partly run sheet left open (a TemporaryDirectory, say) is closed here,
            # quietly: the sheet's own clean-up may not have run.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                self.document.close()
                gc.collect()
        if self._froze_gc:
            gc.unfreeze()
            self._froze_gc = False
        self.document = None
        self.next_index = 0
        if self._state is not None:
            self._state.restore()
            self._state = None
        release_device_memory(self.combination.device_type)

    def _open_namespace(self) -> None:
        seed_everything()
        self._random.capture()
        if self.torch_defaults:  # GlobalState restores torch's own when the run ends
            apply_torch_defaults(self.combination.dtype, self.combination.target_device)
        self._exercised_blocks = set()
        if self.document is not None:
            self.document.close()
        self.document = Run(
            self.sheet.text, str(self.sheet.path), self.sheet.regions, self.combination.namespace()
        )
        self._fill_namespace()
        self.next_index = 0

    def _fill_namespace(self) -> None:
        assert self.document is not None
        namespace = self.document.namespace
        namespace.update(self.combination.namespace())
        if self.prepare_namespace is not None:
            self.prepare_namespace(namespace, self.doctest_names)
            namespace.update(self.combination.namespace())
        else:
            namespace.update(self.doctest_names)

    def _fresh_namespace(self) -> None:
        """A docstring's namespace: a fresh copy of its module's globals, the names of
        ``doctest_namespace``, of the namespace hook, the combination's and the item's fixtures."""
        assert self.document is not None
        self.document.namespace.clear()
        self._fill_namespace()
        self.document.namespace.update(self._names)

    def run(
        self,
        step: Step,
        names: Mapping[str, Any] | None = None,
        refresh: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """Run ``step``, first running the steps before it that have not run in this process;
        ``names`` (the item's fixtures) are bound in the namespace first. ``refresh`` gives
        fresh function-scoped fixture values: each earlier item replayed gets its own, and the
        item asked for new ones after them, as when each runs as an item of its own.

        An earlier step run as set-up has no outcome of its own, except a failing directive: it
        fails the first example after it that runs, and only that one, however the examples are
        selected. A step asked for again (a rerun) starts the combination over.
        """
        __tracebackhide__ = True
        self.audits = []
        if self.document is None:
            self.start()
        if step.index < self.next_index:
            assert self._state is not None
            # Warnings stay as pytest set them for this item: its own warnings must reach it.
            self._state.restore(warnings=False)
            self._open_namespace()
        self._names = names or {}
        if names:
            assert self.document is not None
            self.document.namespace.update(names)
        replayed = refreshed = False
        while self.next_index < step.index:
            earlier = self.sheet.steps[self.next_index]
            self.next_index += 1  # a step that fails as set-up is not replayed again
            if earlier.index in self.item_starts:
                if refresh is not None:
                    assert self.document is not None
                    self._names = refresh()
                    self.document.namespace.update(self._names)
                    refreshed = True
                if self.fixture_random is not None:
                    self.fixture_random.restore()  # as the project's fixtures would before it
            replayed = True
            self._replay(earlier, step)
        if refreshed and refresh is not None:
            assert self.document is not None
            self._names = refresh()
            self.document.namespace.update(self._names)
        if replayed and self.fixture_random is not None and step.index in self.item_starts:
            self.fixture_random.restore()
        self.next_index = step.index + 1
        self.take_updates()
        self.exercised = None
        if step.index != self._last_example:
            self._evaluate(step)
            return
        # Directives after the last example have no item of their own: a failing one fails
        # the last example (even one expected to fail), naming its own line.
        try:
            self._evaluate(step)
        finally:
            while self.next_index < len(self.sheet.steps):
                trailing = self.sheet.steps[self.next_index]
                self.next_index += 1
                if not trailing.is_example:  # a gated example after it does not run
                    self._evaluate(trailing)

    @contextlib.contextmanager
    def resumed(
        self,
        doctest_names: Mapping[str, Any] | None = None,
        fixture_random: RandomStreams | None = None,
    ) -> Iterator[None]:
        """An item's turn to run steps: between two items other code may have drawn from or
        reseeded the random streams (pytest-randomly reseeds before every item), so this run's
        own streams are put back first and kept after (once an item), unless
        the item's own fixtures changed them (``fixture_random``): a project's seeding fixture
        wins. ``doctest_names`` (``doctest_namespace``) are bound where the sheet has not bound
        them itself."""
        self.fixture_random = fixture_random
        self.doctest_names = doctest_names or {}
        if self.document is not None:
            if fixture_random is None:
                self._random.restore()
            for name, value in self.doctest_names.items():
                self.document.namespace.setdefault(name, value)
        try:
            yield
        finally:
            self.fixture_random = None
            self._random.capture()

    def take_updates(self) -> list[ExpectedOutputUpdate]:
        """The expected-output updates recorded since the last call."""
        updates, self.updates = self.updates, []
        return updates

    def audit_of(self, step: Step) -> dict[str, Any]:
        """The audit of ``step``, the last example run: its outputs' audits (each passing output
        re-checked, perturbed) and whether it checks nothing."""
        source = region_source(step.region)
        return {
            "written": bool(self.check_context is not None and self.check_context.written),
            "checks_nothing": checks_nothing(
                source[0] if source is not None else None, step.parsed.doctest_lineno is not None
            ),
            "outputs": self.audits,
        }

    def _replay(self, earlier: Step, asked: Step) -> None:
        """Run an earlier step for its effect on the namespace; its own outcome is not reported.

        A failing directive is reported by the first example after it that runs (``asked``, if
        nothing runs between them); pytest-timeout's timeout, ``pytest.exit`` and Ctrl-C stop
        the set-up and fail or end the example asked for.
        """
        __tracebackhide__ = True
        assert self.document is not None
        if not earlier.is_example:
            try:
                self._evaluate(earlier)
            except SheetError:
                if self._owners[earlier.index] == asked.index:
                    raise
            return
        gated = self.unmet.get(earlier.index)
        try:
            if gated is not None:
                if earlier.index in self.fresh_at:
                    self._fresh_namespace()
                # Through Sybil's evaluator stack, so that its skip state counts this example.
                self.document.evaluate(earlier.index, gated=gated.reason)
            else:
                self._evaluate(earlier)
        except pytest.xfail.Exception:  # a subclass of pytest.fail's: the example's outcome
            pass
        except STOPS:
            raise
        except BaseException:
            pass

    def _evaluate(self, step: Step) -> None:
        __tracebackhide__ = True
        assert self.document is not None
        if step.index in self.fresh_at:
            self._fresh_namespace()
        if not step.is_example:
            try:
                self.document.evaluate(step.index)
            except SheetError:
                raise
            except unittest.SkipTest:
                return  # a clear-namespace inside a skipped range does not act, as in Sybil
            except Exception as error:
                self.document.forget_skip_state(step.index)
                raise SheetError(
                    self.sheet.path,
                    step.line,
                    f"this directive failed: {type(error).__name__}: {error}",
                ) from None
            return
        check = CheckContext()
        if self.check_context is not None:
            check = self.check_context.with_tolerance(step.tolerance)
        checker = TensorOutputChecker(check)
        checker.passed = [] if self.audit else None
        self.audits = []
        with self._autocast(), self._watching(step):
            try:
                self.document.evaluate(step.index, checker=checker)
            except BlockFailure as failure:
                raise SheetError(self.sheet.path, step.line, failure.message) from None
            except (DoctestMismatch, DoctestRaised) as failure:
                if self.record_updates:
                    self.updates.append(
                        update_from_failure(
                            str(self.sheet.path),
                            self.sheet.text,
                            step.line,  # the line of its ">>>" in the sheet
                            failure.doctest_example,
                            failure.printed if isinstance(failure, DoctestMismatch) else None,
                            failure.exc_info if isinstance(failure, DoctestRaised) else None,
                            matches=_matches_what_was_printed(checker, failure),
                        )
                    )
                raise
            finally:
                # --cheatsheet-audit: re-check each output that passed, perturbed.
                with doctests_own_output_checker():
                    for want, got, flags in checker.passed or ():
                        if want.strip():  # an expected nothing is not an output checked
                            self.audits.append(audit_output(checker, want, got, flags))
                if step.rebinds_combination:
                    # Reader defaults bound device and dtype for a reader; this run has its own.
                    self.document.namespace.update(self.combination.namespace())

    @contextlib.contextmanager
    def _watching(self, step: Step) -> Iterator[None]:
        """Watch an example for a tensor of the combination's dtype on its device, unless its
        block has made one already."""
        block = self.exercised_block = self._block_of.get(step.index, step.line)
        if self.watch is None or block in self._exercised_blocks:
            self.exercised = None if self.watch is None else True
            yield
            return
        try:
            with self.watch.watching():
                yield
        finally:
            self.exercised = self.watch.made
            if self.watch.made:
                self._exercised_blocks.add(block)

    @contextlib.contextmanager
    def _autocast(self) -> Iterator[None]:
        if not self.combination.autocast:
            yield
            return
        import torch

        dtype = getattr(torch, self.combination.autocast_dtype or "float16")
        with torch.autocast(self.combination.device_type, dtype=dtype):
            yield


def _matches_what_was_printed(
    checker: TensorOutputChecker, failure: DoctestMismatch | DoctestRaised
) -> Callable[[str], bool] | None:
    """Whether an expected output would hold against what the failed doctest printed, under
    the example's own option flags (to keep an output's indentation only where it still holds)."""
    if not isinstance(failure, DoctestMismatch):
        return None
    example = failure.doctest_example
    flags = sum(flag for flag, enabled in example.options.items() if enabled)
    return lambda want: checker.matches(want, failure.printed, flags)
