"""Markdown written like public tutorials runs under pytest-cheatsheet as under bare Sybil.

The fixtures in tests/realworld/ (IPython magics, intentional errors, untagged output blocks,
``pycon``/``py``/``python3`` blocks, ``In [1]:`` prompts, nested lists, HTML comments, tables,
front matter, very long lines) run in process through bare Sybil's pytest integration
(``-p no:cheatsheet``) and through the plugin; benchmarks/realworld.py, which does the same for
the Markdown of real packages, pairs their examples in file order and puts each difference down
to a reason of design. Every difference a fixture shows is listed here with its reason.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from conftest import load_benchmark

FIXTURES = Path(__file__).resolve().parent / "realworld"


realworld = load_benchmark("realworld")

# What the plugin reports for each fixture: the fixtures fail where their authors meant them to.
OUR_OUTCOMES: dict[str, dict[str, int]] = {
    "by_design.md": {"passed": 8, "failed": 1},
    "data_science_tutorial.md": {"passed": 13, "failed": 9},
    "directive_errors.md": {"failed": 1, "skipped": 1, "passed": 1},
    "exercises.md": {"passed": 21, "failed": 4},
    "include_markers.md": {},
    "malformed_doctest.md": {"passed": 1, "failed": 1},
    "markdown_oddities.md": {"passed": 12, "failed": 1},
    "pytorch_quickstart.md": {"passed": 12, "failed": 3},
    "unclosed_comment.md": {},
}
# Where the outcome or line differs from bare Sybil's, by design: {(our line, reason)}.
DIFFERENCES: dict[str, set[tuple[int, str]]] = {
    "by_design.md": {
        (6, realworld.TOLERANCE),  # 0.30000000000000004 printed, 0.3 written
        (11, realworld.TOLERANCE),  # runs of whitespace
        (22, realworld.NAMESPACE),  # `device` is defined
        (28, realworld.SEEDED),  # random.random() after seeding with 0
        (41, realworld.NAMESPACE),  # clear-namespace keeps device, dtype and autocast
    },
    "directive_errors.md": {
        (8, realworld.DIRECTIVE),
        (14, realworld.SKIP_STATE),
        (17, realworld.SKIP_STATE),
    },
    # pycon, py and python3 blocks that fail on purpose; Python and attributed blocks that pass.
    "data_science_tutorial.md": {(line, realworld.LANGUAGES) for line in (141, 145, 150)},
    "exercises.md": {(line, realworld.LINE_DRIFT) for line in (54, 67, 69, 71, 85, 87, 88)},
    "malformed_doctest.md": {(6, realworld.MALFORMED), (13, realworld.MALFORMED)},
    "markdown_oddities.md": {
        (28, realworld.ILLUSTRATION),  # a ````markdown block's example
        (51, realworld.LANGUAGES),  # Python and attributed blocks that pass
        (55, realworld.LANGUAGES),
    },
}
# Pages neither tool can collect (Sybil's lexer cannot find where a comment ends).
NEITHER_COLLECTS = {"include_markers.md", "unclosed_comment.md"}
# A fixture that shows a bug, with its own test below.
TRAILING_DIRECTIVE = "directive_last.md"


def run_both(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes]
) -> Any:
    """Run ``files`` through bare Sybil and through the plugin; their comparison."""
    projects = realworld.write_projects(
        pytester.path, {PurePosixPath(name): data for name, data in files.items()}
    )
    runs = {}
    for tool, project in projects.items():
        outcomes = project / "outcomes.jsonl"
        monkeypatch.setenv("REALWORLD_OUTCOMES", str(outcomes))
        monkeypatch.chdir(project)
        monkeypatch.syspath_prepend(project)
        recorder = pytester.inline_run(*realworld.pytest_arguments(tool))
        returncode = int(recorder.ret) if recorder.ret is not None else None
        runs[tool] = realworld.Run.from_outcomes(tool, returncode, outcomes)
    return realworld.compare("fixtures", projects["sybil"], runs["sybil"], runs["cheatsheet"])


def _assert_as_bare_sybil(name: str, comparison: Any) -> None:
    assert comparison.crashes == []
    differences = "\n".join(d.describe() for d in comparison.differences)
    assert {(d.line, d.reason) for d in comparison.differences} == DIFFERENCES.get(name, set()), (
        differences
    )
    assert comparison.collect_errors == (1 if name in NEITHER_COLLECTS else 0)
    assert dict(comparison.outcomes) == OUR_OUTCOMES[name]


@pytest.mark.parametrize("name", sorted(OUR_OUTCOMES))
def test_a_fixture_fails_passes_and_skips_where_bare_sybil_does_or_a_listed_reason_says(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    comparison = run_both(pytester, monkeypatch, {name: (FIXTURES / name).read_bytes()})
    _assert_as_bare_sybil(name, comparison)


def test_every_fixture_is_listed() -> None:
    assert {path.name for path in FIXTURES.glob("*.md")} == {*OUR_OUTCOMES, TRAILING_DIRECTIVE}


def test_a_failing_skip_directive_after_the_last_example_is_reported(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    comparison = run_both(
        pytester, monkeypatch, {TRAILING_DIRECTIVE: (FIXTURES / TRAILING_DIRECTIVE).read_bytes()}
    )
    assert comparison.crashes == []
    assert comparison.unexplained == [], "\n".join(d.describe() for d in comparison.unexplained)


@pytest.mark.parametrize("name", ["exercises.md", "data_science_tutorial.md"])
def test_windows_line_endings_and_a_bom_change_no_outcome_and_no_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    data = ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")
    comparison = run_both(pytester, monkeypatch, {name: data})
    _assert_as_bare_sybil(name, comparison)


def test_several_pages_in_one_run_compare_as_they_do_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["exercises.md", "markdown_oddities.md", "pytorch_quickstart.md"]
    files = {
        f"part{number}/{name}": (FIXTURES / name).read_bytes() for number, name in enumerate(names)
    }
    comparison = run_both(pytester, monkeypatch, files)
    assert comparison.crashes == []
    assert {d.reason for d in comparison.differences} == {
        realworld.LINE_DRIFT,
        realworld.ILLUSTRATION,
        realworld.LANGUAGES,
    }
    expected: Counter[str] = Counter()
    for name in names:
        expected.update(OUR_OUTCOMES[name])
    assert comparison.outcomes == expected


# --------------------------------------------------------------------------- the comparison


def _run(tool: str, items: list[tuple[str, str, str, int | None]]) -> Any:
    """A run from (node id, outcome, message, failure line) of call reports."""
    records: list[dict[str, object]] = [
        {"nodeid": nodeid, "when": "call", "outcome": outcome, "xfail": False}
        | {"message": message, "line": line}
        for nodeid, outcome, message, line in items
    ]
    return realworld.Run(tool, 1, records=records)


def _compare(tmp_path: Path, text: str, sybil: Any, ours: Any) -> Any:
    (tmp_path / "md").mkdir()
    (tmp_path / "md" / "a.md").write_text(text, encoding="utf-8")
    return realworld.compare("unit", tmp_path, sybil, ours)


def test_the_comparison_calls_an_other_outcome_or_failure_line_unexplained(tmp_path: Path) -> None:
    text = "```python\n>>> 1\n1\n>>> 2\n2\n>>> x = 1\n```\n"
    sybil = _run(
        "sybil",
        [
            ("md/a.md::line:2,column:1", "passed", "", None),
            ("md/a.md::line:4,column:1", "failed", "ZeroDivisionError", 4),
            ("md/a.md::line:6,column:1", "passed", "", None),
        ],
    )
    ours = _run(
        "cheatsheet",
        [
            ("md/a.md::any::line:2", "failed", "NameError", None),
            ("md/a.md::any::line:4", "failed", "ZeroDivisionError", 5),
            ("md/a.md::any::line:6", "passed", "", None),
        ],
    )
    comparison = _compare(tmp_path, text, sybil, ours)
    assert [(d.line, d.reason) for d in comparison.differences] == [(2, ""), (4, "")]
    assert comparison.same == 1


def test_the_comparison_counts_sybil_directives_apart_and_reports_crashes(tmp_path: Path) -> None:
    text = "<!-- skip: next -->\n\n```python\n>>> 1\n1\n```\n"
    sybil = _run(
        "sybil",
        [
            ("md/a.md::line:1,column:1", "passed", "", None),
            ("md/a.md::line:4,column:1", "passed", "", None),
        ],
    )
    ours = _run("cheatsheet", [("md/a.md::any::line:4", "passed", "", None)])
    ours.returncode = 3
    ours.records.append({"internalerror": "boom"})
    comparison = _compare(tmp_path, text, sybil, ours)
    assert (comparison.directives, comparison.examples, comparison.same) == (1, 1, 1)
    assert comparison.differences == []
    assert comparison.crashes == ["cheatsheet: exit status 3", "cheatsheet: INTERNALERROR ['boom']"]


@pytest.mark.parametrize(
    ("want", "got", "accepted"),
    [
        ("0.3\n", "0.30000000000000004\n", True),
        ("tensor([2., 4.])\n", "tensor([2., 4.], grad_fn=<MulBackward0>)\n", True),
        # an unwritten dtype= fails on the written combination, as in bare Sybil
        ("tensor([1.5000])\n", "tensor([1.5000], dtype=torch.float64)\n", False),
        ("3\n", "4\n", False),
        ("", "something\n", False),
    ],
)
def test_checker_tolerance_is_claimed_only_where_our_checker_accepts(
    want: str, got: str, accepted: bool
) -> None:
    def indent(text: str) -> str:
        return "".join(f"    {line}\n" for line in text.splitlines())

    expected = f"Expected:\n{indent(want)}" if want else "Expected nothing\n"
    message = (
        f"Example at a.md, line 2 did not evaluate as expected:\n{expected}Got:\n{indent(got)}"
    )
    message += "\na.md:2: SybilFailure"
    assert realworld.doctest_outputs(message) == (want, got)
    assert realworld._checker_accepts(message) is accepted
