"""One run of a sheet for one combination: its namespace, its order and its isolation."""

from __future__ import annotations

import contextlib
import gc
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pytest_cheatsheet.isolation import GlobalState, release_device_memory, seed_everything
from pytest_cheatsheet.matrix import Combination
from pytest_cheatsheet.seam import BlockParseFailure, Run, RunContext
from pytest_cheatsheet.sheet import Sheet, SheetError, Step
from pytest_cheatsheet.update import ExpectedOutputUpdate


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
        prepare_namespace: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.prepare_namespace = prepare_namespace
        self.sheet = sheet
        self.combination = combination
        self.versions = versions
        self.record_updates = record_updates
        self.document: Run | None = None
        self.next_index = 0
        self._state: GlobalState | None = None
        self._froze_gc = False

    def start(self) -> None:
        """Capture global state, seed, and open a fresh namespace."""
        # Objects alive now are not this run's garbage: freezing them makes the collection in
        # finish() cost what the run allocated, not all of torch (0.1-0.3 s a combination).
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
        if self.document is not None:
            self.document.close()
        # What doctests printed instead of their expected output, for --cheatsheet-update.
        updates: list[ExpectedOutputUpdate] | None = [] if self.record_updates else None
        self.document = Run(
            self.sheet.text,
            str(self.sheet.path),
            self.sheet.regions,
            RunContext(self.combination, updates),
        )
        self.document.namespace.update(self.combination.namespace())
        if self.prepare_namespace is not None:
            self.prepare_namespace(self.document.namespace)
            self.document.namespace.update(self.combination.namespace())
        self.next_index = 0

    def run(self, step: Step, names: Mapping[str, Any] | None = None) -> None:
        """Run ``step``, first replaying the steps before it that have not run; ``names`` (the
        item's fixtures) are bound in the namespace first."""
        __tracebackhide__ = True
        if self.document is None:
            self.start()
        if step.index < self.next_index:
            assert self._state is not None
            self._state.restore()
            self._state = GlobalState.capture()
            self._open_namespace()
        if names:
            assert self.document is not None
            self.document.namespace.update(names)
        while self.next_index < step.index:
            earlier = self.sheet.steps[self.next_index]
            self.next_index += 1  # a step that fails as set-up is not replayed again
            self._replay(earlier)
        self.next_index = step.index + 1
        self.take_updates()
        self._evaluate(step)
        if step.index == self.sheet.examples[-1].index:  # cached: not rebuilt per example
            # Directives after the last example have no item of their own: a failing one
            # fails the last example, naming its own line.
            while self.next_index < len(self.sheet.steps):
                trailing = self.sheet.steps[self.next_index]
                self.next_index += 1
                self._evaluate(trailing)

    def take_updates(self) -> list[ExpectedOutputUpdate]:
        """The expected-output updates recorded since the last call."""
        if self.document is None or self.document.context.updates is None:
            return []
        recorded = self.document.context.updates
        updates, recorded[:] = list(recorded), []
        return updates

    def _replay(self, step: Step) -> None:
        """Run an earlier step for its effect on the namespace; its own outcome is not reported."""
        if step.is_example and any(
            gate.kind == "requires" and not gate.requirements_hold(self.versions)
            for gate in step.gates
        ):
            return
        if not step.is_example:
            self._evaluate(step)
            return
        try:
            self._evaluate(step)
        except KeyboardInterrupt:
            raise
        except BaseException:
            pass

    def _evaluate(self, step: Step) -> None:
        __tracebackhide__ = True
        assert self.document is not None
        if not step.is_example:
            try:
                self.document.evaluate(step.index)
            except SheetError:
                raise
            except Exception as error:
                self.document.forget_skip_state(step.index)
                raise SheetError(
                    self.sheet.path,
                    step.line,
                    f"this directive failed: {type(error).__name__}: {error}",
                ) from None
            return
        with self._autocast():
            try:
                self.document.evaluate(step.index)
            except BlockParseFailure as failure:
                raise SheetError(
                    self.sheet.path, step.line, f"cannot parse this block: {failure.error}"
                ) from None
            finally:
                if step.rebinds_combination:
                    # Reader defaults bound device and dtype for a reader; this run has its own.
                    self.document.namespace.update(self.combination.namespace())

    @contextlib.contextmanager
    def _autocast(self) -> Iterator[None]:
        if not self.combination.autocast:
            yield
            return
        import torch

        dtype = getattr(torch, self.combination.autocast_dtype or "float16")
        with torch.autocast(self.combination.device_type, dtype=dtype):
            yield
