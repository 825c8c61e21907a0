"""pytest's view of a sheet: file -> combination -> example."""

from __future__ import annotations

import os
import traceback
import unittest
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sybil
from _pytest._code.code import ExceptionInfo, TerminalRepr, Traceback
from sybil import Sybil
from sybil.example import SybilFailure

import pytest_cheatsheet
from pytest_cheatsheet.directives import installed_versions
from pytest_cheatsheet.matrix import AXES, Axes, Combination, combinations, device_is_available
from pytest_cheatsheet.report import FAILURE_PROPERTY, failure_property
from pytest_cheatsheet.runner import CombinationRunner
from pytest_cheatsheet.sheet import Sheet, SheetError, Step, parse_sheet
from pytest_cheatsheet.summary import EXAMPLE_PROPERTY
from pytest_cheatsheet.update import UPDATE_PROPERTY, escape_surrogates

_HIDDEN_FROM_TRACEBACKS = tuple(
    str(Path(package.__file__ or "").parent) + os.sep for package in (pytest_cheatsheet, sybil)
)


@dataclass(frozen=True)
class Settings:
    """The session's configuration, from the ini file and the command line."""

    rootpath: Path
    paths: tuple[Path, ...]
    axes: Axes
    narrowing: Mapping[str, tuple[Any, ...]]
    autocast_dtype: str | None
    sybil: Sybil
    update: bool = False

    def collects(self, path: Path) -> bool:
        return path.suffix == ".md" and any(
            path == root or root in path.parents for root in self.paths
        )

    def declared_axes(self, sheet: Sheet) -> Axes:
        """The sheet's axes: its matrix directive over the ini defaults, not narrowed."""
        axes = self.axes
        if sheet.matrix is not None:
            axes = axes.replace(
                **{axis: values for axis, values in sheet.matrix.axes.items() if axis in AXES}
            )
        return axes

    def axes_for(self, sheet: Sheet) -> Axes:
        return self.declared_axes(sheet).narrowed(self.narrowing)

    def written_combination(self, sheet: Sheet) -> Combination:
        """The combination the sheet's expected outputs are written for: the one its matrix
        directive names with ``written=``, else its first device and first dtype (declared, not
        narrowed by --cheatsheet-* options) with autocast off."""
        declared = combinations(self.declared_axes(sheet), sheet.used_axes, self.autocast_dtype)
        written = _written_key(sheet)
        for combination in declared:
            if (combination.id == written) if written else not combination.autocast:
                return combination
        # autocast=on only: the written combination is not in the matrix, and never runs.
        first = declared[0]
        return Combination(first.device, first.dtype, False)


SETTINGS = pytest.StashKey[Settings]()


def _written_key(sheet: Sheet) -> str | None:
    """The combination id the matrix directive's ``written=`` key names, if any."""
    if sheet.matrix is None:
        return None
    written = getattr(sheet.matrix, "written", None) or sheet.matrix.axes.get("written")
    if isinstance(written, (tuple, list)):
        written = written[0] if written else None
    return str(written) if written else None


class SheetFile(pytest.File):
    """A Markdown sheet; its children are the combinations it runs on."""

    def collect(self) -> Iterator[CombinationCollector]:
        settings = self.config.stash[SETTINGS]
        try:
            sheet = parse_sheet(self.path, settings.sybil)
        except SheetError as error:
            raise self.CollectError(f"{self._relative(error)}: {error.message}") from None
        if not sheet.examples:
            return
        matrix = combinations(settings.axes_for(sheet), sheet.used_axes, settings.autocast_dtype)
        written = settings.written_combination(sheet)
        for combination in matrix:
            yield CombinationCollector.from_parent(
                self,
                name=combination.id,
                sheet=sheet,
                combination=combination,
                written_combination=written,
                updates_output=settings.update and combination == written,
            )

    def _relative(self, error: SheetError) -> str:
        return f"{self.nodeid or self.path}:{error.line}"


class DeviceUnavailable(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A combination's device is absent here: its examples are skipped."""


def device_skip_location(item: pytest.Item, skip: DeviceUnavailable) -> tuple[str, int, str]:
    """Where a device skip is reported: the sheet's matrix directive (or its first line), so that
    ``-rs`` shows one line per sheet and device, not one per example or the plugin's frame."""
    line = 1
    if isinstance(item, ExampleItem):
        matrix = item.combination_collector.sheet.matrix
        line = matrix.line if matrix is not None else 1
    return (str(item.path), line, f"Skipped: {skip}")


class CombinationCollector(pytest.Collector):
    """One combination of a sheet: set up fresh, its examples in file order, torn down clean."""

    def __init__(
        self,
        *,
        sheet: Sheet,
        combination: Combination,
        written_combination: Combination | None = None,
        updates_output: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sheet = sheet
        self.combination = combination
        self.written_combination = written_combination or combination
        self.runner = CombinationRunner(
            sheet, combination, installed_versions(), record_updates=updates_output
        )
        registered = self.config.getini("markers")
        for marker in combination.markers:
            if not any(line.split(":")[0] == marker for line in registered):
                self.config.addinivalue_line("markers", f"{marker}: cheat-sheet axis value")
            self.add_marker(marker)

    def collect(self) -> Iterator[ExampleItem]:
        for step in self.sheet.examples:
            yield ExampleItem.from_parent(self, name=f"line:{step.line}", step=step)

    def setup(self) -> None:
        device = self.combination.device
        if device is not None and not device_is_available(device):
            raise DeviceUnavailable(f"device {device!r} is not available")
        self.runner.start()

    def teardown(self) -> None:
        self.runner.finish()


class ExampleItem(pytest.Item):
    """One example of a sheet in one combination."""

    def __init__(self, *, step: Step, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step
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
                    "device": parent.combination.device,
                    "written_combination": parent.written_combination.id,
                },
            )
        )
        versions = installed_versions()
        device = parent.combination.device
        if device is not None and not device_is_available(device):
            return  # the device skip says more than a gate would
        for gate in step.gates:
            if gate.kind == "requires" and not gate.requirements_hold(versions):
                self.add_marker(pytest.mark.skip(reason=gate.skip_reason(versions)))
            elif gate.kind == "xfail" and gate.applies_to(parent.combination, versions):
                self.add_marker(pytest.mark.xfail(reason=gate.xfail_reason(), strict=True))

    def runtest(self) -> None:
        __tracebackhide__ = True
        runner = self.combination_collector.runner
        try:
            runner.run(self.step)
        except unittest.SkipTest as skip:
            # Report Sybil's skips at the example's line, as pytest does for skip markers
            # (``_use_item_location`` is pytest's own, undocumented switch for that).
            raise pytest.skip.Exception(str(skip), _use_item_location=True) from None
        finally:
            for update in runner.take_updates():
                self.user_properties.append((FAILURE_PROPERTY, failure_property(update)))
                if runner.record_updates:
                    self.user_properties.append((UPDATE_PROPERTY, update.as_property()))

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return (
            self.path,
            self.step.line - 1,
            f"{self._location()} [{self.combination_collector.name}]",
        )

    def _location(self) -> str:
        """``cheatsheet/x.md:42``: the sheet's node id and the example's line."""
        sheet_file = self.combination_collector.parent
        return f"{sheet_file.nodeid if sheet_file else self.path}:{self.step.line}"

    def repr_failure(
        self, excinfo: ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, SybilFailure):
            return (
                f"{self._location()} [{self.combination_collector.name}]: "
                f"doctest output differs\n\n{escape_surrogates(excinfo.value.result)}"
            )
        if isinstance(excinfo.value, SheetError):
            sheet_file = self.combination_collector.parent
            location = f"{sheet_file.nodeid if sheet_file else self.path}:{excinfo.value.line}"
            return f"{location} [{self.combination_collector.name}]: {excinfo.value.message}"
        if isinstance(excinfo.value, SyntaxError) and excinfo.value.filename == str(self.path):
            error = "".join(traceback.format_exception_only(excinfo.value)).rstrip()
            return (
                f"{self._location()} [{self.combination_collector.name}]: invalid Python\n\n{error}"
            )
        if style is None and self.config.getoption("tbstyle", "auto") == "auto":
            # pytest cannot tell where a statement starts in Markdown and would print the sheet
            # from its first line; the short style shows the failing lines of the sheet.
            style = "short"
        return super().repr_failure(excinfo, style)

    def _traceback_filter(self, excinfo: ExceptionInfo[BaseException]) -> Traceback:
        """Hide pytest's, Sybil's and this plugin's frames: show the sheet's."""
        shown = excinfo.traceback.filter(
            lambda entry: (
                not str(entry.path).startswith(_HIDDEN_FROM_TRACEBACKS)
                and "_pytest" not in str(entry.path)
                and "pluggy" not in str(entry.path)
            )
        )
        return shown or excinfo.traceback[-1:]
