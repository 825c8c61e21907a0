"""pytest's doctest configuration, read as pytest's doctest plugin reads it: the
``doctest_optionflags`` ini option (default ``ELLIPSIS``), the ``doctest_namespace`` fixture, and
which collectors of pytest's doctest plugin (or pytest-doctestplus) stand for a file the plugin
collects itself, so that no docstring or block is collected twice.
"""

from __future__ import annotations

import doctest
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

OPTIONFLAGS_INI = "doctest_optionflags"
DEFAULT_OPTIONFLAGS = ("ELLIPSIS",)
# The flags pytest's doctest plugin registers beside doctest's own (register_optionflag is
# idempotent: pytest, Sybil and pytest-doctestplus all get the same bit for a name).
PYTEST_FLAGS = ("ALLOW_UNICODE", "ALLOW_BYTES", "NUMBER")
# Modules whose collectors run doctests: pytest's own and pytest-doctestplus's.
DOCTEST_COLLECTOR_MODULES = frozenset({"_pytest.doctest", "pytest_doctestplus.plugin"})


def add_optionflags_ini(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Declare ``doctest_optionflags`` where pytest's doctest plugin is off (``-p no:doctest``)
    and so does not: a project's flags apply to its sheets either way."""
    if not pluginmanager.has_plugin("doctest"):
        parser.addini(
            OPTIONFLAGS_INI,
            "Option flags for doctests (as pytest's doctest plugin; default ELLIPSIS)",
            type="args",
            default=list(DEFAULT_OPTIONFLAGS),
        )


def optionflags(names: Iterable[str]) -> int:
    """The doctest option flags ``names`` stand for, as pytest's doctest plugin reads them;
    raise UsageError for a name doctest does not know, naming the valid ones."""
    for name in PYTEST_FLAGS:
        doctest.register_optionflag(name)
    flags = 0
    for name in names:
        try:
            flags |= doctest.OPTIONFLAGS_BY_NAME[name]
        except KeyError:
            valid = ", ".join(sorted(doctest.OPTIONFLAGS_BY_NAME))
            raise pytest.UsageError(
                f"ini option {OPTIONFLAGS_INI}: {name!r} is not a doctest option flag; "
                f"valid: {valid}"
            ) from None
    return flags


def configured_optionflags(config: pytest.Config) -> int:
    """The project's ``doctest_optionflags`` (pytest's default: ``ELLIPSIS``)."""
    try:
        names: Sequence[str] = config.getini(OPTIONFLAGS_INI)
    except ValueError:  # declared by neither pytest's doctest plugin nor this one
        names = DEFAULT_OPTIONFLAGS
    return optionflags(names)


def runs_doctests(collector: Any) -> bool:
    """Whether ``collector`` is pytest's doctest plugin's (or pytest-doctestplus's)."""
    return type(collector).__module__ in DOCTEST_COLLECTOR_MODULES


class DoctestCollectorsStandDown:
    """For a file the plugin collects, drop what pytest's doctest plugin (``--doctest-modules``,
    ``--doctest-glob``) or pytest-doctestplus would collect from it too: one item per docstring
    or block, whatever the project's addopts say."""

    def __init__(self, collects: Any) -> None:
        self.collects = collects  # (file_path, parent) -> whether the plugin collects it

    @pytest.hookimpl(wrapper=True)
    def pytest_collect_file(self, file_path: Any, parent: pytest.Collector) -> Any:
        collected = yield
        if collected and self.collects(file_path, parent):
            return [each for each in collected if not runs_doctests(each)]
        return collected
