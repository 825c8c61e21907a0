"""pytest fixtures in sheets, as Sybil's own pytest integration offers them: the names listed in
``cheatsheet_fixtures`` are requested by every example and bound in the sheet's namespace.

pytest has no public API for an Item that is not a Function to request fixtures; this module is
the one place that uses pytest's fixture internals, the way sybil/integration/pytest.py does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from _pytest import fixtures  # undocumented: TopRequest fills an item's fixtures
from _pytest.fixtures import FuncFixtureInfo


def request_fixtures(item: pytest.Item, names: Sequence[str]) -> bool:
    """Make ``item`` request ``names`` (and what they depend on) as a test function would, with
    the autouse fixtures that apply where it is (a conftest's, as for a test) and, with pytest's
    doctest plugin on, ``doctest_namespace``. Return whether it requests anything."""
    manager: Any = item.session._fixturemanager  # undocumented, as in Sybil
    if hasattr(fixtures, "TopRequest"):  # pytest >= 8
        # getfixtureinfo without a function is how pytest's DoctestItem finds its autouse ones.
        autouse = manager.getfixtureinfo(node=item, func=None, cls=None).initialnames
        wanted = tuple(dict.fromkeys((*autouse, *names, *_doctest_namespace(item))))
        if not wanted:
            return False
        names_closure, name2fixturedefs = manager.getfixtureclosure(
            initialnames=wanted, parentnode=item, ignore_args=set()
        )
        request_class: Any = fixtures.TopRequest
    else:  # pytest 7
        _, names_closure, name2fixturedefs = manager.getfixtureclosure(tuple(names), item)
        request_class = fixtures.FixtureRequest
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
    item._request = request_class(item, _ispytest=True)  # type: ignore[attr-defined]
    return True


def renew_request(item: pytest.Item) -> None:
    """A fresh fixture request for ``item`` run again (pytest-rerunfailures; pytest drops an
    item's request after it runs and calls ``_initrequest``, as for its DoctestItem)."""
    item.funcargs = {}  # type: ignore[attr-defined]
    item._request = fixtures.TopRequest(item, _ispytest=True)  # type: ignore[attr-defined,arg-type]


def _doctest_namespace(item: pytest.Item) -> tuple[str, ...]:
    return ("doctest_namespace",) if item.config.pluginmanager.has_plugin("doctest") else ()


def fixture_values(item: pytest.Item, names: Sequence[str]) -> dict[str, Any]:
    """Set up the fixtures ``item`` requested (autouse ones included) and return the values of
    ``names``."""
    item._request._fillfixtures()  # type: ignore[attr-defined]
    funcargs: dict[str, Any] = item.funcargs  # type: ignore[attr-defined]
    return {name: funcargs[name] for name in names}


def doctest_names(item: pytest.Item) -> dict[str, Any]:
    """What pytest's doctest plugin binds in a doctest's globals: ``getfixture`` and the
    ``doctest_namespace`` fixture's names (after the item's fixtures are set up)."""
    request: Any = item._request  # type: ignore[attr-defined]
    names: dict[str, Any] = {"getfixture": request.getfixturevalue}
    if _doctest_namespace(item):
        names.update(request.getfixturevalue("doctest_namespace"))
    return names
