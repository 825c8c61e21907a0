"""Markdown written like public tutorials: what bare Sybil and the plugin do with each line.

The fixtures in tests/realworld/ (IPython magics, intentional errors, untagged output blocks,
``pycon``/``py``/``python3`` blocks, ``In [1]:`` prompts, nested lists, HTML comments, tables,
front matter, very long lines) run in process through bare Sybil's documented pytest integration
(``-p no:cheatsheet``) and through the plugin (``--cheatsheet-devices=cpu``). TABLES holds, for
each fixture, one row per line where either tool has an item: the line, Sybil's outcome, ours,
and where they differ the reason of design (a key of REASONS). ``-`` is no item at that line;
line 0 is the file itself (``error``: it cannot be collected). The plugin's lines are its
examples', each with its own outcome, whether an item is a block (the default) or an example.

To regenerate a table after a deliberate change: run this file; a failing test prints the
observed table (reasons carried over, ``?`` where a new difference needs one) to paste in.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from pytest_cheatsheet.summary import example_properties, example_results, outcome_of

FIXTURES = Path(__file__).resolve().parent / "realworld"
SYBIL_CONFTEST = """\
from sybil import Sybil
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser

pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser(), ClearNamespaceParser()], patterns=["*.md"]
).pytest()
"""
ARGUMENTS = {
    "sybil": ["-p", "no:cheatsheet"],
    # Real pages assign `device` ("cuda" if available else "cpu"): a warning, not an error here.
    "plugin": [
        "--cheatsheet-devices=cpu",
        "-W",
        "default::pytest_cheatsheet.CheatsheetWarning",
    ],
}
_NODE_ID = re.compile(r"^md/(?P<file>.+?\.md)::(?:[^:]+::)?line:(?P<line>\d+)(?:,column:\d+)?$")

REASONS = {
    "tolerance": "our checker accepts float digits, whitespace runs, unwritten dtype=/device=",
    "namespace": "our namespace holds device, dtype and autocast (after clear-namespace too)",
    "seeded": "we seed random, NumPy and torch with 0 at the start of every sheet",
    "directive": "a failing directive fails the next example (or the last) and names its own line",
    "directive-item": "Sybil's skip and clear-namespace directives are items; ours are not",
    "skip-state": "after a failing skip condition Sybil runs no later example; we reset the skip",
    "languages": "we run py, python3, pycon and Python blocks too; Sybil runs only ```python",
    "line-drift": "Sybil's line for a doctest in an indented or quoted block drifts; ours is >>>'s",
    "malformed": "a malformed doctest fails only its block; Sybil cannot collect the file",
    "illustration": "code inside a fenced block that is not Python (````markdown) is text, not run",
    "skip-no-reason": "a skip without a reason skips, naming its line; Sybil counts it passed",
}

# line, bare Sybil's outcome, the plugin's, the reason where they differ
TABLES = {
    "by_design.md": """
           6 failed   failed
          11 failed   passed   tolerance
          16 passed   passed
          17 failed   failed
          22 failed   passed   namespace
          27 passed   passed
          28 failed   passed   seeded
          32 passed   -        directive-item
          35 passed   skipped  skip-no-reason
          38 passed   -        directive-item
          41 failed   passed   namespace
    """,
    "data_science_tutorial.md": """
          19 failed   failed
          23 failed   failed
          30 passed   passed
          38 passed   passed
          39 passed   passed
          42 passed   passed
          62 failed   failed
          72 failed   failed
          82 passed   passed
          84 passed   passed
          91 passed   passed
          92 passed   passed
          94 passed   passed
         100 failed   failed
         115 passed   passed
         116 passed   passed
         118 passed   passed
         119 passed   passed
         127 failed   failed
         141 -        failed   languages
         145 -        failed   languages
         150 -        failed   languages
    """,
    "directive_errors.md": """
           5 failed   -        directive-item
           8 passed   failed   directive
          14 failed   -        skip-state
          17 passed   skipped  skip-state
          21 passed   passed
    """,
    "directive_last.md": """
           4 passed   failed   directive
           8 failed   -        directive-item
    """,
    "exercises.md": """
          11 passed   passed
          19 passed   passed
          29 passed   passed
          36 failed   failed
          43 passed   passed
          52 passed   passed
          53 failed   -        line-drift
          54 -        failed   line-drift
          66 passed   passed
          67 -        passed   line-drift
          68 passed   -        line-drift
          69 -        passed   line-drift
          70 passed   -        line-drift
          71 -        passed   line-drift
          81 passed   passed
          83 passed   -        line-drift
          85 -        passed   line-drift
          86 passed   -        line-drift
          87 passed   passed
          88 -        passed   line-drift
          94 failed   failed
         105 failed   failed
         111 passed   passed
         121 passed   passed
         127 passed   -        directive-item
         130 passed   skipped  skip-no-reason
         133 passed   passed
         138 passed   passed
         142 passed   -        directive-item
         144 passed   skipped  skip-no-reason
         149 passed   skipped  skip-no-reason
         153 passed   -        directive-item
         155 passed   -        directive-item
         158 passed   passed
    """,
    "include_markers.md": """
           0 error    error
    """,
    "malformed_doctest.md": """
           0 error    -        malformed
           6 -        failed   malformed
          13 -        passed   malformed
    """,
    "markdown_oddities.md": """
           3 failed   failed
          18 passed   passed
          20 passed   passed
          28 passed   -        illustration
          36 passed   passed
          43 passed   passed
          51 -        passed   languages
          55 -        passed   languages
          59 passed   passed
          65 passed   passed
          69 passed   passed
          80 passed   passed
          82 passed   passed
          95 passed   passed
    """,
    "pytorch_quickstart.md": """
           5 failed   failed
          11 passed   passed
          25 passed   passed
          26 passed   passed
          28 passed   passed
          30 passed   passed
          32 passed   passed
          46 passed   passed
          47 passed   passed
          53 passed   passed
          70 passed   passed
          74 passed   passed
          81 passed   passed
          89 failed   failed
          95 failed   failed
    """,
    "unclosed_comment.md": """
           0 error    error
    """,
}


def run(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tool: str,
    files: dict[str, bytes],
    *extra: str,
) -> dict[str, dict[int, str]]:
    """``files`` under md/ of a project of their own, run by ``tool`` (with ``extra``
    arguments): file -> line -> outcome."""
    root = pytester.path / (tool + "-".join(extra))
    for name, data in files.items():
        (root / "md" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "md" / name).write_bytes(data)
    ini = "[pytest]\n" if tool == "sybil" else "[pytest]\ncheatsheet_paths = md\n"
    (root / "pytest.ini").write_text(ini, encoding="utf-8")
    if tool == "sybil":
        (root / "conftest.py").write_text(SYBIL_CONFTEST, encoding="utf-8")
    monkeypatch.chdir(root)
    recorder = pytester.inline_run(
        "-p", "no:cacheprovider", "--continue-on-collection-errors", *ARGUMENTS[tool], *extra, "md"
    )
    found: dict[str, dict[int, set[str]]] = {name: {} for name in files}
    for collected in recorder.getreports("pytest_collectreport"):
        if collected.failed and collected.nodeid.startswith("md/"):
            found[collected.nodeid.removeprefix("md/")].setdefault(0, set()).add("error")
    for report in recorder.getreports("pytest_runtest_logreport"):
        match = _NODE_ID.match(report.nodeid)
        assert match is not None, report.nodeid
        if example_properties(report) is not None:  # the plugin's: each example's own outcome
            item_outcome = outcome_of(report)
            if item_outcome is not None:
                for line, _, each, _ in example_results(report, item_outcome):
                    found[match["file"]].setdefault(line, set()).add(each)
            continue
        outcome: str = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if outcome == "skipped" else "xpassed"
        if report.when != "call":
            if outcome == "passed":
                continue
            outcome = "error" if outcome == "failed" else outcome
        found[match["file"]].setdefault(int(match["line"]), set()).add(outcome)
    return {
        name: {line: "/".join(sorted(seen)) for line, seen in lines.items()}
        for name, lines in found.items()
    }


def parse(table: str) -> dict[int, tuple[str, str, str]]:
    """A table of TABLES as line -> (Sybil's outcome, the plugin's, reason)."""
    rows = {}
    for text in textwrap.dedent(table).strip().splitlines():
        line, sybil, plugin, *reason = text.split(maxsplit=3)
        rows[int(line)] = (sybil, plugin, reason[0] if reason else "")
    return rows


def render(rows: dict[int, tuple[str, str, str]]) -> str:
    """The rows in the form TABLES holds them (without its indentation)."""
    return "\n".join(
        f"{line:4} {sybil:8} {plugin:8} {reason}".rstrip()
        for line, (sybil, plugin, reason) in sorted(rows.items())
    )


def observed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes]
) -> dict[str, str]:
    """The table of each of ``files`` as observed, with the reasons TABLES gives its lines."""
    sybil = run(pytester, monkeypatch, "sybil", files)
    plugin = run(pytester, monkeypatch, "plugin", files)
    tables = {}
    for name in files:
        expected = parse(TABLES.get(Path(name).name, ""))
        rows = {}
        for line in sorted(sybil[name].keys() | plugin[name].keys()):
            pair = (sybil[name].get(line, "-"), plugin[name].get(line, "-"))
            reason = "" if pair[0] == pair[1] else expected.get(line, ("", "", "?"))[2] or "?"
            rows[line] = (*pair, reason)
        tables[name] = render(rows)
    return tables


def _assert_tables(observed: dict[str, str]) -> None:
    for path, table in observed.items():
        name = Path(path).name
        pasted = textwrap.indent(table, " " * 8)
        assert table == render(parse(TABLES[name])), f"{path} now (for TABLES):\n{pasted}"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("name", sorted(TABLES))
def test_each_line_of_a_fixture_has_the_outcomes_its_table_lists_under_both_tools(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    _assert_tables(observed(pytester, monkeypatch, {name: _fixture(name)}))


def test_every_fixture_has_a_table() -> None:
    assert sorted(TABLES) == sorted(path.name for path in FIXTURES.glob("*.md"))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_difference_and_only_a_difference_has_a_reason_of_design(name: str) -> None:
    for line, (sybil, plugin, reason) in parse(TABLES[name]).items():
        if sybil == plugin:
            assert reason == "", (name, line)
        else:
            assert reason in REASONS, (name, line)


@pytest.mark.parametrize("name", ["exercises.md", "data_science_tutorial.md"])
def test_windows_line_endings_and_a_bom_change_no_outcome_and_no_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    text = _fixture(name).decode("utf-8")
    data = ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")
    _assert_tables(observed(pytester, monkeypatch, {name: data}))


def test_one_item_per_example_gives_each_line_the_outcome_one_item_per_block_gives(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {name: _fixture(name) for name in sorted(TABLES)}
    by_block = run(pytester, monkeypatch, "plugin", files)
    by_example = run(pytester, monkeypatch, "plugin", files, "-o", "cheatsheet_items=example")
    assert by_example == by_block
    assert sum(outcome == "failed" for lines in by_block.values() for outcome in lines.values())


def test_several_pages_in_one_run_have_the_outcomes_they_have_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["exercises.md", "markdown_oddities.md", "pytorch_quickstart.md"]
    files = {f"part{number}/{name}": _fixture(name) for number, name in enumerate(names)}
    _assert_tables(observed(pytester, monkeypatch, files))
