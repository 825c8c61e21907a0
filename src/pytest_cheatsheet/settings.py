"""The session's settings, from the ini file and the command line, and the policy they set:
which files are sheets, each sheet's axes and written combination, what its checker knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from pytest_cheatsheet.checker import DEFAULT_DTYPE, CheckContext, ToleranceOverride
from pytest_cheatsheet.directives import TOLERANCE_KEYS, installed_versions, parse_tolerance_value
from pytest_cheatsheet.doctest_options import configured_optionflags
from pytest_cheatsheet.formats import FORMATS, NAMED_FORMATS, format_of
from pytest_cheatsheet.matrix import (
    AXES,
    COMMON_DTYPES,
    KNOWN_DEVICE_TYPES,
    Axes,
    AxisError,
    Combination,
    check_autocast_dtype,
    marker_name,
    parse_axis,
    split_values,
)
from pytest_cheatsheet.options import (
    DEFAULTS,
    SheetPaths,
    fixture_names,
    ini_words,
    item_granularity,
    languages,
    narrowed_away,
    path_words,
    sheet_paths,
)
from pytest_cheatsheet.reach import collapse_notes, multiplied_axes, unread_declared_axis
from pytest_cheatsheet.seam import Sybil
from pytest_cheatsheet.sheet import Sheet, SheetError, make_sybil
from pytest_cheatsheet.torch_defaults import torch_defaults_problem


@dataclass(frozen=True)
class Settings:
    """The session's configuration, from the ini file and the command line."""

    rootpath: Path
    paths: SheetPaths
    axes: Axes
    narrowing: Mapping[str, tuple[Any, ...]]
    autocast_dtype: str | None
    sybils: Mapping[str, Sybil]  # by format
    update: bool = False
    required_devices: frozenset[str] = frozenset()
    fixtures: tuple[str, ...] = ()  # requested by every example, bound in its namespace
    items: str = "block"  # one item per code block, or per example ("example")
    audit: bool = False
    tolerance: ToleranceOverride = field(default_factory=ToleranceOverride)  # the ini's
    torch_defaults: bool = False  # the ini's cheatsheet_torch_defaults
    configured_axes: frozenset[str] = frozenset()  # the axes the ini sets (not the plugin's)

    @cached_property
    def versions(self) -> Mapping[str, str]:
        """The versions the gates compare against, read once a session, when a sheet first
        needs them (reading them imports torch)."""
        return installed_versions()

    def collects(self, path: Path) -> bool:
        return format_of(path) is not None and self.paths.collects(path)

    def collects_when_named(self, path: Path) -> bool:
        """Whether ``path``, named on the command line outside the paths, is a sheet."""
        return format_of(path) in NAMED_FORMATS

    def sybil_for(self, path: Path) -> Sybil:
        return self.sybils[format_of(path) or "markdown"]

    def declared_axes(self, sheet: Sheet) -> Axes:
        """The sheet's axes: its matrix directive over the ini defaults, not narrowed."""
        axes = self.axes
        if sheet.matrix is not None:
            axes = axes.replace(**sheet.matrix.axes)
        return axes

    def narrowed_away(self, sheet: Sheet) -> str:
        return narrowed_away(self.declared_axes(sheet), self.narrowing)

    def axes_for(self, sheet: Sheet) -> Axes:
        return self.declared_axes(sheet).narrowed(self.narrowing)

    def torch_defaults_for(self, sheet: Sheet) -> bool:
        """Whether each combination runs the sheet with its dtype and device as torch's
        defaults: the sheet's ``torch-defaults=`` over the ini option."""
        if sheet.matrix is not None and sheet.matrix.torch_defaults is not None:
            return sheet.matrix.torch_defaults
        return self.torch_defaults

    def multiplied_axes(self, sheet: Sheet) -> frozenset[str]:
        """The axes that multiply the sheet's runs: every axis with torch defaults on, else
        those it declares in its matrix directive and the ini axes its code reads (an unread
        ini axis runs once)."""
        declared = frozenset(sheet.matrix.axes) if sheet.matrix is not None else frozenset()
        return multiplied_axes(declared, sheet.used_axes, self.torch_defaults_for(sheet))

    def check_reach(self, sheet: Sheet) -> None:
        """Raise SheetError where a combination would not run differently from another (an
        axis the sheet declares and never reads), or where torch cannot take its dtypes and
        devices as defaults."""
        line = sheet.matrix.line if sheet.matrix is not None else 1
        declared = sheet.matrix.axes if sheet.matrix is not None else {}
        torch_defaults = self.torch_defaults_for(sheet)
        problem = unread_declared_axis(declared, sheet.used_axes, torch_defaults)
        if problem is None and torch_defaults and sheet.examples:
            axes = self.axes_for(sheet)
            problem = torch_defaults_problem(axes.dtypes, axes.devices)
        if problem is not None:
            raise SheetError(sheet.path, line, problem)

    def collapse_notes(self, sheet: Sheet) -> tuple[str, ...]:
        """Notes on the axes of several values the ini sets that run once: the code never reads
        them (the plugin's own default devices, cpu and cuda, go without a note)."""
        axes = self.axes_for(sheet)
        values = {"devices": axes.devices, "dtypes": axes.dtypes}
        return collapse_notes(
            {axis: values[axis] for axis in values if axis in self.configured_axes},
            self.multiplied_axes(sheet),
        )

    def written_combination(self, sheet: Sheet) -> Combination:
        """The combination the sheet's expected outputs are written for: its first declared
        device and dtype, autocast off, or the one its matrix directive's ``written=`` names.
        Raise SheetError when ``written=`` names no combination the sheet declares."""
        axes = self.declared_axes(sheet)
        multiplied = self.multiplied_axes(sheet)
        candidates = [
            Combination(device, dtype, False)
            for device in (axes.devices if "devices" in multiplied else (None,))
            for dtype in (axes.dtypes if "dtypes" in multiplied else (None,))
        ]
        written = sheet.matrix.written if sheet.matrix is not None else None
        if written is None:
            return candidates[0]
        for combination in candidates:
            if combination.id == written:
                return combination
        assert sheet.matrix is not None
        raise SheetError(
            sheet.path,
            sheet.matrix.line,
            f"written={written!r} names no combination of this sheet; valid: "
            f"{', '.join(combination.id for combination in candidates)}",
        )

    def check_context(self, sheet: Sheet, combination: Combination) -> CheckContext:
        """What the output checker needs to know of the sheet's examples in ``combination``."""
        written = self.written_combination(sheet)
        tolerance = sheet.matrix.tolerance if sheet.matrix is not None else ToleranceOverride()
        return CheckContext(
            written=combination.id == written.id,  # runs_on aside
            dtype=combination.dtype or DEFAULT_DTYPE,
            autocast_dtype=combination.autocast_dtype,
            written_dtype=written.dtype or DEFAULT_DTYPE,
            tolerance=tolerance.over(self.tolerance),
        )


SETTINGS = pytest.StashKey[Settings]()


def settings_from_config(config: pytest.Config) -> Settings:
    """The session's settings; a bad value is a UsageError naming the option and the value."""
    defaults: dict[str, Any] = {}
    narrowing: dict[str, tuple[Any, ...]] = {}
    for axis in AXES:
        name = f"cheatsheet_{axis}"
        defaults[axis] = _axis_option(axis, ini_words(config, name), f"ini option {name}")
        given = config.getoption(name)
        if given is not None:
            narrowing[axis] = _axis_option(axis, split_values(given), f"--cheatsheet-{axis}")
    autocast_dtype = None
    if autocast_dtypes := ini_words(config, "cheatsheet_autocast_dtype"):
        source = "ini option cheatsheet_autocast_dtype"
        if len(autocast_dtypes) > 1:
            raise pytest.UsageError(f"{source}: one dtype, got {' '.join(autocast_dtypes)}")
        autocast_dtype = _axis_option("dtypes", autocast_dtypes, source)[0]
        _check_autocast_dtype(autocast_dtype, (*defaults["devices"], *narrowing.get("devices", ())))
    required = config.getoption("cheatsheet_require_devices")
    required_devices = (
        _axis_option("devices", split_values(required), "--cheatsheet-require-devices")
        if required is not None
        else ()
    )
    if ini_required := ini_words(config, "cheatsheet_require_devices"):
        source = "ini option cheatsheet_require_devices"
        required_devices += _axis_option("devices", ini_required, source)
    code_languages = languages(ini_words(config, "cheatsheet_languages"))
    flags = configured_optionflags(config)
    sybils = {
        name: make_sybil(config.rootpath, code_languages, flags, format=name) for name in FORMATS
    }
    return Settings(
        rootpath=config.rootpath,
        paths=sheet_paths(
            path_words(config.getini("cheatsheet_paths"), config.rootpath), config.rootpath
        ),
        axes=Axes(**defaults),
        narrowing=narrowing,
        autocast_dtype=autocast_dtype,
        sybils=sybils,
        update=config.getoption("cheatsheet_update"),
        required_devices=frozenset(required_devices),
        fixtures=fixture_names(ini_words(config, "cheatsheet_fixtures")),
        items=item_granularity(config),
        audit=config.getoption("cheatsheet_audit"),
        tolerance=_ini_tolerance(config),
        torch_defaults=config.getini("cheatsheet_torch_defaults"),
        configured_axes=frozenset(
            axis
            for axis in AXES
            if ini_words(config, f"cheatsheet_{axis}") != split_values(DEFAULTS[axis])
        ),
    )


def _ini_tolerance(config: pytest.Config) -> ToleranceOverride:
    values: dict[str, float] = {}
    for key in TOLERANCE_KEYS:
        text = str(config.getini(f"cheatsheet_{key}")).strip()
        if text:
            try:
                values[key] = parse_tolerance_value(key, text)
            except ValueError as error:
                raise pytest.UsageError(f"ini option cheatsheet_{key}: {error}") from None
    return ToleranceOverride(values.get("rtol"), values.get("atol"), "the ini options")


def _axis_option(axis: str, values: list[str], source: str) -> tuple[Any, ...]:
    try:
        return parse_axis(axis, values)
    except AxisError as error:
        raise pytest.UsageError(f"{source}: {error}") from None


def _check_autocast_dtype(autocast_dtype: str, devices: tuple[str, ...]) -> None:
    try:
        check_autocast_dtype(autocast_dtype, devices)
    except AxisError as error:
        raise pytest.UsageError(f"ini option cheatsheet_autocast_dtype: {error}") from None


def markers(axes: Axes, narrowing: Mapping[str, tuple[Any, ...]]) -> list[tuple[str, str]]:
    """The markers of the device types and dtypes the session may run, each with its line."""
    names = {marker_name(device.partition(":")[0]) for device in KNOWN_DEVICE_TYPES}
    names |= set(COMMON_DTYPES)
    for devices in (axes.devices, narrowing.get("devices", ())):
        names |= {marker_name(str(d).partition(":")[0]) for d in devices}
    for dtypes in (axes.dtypes, narrowing.get("dtypes", ())):
        names |= {marker_name(str(d)) for d in dtypes}
    markers = [
        (name, "cheat-sheet combinations with this device or dtype") for name in sorted(names)
    ]
    markers.append(("autocast", "cheat-sheet combinations run under torch.autocast"))
    return markers
