"""torch and NumPy are the project's, not the plugin's: each is used where it is installed."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


def installed(name: str) -> ModuleType | None:
    """The module ``name`` (imported now if need be), or None where it is not installed."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except (ImportError, ValueError):
        return None
    return importlib.import_module(name)
