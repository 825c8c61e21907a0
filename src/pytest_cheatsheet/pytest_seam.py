"""Every use of pytest's private names, in one place: when pytest changes, this file changes.

- Fixtures in sheets, as Sybil's own pytest integration offers them: the names listed in
  ``cheatsheet_fixtures`` are requested by every example and bound in the sheet's namespace.
  pytest has no public API for an Item that is not a Function to request fixtures; this uses its
  fixture internals, the way sybil/integration/pytest.py does.
- The failure display's base classes (``TerminalRepr``, ``ExceptionRepr``, ``TerminalWriter``,
  ``Traceback``), which pytest does not export.
- Autouse fixtures and ``doctest_namespace`` for every block, as pytest's DoctestItem has them.
- A Python module sheet imported as pytest imports a test module (``import_path``).
- A skip reported at the item's own location (the private ``_use_item_location`` keyword).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import ExceptionRepr, TerminalRepr, Traceback
from _pytest._io import TerminalWriter
from _pytest.fixtures import FuncFixtureInfo, TopRequest
from _pytest.pathlib import import_path

__all__ = ["ExceptionRepr", "TerminalRepr", "TerminalWriter", "Traceback"]  # pytest's, re-exported


def request_fixtures(
    item: pytest.Item, names: Sequence[str], closures: dict[Any, Any] | None = None
) -> tuple[bool, bool]:
    """Make ``item`` request ``names`` (and what they depend on) as a test function would, with
    the autouse fixtures that apply where it is (a conftest's, as for a test) and, with pytest's
    doctest plugin on, ``doctest_namespace``. Return whether it requests anything, and whether
    a fixture not pytest's own (a project's or another plugin's) is among them. ``closures``
    keeps what was found for the items of one parent, which share their fixtures."""
    key = (item.parent.nodeid if item.parent is not None else "", tuple(names))
    found = closures.get(key) if closures is not None else None
    if found is None:
        found = _closure(item, names)
        if closures is not None:
            closures[key] = found
    wanted, names_closure, name2fixturedefs, foreign = found
    if not wanted:
        return False, False
    item._fixtureinfo = FuncFixtureInfo(  # type: ignore[attr-defined]
        argnames=tuple(names),
        initialnames=wanted,
        names_closure=list(names_closure),
        name2fixturedefs=dict(name2fixturedefs),
    )
    item.fixturenames = item._fixtureinfo.names_closure  # type: ignore[attr-defined]
    renew_request(item)
    return True, foreign


def _closure(item: pytest.Item, names: Sequence[str]) -> tuple[Any, ...]:
    """What ``item`` requests: its initial names, their closure, their definitions, and whether
    one of those is not pytest's own."""
    manager: Any = item.session._fixturemanager  # undocumented, as in Sybil
    # getfixtureinfo without a function is how pytest's DoctestItem finds its autouse fixtures.
    autouse = manager.getfixtureinfo(node=item, func=None, cls=None).initialnames
    wanted = tuple(dict.fromkeys((*autouse, *names, *_doctest_namespace(item))))
    if not wanted:
        return (), [], {}, False
    names_closure, name2fixturedefs = manager.getfixtureclosure(
        initialnames=wanted, parentnode=item, ignore_args=set()
    )
    missing = [name for name in names if name not in name2fixturedefs]
    if missing:
        pytest.fail(
            f"ini option cheatsheet_fixtures: fixture {missing[0]!r} not found here "
            "(`pytest --fixtures` lists those available)",
            pytrace=False,
        )
    foreign = any(
        not getattr(definition.func, "__module__", "").startswith("_pytest.")
        for definitions in name2fixturedefs.values()
        for definition in definitions
    )
    return wanted, names_closure, name2fixturedefs, foreign


def renew_request(item: pytest.Item) -> None:
    """A fresh fixture request for ``item``; pytest drops an item's request after it runs and
    calls ``_initrequest`` to run it again (pytest-rerunfailures), as for its DoctestItem."""
    item.funcargs = {}  # type: ignore[attr-defined]
    item._request = TopRequest(item, _ispytest=True)  # type: ignore[arg-type,attr-defined]


def _doctest_namespace(item: pytest.Item) -> tuple[str, ...]:
    return ("doctest_namespace",) if item.config.pluginmanager.has_plugin("doctest") else ()


def fixture_values(item: pytest.Item, names: Sequence[str]) -> dict[str, Any]:
    """Set up the fixtures ``item`` requested (autouse ones included) and return the values of
    ``names``."""
    item._request._fillfixtures()  # type: ignore[attr-defined]
    funcargs: dict[str, Any] = item.funcargs  # type: ignore[attr-defined]
    return {name: funcargs[name] for name in names}


def doctest_globals(item: pytest.Item) -> dict[str, Any]:
    """What pytest's doctest plugin binds in a doctest's globals: ``getfixture`` and the
    ``doctest_namespace`` fixture's names (once the item's fixtures are set up)."""
    request: Any = item._request  # type: ignore[attr-defined]
    names: dict[str, Any] = {"getfixture": request.getfixturevalue}
    if _doctest_namespace(item):
        names.update(request.getfixturevalue("doctest_namespace"))
    return names


class ModuleImportError(Exception):
    """A module sheet that cannot be imported; the message names the setting to change."""


def module_globals(path: Path, config: pytest.Config) -> dict[str, Any]:
    """A copy of the globals of the module at ``path``, imported as pytest imports a test module:
    from the rootdir, with the project's ``pythonpath`` and ``--import-mode``
    (``_pytest.pathlib.import_path``, undocumented, which pytest's doctest plugin and
    pytest-doctestplus use too)."""
    mode = config.getoption("importmode")
    try:
        module = import_path(
            path,
            mode=mode,
            root=config.rootpath,
            consider_namespace_packages=config.getini("consider_namespace_packages"),
        )
    except ImportError as error:
        raise ModuleImportError(
            f"cannot import {path.name} as pytest imports test modules (--import-mode={mode}, "
            f"rootdir {config.rootpath}): {type(error).__name__}: {error}. Add the folder it "
            "imports from to the ini option `pythonpath`, or run with --import-mode=importlib"
        ) from None
    return dict(module.__dict__)


def fresh_fixture_values(item: pytest.Item, names: Sequence[str]) -> dict[str, Any]:
    """Tear down the function-scoped fixtures ``item`` set up and set them up anew: the values
    another item would get (a block replayed as set-up gets its own, as when it runs alone)."""
    if not names:
        return {}
    request: Any = item._request  # type: ignore[attr-defined]
    # TopRequest._fixture_defs (undocumented): the fixtures it set up, dependencies first.
    active = [
        (name, fixturedef)
        for name, fixturedef in request._fixture_defs.items()
        if name != "request" and fixturedef.scope == "function"
    ]
    # What the item's stash holds (Stash._storage, undocumented) stays for its own teardown:
    # tmp_path's teardown takes the item's results out of it.
    stashed = dict(item.stash._storage)
    for name, fixturedef in reversed(active):
        fixturedef.finish(request)  # undocumented: runs the fixture's teardown
        del request._fixture_defs[name]
    for key, value in stashed.items():
        item.stash._storage.setdefault(key, value)
    item.funcargs.clear()  # type: ignore[attr-defined]
    return fixture_values(item, names)


def skip_at_item(reason: str) -> BaseException:
    """A skip reported at the item's location (as a skip marker's is), not where it was raised."""
    return pytest.skip.Exception(reason, _use_item_location=True)
