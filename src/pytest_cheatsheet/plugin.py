"""The pytest hooks: the plugin's life cycle on one screen. Each hook hands pytest's objects to
a module of the pytest layer (options, settings, nodes, item_reports, recorder)."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from pytest_cheatsheet.doctest_options import DoctestCollectorsStandDown, add_optionflags_ini
from pytest_cheatsheet.item_reports import fix_item_report
from pytest_cheatsheet.nodes import SheetFile, keep_combinations_in_file_order
from pytest_cheatsheet.options import add_options
from pytest_cheatsheet.recorder import AuditRecorder, Recorder
from pytest_cheatsheet.settings import SETTINGS, markers, settings_from_config
from pytest_cheatsheet.testpaths import add_sheet_paths


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_cheatsheet import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)
    add_optionflags_ini(parser, pluginmanager)


def pytest_configure(config: pytest.Config) -> None:
    settings = config.stash[SETTINGS] = settings_from_config(config)
    add_sheet_paths(config, settings.paths)
    if config.getoption("cheatsheet_audit"):
        config.pluginmanager.register(AuditRecorder(), "cheatsheet-audit")
    report_path = config.getoption("cheatsheet_report")
    if report_path is not None:
        report_path = Path(config.invocation_params.dir, report_path)
    config.pluginmanager.register(Recorder(report_path), "cheatsheet-recorder")
    config.pluginmanager.register(DoctestCollectorsStandDown(_is_sheet), "cheatsheet-doctest")
    for marker, description in markers(settings.axes, settings.narrowing):
        config.addinivalue_line("markers", f"{marker}: {description}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield  # after pytest's skipping plugin has judged xfail
    if call.excinfo is not None:
        fix_item_report(report, item.path, call.excinfo.value)
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
