"""The history of claims per run (pytest_cheatsheet.history): recording reports, refusing the ones
that cannot be placed or keyed, and COMPATIBILITY.md (upgrade steps, runs, claims by page)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SheetWriter
from pytest_cheatsheet.history import records as history
from pytest_cheatsheet.history.__main__ import main
from pytest_cheatsheet.history.claims import claims_of
from pytest_cheatsheet.history.render import escape, render
from pytest_cheatsheet.sheet import make_sybil, parse_sheet
from pytest_cheatsheet.truncation import shorten

ROOT = Path(__file__).resolve().parent.parent

SHEET = """
# Sheet

<!-- cheatsheet: devices=cpu dtypes=float32,float64 torch-defaults=on -->

## Adding

```python
>>> 1 + 1
2
>>> 2 + 2
4
```

## Gated

NumPy 2 prints scalars with their type.

<!-- cheatsheet: requires numpy>=2 -->

```python
>>> 3
3
>>> 4
4
```
"""

Outcome = Callable[[int, str], "tuple[str, str] | str"]


class Project:
    """A root with one sheet, schema 3 reports made for its examples (their claims computed as
    collection computes them), and the history command on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.history = root / "cheatsheet" / "history"
        self.table = root / "cheatsheet" / "COMPATIBILITY.md"
        self.write(SHEET)

    def write(self, text: str, name: str = "a.md") -> None:
        path = self.root / "cheatsheet" / "torch" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def examples(self, name: str = "a.md") -> list[tuple[int, str, dict[str, Any]]]:
        path = self.root / "cheatsheet" / "torch" / name
        sheet = parse_sheet(path, make_sybil(path.parent))
        claims = claims_of(sheet)
        return [(step.line, step.heading, claims[step.line]) for step in sheet.examples]

    def report(
        self,
        torch: str = "2.13.0+cpu",
        numpy: str = "2.4.6",
        outcome: Outcome | None = None,
        combinations: tuple[str, ...] = ("cpu-float32", "cpu-float64"),
        devices: dict[str, str] | None = None,
        lines: set[int] | None = None,
        python: str = "3.11.7",
    ) -> Path:
        results = []
        for line, heading, claim in self.examples():
            if lines is not None and line not in lines:
                continue
            for combination in combinations:
                value = outcome(line, combination) if outcome else "passed"
                result, reason = (value, "") if isinstance(value, str) else value
                results.append(
                    {
                        "sheet": "cheatsheet/torch/a.md",
                        "line": line,
                        "heading": heading,
                        "combination": combination,
                        "outcome": result,
                        "reason": reason,
                        "duration": 0.01,
                        "device": combination.split("-")[0],
                        **claim,
                    }
                )
        versions = {"python": python, "torch": torch, "cuda": None, "numpy": numpy}
        document = {
            "schema": 3,
            "created": "2026-12-01T00:00:00+00:00",
            "versions": versions,
            "devices": devices or {"cpu": "x86_64", "cuda": "not available"},
            "results": results,
        }
        path = self.root / "reports" / f"{len(list(self.root.glob('reports/*')))}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    def record(self, report: Path, *options: str, language: str = "zh") -> int:
        places = ["--history", str(self.history), "--output", str(self.table)]
        places += ["--root", str(self.root), "--language", language]
        return main(["record", str(report), *places, *options])

    def files(self) -> dict[str, bytes]:
        paths = [*self.history.glob("*.json"), self.table]
        return {path.name: path.read_bytes() for path in paths if path.exists()}

    def page(self) -> str:
        return self.table.read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def _gated_on_numpy_1(line: int, combination: str) -> tuple[str, str] | str:
    return ("skipped", "requires numpy>=2 (have numpy 1.26.4)") if line >= 17 else "passed"


def _outcomes(record: history.Record) -> dict[int, tuple[tuple[str, str], ...]]:
    return {claim["line"]: history.state(claim) for claim in record.claims.values()}


# --- recording -----------------------------------------------------------------------------------


def test_recording_one_release_keeps_the_records_of_the_others(project: Project) -> None:
    assert project.record(project.report("2.4.1+cu121"), "--label", "torch-2.4") == 0
    assert project.record(project.report("2.13.0+cpu"), "--label", "torch-2.13") == 0
    kept = (project.history / "torch-2.4-cpu.json").read_bytes()
    assert project.record(project.report("2.13.0+cpu"), "--label", "torch-2.13") == 0
    assert sorted(p.name for p in project.history.iterdir()) == [
        "torch-2.13-cpu.json",
        "torch-2.4-cpu.json",
    ]
    assert (project.history / "torch-2.4-cpu.json").read_bytes() == kept
    assert "| torch 2.4 | 2.4.1+cu121 | 2.4.6 | 3.11.7 | ✅ 8 | 2026-12-01 |" in project.page()


def test_rerunning_a_recorded_release_leaves_everything_identical_and_says_so(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(project.report("2.8.0"), "--label", "torch-2.8")
    project.record(project.report("2.13.0+cpu"), "--label", "torch-2.13")
    before = project.files()
    capsys.readouterr()
    assert project.record(project.report("2.13.0+cpu"), "--label", "torch-2.13") == 0
    assert project.files() == before
    out = capsys.readouterr().out
    assert "torch 2.13 compared with torch 2.13 as recorded before:\nno claim changed" in out
    assert "torch-2.13-cpu.json: unchanged" in out


def test_a_partial_run_is_merged_into_the_full_record_and_says_so(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(project.report())
    first = project.examples()[0][0]

    def fails_on_float64(line: int, combination: str) -> str:
        return "failed" if combination == "cpu-float64" else "passed"

    partial = project.report(outcome=fails_on_float64, lines={first})
    assert project.record(partial) == 1
    out = capsys.readouterr().out
    assert "partial run (it ran fewer sheets, combinations or claims" in out
    assert "merged into torch-2.13-cpu.json: 1 claims updated, the others kept" in out
    record = history.load_record(project.history / "torch-2.13-cpu.json")
    assert not record.partial
    assert len(record.claims) == 4
    outcomes = _outcomes(record)
    assert outcomes[first] == (("cpu-float32", "passed"), ("cpu-float64", "failed"))
    assert [line for line, o in outcomes.items() if "failed" in str(o)] == [first]


def test_a_narrowed_run_merges_by_combination_and_keeps_the_others(project: Project) -> None:
    project.record(project.report())
    narrowed = project.report(combinations=("cpu-float64",))
    assert project.record(narrowed, "--partial") == 0
    record = history.load_record(project.history / "torch-2.13-cpu.json")
    assert record.combinations("cheatsheet/torch/a.md") == ["cpu-float32", "cpu-float64"]
    assert not record.partial


def test_fewer_combinations_than_the_full_record_is_a_partial_run(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(project.report())
    project.record(project.report(combinations=("cpu-float64",)))
    assert "it ran fewer sheets, combinations or claims (cheatsheet/torch/a.md)" in (
        capsys.readouterr().out
    )


def test_a_partial_run_on_other_versions_is_refused(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(project.report("2.13.0+cpu"))
    before = project.files()
    assert project.record(project.report("2.13.1+cpu"), "--partial") == 2
    assert project.files() == before
    error = capsys.readouterr().err
    assert "partial run (the run was narrowed (pytest options)) on torch 2.13.1+cpu" in error
    assert "refused: the record torch-2.13-cpu.json is of torch 2.13.0+cpu" in error


def test_a_first_partial_run_is_recorded_as_partial_and_a_full_run_replaces_it(
    project: Project,
) -> None:
    project.record(project.report(), "--partial")
    assert history.load_record(project.history / "torch-2.13-cpu.json").partial
    assert "（部分）" in project.page()
    project.record(project.report())
    assert not history.load_record(project.history / "torch-2.13-cpu.json").partial


def test_claims_keep_their_history_when_the_sheet_is_edited_above_them(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(project.report())
    project.write(SHEET.replace("## Adding\n", "## Adding\n\nA new paragraph.\n\nAnd another.\n"))
    capsys.readouterr()
    assert project.record(project.report()) == 0
    assert "no claim changed" in capsys.readouterr().out
    lines = sorted(_outcomes(history.load_record(project.history / "torch-2.13-cpu.json")))
    assert lines == [line for line, _, _ in project.examples()]


# --- refusals: one line, status 2, nothing written -----------------------------------------------


def _edit(document: dict[str, Any], how: str) -> None:
    if how == "no versions":
        del document["versions"]
    elif how == "no NumPy version":
        del document["versions"]["numpy"]
    elif how == "null results":
        document["results"] = None
    elif how == "no results":
        document["results"] = []
    elif how == "schema 2":
        document["schema"] = 2
    elif how == "a result without its claim":
        del document["results"][0]["claim"]


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("no versions", "the report names no version of torch, numpy, python"),
        ("no NumPy version", "the report names no version of numpy"),
        ("null results", "the report has no results (null)"),
        ("no results", "the report has no results ([])"),
        ("schema 2", "report schema 2; this version records schema 3"),
        ("a result without its claim", "result 0 lacks claim"),
    ],
)
def test_a_report_that_cannot_be_placed_or_keyed_is_refused_in_one_line(
    project: Project, capsys: pytest.CaptureFixture[str], how: str, message: str
) -> None:
    report = project.report()
    document = json.loads(report.read_text(encoding="utf-8"))
    _edit(document, how)
    report.write_text(json.dumps(document), encoding="utf-8")
    assert project.record(report) == 2
    assert not project.history.exists()
    err = capsys.readouterr().err
    assert err == f"error: {report}: {message}" + err.split(message, 1)[1]
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_report_of_a_run_without_torch_or_numpy_is_recorded(project: Project) -> None:
    # An adopter without torch or NumPy: the report names them as null (not installed).
    report = project.report()
    document = json.loads(report.read_text(encoding="utf-8"))
    document["versions"]["torch"] = document["versions"]["numpy"] = None
    report.write_text(json.dumps(document), encoding="utf-8")
    assert project.record(report, "--label", "python-3.11") == 0
    assert project.history.exists()


def test_an_unchecked_example_is_recorded_as_unchecked_never_as_passed(project: Project) -> None:
    # '# may vary': the example ran and did not raise; its output was not compared.
    report = project.report()
    document = json.loads(report.read_text(encoding="utf-8"))
    document["results"][0]["outcome"] = "unchecked"
    report.write_text(json.dumps(document), encoding="utf-8")
    assert project.record(report) == 0
    recorded = (project.history / "torch-2.13-cpu.json").read_text(encoding="utf-8")
    assert '"unchecked"' in recorded
    assert "🔘" in project.page()


def test_a_report_whose_sheet_changed_since_the_run_is_refused(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    report = project.report()
    project.write(SHEET.replace("## Adding\n", "## Adding\n\nA new paragraph.\n"))
    assert project.record(report) == 2
    assert not project.history.exists()
    err = capsys.readouterr().err
    assert "cheatsheet/torch/a.md changed since the run" in err
    assert "its claims may have moved; run the sheets again" in err
    assert err.count("\n") == 1


def test_the_refusals_through_python_m_compat_are_one_line_without_a_traceback(
    project: Project,
) -> None:
    report = project.report()
    document = json.loads(report.read_text(encoding="utf-8"))
    document["results"] = None
    report.write_text(json.dumps(document), encoding="utf-8")
    places = ["--history", str(project.history), "--output", str(project.table)]
    done = subprocess.run(
        [sys.executable, "-m", "pytest_cheatsheet.compat", "record", str(report), *places],
        capture_output=True,
        text=True,
        cwd=project.root,
    )
    assert done.returncode == 2
    assert done.stderr == f"error: {report}: the report has no results (null): no run\n"


def test_a_corrupt_history_file_is_an_error_naming_it(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.history.mkdir(parents=True)
    (project.history / "torch-2.4-cpu.json").write_text('{"history": 2}', encoding="utf-8")
    assert project.record(project.report()) == 2
    assert "torch-2.4-cpu.json: not a history file: missing or bad 'sheets'" in (
        capsys.readouterr().err
    )


def test_a_history_of_schema_1_is_read(project: Project) -> None:
    old = {
        "history": 1,
        "label": "torch-2.4",
        "device": "cpu",
        "versions": {"python": "3.11.7", "torch": "2.4.1", "numpy": "2.4.6"},
        "devices": {"cpu": "x86_64"},
        "created": "2026-12-01",
        "partial": False,
        "sheets": {
            "cheatsheet/torch/a.md": {
                "combinations": ["cpu-float32"],
                "claims": {
                    "Gated|0123456789": {
                        "line": 21,
                        "block": 20,
                        "results": [["skipped", "cpu-float32", "requires numpy>=2"]],
                        "gate": "requires numpy>=2",
                        "sentence": "NumPy 2 prints scalars.",
                    }
                },
            }
        },
    }
    project.history.mkdir(parents=True)
    path = project.history / "torch-2.4-cpu.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    (claim,) = history.load_record(path).claims.values()
    assert claim["gate_text"] == "NumPy 2 prints scalars."
    assert claim["results"][0]["outcome"] == "skipped"


# --- devices -------------------------------------------------------------------------------------


def test_results_on_an_absent_device_are_left_out_and_a_cuda_run_is_its_own_record(
    project: Project,
) -> None:
    project.write(SHEET.replace("devices=cpu", "devices=cpu,cuda"))
    both = ("cpu-float32", "cpu-float64", "cuda-float32", "cuda-float64")

    def cpu_machine(line: int, combination: str) -> tuple[str, str] | str:
        return ("skipped", "any words at all") if "cuda" in combination else "passed"

    project.record(project.report(outcome=cpu_machine, combinations=both))
    cpu = history.load_record(project.history / "torch-2.13-cpu.json")
    assert cpu.combinations("cheatsheet/torch/a.md") == ["cpu-float32", "cpu-float64"]
    assert "从未记录过 CUDA（或任何 GPU）上的运行" in project.page()
    cuda = {"cpu": "x86_64", "cuda": "NVIDIA H200"}
    project.record(project.report("2.13.0+cu128", combinations=both, devices=cuda))
    assert sorted(p.name for p in project.history.iterdir()) == [
        "torch-2.13-cpu.json",
        "torch-2.13-cuda.json",
    ]
    assert "CUDA (NVIDIA H200)" in project.page()
    assert "从未记录过 CUDA" not in project.page()


# --- what changed, and the exit status -----------------------------------------------------------


def test_a_claim_that_held_and_now_fails_is_printed_and_the_exit_status_is_1(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(project.report("2.8.0"), "--label", "torch-2.8")
    line, heading, _ = project.examples()[0]

    def breaks(at: int, combination: str) -> tuple[str, str] | str:
        return ("failed", "First difference: expected 2, got 3") if at == line else "passed"

    capsys.readouterr()
    assert project.record(project.report("2.13.0", outcome=breaks), "--label", "torch-2.13") == 1
    out = capsys.readouterr().out
    assert "torch 2.13 compared with torch 2.8:\n" in out
    assert f"[a.md:{line}](torch/a.md?plain=1#L{line}) {heading}: passed → failed\n" in out
    assert "1 claims changed\n1 claims fail on torch 2.13\n" in out
    assert (project.history / "torch-2.13-cpu.json").exists()  # written before it fails


def test_a_pytest_failure_outside_the_claims_fails_the_record_step(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    status = project.root / "status"
    status.write_text("1", encoding="utf-8")
    assert project.record(project.report(), "--pytest-status", str(status)) == 1
    assert "pytest exited with status 1 although no recorded claim failed" in (
        capsys.readouterr().out
    )
    status.write_text("0", encoding="utf-8")
    assert project.record(project.report(), "--pytest-status", str(status)) == 0
    status.unlink()
    assert project.record(project.report(), "--pytest-status", str(status)) == 2


def test_a_gate_that_changes_outcome_is_printed_once_per_block_and_does_not_fail(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    report = project.report("2.2.2", numpy="2.4.6", outcome=_gated_on_numpy_1)
    project.record(report, "--label", "torch-2.2")
    capsys.readouterr()
    assert project.record(project.report("2.4.1"), "--label", "torch-2.4") == 0
    out = capsys.readouterr().out
    assert "(2 examples) Gated: skipped → passed (`requires numpy>=2`)\n" in out
    assert "2 claims changed" in out


# --- upgrade steps -------------------------------------------------------------------------------


def _steps(page: str) -> list[str]:
    return [line for line in page.splitlines() if line.startswith("### ") and "→" in line]


def test_each_upgrade_step_is_one_package_and_newest_first_numpy_paired_on_one_torch(
    project: Project,
) -> None:
    numpy_1 = "1.26.4"
    project.record(project.report("2.2.2", numpy_1, _gated_on_numpy_1), "--label", "torch-2.2")
    project.record(
        project.report("2.3.1", numpy_1, _gated_on_numpy_1), "--label", "torch-2.3-numpy-1"
    )
    project.record(project.report("2.3.1"), "--label", "torch-2.3")
    project.record(project.report("2.4.1"), "--label", "torch-2.4")
    page = project.page()
    assert _steps(page) == ["### NumPy 1.26.4 → 2.4.6 (torch 2.3.1)"]
    quiet = "没有断言变化：torch 2.3.1 → 2.4.1; torch 2.2.2 → 2.3.1。\n\n### NumPy"
    assert quiet in page  # torch's steps first, newest first, the quiet ones in one line
    numpy_step = page.split("### NumPy")[1].split("##")[0]
    assert "(2 个示例) Gated: 跳过 → 通过 (`requires numpy>=2`)" in numpy_step
    assert page.count("跳过 → 通过") == 1  # put down to NumPy alone
    assert "| torch 2.3 (NumPy 1) | 2.3.1 | 1.26.4 |" in page
    assert "have numpy" not in page  # a gate's own skip reason: the gate beside it says it


def test_a_step_lists_what_now_fails_before_what_a_gate_switched(project: Project) -> None:
    numpy_1 = "1.26.4"
    project.record(project.report("2.3.1", numpy_1, _gated_on_numpy_1), "--label", "torch-2.3")

    def breaks(line: int, combination: str) -> tuple[str, str] | str:
        return ("failed", "First difference: x") if line == 10 else "passed"

    project.record(project.report("2.3.1", outcome=breaks), "--label", "torch-2.3-numpy-2")
    step = project.page().split("### NumPy 1.26.4 → 2.4.6 (torch 2.3.1)\n\n")[1]
    assert step.startswith("- [a.md:10](torch/a.md?plain=1#L10) Adding: 通过 → 失败\n- [a.md:21]")


def test_runs_that_differ_in_two_packages_say_so(project: Project) -> None:
    project.record(project.report("2.2.2", "1.26.4", _gated_on_numpy_1), "--label", "torch-2.2")
    project.record(project.report("2.4.1"), "--label", "torch-2.4", language="en")
    page = project.page()
    assert _steps(page) == ["### torch 2.2.2 → 2.4.1"]
    assert "(also NumPy changed: the cause may be either)" in page


def test_a_python_step_compares_the_same_torch_on_two_pythons(project: Project) -> None:
    project.record(project.report("2.14.1"), "--label", "torch-2.14")
    project.record(project.report("2.14.1", python="3.13.0"), "--label", "python-3.13")
    assert "没有断言变化：Python 3.11.7 → 3.13.0 (torch 2.14.1)。" in project.page()


# --- the page ------------------------------------------------------------------------------------


def _many_runs(project: Project) -> None:
    """Sixteen torch runs; a float16 skip with a long reason everywhere, a claim never run."""
    project.write(SHEET.replace("float64", "float64,float16"))
    combos = ("cpu-float32", "cpu-float64", "cpu-float16")
    long = "float16 的最大值是 65504，这里的求和会溢出为 inf，所以这个组合跳过了这一块的全部示例"

    def outcome(line: int, combination: str) -> tuple[str, str] | str:
        if line >= 21:
            return ("skipped", "需要 CUDA")
        return ("skipped", long) if combination == "cpu-float16" else "passed"

    for minor in range(16):
        torch = f"2.{minor}.0"
        project.record(
            project.report(torch, outcome=outcome, combinations=combos),
            "--label",
            f"torch-2.{minor}",
        )


def test_no_table_is_wider_than_6_columns_and_a_long_reason_is_said_once(
    project: Project,
) -> None:
    _many_runs(project)
    page = project.page()
    widths = {line.count(" | ") + 1 for line in page.splitlines() if line.startswith("| ")}
    assert max(widths) <= 6
    assert page.count("这里的求和会溢出为 inf") == 1


def test_claims_never_run_are_not_listed_as_the_same_in_every_run(project: Project) -> None:
    _many_runs(project)
    page = project.page()
    same, never = page.split("<summary>")[1:3]
    assert same.startswith("在每次运行中结果都相同的断言：2 个")
    assert never.startswith("在任何记录的运行中都没有运行过的断言：2 个")
    assert "Gated" in never
    assert "Gated" not in same


def test_the_page_opens_with_the_newest_upgrade_step(project: Project) -> None:
    _many_runs(project)

    def breaks(line: int, combination: str) -> tuple[str, str] | str:
        return ("failed", "First difference: x") if line == 8 else "passed"

    project.record(project.report("2.16.0", outcome=breaks), "--label", "torch-2.16")
    lines = project.page().splitlines()
    first_section = next(line for line in lines if line.startswith("### "))
    assert first_section == "### torch 2.15.0 → 2.16.0"
    assert lines.index(first_section) < 12
    assert lines[lines.index(first_section) + 2].startswith("- [a.md:8]")


def test_the_page_is_in_english_by_default_and_in_chinese_when_asked(project: Project) -> None:
    project.record(project.report(), language="en")
    english = project.page()
    assert english.startswith("# Compatibility of the sheets' claims\n")
    assert "never run on CUDA" not in english
    assert "no run on CUDA (or any GPU) has ever been recorded" in english
    assert "断言" not in english
    project.record(project.report(), language="zh")
    assert project.page().startswith("# 兼容性表（Compatibility）\n")


def test_an_unknown_language_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        project.record(project.report(), language="fr")
    assert "invalid choice: 'fr' (choose from 'en', 'zh')" in capsys.readouterr().err


def test_links_are_relative_to_where_the_page_is_written(project: Project) -> None:
    report = project.report()
    elsewhere = project.root / "docs" / "compat" / "TABLE.md"
    options = ["--history", str(project.history), "--output", str(elsewhere)]
    main(["record", str(report), *options, "--root", str(project.root)])
    assert "](../../cheatsheet/torch/a.md?plain=1#L8)" in elsewhere.read_text(encoding="utf-8")


def test_render_rewrites_the_page_from_the_history_alone(project: Project) -> None:
    project.record(project.report())
    page = project.table.read_bytes()
    project.table.unlink()
    (project.root / "cheatsheet" / "torch" / "a.md").unlink()  # no sheet is read
    options = ["--history", str(project.history), "--output", str(project.table)]
    assert main(["render", *options, "--root", str(project.root), "--language", "zh"]) == 0
    assert project.table.read_bytes() == page


@settings(max_examples=50, deadline=None)
@given(
    heading=st.text(max_size=20),
    groups=st.lists(
        st.tuples(
            st.sampled_from(history.OUTCOMES),
            st.lists(st.sampled_from(["any", "cpu-float32", "cuda-float16"]), min_size=1),
            st.text(max_size=30),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_a_record_reads_back_as_it_was_written(
    tmp_path_factory: pytest.TempPathFactory,
    heading: str,
    groups: list[tuple[str, list[str], str]],
) -> None:
    claim = {
        "sheet": "cheatsheet/a.md",
        "line": 3,
        "heading": heading,
        "block": 2,
        "gate": "",
        "gate_text": "",
        "results": [
            {"outcome": o, "combinations": sorted(set(c)), "reason": r.strip()}
            for o, c, r in groups
        ],
    }
    record = history.Record(
        "torch-2.13",
        "cpu",
        {"torch": "2.13.0"},
        {},
        "",
        False,
        {"cheatsheet/a.md": {"combinations": ["any"], "digest": "0f"}},
        {f"cheatsheet/a.md|{heading}|0123456789": claim},
    )
    path = tmp_path_factory.mktemp("history") / record.filename
    path.write_text(record.to_text(), encoding="utf-8")
    assert history.load_record(path) == record


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="ab `c d", max_size=80), limit=st.integers(2, 40))
def test_an_excerpt_is_never_cut_inside_a_code_span(text: str, limit: int) -> None:
    short = shorten(text, limit, markdown=True)
    assert len(short) <= max(limit, len(" ".join(text.split())))
    if short.endswith("…"):
        assert short.count("`") % 2 == 0


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a | b", "a \\| b"),
        ("requires torch<2.4", "requires torch<2.4"),
        ("`x <details>`", "`x &lt;details>`"),
        ("</summary> <!-- x", "&lt;/summary> &lt;!-- x"),
    ],
)
def test_cell_text_is_escaped_only_where_markdown_needs_it(text: str, escaped: str) -> None:
    assert escape(text) == escaped


# --- end to end, through pytest ------------------------------------------------------------------


def _record_run(root: Path, *options: str) -> int:
    places = ["--history", "h", "--output", "COMPATIBILITY.md", "--root", str(root)]
    return main(["record", str(root / "r.json"), *places, "--label", "torch-2.13", *options])


def test_a_deliberately_broken_claim_is_printed_after_a_real_run(
    sheets: SheetWriter, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sheets.write("torch/a.md", SHEET.replace("requires numpy>=2", "requires numpy>=0"))
    root = sheets.pytester.path
    monkeypatch.chdir(root)
    sheets.run("--cheatsheet-report=r.json").assert_outcomes(passed=8)
    assert _record_run(root) == 0
    broken = SHEET.replace("requires numpy>=2", "requires numpy>=0")
    sheets.write("torch/a.md", broken.replace(">>> 2 + 2\n4", ">>> 2 + 2\n5"))
    sheets.run("--cheatsheet-report=r.json").assert_outcomes(passed=6, failed=2)
    capsys.readouterr()
    assert _record_run(root) == 1
    out = capsys.readouterr().out
    assert "[a.md:10](cheatsheet/torch/a.md?plain=1#L10) Adding: passed → failed\n" in out


SWAPPED = """
<!-- cheatsheet: devices=cpu dtypes=float32 -->

## Two claims

```python
>>> FIRST
```

```python
>>> SECOND
```
"""


def test_two_examples_that_trade_places_keep_their_own_results(
    sheets: SheetWriter, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    holds, breaks = ">>> 1 + 1\n2", ">>> 2 * 2\n5"
    sheets.write("torch/a.md", SWAPPED.replace(">>> FIRST", holds).replace(">>> SECOND", breaks))
    root = sheets.pytester.path
    monkeypatch.chdir(root)
    sheets.run("--cheatsheet-report=r.json").assert_outcomes(passed=1, failed=1)
    assert _record_run(root) == 1
    sheets.write("torch/a.md", SWAPPED.replace(">>> FIRST", breaks).replace(">>> SECOND", holds))
    sheets.run("--cheatsheet-report=r.json").assert_outcomes(passed=1, failed=1)
    capsys.readouterr()
    assert _record_run(root) == 1
    assert "no claim changed" in capsys.readouterr().out
    record = history.load_record(root / "h" / "torch-2.13-cpu.json")
    by_line = {c["line"]: c["results"][0]["outcome"] for c in record.claims.values()}
    assert by_line == {6: "failed", 11: "passed"}  # the failing claim now stands first


REST = """\
Title
=====

Gated on an old torch, said in words.

.. cheatsheet: requires torch<2.0

.. code-block:: pycon

   >>> 1 + 1
   2

A bare doctest:

>>> 2 + 2
4
"""

MODULE = '''\
"""Small helpers.

>>> double(2)
4
"""


def double(x):
    """Twice ``x``.

    >>> double(1.5)
    3.0
    """
    return x * 2
'''


def test_an_adopters_rst_and_py_sheets_are_recorded_from_a_fresh_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makeini("[pytest]\ncheatsheet_paths = docs src\n")
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "page.rst").write_text(REST, encoding="utf-8")
    package = pytester.path / "src" / "helpers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ops.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(pytester.path / "src")
    monkeypatch.chdir(pytester.path)
    pytester.runpytest("-p", "no:cacheprovider", "--cheatsheet-report=r.json").assert_outcomes(
        passed=1 + 2, skipped=1
    )
    assert _record_run(pytester.path) == 0
    record = history.load_record(pytester.path / "h" / "torch-2.13-cpu.json")
    claims = sorted(
        (c["sheet"], c["line"], c["gate"], c["gate_text"]) for c in record.claims.values()
    )
    assert claims == [
        ("docs/page.rst", 10, "requires torch<2.0", "Gated on an old torch, said in words."),
        ("docs/page.rst", 15, "", ""),
        ("src/helpers/ops.py", 3, "", ""),
        ("src/helpers/ops.py", 11, "", ""),
    ]
    page = (pytester.path / "COMPATIBILITY.md").read_text(encoding="utf-8")
    assert "[page.rst:10](docs/page.rst?plain=1#L10)" in page


# --- the committed history -----------------------------------------------------------------------


def test_the_committed_page_is_what_the_committed_history_generates() -> None:
    folder = ROOT / "cheatsheet" / "history"
    records = history.load_history(folder)
    assert len({r.label for r in records if r.label.startswith("torch-")}) >= 5
    expected = render(
        records, Path("cheatsheet/COMPATIBILITY.md"), ROOT, "zh", Path("cheatsheet/history")
    )
    page = (ROOT / "cheatsheet" / "COMPATIBILITY.md").read_text(encoding="utf-8")
    assert page == expected, "cheatsheet/COMPATIBILITY.md is stale: run `nox -s compat`"


def test_no_committed_run_has_a_failed_claim() -> None:
    for record in history.load_history(ROOT / "cheatsheet" / "history"):
        failing = [
            key
            for key, claim in record.claims.items()
            if any(re.fullmatch("failed|error|xpassed", g["outcome"]) for g in claim["results"])
        ]
        assert not failing, f"{record.filename}: {failing[:3]}"
