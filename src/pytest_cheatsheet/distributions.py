"""The installed version of any distribution a gate names (``importlib.metadata``), read once."""

from __future__ import annotations

from functools import cache
from importlib import metadata

from packaging.utils import canonicalize_name


@cache
def distribution_version(name: str) -> str | None:
    """The installed version of the distribution ``name`` (any spelling PEP 503 normalizes
    alike), or None when it is not installed."""
    try:
        return metadata.version(canonicalize_name(name))
    except metadata.PackageNotFoundError:
        return None
