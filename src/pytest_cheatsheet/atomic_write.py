"""Replacing a file whole or not at all: the one writer of a sheet's updates, a history file and
the compatibility page (a temporary file beside the file, renamed over it)."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(
    path: Path | str, data: bytes, before_replace: Callable[[], None] | None = None
) -> None:
    """Write ``data`` to a temporary file beside ``path``'s target (a symlink stays a link, its
    target is replaced) with the target's mode and owner (where we may), or the usual mode for a
    new file, then rename it over the target. ``before_replace`` is called just before the rename
    and may raise to refuse it; on any error the target stays as it was and no temporary file is
    left."""
    real = Path(os.path.realpath(path))
    real.parent.mkdir(parents=True, exist_ok=True)
    try:
        status: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        status = None
    descriptor, temporary = tempfile.mkstemp(prefix=f".{real.name}.", dir=real.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _new_file_mode() if status is None else stat.S_IMODE(status.st_mode))
        if status is not None and hasattr(os, "chown"):
            made = os.stat(temporary)
            if (status.st_uid, status.st_gid) != (made.st_uid, made.st_gid):
                with contextlib.suppress(OSError):
                    os.chown(temporary, status.st_uid, status.st_gid)
        if before_replace is not None:
            before_replace()
        os.replace(temporary, real)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    """What ``open`` would give a new file (a temporary file's own mode is 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
