"""The pytest hooks: options, collection of sheets, and the summary of what was verified."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_cheatsheet.checker import ToleranceOverride
from pytest_cheatsheet.directives import TOLERANCE_KEYS, parse_tolerance_value
from pytest_cheatsheet.doctest_options import (
    DoctestCollectorsStandDown,
    add_optionflags_ini,
    configured_optionflags,
)
from pytest_cheatsheet.formats import FORMATS
from pytest_cheatsheet.matrix import AXES, Axes, AxisError, parse_axis, split_values
from pytest_cheatsheet.nodes import (
    SETTINGS,
    DeviceUnavailable,
    GateSkip,
    Settings,
    SheetFile,
    device_skip_location,
    keep_combinations_in_file_order,
    never_expected_to_fail,
)
from pytest_cheatsheet.options import (
    DEFAULT_LANGUAGES,
    NO_COMBINATION_LEFT,
    fixture_names,
    ini_words,
    item_granularity,
    languages,
    sheet_paths,
)
from pytest_cheatsheet.report import Report, report_path_problem
from pytest_cheatsheet.summary import (
    Tally,
    environment,
    environment_line,
    example_properties,
    skip_reason,
)
from pytest_cheatsheet.testpaths import add_sheet_paths
from pytest_cheatsheet.update import UPDATE_PROPERTY, ExpectedOutputUpdate
from pytest_cheatsheet.update import Outcome as UpdateOutcome
from pytest_cheatsheet.update import apply as apply_updates

DEFAULTS = {"devices": "cpu cuda", "dtypes": "float32", "autocast": "off"}


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_cheatsheet import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_optionflags_ini(parser, pluginmanager)
    group = parser.getgroup("cheatsheet", "Markdown cheat-sheets across devices and dtypes")
    parser.addini(
        "cheatsheet_paths",
        "folders, files and globs (relative to the rootdir) that are sheets (default: cheatsheet)",
        type="linelist",
        default=[],
    )
    for axis in AXES:
        parser.addini(
            f"cheatsheet_{axis}",
            f"default {axis} of every sheet (a list, or separated by commas or spaces)",
            type="linelist",
            default=[DEFAULTS[axis]],
        )
        group.addoption(
            f"--cheatsheet-{axis}",
            dest=f"cheatsheet_{axis}",
            metavar="VALUES",
            help=f"run only these {axis} (comma separated), within what each sheet declares",
        )
    parser.addini(
        "cheatsheet_languages",
        "code-block languages that run (default: python py python3 pycon)",
        type="linelist",
        default=list(DEFAULT_LANGUAGES),
    )
    parser.addini(
        "cheatsheet_items",
        "what one test item is: block (a code block, the default) or example (one >>> example)",
        default="block",
    )
    parser.addini(
        "cheatsheet_fixtures",
        "pytest fixtures every example requests, bound by name in the sheet's namespace",
        type="linelist",
        default=[],
    )
    parser.addini(
        "cheatsheet_require_devices",
        "devices that must be available: their combinations error instead of skipping",
        type="linelist",
        default=[],
    )
    group.addoption(
        "--cheatsheet-require-devices",
        dest="cheatsheet_require_devices",
        metavar="DEVICES",
        help="fail, not skip, the combinations of these devices when absent (e.g. cuda)",
    )
    group.addoption(
        "--cheatsheet-report",
        dest="cheatsheet_report",
        metavar="PATH",
        type=Path,
        help="write a JSON report of every example in every combination to PATH",
    )
    group.addoption(
        "--cheatsheet-update",
        dest="cheatsheet_update",
        action="store_true",
        help="rewrite differing expected outputs with what the sheet's written combination "
        "printed (its first device and dtype, autocast off)",
    )
    group.addoption(
        "--cheatsheet-audit",
        dest="cheatsheet_audit",
        action="store_true",
        help="re-check each passing output made wrong in one place; list the weak checks",
    )
    for key in TOLERANCE_KEYS:
        parser.addini(
            f"cheatsheet_{key}",
            f"{key} of every sheet's numbers on combinations other than the written one "
            "(default: the dtype's, as torch.testing)",
            default="",
        )
    parser.addini(
        "cheatsheet_autocast_dtype",
        "dtype autocast lowers to (default: float16 on cuda, bfloat16 on cpu)",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    from pytest_cheatsheet.sheet import make_sybil

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
    ) + _axis_option_or_none(
        ini_words(config, "cheatsheet_require_devices"), "ini option cheatsheet_require_devices"
    )
    code_languages = languages(ini_words(config, "cheatsheet_languages"))
    flags = configured_optionflags(config)
    sybils = {
        name: make_sybil(config.rootpath, code_languages, flags, format=name) for name in FORMATS
    }
    config.stash[SETTINGS] = Settings(
        rootpath=config.rootpath,
        paths=sheet_paths(ini_words(config, "cheatsheet_paths"), config.rootpath),
        axes=Axes(**defaults),
        narrowing=narrowing,
        autocast_dtype=autocast_dtype,
        sybil=sybils["markdown"],
        sybils=sybils,
        update=config.getoption("cheatsheet_update"),
        required_devices=frozenset(required_devices),
        fixtures=fixture_names(ini_words(config, "cheatsheet_fixtures")),
        items=item_granularity(config),
        audit=config.getoption("cheatsheet_audit"),
        tolerance=_ini_tolerance(config),
    )
    add_sheet_paths(config, config.stash[SETTINGS].paths)
    if config.getoption("cheatsheet_audit"):
        from pytest_cheatsheet.audit import AuditRecorder

        config.pluginmanager.register(AuditRecorder(), "cheatsheet-audit")
    report_path = config.getoption("cheatsheet_report")
    if report_path is not None:
        report_path = Path(config.invocation_params.dir, report_path)
    config.pluginmanager.register(Recorder(report_path), "cheatsheet-recorder")
    config.pluginmanager.register(DoctestCollectorsStandDown(_is_sheet), "cheatsheet-doctest")
    for marker, description in _markers(defaults, narrowing):
        config.addinivalue_line("markers", f"{marker}: {description}")


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


def _axis_option_or_none(values: list[str], source: str) -> tuple[Any, ...]:
    return _axis_option("devices", values, source) if values else ()


def _check_autocast_dtype(autocast_dtype: str, devices: tuple[str, ...]) -> None:
    from pytest_cheatsheet.matrix import check_autocast_dtype

    try:
        check_autocast_dtype(autocast_dtype, devices)
    except AxisError as error:
        raise pytest.UsageError(f"ini option cheatsheet_autocast_dtype: {error}") from None


def _markers(*axes: dict[str, tuple[Any, ...]]) -> list[tuple[str, str]]:
    from pytest_cheatsheet.matrix import COMMON_DTYPES, KNOWN_DEVICE_TYPES, marker_name

    names = {marker_name(device.partition(":")[0]) for device in KNOWN_DEVICE_TYPES}
    names |= set(COMMON_DTYPES)
    for axis_values in axes:
        names |= {marker_name(str(d).partition(":")[0]) for d in axis_values.get("devices", ())}
        names |= {marker_name(str(d)) for d in axis_values.get("dtypes", ())}
    markers = [
        (name, "cheat-sheet combinations with this device or dtype") for name in sorted(names)
    ]
    markers.append(("autocast", "cheat-sheet combinations run under torch.autocast"))
    return markers


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield  # after pytest's skipping plugin has judged xfail
    if call.excinfo is not None and isinstance(call.excinfo.value, DeviceUnavailable):
        report.longrepr = device_skip_location(item, call.excinfo.value)
    elif call.excinfo is not None and isinstance(call.excinfo.value, GateSkip):
        report.longrepr = (
            str(item.path),
            call.excinfo.value.line,
            f"Skipped: {call.excinfo.value}",
        )
    if call.excinfo is not None:
        never_expected_to_fail(report, call.excinfo.value)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if isinstance(collector, SheetFile) and collector.no_combination_left is not None:
        line, reason = collector.no_combination_left
        report.longrepr = (str(collector.path), line, f"Skipped: {reason}")
    return report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    keep_combinations_in_file_order(items)


@pytest.hookimpl(trylast=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SheetFile | None:
    if _is_sheet(file_path, parent):
        return SheetFile.from_parent(parent, path=file_path)
    return None


def _is_sheet(file_path: Path, parent: pytest.Collector) -> bool:
    settings = parent.config.stash[SETTINGS]
    return settings.collects(file_path) or (
        parent.session.isinitpath(file_path) and settings.collects_when_named(file_path)
    )


class Recorder:
    """Counts outcomes per combination as reports arrive (from xdist workers too), writes the
    JSON report and the expected-output updates, and prints what was verified."""

    def __init__(self, report_path: Path | None) -> None:
        if report_path is not None:
            problem = report_path_problem(report_path)
            if problem is not None:
                raise pytest.UsageError(f"--cheatsheet-report={report_path}: {problem}")
        self.tally = Tally()
        self.report = Report() if report_path is not None else None
        self.report_path = report_path
        self.report_error = ""
        self.updates: list[ExpectedOutputUpdate] = []
        self.updated: dict[str, list[int]] = {}
        self.update_errors: list[str] = []
        self.no_combination: dict[str, str] = {}  # sheet node id -> why
        self.update_outcome = UpdateOutcome()
        self.written: dict[str, str] = {}  # sheet -> its written combination
        self.written_ran: set[str] = set()  # sheets of which an example of it ran
        self.update_mode = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.tally.add(report)
        if self.report is not None:
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
        if self.report is not None and self.report_path is not None:
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
        lines = self.tally.lines()
        if lines:
            terminalreporter.write_sep("=", "cheatsheet: what was verified")
            terminalreporter.write_line(environment_line(environment(sorted(self.tally.devices))))
            for line in lines:
                terminalreporter.write_line(line)
        if self.no_combination:
            terminalreporter.write_sep("=", "cheatsheet: sheets left nothing to run")
            for sheet, reason in sorted(self.no_combination.items()):
                terminalreporter.write_line(f"{sheet}: {reason}", yellow=True)
