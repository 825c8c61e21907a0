"""The one atomic writer: a sheet's updates, a history file and the compatibility page are
written whole or not at all, through a symlink, keeping the file's mode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_cheatsheet.atomic_write import write_atomically
from pytest_cheatsheet.history.__main__ import main

DATA = "第一行\r\nsecond line\nno newline at the end".encode()


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_the_bytes_are_written_exactly(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"old\n")
    write_atomically(path, DATA)
    assert path.read_bytes() == DATA
    assert _siblings(path) == ["a.md"]


def test_a_new_file_and_its_folders_are_made_with_the_usual_mode(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "a.md"
    umask = os.umask(0o022)
    try:
        write_atomically(path, DATA)
    finally:
        os.umask(umask)
    assert path.read_bytes() == DATA
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not the temporary file's 0600


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o444])
def test_the_files_mode_is_kept(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"old\n")
    path.chmod(mode)
    write_atomically(path, DATA)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.read_bytes() == DATA


def test_a_symlinks_target_is_replaced_and_the_link_kept(tmp_path: Path) -> None:
    target = tmp_path / "real" / "a.md"
    target.parent.mkdir()
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to(target)
    write_atomically(link, DATA)
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_bytes() == DATA
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _siblings(target) == ["a.md"]


def test_a_dangling_symlinks_target_is_created(tmp_path: Path) -> None:
    target = tmp_path / "real" / "a.md"
    link = tmp_path / "link.md"
    link.symlink_to(target)
    write_atomically(link, DATA)
    assert link.is_symlink()
    assert target.read_bytes() == DATA


def _fail(*args: object, **kwargs: object) -> None:
    raise OSError("disk full")


@pytest.mark.parametrize("where", ["write", "fsync", "replace", "before_replace"])
def test_a_failed_write_leaves_the_file_as_it_was_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    check = None
    if where == "write":

        class Full:
            def write(self, data: bytes) -> int:
                raise OSError("disk full")

        real_fdopen = os.fdopen

        def fdopen(descriptor: int, mode: str) -> object:
            stream = real_fdopen(descriptor, mode)
            monkeypatch.setattr(stream, "write", Full().write)
            return stream

        monkeypatch.setattr(os, "fdopen", fdopen)
    elif where == "before_replace":
        check = _fail
    else:
        monkeypatch.setattr(os, where, _fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, DATA, before_replace=check)
    assert path.read_bytes() == b"old\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert _siblings(path) == ["a.md"]


def test_the_compatibility_page_is_written_through_a_symlink(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    page = tmp_path / "pages" / "COMPATIBILITY.md"
    page.parent.mkdir()
    page.write_text("old\n", encoding="utf-8")
    page.chmod(0o640)
    link = tmp_path / "COMPATIBILITY.md"
    link.symlink_to(page)
    arguments = ["render", "--history", str(history), "--output", str(link)]
    assert main([*arguments, "--root", str(tmp_path)]) == 0
    assert link.is_symlink()
    assert page.read_text(encoding="utf-8").startswith("# Compatibility of the sheets' claims")
    assert stat.S_IMODE(page.stat().st_mode) == 0o640
