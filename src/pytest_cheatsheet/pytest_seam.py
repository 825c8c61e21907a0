"""Every use of pytest's private names, in one place: when pytest changes, this file changes.

- Fixtures in sheets, as Sybil's own pytest integration offers them: the names listed in
  ``cheatsheet_fixtures`` are requested by every example and bound in the sheet's namespace.
  pytest has no public API for an Item that is not a Function to request fixtures; this uses its
  fixture internals, the way sybil/integration/pytest.py does.
- The failure display's base classes (``TerminalRepr``, ``ExceptionRepr``, ``TerminalWriter``,
  ``Traceback``), which pytest does not export.
- A skip reported at the item's own location (the private ``_use_item_location`` keyword).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from _pytest._code.code import ExceptionRepr, TerminalRepr, Traceback
from _pytest._io import TerminalWriter
from _pytest.fixtures import FuncFixtureInfo, TopRequest

__all__ = ["ExceptionRepr", "TerminalRepr", "TerminalWriter", "Traceback"]  # pytest's, re-exported


def request_fixtures(item: pytest.Item, names: Sequence[str]) -> None:
    """Make ``item`` request ``names`` (and what they depend on) as a test function would."""
    manager: Any = item.session._fixturemanager  # undocumented, as in Sybil
    names_closure, name2fixturedefs = manager.getfixtureclosure(
        initialnames=tuple(names), parentnode=item, ignore_args=set()
    )
    missing = [name for name in names if name not in name2fixturedefs]
    if missing:
        pytest.fail(
            f"ini option cheatsheet_fixtures: fixture {missing[0]!r} not found here "
            "(`pytest --fixtures` lists those available)",
            pytrace=False,
        )
    item._fixtureinfo = FuncFixtureInfo(  # type: ignore[attr-defined]
        argnames=tuple(names),
        initialnames=tuple(names),
        names_closure=names_closure,
        name2fixturedefs=name2fixturedefs,
    )
    item.funcargs = {}  # type: ignore[attr-defined]
    item.fixturenames = names_closure  # type: ignore[attr-defined]
    item._request = TopRequest(item, _ispytest=True)  # type: ignore[arg-type,attr-defined]


def fixture_values(item: pytest.Item, names: Sequence[str]) -> dict[str, Any]:
    """Set up the fixtures ``item`` requested and return the values of ``names``."""
    if not names:
        return {}
    item._request._fillfixtures()  # type: ignore[attr-defined]
    funcargs: dict[str, Any] = item.funcargs  # type: ignore[attr-defined]
    return {name: funcargs[name] for name in names}


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
