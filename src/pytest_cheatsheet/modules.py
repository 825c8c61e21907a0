"""A Python module sheet imported as pytest imports a test module: from the rootdir, with the
project's ``pythonpath`` and ``--import-mode`` (``_pytest.pathlib.import_path`` is pytest's
undocumented function for it, which its doctest plugin and pytest-doctestplus use too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _pytest.pathlib import import_path  # undocumented: how pytest imports a test module


class ModuleImportError(Exception):
    """A module sheet that cannot be imported; the message names the setting to change."""


def module_globals(path: Path, config: pytest.Config) -> dict[str, Any]:
    """A copy of the globals of the module at ``path``, imported as pytest imports tests."""
    mode = config.getoption("importmode")
    try:
        try:
            module = import_path(
                path,
                mode=mode,
                root=config.rootpath,
                consider_namespace_packages=config.getini("consider_namespace_packages"),
            )
        except (TypeError, ValueError):  # pytest 8.0: no consider_namespace_packages
            module = import_path(path, mode=mode, root=config.rootpath)  # type: ignore[call-arg]
    except ImportError as error:
        raise ModuleImportError(
            f"cannot import {path.name} as pytest imports test modules (--import-mode={mode}, "
            f"rootdir {config.rootpath}): {type(error).__name__}: {error}. Add the folder it "
            "imports from to the ini option `pythonpath`, or run with --import-mode=importlib"
        ) from None
    return dict(module.__dict__)
