"""Real-world Markdown through bare Sybil and through pytest-cheatsheet: the same outcomes?

Downloads the sdists of a few pure-Python packages from PyPI into a temporary folder (their
docs, READMEs, change logs, notebooks converted to Markdown: IPython magics, intentional errors,
untagged output blocks), runs every .md file they ship once with bare Sybil (its documented
pytest integration, ``-p no:cheatsheet``) and once with pytest-cheatsheet
(``--cheatsheet-devices=cpu``), one pytest per package and tool, and compares every file's
examples, in file order: outcome, line, and the line a failure points at. Each difference is
put down to a reason of design (EXPLANATIONS) or shown as UNEXPLAINED.

    python benchmarks/realworld.py [--keep DIR] [--no-install] [--only NAME ...] [--json PATH]

The packages' wheels (with their dependencies, except for torch's users) are installed into the
temporary folder and put at the end of ``sys.path`` in both runs, so that the examples can
import what they document. Exit status 1 when a run crashed or a difference is unexplained.
tests/test_realworld.py runs hand-written fixtures through the same comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# Pure-Python packages whose sdists ship Markdown with ```python blocks and >>> examples:
# (name, version, whether to install its dependencies for the examples; not torch's users').
PACKAGES = (
    ("attrs", "26.1.0", True),  # MyST docs, doctests
    ("cattrs", "26.2.1", True),  # MyST docs, doctests with tracebacks
    ("structlog", "26.1.0", True),  # MyST docs, doctests, console output blocks
    ("svcs", "26.2.0", True),  # MyST docs, doctests, skip directives
    ("stamina", "26.1.0", True),  # tutorial
    ("python-dotenv", "1.2.4", True),  # README-style docs
    ("sqlmodel", "0.0.50", True),  # tutorial annotations
    ("typer", "0.29.2", True),  # README, CLI docs
    ("fastapi", "0.165.0", True),  # README, agent skills, translation fixtures
    ("markdown-it-py", "4.3.0", True),  # CommonMark spec and fixtures: odd fences, odd comments
    ("jupytext", "1.19.6", True),  # public notebooks as Markdown: %magics, !shell, outputs
    ("furl", "2.1.4", True),  # README and API docs: many >>> examples with printed output
    ("munch", "4.0.0", True),  # README doctests
    ("dataclasses-json", "0.6.7", True),  # README with many code blocks
    ("einops", "0.8.2", False),  # tensor tutorial README
    ("torchinfo", "1.8.0", False),  # README with untagged model-summary output blocks
)
DOWNLOAD_TIMEOUT = 600
RUN_TIMEOUT = 900

SYBIL_CONFTEST = """\
import sys

from sybil import Sybil
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser

sys.path.extend({site})

pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser(), ClearNamespaceParser()],
    patterns=["*.md"],
).pytest()
"""
CHEATSHEET_CONFTEST = "import sys\n\nsys.path.extend({site})\n"
CHEATSHEET_INI = "[pytest]\ncheatsheet_paths = md\n"
OUTCOMES_MODULE = "realworld_outcomes"

# A plugin both runs load: every report, as a line of JSON, into $REALWORLD_OUTCOMES.
OUTCOMES_PLUGIN = '''\
import json
import os
import re


def _write(record):
    with open(os.environ["REALWORLD_OUTCOMES"], "a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\\n")


def _message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        return str(report.longrepr[2])
    return report.longreprtext


def _line(report):
    """The Markdown line a failure points at: where the exception was raised, or the last
    ``File "....md", line N`` of a traceback printed as text."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and str(crash.path).endswith(".md"):
        return crash.lineno
    found = re.findall(r'\\\\.md", line (\\\\d+)', report.longreprtext)
    return int(found[-1]) if found else None


def pytest_runtest_logreport(report):
    _write(
        {
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "xfail": hasattr(report, "wasxfail"),
            "message": _message(report)[:6000] if not report.passed else "",
            "line": _line(report) if report.failed else None,
        }
    )


def pytest_collectreport(report):
    if report.failed:
        _write({"nodeid": report.nodeid, "collect_error": report.longreprtext[-6000:]})


def pytest_internalerror(excrepr):
    _write({"internalerror": str(excrepr)[-6000:]})
'''

_NODE_ID = re.compile(
    r"^(?P<file>.+?\.md)::(?:(?P<combination>[^:]+)::)?line:(?P<line>\d+)(?:,column:(?P<column>\d+))?$"
)
# Sybil's own directive regions, as its lexer finds them: items there, not here.
_SYBIL_DIRECTIVE = re.compile(r"[ \t]*<!--+\s*(?:;\s*)?(?:skip|clear-namespace)\b")
_DOCTEST_LINE = re.compile(r"[ \t>]*>>>")
_FENCE = re.compile(r"(?P<prefix>[ \t>]*(?:(?:[-*+]|\d+[.)])[ \t]+)?)(?:`{3,}|~{3,})")
_DOCTEST_PARSE_ERROR = re.compile(r"lacks blank after|inconsistent leading whitespace")
_DIRECTIVE_FAILED = re.compile(r"\.md:(?P<line>\d+) \[[^]]*\]: this directive failed")
_AXIS_NAMES = re.compile(r"\b(device|dtype|autocast)\b")

LINE_DRIFT = "Sybil's line for a doctest in an indented or quoted block drifts; ours is its >>>"
TOLERANCE = "our checker: float digits, whitespace runs, unwritten dtype=/device= keywords"
NAMESPACE = "our namespace holds device, dtype and autocast (after clear-namespace too)"
SEEDED = "we seed random, NumPy and torch with 0 at the start of every sheet"
DIRECTIVE = "a failing directive fails the next example at the directive's line (not an item)"
MALFORMED = "a malformed doctest fails only its block; Sybil cannot collect the file"
LANGUAGES = "we run py, python3, pycon and Python blocks too; Sybil runs only ```python"
ILLUSTRATION = "code inside a fenced block that is not Python (````markdown) is text, not run"
SKIP_STATE = "after a failing skip condition Sybil runs no later example; ours resets the skip"


# --------------------------------------------------------------------------- fetching


def download(
    packages: Iterable[tuple[str, str, bool]], into: Path, log: Callable[[str], None]
) -> None:
    """``pip download`` each package's sdist (its build dependencies may come as wheels)."""
    into.mkdir(parents=True, exist_ok=True)
    for name, version, _ in packages:
        log(f"downloading the sdist of {name}=={version}")
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        subprocess.run(
            [*pip, "--no-binary", name, "--dest", str(into), f"{name}=={version}"],
            check=True,
            timeout=DOWNLOAD_TIMEOUT,
        )


def install(
    packages: Sequence[tuple[str, str, bool]], site: Path, log: Callable[[str], None]
) -> bool:
    """Install the packages' wheels (and dependencies where asked) into ``site``; False when
    pip fails."""
    log(f"installing {len(packages)} packages into {site}")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(site)]
    ok = True
    for with_deps in (True, False):
        chosen = [f"{name}=={version}" for name, version, deps in packages if deps == with_deps]
        if chosen:
            flags = [] if with_deps else ["--no-deps"]
            done = subprocess.run([*pip, *flags, *chosen], check=False, timeout=DOWNLOAD_TIMEOUT)
            ok = ok and done.returncode == 0
    return ok


def sdist_of(name: str, version: str, folder: Path) -> Path:
    stem = re.sub(r"[-_.]+", "_", name).lower()
    for path in folder.iterdir():
        if path.name.lower().replace("-", "_").startswith(f"{stem}_{version}."):
            return path
    raise FileNotFoundError(f"no sdist of {name}=={version} in {folder}")


def markdown_members(sdist: Path) -> Iterable[tuple[PurePosixPath, bytes]]:
    """(path inside the package, bytes) of every .md file in a .tar.gz or .zip sdist."""
    if sdist.name.endswith(".zip"):
        with zipfile.ZipFile(sdist) as archive:
            for info in archive.infolist():
                if info.filename.lower().endswith(".md") and not info.is_dir():
                    yield _inner(info.filename), archive.read(info)
        return
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.lower().endswith(".md"):
                extracted = archive.extractfile(member)
                if extracted is not None:
                    yield _inner(member.name), extracted.read()


def _inner(name: str) -> PurePosixPath:
    """The path below the sdist's top folder, with nothing that could climb out of it."""
    parts = [part for part in PurePosixPath(name).parts[1:] if part not in ("", ".", "..")]
    return PurePosixPath(*parts)


# --------------------------------------------------------------------------- running


def write_projects(
    root: Path, files: dict[PurePosixPath, bytes], site: Sequence[Path] = ()
) -> dict[str, Path]:
    """The same Markdown under md/ of two pytest projects, ``sybil`` and ``cheatsheet``."""
    projects = {}
    for tool, ini, conftest in (
        ("sybil", "[pytest]\n", SYBIL_CONFTEST),
        ("cheatsheet", CHEATSHEET_INI, CHEATSHEET_CONFTEST),
    ):
        project = root / tool
        for inner, data in files.items():
            path = project / "md" / inner
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (project / "pytest.ini").write_text(ini, encoding="utf-8")
        paths = repr([str(path) for path in site])
        (project / "conftest.py").write_text(conftest.format(site=paths), encoding="utf-8")
        (project / f"{OUTCOMES_MODULE}.py").write_text(OUTCOMES_PLUGIN, encoding="utf-8")
        projects[tool] = project
    return projects


def pytest_arguments(tool: str) -> list[str]:
    """What both runs pass to pytest, from the project's folder; the tool's own switch last."""
    common = ["-p", "no:cacheprovider", "-p", OUTCOMES_MODULE, "--continue-on-collection-errors"]
    # Real pages assign `device` ("cuda" if available else "cpu"): a warning, not an error here.
    warned = ["-W", "default::pytest_cheatsheet.readers.CheatsheetWarning"]
    own = ["-p", "no:cheatsheet"] if tool == "sybil" else ["--cheatsheet-devices=cpu", *warned]
    return [*common, *own, "-q", "md"]


@dataclass(frozen=True)
class Result:
    """What became of one item: its id's line (and Sybil's column), its outcome, the message and
    the Markdown line a failure points at, when it names one."""

    line: int
    column: int
    outcome: str
    message: str = ""
    failure_line: int | None = None


@dataclass
class Run:
    """One pytest over one project's Markdown, with one tool."""

    tool: str
    returncode: int | None = None  # None: timed out
    seconds: float = 0.0
    records: list[dict[str, object]] = field(default_factory=list)
    output: str = ""

    @classmethod
    def from_outcomes(cls, tool: str, returncode: int | None, outcomes: Path) -> Run:
        run = cls(tool, returncode)
        if outcomes.exists():
            text = outcomes.read_text(encoding="utf-8")
            run.records = [json.loads(line) for line in text.splitlines() if line]
        return run

    @property
    def internal_errors(self) -> list[str]:
        return [str(r["internalerror"]) for r in self.records if "internalerror" in r]

    @property
    def collect_errors(self) -> dict[str, str]:
        return {
            str(r["nodeid"]): str(r["collect_error"]) for r in self.records if "collect_error" in r
        }

    def results(self) -> dict[str, list[Result]]:
        """file -> its items' results in file order: the call's result, or the set-up's or
        teardown's when they do not pass (``error`` when they fail)."""
        by_id: dict[str, tuple[str, Result]] = {}
        for record in self.records:
            match = _NODE_ID.match(str(record.get("nodeid", "")))
            if match is None or "when" not in record:
                continue
            outcome = str(record["outcome"])
            if record["xfail"]:
                outcome = "xfailed" if outcome == "skipped" else "xpassed"
            if record["when"] != "call" and outcome == "failed":
                outcome = "error"
            if record["when"] != "call" and outcome == "passed":
                continue
            line = record["line"]
            result = Result(
                int(match["line"]),
                int(match["column"] or 0),
                outcome,
                str(record["message"]),
                line if isinstance(line, int) else None,
            )
            previous = by_id.get(str(record["nodeid"]))
            if previous is None or previous[1].outcome in ("passed", "skipped"):
                by_id[str(record["nodeid"])] = (match["file"], result)
        files: dict[str, list[Result]] = {}
        for file, result in by_id.values():
            files.setdefault(file, []).append(result)
        for results in files.values():
            results.sort(key=lambda result: (result.line, result.column))
        return files


def environment(outcomes: Path) -> dict[str, str]:
    """This environment without what would change how pytest runs, and the outcomes file."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PYTEST_") and name != "PYTHONPATH"
    }
    env.update(REALWORLD_OUTCOMES=str(outcomes), PYTHONDONTWRITEBYTECODE="1", COLUMNS="120")
    return env


def run_pytest(tool: str, project: Path) -> Run:
    outcomes = project / "outcomes.jsonl"
    outcomes.unlink(missing_ok=True)
    started = time.perf_counter()
    returncode, output = None, ""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_arguments(tool)],
            cwd=project,
            env=environment(outcomes),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=RUN_TIMEOUT,
            check=False,
        )
        returncode, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        output = f"timed out after {RUN_TIMEOUT} s"
    run = Run.from_outcomes(tool, returncode, outcomes)
    run.seconds, run.output = time.perf_counter() - started, output
    return run


# --------------------------------------------------------------------------- comparing


@dataclass
class Difference:
    """An example whose outcome or line differs, or that only one tool has; ``reason`` is the
    explanation of design it was put down to ("" when none fits)."""

    file: str
    sybil: Result | None
    ours: Result | None
    reason: str = ""

    @property
    def line(self) -> int:
        result = self.ours or self.sybil
        return result.line if result is not None else 0

    def describe(self) -> str:
        def side(name: str, result: Result | None) -> str:
            if result is None:
                return f"{name}: (no item)"
            at = f", fails at line {result.failure_line}" if result.failure_line else ""
            message = f" -- {summary(result.message)}" if result.message else ""
            return f"{name}: line {result.line} {result.outcome}{at}{message}"

        return (
            f"{self.file}:{self.line} [{self.reason or 'UNEXPLAINED'}]\n"
            f"    {side('sybil', self.sybil)}\n    {side('cheatsheet', self.ours)}"
        )


def summary(message: str, width: int = 240) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    text = " | ".join(lines[:8])
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclass
class Comparison:
    name: str
    files: int = 0
    files_with_examples: int = 0
    examples: int = 0
    directives: int = 0  # Sybil's skip and clear-namespace items, which are not ours
    same: int = 0
    collect_errors: int = 0  # files neither tool could collect (the same outcome)
    outcomes: Counter[str] = field(default_factory=Counter)
    differences: list[Difference] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def explained(self) -> int:
        return sum(1 for difference in self.differences if difference.reason)

    @property
    def unexplained(self) -> list[Difference]:
        return [difference for difference in self.differences if not difference.reason]

    def add(self, other: Comparison) -> None:
        for name in ("files", "files_with_examples", "examples", "directives", "same"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.collect_errors += other.collect_errors
        self.outcomes.update(other.outcomes)
        self.differences += other.differences
        self.crashes += other.crashes
        for tool, seconds in other.seconds.items():
            self.seconds[tool] = self.seconds.get(tool, 0.0) + seconds


class _Sheet:
    """A compared file's text, by line."""

    def __init__(self, path: Path) -> None:
        self.text = path.read_text(encoding="utf-8-sig", errors="replace")
        self.text = self.text.replace("\r\n", "\n").replace("\r", "\n")
        self.starts = [0] + [match.end() for match in re.finditer("\n", self.text)]

    def line(self, number: int) -> str:
        start = self.starts[number - 1] if 0 < number <= len(self.starts) else len(self.text)
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]

    def indented_block_start(self, number: int) -> int | None:
        """The line of the fence opening an indented, quoted or listed block that holds line
        ``number``; None when that block (or none) starts at the margin."""
        for candidate in range(number - 1, 0, -1):
            fence = _FENCE.match(self.line(candidate))
            if fence is not None:
                return candidate if fence["prefix"] else None
        return None

    def block_language(self, number: int) -> str | None:
        """The info string's first word of the fenced block holding line ``number``."""
        for candidate in range(number - 1, 0, -1):
            text = self.line(candidate)
            fence = _FENCE.match(text)
            if fence is not None:
                words = text[fence.end() :].split()
                return words[0] if words else ""
        return None

    def in_illustration(self, number: int) -> bool:
        """Whether line ``number`` lies inside a fenced block whose language is not Python."""
        from pytest_cheatsheet.seam import fenced_blocks

        start = self.starts[number - 1] if 0 < number <= len(self.starts) else len(self.text)
        return any(
            begin < start < end and info.split()[:1] != ["python"]
            for begin, end, info in fenced_blocks(self.text)
        )

    def is_sybil_directive(self, number: int) -> bool:
        start = self.starts[number - 1] if 0 < number <= len(self.starts) else len(self.text)
        return _SYBIL_DIRECTIVE.match(self.text, start) is not None


def compare(name: str, project: Path, sybil: Run, ours: Run, files: int = 0) -> Comparison:
    """Compare the two runs over ``project``'s files (``project`` holds the Markdown)."""
    comparison = Comparison(name, files=files)
    comparison.seconds = {"sybil": sybil.seconds, "cheatsheet": ours.seconds}
    for run in (sybil, ours):
        if run.returncode is None:
            comparison.crashes.append(f"{run.tool}: timed out")
        elif run.returncode not in (0, 1, 5):  # 5: nothing collected
            comparison.crashes.append(f"{run.tool}: exit status {run.returncode}")
        if "INTERNALERROR" in run.output or run.internal_errors:
            comparison.crashes.append(f"{run.tool}: INTERNALERROR {run.internal_errors[-1:]}")
    sybil_errors, our_errors = sybil.collect_errors, ours.collect_errors
    comparison.collect_errors = len(set(sybil_errors) & set(our_errors))
    theirs, mine = sybil.results(), ours.results()
    for nodeid in sorted(set(sybil_errors) ^ set(our_errors)):
        if nodeid in sybil_errors and _DOCTEST_PARSE_ERROR.search(sybil_errors[nodeid]):
            for result in mine.get(nodeid, []):
                comparison.examples += 1
                comparison.outcomes[result.outcome] += 1
                comparison.differences.append(Difference(nodeid, None, result, MALFORMED))
            mine.pop(nodeid, None)
            continue
        tool = "sybil" if nodeid in sybil_errors else "cheatsheet"
        message = (sybil_errors if tool == "sybil" else our_errors)[nodeid]
        comparison.crashes.append(f"{tool}: collection error in {nodeid}: {summary(message)}")
    comparison.files_with_examples = len(theirs.keys() | mine.keys())
    for file in sorted(theirs.keys() | mine.keys()):
        _compare_file(
            comparison, file, _Sheet(project / file), theirs.get(file, []), mine.get(file, [])
        )
    return comparison


def _compare_file(
    comparison: Comparison, file: str, sheet: _Sheet, theirs: list[Result], mine: list[Result]
) -> None:
    directives: list[Result] = []
    examples: list[Result] = []
    our_lines = {result.line for result in mine}
    for result in theirs:
        is_directive = sheet.is_sybil_directive(result.line) and result.line not in our_lines
        (directives if is_directive else examples).append(result)
    comparison.directives += len(directives)
    failed_directives = {result.line for result in directives if result.outcome == "failed"}
    first_failure = min(failed_directives, default=None)
    reported_directives = set()
    for sybil_result, our_result in _pairs(examples, mine):
        comparison.examples += 1
        if our_result is not None:
            comparison.outcomes[our_result.outcome] += 1
            match = _DIRECTIVE_FAILED.search(our_result.message)
            if match is not None:
                reported_directives.add(int(match["line"]))
        if _agree(sybil_result, our_result):
            comparison.same += 1
            continue
        difference = Difference(file, sybil_result, our_result)
        difference.reason = _explain(difference, sheet, failed_directives)
        if not difference.reason and _after_failed_skip(sybil_result, first_failure):
            difference.reason = SKIP_STATE
        comparison.differences.append(difference)
    for line in sorted(failed_directives - reported_directives):
        failed = next(result for result in directives if result.line == line)
        difference = Difference(file, failed, None)
        if "cannot follow" in failed.message and _after_failed_skip(failed, first_failure):
            difference.reason = SKIP_STATE
        comparison.differences.append(difference)


def _after_failed_skip(sybil: Result | None, first_failure: int | None) -> bool:
    """Whether Sybil's result comes after one of its skip directives failed, which leaves its
    skipper installed: every later example passes unrun, every later skip fails."""
    if sybil is None or first_failure is None or sybil.line <= first_failure:
        return False
    return sybil.outcome == "passed" or "cannot follow" in sybil.message


def _pairs(theirs: list[Result], mine: list[Result]) -> list[tuple[Result | None, Result | None]]:
    """The two tools' examples of one file side by side: in file order when both found as many,
    else by line."""
    if len(theirs) == len(mine):
        return list(zip(theirs, mine, strict=True))
    ours_by_line = {result.line: result for result in mine}
    pairs: list[tuple[Result | None, Result | None]] = [
        (result, ours_by_line.pop(result.line, None)) for result in theirs
    ]
    pairs += [(None, result) for result in ours_by_line.values()]
    return sorted(pairs, key=lambda pair: next(r.line for r in pair if r is not None))


def _agree(sybil: Result | None, ours: Result | None) -> bool:
    if sybil is None or ours is None:
        return False
    lines = (sybil.failure_line, ours.failure_line)
    return (
        sybil.outcome == ours.outcome
        and sybil.line == ours.line
        and (None in lines or lines[0] == lines[1])
    )


def _explain(difference: Difference, sheet: _Sheet, failed_directives: set[int]) -> str:
    """The reason of design behind a difference, or "" when none fits."""
    sybil, ours = difference.sybil, difference.ours
    if sybil is None and ours is not None and sheet.block_language(ours.line) != "python":
        return LANGUAGES
    if ours is None and sybil is not None and sheet.in_illustration(sybil.line):
        return ILLUSTRATION
    if sybil is None or ours is None:
        return ""
    reasons = []
    if sybil.line != ours.line:
        block = sheet.indented_block_start(ours.line)
        drifted = block is not None and block < sybil.line < ours.line
        if not (drifted and _DOCTEST_LINE.match(sheet.line(ours.line))):
            return ""
        reasons.append(LINE_DRIFT)
    if sybil.outcome != ours.outcome:
        reason = _explain_outcome(sybil, ours, sheet, failed_directives)
        if not reason:
            return ""
        reasons.append(reason)
    elif sybil.failure_line != ours.failure_line:
        return ""
    return "; ".join(reasons)


def _explain_outcome(
    sybil: Result, ours: Result, sheet: _Sheet, failed_directives: set[int]
) -> str:
    if sybil.outcome == "passed" and ours.outcome == "failed":
        match = _DIRECTIVE_FAILED.search(ours.message)
        if match is not None and int(match["line"]) in failed_directives:
            return DIRECTIVE
        return ""
    if sybil.outcome != "failed" or ours.outcome != "passed":
        return ""
    if _checker_accepts(sybil.message):
        return TOLERANCE
    if "NameError" in sybil.message and _AXIS_NAMES.search(sybil.message.split("NameError")[-1]):
        return NAMESPACE
    outputs = doctest_outputs(sybil.message)
    if outputs is not None and _AXIS_NAMES.search(outputs[0]):
        return NAMESPACE
    if re.search(r"\brand", sheet.line(ours.line)):
        return SEEDED
    return ""


def doctest_outputs(message: str) -> tuple[str, str] | None:
    """(expected, got) from doctest's report of a differing output, or None."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in message.split("\n"):
        if line in ("Expected:", "Got:"):
            current = sections[line[:-1]] = []
        elif line in ("Expected nothing", "Got nothing"):
            sections[line.split()[0]], current = [], None
        elif current is not None and (line.startswith("    ") or not line):
            current.append(line[4:])
        else:
            current = None
    if "Expected" not in sections or "Got" not in sections:
        return None
    want, got = ("\n".join(sections[name]).strip("\n") for name in ("Expected", "Got"))
    return (want + "\n" if want else ""), (got + "\n" if got else "")


def _checker_accepts(message: str) -> bool:
    """Whether our output checker (as on a written combination, no flags) accepts what Sybil's
    doctest rejected."""
    outputs = doctest_outputs(message)
    if outputs is None:
        return False
    from pytest_cheatsheet.checker import TensorOutputChecker

    want, got = outputs
    checker = TensorOutputChecker()
    return bool(checker.check_output(want, got, 0))


def table(comparisons: Sequence[Comparison]) -> str:
    columns = (
        ("package", 16),
        ("files", 6),
        ("w/ ex", 6),
        ("examples", 9),
        ("directives", 11),
        ("same", 6),
        ("differ", 7),
        ("expl.", 6),
        ("both err", 9),
        ("crashes", 8),
        ("sybil s", 8),
        ("ours s", 8),
    )
    header = "".join(
        f"{name:<{width}}" if i == 0 else f"{name:>{width}}"
        for i, (name, width) in enumerate(columns)
    )
    rows = [header, "-" * len(header)]
    total = Comparison("total")
    for comparison in [*comparisons, total]:
        if comparison is total:
            rows.append("-" * len(header))
        else:
            total.add(comparison)
        c = comparison
        values = (
            c.name,
            c.files,
            c.files_with_examples,
            c.examples,
            c.directives,
            c.same,
            len(c.differences),
            c.explained,
            c.collect_errors,
            len(c.crashes),
            f"{c.seconds.get('sybil', 0.0):.1f}",
            f"{c.seconds.get('cheatsheet', 0.0):.1f}",
        )
        rows.append(
            "".join(
                f"{value:<{width}}" if i == 0 else f"{value:>{width}}"
                for i, ((_, width), value) in enumerate(zip(columns, values, strict=True))
            )
        )
    outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(total.outcomes.items()))
    rows.append(f"our outcomes: {outcomes}")
    return "\n".join(rows)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it")
    parser.add_argument(
        "--no-install", action="store_true", help="do not install the packages the docs import"
    )
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these packages")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the differences here")
    args = parser.parse_args(argv)
    packages = [package for package in PACKAGES if not args.only or package[0] in args.only]

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cheatsheet-realworld-") as temporary:
        root = args.keep.resolve() if args.keep else Path(temporary)
        sdists, site = root / "sdists", root / "site"
        download(packages, sdists, log)
        site.mkdir(parents=True, exist_ok=True)
        if not args.no_install and not any(site.iterdir()) and not install(packages, site, log):
            log("warning: installing the packages failed; their examples will fail to import")
        comparisons = []
        for name, version, _ in packages:
            files = dict(markdown_members(sdist_of(name, version, sdists)))
            projects = write_projects(root / "projects" / name, files, [site])
            log(f"{name}: {len(files)} Markdown files; running bare Sybil and pytest-cheatsheet")
            sybil = run_pytest("sybil", projects["sybil"])
            ours = run_pytest("cheatsheet", projects["cheatsheet"])
            comparisons.append(compare(name, projects["sybil"], sybil, ours, len(files)))
    elapsed = time.perf_counter() - started
    print(f"Real-world Markdown: bare Sybil vs pytest-cheatsheet ({elapsed:.0f} s in all)")
    print(table(comparisons))
    for comparison in comparisons:
        for crash in comparison.crashes:
            print(f"CRASH {comparison.name}: {crash}")
    differences = [d for c in comparisons for d in c.differences]
    for reason in sorted({d.reason for d in differences}, key=lambda r: (r != "", r)):
        chosen = [d for d in differences if d.reason == reason]
        print(f"\n{len(chosen)} differences: {reason or 'UNEXPLAINED'}")
        for difference in chosen:
            print(textwrap.indent(difference.describe(), "  "))
    if args.json:
        report = {
            "differences": [dataclasses.asdict(d) for d in differences],
            "crashes": {c.name: c.crashes for c in comparisons if c.crashes},
        }
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    unexplained = any(c.unexplained for c in comparisons)
    return 1 if unexplained or any(c.crashes for c in comparisons) else 0


if __name__ == "__main__":
    sys.exit(main())
