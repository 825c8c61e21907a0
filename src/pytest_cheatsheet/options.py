"""The plugin's ini and command-line options read into plain values: lists of words, the sheet
paths and the code-block languages. A bad value is a usage error naming the option and value."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_cheatsheet.directives import TOLERANCE_KEYS
from pytest_cheatsheet.formats import DEFAULT_LANGUAGES
from pytest_cheatsheet.matrix import AXES, Axes, device_type, split_values

DEFAULT_PATHS = ("cheatsheet",)
ITEM_GRANULARITIES = ("block", "example")  # one item per code block, or per ``>>>`` example
_GLOB_CHARACTERS = re.compile(r"[*?[]")
_LANGUAGE = re.compile(r"[A-Za-z0-9_.+#-]+")


def words(value: Any, source: str) -> list[str]:
    """The words of an option given as a string (commas or whitespace between them), as lines,
    or as a TOML list of such strings."""
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, (list, tuple)):
        raise pytest.UsageError(f"{source}: expected a string or a list of strings, got {value!r}")
    found = []
    for entry in entries:
        if not isinstance(entry, str):
            raise pytest.UsageError(
                f"{source}: expected a string or a list of strings, got {entry!r} in {value!r}"
            )
        found += split_values(entry)
    return found


def ini_words(config: pytest.Config, name: str) -> list[str]:
    return words(config.getini(name), f"ini option {name}")


def item_granularity(config: pytest.Config) -> str:
    """What one item is (``cheatsheet_items``): ``block`` (the default) or ``example``."""
    given = ini_words(config, "cheatsheet_items")
    if len(given) != 1 or given[0].lower() not in ITEM_GRANULARITIES:
        raise pytest.UsageError(
            f"ini option cheatsheet_items: {' '.join(given) or 'nothing'!r} is not one of "
            f"{', '.join(ITEM_GRANULARITIES)} (one item per code block, or per >>> example)"
        )
    return given[0].lower()


@dataclass(frozen=True)
class SheetPaths:
    """What ``cheatsheet_paths`` names: folders whose files are sheets, and single files."""

    folders: tuple[Path, ...]
    files: frozenset[Path]

    def collects(self, path: Path) -> bool:
        return path in self.files or any(
            path == folder or folder in path.parents for folder in self.folders
        )


def path_words(value: Any, rootpath: Path) -> list[str]:
    """The entries of ``cheatsheet_paths``: each TOML list entry or ini line that names a path
    (a folder ``user guide``, spaces included) is that path; any other is split as
    :func:`words` splits (``docs,README.md``)."""
    source = "ini option cheatsheet_paths"
    entries = [value] if isinstance(value, str) else value
    found = []
    for entry in entries if isinstance(entries, (list, tuple)) else [entries]:
        if isinstance(entry, str) and entry.strip() and _names_a_path(entry.strip(), rootpath):
            found.append(entry.strip())
        else:
            found += words([entry], source)
    return found


def _names_a_path(entry: str, rootpath: Path) -> bool:
    if _GLOB_CHARACTERS.search(entry):
        return bool(glob.glob(str(rootpath / entry), recursive=True))
    return (rootpath / entry).exists()


def sheet_paths(entries: Sequence[str], rootpath: Path) -> SheetPaths:
    """Resolve folders, files and globs relative to ``rootpath``; the default folder may be
    absent, a path the user names may not, nor may it lie outside the rootdir (pytest would
    collect nothing there)."""
    source = "ini option cheatsheet_paths"
    folders: list[Path] = []
    files: set[Path] = set()
    for entry in entries:
        if not Path(os.path.normpath(rootpath / entry)).is_relative_to(rootpath):
            raise pytest.UsageError(
                f"{source}: {entry!r} is outside the rootdir {rootpath}, where pytest collects "
                "nothing: move the configuration file up, or name the folder on the command line"
            )
    for entry in entries or DEFAULT_PATHS:
        if _GLOB_CHARACTERS.search(entry):
            matches = [Path(match) for match in glob.glob(str(rootpath / entry), recursive=True)]
            if not matches:
                raise pytest.UsageError(
                    f"{source}: {entry!r} matches nothing (globs are relative to the rootdir "
                    f"{rootpath})"
                )
        else:
            matches = [rootpath / entry]
            if not matches[0].exists():
                if not entries:
                    continue  # the default folder: a project without sheets collects none
                raise pytest.UsageError(
                    f"{source}: {entry!r} does not exist (paths are relative to the rootdir "
                    f"{rootpath})"
                )
        for match in matches:
            resolved = match.resolve()
            if resolved.is_dir():
                folders.append(resolved)
            else:
                files.add(resolved)
    return SheetPaths(tuple(folders), frozenset(files))


def languages(entries: Iterable[str]) -> frozenset[str]:
    """The code-block languages that run, lower-cased; raise UsageError for a malformed one."""
    found = set()
    for entry in entries:
        if not _LANGUAGE.fullmatch(entry):
            raise pytest.UsageError(
                f"ini option cheatsheet_languages: {entry!r} is not a language name "
                "(letters, digits and _.+#- only, e.g. python, py, pycon)"
            )
        found.add(entry.lower())
    if not found:
        raise pytest.UsageError(
            "ini option cheatsheet_languages: needs at least one language, e.g. "
            + " ".join(DEFAULT_LANGUAGES)
        )
    return frozenset(found)


NO_COMBINATION_LEFT = "no combination left"


def narrowed_away(declared: Axes, narrowing: Mapping[str, Sequence[Any]]) -> str:
    """Why narrowing leaves a sheet no combination: the axes it emptied, what the sheet holds on
    and what the command line asked for."""
    emptied = [
        f"its {axis} {', '.join(map(_text, getattr(declared, axis)))}, "
        f"--cheatsheet-{axis}={','.join(map(_text, narrowing[axis]))}"
        for axis in AXES
        if axis in narrowing and not getattr(declared.narrowed({axis: narrowing[axis]}), axis)
    ]
    return f"{NO_COMBINATION_LEFT} ({'; '.join(emptied)})"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def required_device(device: str, required: Collection[str]) -> bool:
    """Whether ``device`` is one the user requires: named exactly, or by its type."""
    return device in required or device_type(device) in required


def fixture_names(entries: Iterable[str]) -> tuple[str, ...]:
    """Fixture names, each a Python identifier (it becomes a name in the sheet's namespace)."""
    names = []
    for entry in entries:
        if not entry.isidentifier():
            raise pytest.UsageError(
                f"ini option cheatsheet_fixtures: {entry!r} is not a fixture name "
                "(a Python identifier, e.g. tmp_path)"
            )
        if entry in ("device", "dtype", "autocast"):
            raise pytest.UsageError(
                f"ini option cheatsheet_fixtures: {entry!r} is a name each combination sets "
                "(device, dtype, autocast): a fixture of that name would run every combination "
                "on its value; give the fixture another name"
            )
        if entry not in names:
            names.append(entry)
    return tuple(names)


DEFAULTS = {"devices": "cpu cuda", "dtypes": "float32", "autocast": "off"}


def add_options(parser: pytest.Parser) -> None:
    """The plugin's ini options and command-line options."""
    group = parser.getgroup(
        "cheatsheet", "documentation examples across devices, dtypes and autocast"
    )

    def lines(name: str, help: str, default: list[str] | None = None) -> None:
        parser.addini(name, help, type="linelist", default=default or [])

    lines(
        "cheatsheet_paths",
        "folders, files and globs (relative to the rootdir) that are sheets (default: cheatsheet)",
    )
    for axis in AXES:
        lines(
            f"cheatsheet_{axis}",
            f"default {axis} of every sheet (a list, or separated by commas or spaces)",
            [DEFAULTS[axis]],
        )
        group.addoption(
            f"--cheatsheet-{axis}",
            dest=f"cheatsheet_{axis}",
            metavar="VALUES",
            help=f"run only these {axis} (comma separated), within what each sheet declares",
        )
    lines(
        "cheatsheet_languages",
        "code-block languages that run (default: python py python3 pycon)",
        list(DEFAULT_LANGUAGES),
    )
    parser.addini(
        "cheatsheet_items",
        "what one test item is: block (a code block, the default) or example (one >>> example)",
        default="block",
    )
    lines(
        "cheatsheet_fixtures",
        "pytest fixtures every example requests, bound by name in the sheet's namespace",
    )
    lines(
        "cheatsheet_require_devices",
        "devices that must be available: their combinations error instead of skipping",
    )
    group.addoption(
        "--cheatsheet-require-devices",
        dest="cheatsheet_require_devices",
        metavar="DEVICES",
        help="fail, not skip, the combinations of these devices when absent (e.g. cuda)",
    )
    group.addoption(
        "--cheatsheet-report",
        dest="cheatsheet_report",
        metavar="PATH",
        type=Path,
        help="write a JSON report of every example in every combination to PATH",
    )
    group.addoption(
        "--cheatsheet-update",
        dest="cheatsheet_update",
        action="store_true",
        help="rewrite differing expected outputs with what the sheet's written combination "
        "printed (its first device and dtype, autocast off)",
    )
    group.addoption(
        "--cheatsheet-audit",
        dest="cheatsheet_audit",
        action="store_true",
        help="re-check each passing output made wrong in one place; list the weak checks",
    )
    for key in TOLERANCE_KEYS:
        parser.addini(
            f"cheatsheet_{key}",
            f"{key} of every sheet's numbers on combinations other than the written one "
            "(default: the dtype's, as torch.testing)",
            default="",
        )
    parser.addini(
        "cheatsheet_torch_defaults",
        "run each combination with its dtype and device as torch's defaults "
        "(torch.set_default_dtype, torch.set_default_device), so code that names neither "
        "runs per combination (default: false)",
        type="bool",
        default=False,
    )
    lines(
        "cheatsheet_autocast_dtype",
        "dtype autocast lowers to (default: float16 on cuda, bfloat16 on cpu)",
    )
