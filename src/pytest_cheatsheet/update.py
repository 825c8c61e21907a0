"""``--cheatsheet-update``: rewrite a doctest's expected output with what was printed.

What is written is what the sheet's *written combination* printed; each update carries the lines
of its example (source and old output) as they were when the sheet was collected, and is applied
only where those lines still stand, unchanged, at the same place. An output that would not read
back as the same doctest (a line that closes the code fence or starts a new example, a control
character) is refused with its reason. Only the lines of the expected output change; every other
byte of the sheet (prose, other blocks, line endings, a BOM, non-ASCII text) stays as it was.
Updates travel in the test reports (so pytest-xdist workers hand them to the controller) and are
applied once, at the end of the session: per sheet, under a lock on its folder, by writing a
temporary file beside the real file (through a symlink) and renaming it over it.
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import os
import re
import stat
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pytest_cheatsheet.atomic_write import write_atomically
from pytest_cheatsheet.fences import is_fence_line
from pytest_cheatsheet.truncation import shorten

UPDATE_PROPERTY = "cheatsheet_update"
BOM = "\ufeff"
TRACEBACK_HEADER = "Traceback (most recent call last):"
LOCK_TIMEOUT = 60.0  # seconds another update run may hold a folder's lock
SHOWN = 60  # characters of a refused output line its message shows

_LINE_BREAKS = {"\x85", "\u2028", "\u2029"}  # str.splitlines() splits there too (Sybil does)
# A line Sybil's reST lexers may read as a directive (``.. skip: next``, ``.. skip``,
# ``.. cheatsheet: ...``, ``.. code-block:: python``; ``..`` alone, with the name on the next
# line): in a reST sheet or a module's docstring it would act.
_REST_DIRECTIVE = re.compile(r"^[ \t]*\.\.[ \t]*(?:[A-Za-z]|$)")
# A line that reads as a ``# cheatsheet: ...`` directive comment of a Python module.
_PYTHON_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*cheatsheet:")
# A string literal's prefix and opening quotes, as the tokenizer reads them.
_LITERAL_START = re.compile(r"(?P<prefix>[A-Za-z]*)(?P<quote>\"\"\"|\'\'\'|\"|\')")


class UpdateError(Exception):
    """A sheet that cannot be updated safely; the message names the file and line."""


@dataclass(frozen=True)
class ExpectedOutputUpdate:
    """Replace the expected output of the doctest whose ``>>>`` is on ``line``.

    ``collected`` holds the example's lines (its source, then its old expected output, without
    line endings) as they were when the sheet was collected; ``refusal`` says why this output
    cannot be written back, when it cannot.
    """

    path: str
    line: int
    source_lines: int
    new_want: str
    printed: str = ""
    collected: tuple[str, ...] = ()
    refusal: str = ""

    def as_property(self) -> dict[str, Any]:
        return {
            key: escape_surrogates(value) if isinstance(value, str) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_property(cls, value: dict[str, Any]) -> ExpectedOutputUpdate:
        return cls(**{**value, "collected": tuple(value.get("collected", ()))})

    @property
    def new_lines(self) -> list[str]:
        return _lines(self.new_want)


def escape_surrogates(text: str) -> str:
    """``text`` with lone surrogates (what undecodable bytes decode to) as ``\\udXXX``: what
    pytest-xdist sends between processes must encode as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _lines(text: str) -> list[str]:
    """The lines of a doctest output: split at newlines only, as doctest splits them."""
    return text.removesuffix("\n").split("\n") if text else []


def want_from_output(got: str) -> str:
    """Doctest's expected-output text for what was printed (blank lines as ``<BLANKLINE>``)."""
    lines = [line.rstrip() for line in _lines(got)]
    return "".join(f"{line or doctest.BLANKLINE_MARKER}\n" for line in lines)


def want_from_exception(exc_info: Any) -> str:
    """Doctest's expected-output text for an exception (its stack is not compared)."""
    exception_only = traceback.format_exception_only(exc_info[0], exc_info[1])
    return short_traceback("".join(exception_only))


def short_traceback(message: str) -> str:
    """``Traceback (most recent call last):`` / ``...`` / the exception's own lines."""
    return f"{TRACEBACK_HEADER}\n    ...\n{want_from_output(message)}"


def update_from_failure(
    path: str,
    text: str,
    line: int,
    example: doctest.Example,
    got: str | None,
    exc_info: Any,
    matches: Callable[[str], bool] | None = None,
) -> ExpectedOutputUpdate:
    """The update for a doctest that failed: it printed ``got`` instead of its expected output,
    or (``got`` None) raised the exception of ``exc_info``. Where the old output was a
    traceback, doctest hands over what was printed followed by the full traceback of the new
    exception; only the exception's last lines are compared, so only they are written.
    An old output indented deeper than its ``>>>`` keeps that indentation where ``matches``
    (the output checker, against what was printed) accepts the output so indented."""
    if got is None:
        new_want = want_from_exception(exc_info)
        return make_update(path, text, line, example, new_want, new_want)
    new_want = want_from_output(got)
    if example.exc_msg is None and matches is not None:
        new_want = keep_indentation(example.want, new_want, matches)
    if example.exc_msg is not None:
        header = got.rfind(TRACEBACK_HEADER + "\n")
        if header >= 0 and (header == 0 or got[header - 1] == "\n"):
            lines = got[header:].split("\n")[1:]
            # As doctest reads it: the stack ends where a line starts with a letter or digit.
            starts = [i for i, text in enumerate(lines) if text[:1].isalnum() or text[:1] == "_"]
            if starts:
                new_want = short_traceback("\n".join(lines[starts[0] :]))
        got = new_want  # what the new expected output says was printed
    return make_update(path, text, line, example, new_want, got)


def keep_indentation(old_want: str, new_want: str, matches: Callable[[str], bool]) -> str:
    """``new_want`` indented as deep as every line of ``old_want`` is (an output written
    indented under its ``>>>``), where ``matches`` accepts it so; else ``new_want``."""
    old_lines = [text for text in _lines(old_want) if text.strip()]
    new_lines = _lines(new_want)
    if not old_lines or not new_lines or doctest.BLANKLINE_MARKER in new_lines:
        return new_want
    indents = [text[: len(text) - len(text.lstrip(" \t"))] for text in old_lines]
    indent = min(indents, key=len)
    if any(not text.startswith(indent) for text in indents):
        return new_want  # mixed tabs and spaces: written under the prompt, as doctest reads it
    if not indent:
        return new_want
    indented = "".join(f"{indent}{text}\n" for text in new_lines)
    return indented if matches(indented) else new_want


def make_update(
    path: str, text: str, line: int, example: doctest.Example, new_want: str, printed: str
) -> ExpectedOutputUpdate:
    """The update of the example at ``line`` of the collected ``text``, with its refusal."""
    lines = text.split("\n")
    collected: tuple[str, ...] = ()
    source_lines = 0
    refusal = ""
    try:
        source_lines, collected = _collected_lines(lines, line, example)
        prefix = lines[line - 1][: lines[line - 1].index(">>>")]
        refusal = _refusal(prefix, new_want, _in_html_comment(lines, line - 1))
        refusal = refusal or _format_refusal(path, text, line, new_want)
        if not refusal and doctest.BLANKLINE_MARKER in printed:
            refusal = f"it prints {doctest.BLANKLINE_MARKER}, which doctest reads as a blank line"
    except UpdateError as error:
        refusal = str(error)
    return ExpectedOutputUpdate(
        path=path,
        line=line,
        source_lines=source_lines,
        new_want=new_want,
        printed=printed,
        collected=collected,
        refusal=refusal,
    )


def _collected_lines(
    lines: list[str], line: int, example: doctest.Example
) -> tuple[int, tuple[str, ...]]:
    """How many lines the example's source takes, and its source and output lines as they stand
    in the sheet; raise UpdateError where the sheet does not read as doctest parsed it."""
    first = line - 1
    if not 0 <= first < len(lines) or ">>>" not in lines[first]:
        raise UpdateError(f"no '>>>' at line {line}")
    prefix = lines[first][: lines[first].index(">>>")]
    end = first + 1
    while end < len(lines) and lines[end].startswith(prefix + "..."):
        end += 1
    source = "\n".join(text[len(prefix) + 4 :] for text in lines[first:end]) + "\n"
    if source.rstrip("\n") != example.source.rstrip("\n"):
        raise UpdateError("the sheet's source lines do not read as the example that ran")
    want_lines = _lines(example.want)
    stop = end + len(want_lines)
    written = [text.rstrip() for text in lines[end:stop]]
    if written != [(prefix + want).rstrip() for want in want_lines]:
        raise UpdateError("the sheet's expected output does not read as the example's")
    return end - first, tuple(lines[first:stop])


def _in_html_comment(lines: list[str], first: int) -> bool:
    """Whether the example sits in an invisible block (an HTML comment), not a fenced one."""
    for text in reversed(lines[:first]):
        if is_fence_line(text):
            return False
        if "<!--" in text:
            return True
    return False


def _refusal(prefix: str, new_want: str, in_comment: bool) -> str:
    """Why ``new_want`` cannot be written after ``prefix`` and read back as the same output."""
    new_lines = _lines(new_want)
    for number, text in enumerate(new_lines, 1):
        where = f"output line {number} ({shorten(text, SHOWN)!r})"
        bad = [c for c in text if (unicodedata.category(c) == "Cc" and c != "\t")]
        bad += [c for c in text if c in _LINE_BREAKS]
        if bad:
            return f"{where} holds the control character U+{ord(bad[0]):04X}"
        if any("\ud800" <= c <= "\udfff" for c in text):
            return f"{where} holds a lone surrogate, which UTF-8 cannot encode"
        if text.lstrip().startswith(">>>"):
            return f"{where} starts with '>>>', which doctest reads as a new example"
        if number == 1 and text.lstrip().startswith("..."):
            return f"{where} starts with '...', which doctest reads as more source"
        # Sybil's Markdown lexer reads it as a fence: a long enough one closes the block.
        if is_fence_line(prefix + text):
            return f"{where} would close the code block (a Markdown fence)"
        if in_comment and "-->" in text:
            return f"{where} holds '-->', which would close the invisible block"
    return ""


def _format_refusal(path: str, text: str, line: int, new_want: str) -> str:
    """Why ``new_want`` cannot be written at ``line`` of the reST sheet or Python module
    ``path`` (``text``): a line read back as a directive, or text the docstring's string
    literal would not hold as it stands."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".rst", ".py"):
        return ""
    new_lines = _lines(new_want)
    for number, line_text in enumerate(new_lines, 1):
        where = f"output line {number} ({shorten(line_text, SHOWN)!r})"
        if _REST_DIRECTIVE.match(line_text):
            return f"{where} would be read back as a reST directive"
        if suffix == ".py" and _PYTHON_DIRECTIVE.match(line_text):
            return f"{where} would be read back as a '# cheatsheet:' directive"
    if suffix != ".py":
        return ""
    literal = _docstring_at(text, line)
    if literal is None:
        return "the example is not in a docstring this update can find; not updating it"
    prefix, quote = literal
    for number, line_text in enumerate(new_lines, 1):
        where = f"output line {number} ({shorten(line_text, SHOWN)!r})"
        if quote in line_text:
            return f"{where} holds {quote}, which would close the docstring"
        if "r" not in prefix.lower() and "\\" in line_text:
            return (
                f"{where} holds a backslash, which the docstring (not a raw string) would "
                "read as an escape"
            )
    return ""


def _docstring_at(text: str, line: int) -> tuple[str, str] | None:
    """The prefix (``r``, ``u``...) and the quotes of the string literal that holds ``line``
    of the Python module ``text``, or None."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    lines = text.split("\n")
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.lineno <= line <= (node.end_lineno or node.lineno)
        ):
            continue
        match = _LITERAL_START.match(lines[node.lineno - 1].encode()[node.col_offset :].decode())
        if match is not None:
            return match.group("prefix"), match.group("quote")
    return None


@dataclass
class Outcome:
    """What applying the updates did: the changed lines by sheet, and what was refused."""

    changed: dict[str, list[int]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


def apply(updates: Iterable[ExpectedOutputUpdate], root: Path | None = None) -> Outcome:
    """Apply updates, one atomic write per sheet; an error in one sheet leaves the others be.
    Sheets are named relative to ``root`` where they are under it."""
    outcome = Outcome()
    by_file: dict[str, dict[int, ExpectedOutputUpdate]] = {}
    names: dict[str, str] = {}
    for update in updates:
        name = _display_name(update.path, root)
        if update.refusal:
            outcome.refused.append(f"{name}:{update.line}: {update.refusal}")
            continue
        real = os.path.realpath(update.path)
        names.setdefault(real, name)
        by_line = by_file.setdefault(real, {})
        if by_line.get(update.line, update).new_want != update.new_want:
            outcome.refused.append(f"{name}:{update.line}: two different outputs for this example")
            continue
        by_line[update.line] = update
    for real, by_line in sorted(by_file.items()):
        name = names[real]
        try:
            changed, refused = _apply_to_sheet(name, Path(real), by_line)
        except UpdateError as error:
            outcome.refused.append(f"{name}: {error}")
        except Exception as error:  # one sheet's error must not lose the others' updates
            outcome.refused.append(f"{name}: {type(error).__name__}: {error}")
        else:
            outcome.refused += refused
            if changed:
                outcome.changed[name] = changed
    return outcome


def _display_name(path: str, root: Path | None) -> str:
    if root is not None and Path(path).is_relative_to(root):
        return str(Path(path).relative_to(root))
    return path


def _apply_to_sheet(
    name: str, real: Path, updates: dict[int, ExpectedOutputUpdate]
) -> tuple[list[int], list[str]]:
    """Write ``updates`` into the sheet ``real`` (``name``, as collected, may link to it)."""
    with _locked(real.parent):
        status = os.stat(real)
        _check_replaceable(real, status)
        raw = real.read_bytes()
        text = raw.decode("utf-8")
        bom = BOM if text.startswith(BOM) else ""
        text = text.removeprefix(BOM)
        if "\r" in text.replace("\r\n", ""):
            raise UpdateError("line endings are bare carriage returns; not updating this sheet")
        lines = text.split("\n")  # each keeps a trailing "\r" where the sheet uses CRLF
        changed: list[int] = []
        refused: list[str] = []
        for line in sorted(updates, reverse=True):  # bottom-up: earlier lines keep their place
            update = updates[line]
            first = line - 1
            ending = "\r" if lines[first : first + 1] and lines[first].endswith("\r") else ""
            prefix = update.collected[0][: update.collected[0].find(">>>")]
            new = [(prefix + text).rstrip() for text in update.new_lines]
            span = len(update.collected)
            standing = [
                text.removesuffix("\r")
                for text in lines[first : first + max(span, update.source_lines + len(new))]
            ]
            if standing[:span] == list(update.collected):
                lines[first : first + span] = [
                    *lines[first : first + update.source_lines],
                    *(text + ending for text in new),
                ]
                changed.append(line)
            elif standing[: update.source_lines + len(new)] == [
                *update.collected[: update.source_lines],
                *new,
            ]:
                continue  # already written (by another update run)
            else:
                refused.append(
                    f"{name}:{line}: the example's source or expected output changed since "
                    "the sheet was collected; not updating it"
                )
        if changed:
            data = (bom + "\n".join(lines)).encode("utf-8")
            _replace(real, raw, data, status)
    return sorted(changed), refused


def _check_replaceable(real: Path, status: os.stat_result) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise UpdateError("not a regular file; not updating it")
    if not status.st_mode & 0o222 or not os.access(real, os.W_OK):
        raise UpdateError(
            f"read-only (mode {stat.S_IMODE(status.st_mode):04o}); not updating it "
            "(make it writable to update it)"
        )
    if status.st_nlink > 1:
        raise UpdateError(
            f"has {status.st_nlink} hard links; replacing it would split them, so it is not "
            "updated (break the link, or update a copy)"
        )


def _replace(real: Path, raw: bytes, data: bytes, status: os.stat_result) -> None:
    """Replace ``real`` by ``data`` atomically, unless it no longer holds ``raw`` (another
    update run wrote it meanwhile)."""

    def unchanged() -> None:
        if real.read_bytes() != raw or os.stat(real).st_ino != status.st_ino:
            raise UpdateError("changed while it was being updated; not updating it")

    write_atomically(real, data, before_replace=unchanged)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so that two update runs write a sheet in turn."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the re-check before the rename still refuses a lost write
        yield
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UpdateError(
                        f"another update run has held the lock on {folder} for "
                        f"{LOCK_TIMEOUT:.0f} s; not updating"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(descriptor)
