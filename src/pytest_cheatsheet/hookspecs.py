"""The hooks a conftest.py (or a plugin) may implement to shape how sheets run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pytest_cheatsheet.matrix import Combination
    from pytest_cheatsheet.sheet import Sheet

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_cheatsheet_namespace(
    namespace: dict[str, Any], combination: Combination, sheet: Sheet
) -> None:
    """Add names to the namespace one combination of a sheet runs in, before its first example
    (imports, a model, a data folder). Called again whenever the run starts afresh. ``device``,
    ``dtype`` and ``autocast`` stay the combination's whatever the hook binds.

    :param namespace: the sheet's globals for this combination; add to it in place.
    :param combination: ``device``, ``dtype`` (names, or ``None`` for an axis the sheet does not
        use) and ``autocast``.
    :param sheet: the parsed sheet; ``sheet.path`` is its file.
    """
