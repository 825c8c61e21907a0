"""The history of claims per release and device, the changed-claims list and the table."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SheetWriter
from pytest_cheatsheet import compat
from pytest_cheatsheet.sheet import make_sybil, parse_sheet

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
    """A root with one sheet, reports made for its examples, and the compat command on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.history = root / "cheatsheet" / "history"
        self.table = root / "cheatsheet" / "COMPATIBILITY.md"
        self.write(SHEET)

    def write(self, text: str, name: str = "a.md") -> None:
        path = self.root / "cheatsheet" / "torch" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def examples(self, name: str = "a.md") -> list[tuple[int, str]]:
        path = self.root / "cheatsheet" / "torch" / name
        sheet = parse_sheet(path, make_sybil(path.parent))
        return [(step.line, step.heading) for step in sheet.examples]

    def report(
        self,
        torch: str = "2.13.0+cpu",
        numpy: str = "2.4.6",
        outcome: Outcome | None = None,
        combinations: tuple[str, ...] = ("cpu-float32", "cpu-float64"),
        devices: dict[str, str] | None = None,
        lines: set[int] | None = None,
        schema: int = 2,
        name: str = "a.md",
    ) -> Path:
        results = []
        for line, heading in self.examples(name):
            if lines is not None and line not in lines:
                continue
            for combination in combinations:
                value = outcome(line, combination) if outcome else "passed"
                result, reason = (value, "") if isinstance(value, str) else value
                record: dict[str, Any] = {
                    "sheet": f"cheatsheet/torch/{name}",
                    "line": line,
                    "heading": heading,
                    "combination": combination,
                    "outcome": result,
                    "reason": reason,
                    "duration": 0.01,
                }
                if schema == 2:
                    record["expected"] = "2\n" if result == "failed" else None
                    record["printed"] = "3\n" if result == "failed" else None
                results.append(record)
        document = {
            "schema": schema,
            "created": f"2026-12-01T00:00:00+00:00 {torch}",
            "versions": {"python": "3.11.7", "torch": torch, "cuda": None, "numpy": numpy},
            "platform": "linux x86_64",
            "devices": devices or {"cpu": "x86_64", "cuda": "not available"},
            "results": results,
        }
        path = self.root / "reports" / f"{torch}-{len(list(self.root.glob('reports/*')))}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    def record(self, report: Path, *options: str, language: str = "zh") -> int:
        return compat.main(
            [
                "record",
                str(report),
                "--history",
                str(self.history),
                "--output",
                str(self.table),
                "--root",
                str(self.root),
                "--language",
                language,
                *options,
            ]
        )

    def files(self) -> dict[str, bytes]:
        paths = [*self.history.glob("*.json"), self.table]
        return {path.name: path.read_bytes() for path in paths if path.exists()}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def _gated_on_numpy_1(line: int, combination: str) -> tuple[str, str] | str:
    return ("skipped", "requires numpy>=2 (have numpy 1.26.4)") if line >= 17 else "passed"


# --- history -------------------------------------------------------------------------------------


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
    table = project.table.read_text(encoding="utf-8")
    assert "| torch 2.4 (cpu) | 2.4.1+cu121 |" in table
    assert "| torch 2.13 (cpu) | 2.13.0+cpu |" in table


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
    assert "compared with torch-2.13 (cpu) as recorded before:\nno claim changed" in out
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
    assert "partial run (examples of its sheets are missing from the report)" in out
    assert "merged into torch-2.13-cpu.json: 1 claims updated, the others kept" in out
    record = compat.load_record(project.history / "torch-2.13-cpu.json")
    assert not record.partial
    assert len(record.claims) == 4
    outcomes = {c["line"]: compat.describe_results(c) for c in record.claims.values()}
    assert outcomes[first] == "passed (cpu-float32), failed (cpu-float64)"
    assert sorted(set(outcomes.values())) == [
        "passed",
        "passed (cpu-float32), failed (cpu-float64)",
    ]


def test_a_narrowed_run_merges_by_combination_and_keeps_the_others(project: Project) -> None:
    project.record(project.report())
    narrowed = project.report(combinations=("cpu-float64",))
    assert project.record(narrowed, "--partial") == 0
    record = compat.load_record(project.history / "torch-2.13-cpu.json")
    assert record.sheets == {"cheatsheet/torch/a.md": ["cpu-float32", "cpu-float64"]}
    assert not record.partial


def test_fewer_combinations_than_the_full_record_is_a_partial_run(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(project.report())
    project.record(project.report(combinations=("cpu-float64",)))
    assert "it ran fewer sheets or combinations (cheatsheet/torch/a.md)" in capsys.readouterr().out


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
    assert compat.load_record(project.history / "torch-2.13-cpu.json").partial
    assert "（部分）" in project.table.read_text(encoding="utf-8")
    project.record(project.report())
    assert not compat.load_record(project.history / "torch-2.13-cpu.json").partial


def test_claims_keep_their_history_when_the_sheet_is_edited_above_them(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(project.report())
    project.write(SHEET.replace("## Adding\n", "## Adding\n\nA new paragraph.\n\nAnd another.\n"))
    capsys.readouterr()
    assert project.record(project.report()) == 0
    assert "no claim changed" in capsys.readouterr().out
    lines = sorted(
        c["line"]
        for c in compat.load_record(project.history / "torch-2.13-cpu.json").claims.values()
    )
    assert lines == [line for line, _ in project.examples()]


def test_a_report_older_than_the_sheet_is_refused(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    report = project.report()
    project.write(SHEET.replace("## Adding\n", "## Adding\n\nA new paragraph.\n"))
    assert project.record(report) == 2
    assert not project.history.exists()
    assert "the report does not match the sheets as they are now" in capsys.readouterr().err


@pytest.mark.parametrize("schema", [1, 2])
def test_reports_of_schema_1_and_2_are_read(project: Project, schema: int) -> None:
    assert project.record(project.report(schema=schema)) == 0


def test_a_report_of_an_unknown_schema_is_refused_naming_the_file(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    report = project.report()
    report.write_text(json.dumps({"schema": 3}), encoding="utf-8")
    assert project.record(report) == 2
    assert f"{report}: report schema 3; this version reads schemas 1, 2" in capsys.readouterr().err


def test_a_corrupt_history_file_is_an_error_naming_it(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.history.mkdir(parents=True)
    (project.history / "torch-2.4-cpu.json").write_text('{"history": 1}', encoding="utf-8")
    assert project.record(project.report()) == 2
    assert "torch-2.4-cpu.json: not a history file: missing or bad 'sheets'" in (
        capsys.readouterr().err
    )


# --- several machines ----------------------------------------------------------------------------


def test_a_cuda_and_a_cpu_report_of_one_release_give_one_column(project: Project) -> None:
    project.write(SHEET.replace("devices=cpu", "devices=cpu,cuda"))
    cuda = ("cpu-float32", "cpu-float64", "cuda-float32", "cuda-float64")

    def cpu_machine(line: int, combination: str) -> tuple[str, str] | str:
        return ("skipped", "device 'cuda' is not available") if "cuda" in combination else "passed"

    def cuda_machine(line: int, combination: str) -> tuple[str, str] | str:
        return ("failed", "First difference: x") if combination == "cuda-float64" else "passed"

    project.record(project.report(outcome=cpu_machine, combinations=cuda))
    project.record(
        project.report(
            torch="2.13.0+cu128",
            outcome=cuda_machine,
            combinations=cuda,
            devices={"cpu": "x86_64", "cuda": "NVIDIA H200"},
        )
    )
    assert sorted(p.name for p in project.history.iterdir()) == [
        "torch-2.13-cpu.json",
        "torch-2.13-cuda.json",
    ]
    table = project.table.read_text(encoding="utf-8")
    header = next(line for line in table.splitlines() if line.startswith("| 断言 | 小节 | 原因"))
    assert header.endswith("| torch 2.13 |")  # one column, not one per machine
    rows = _changed_rows(table)  # a failure is never folded away
    assert len(rows) == 2  # two blocks, whose examples fail alike
    assert rows[0].endswith(
        "| cpu: ✅<br>cuda: ✅ cpu-float32,cpu-float64,cuda-float32"
        "<br>❌ cuda-float64: expected '2', printed '3' |"
    )


# --- what changed, and the exit status -----------------------------------------------------------


def test_a_claim_that_held_and_now_fails_is_printed_and_the_exit_status_is_1(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(project.report("2.8.0"), "--label", "torch-2.8")
    line, heading = project.examples()[0]

    def breaks(at: int, combination: str) -> tuple[str, str] | str:
        return ("failed", "First difference: expected 2, got 3") if at == line else "passed"

    capsys.readouterr()
    assert project.record(project.report("2.13.0", outcome=breaks), "--label", "torch-2.13") == 1
    out = capsys.readouterr().out
    assert "torch-2.13 (cpu) compared with torch-2.8 (cpu):" in out
    assert f"cheatsheet/torch/a.md:{line}  {heading}  passed -> failed\n" in out
    assert "    cpu-float32 cpu-float64: expected '2', printed '3'\n" in out
    assert "1 claims changed" in out
    assert (project.history / "torch-2.13-cpu.json").exists()  # written before it fails
    assert "❌ expected '2', printed '3'" in project.table.read_text(encoding="utf-8")


def test_the_first_difference_falls_back_to_the_reason_in_a_schema_1_report(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(at: int, combination: str) -> tuple[str, str]:
        return ("failed", "First difference: expected 2, got 3")

    project.record(project.report(outcome=fails, schema=1))
    assert "❌ expected 2, got 3" in project.table.read_text(encoding="utf-8")


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


def test_a_gate_that_changes_outcome_is_printed_but_does_not_fail(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.record(
        project.report("2.1.2", numpy="1.26.4", outcome=_gated_on_numpy_1), "--label", "torch-2.1"
    )
    capsys.readouterr()
    assert project.record(project.report("2.4.1"), "--label", "torch-2.4") == 0
    out = capsys.readouterr().out
    assert "  Gated  skipped -> passed" in out
    assert "2 claims changed" in out


# --- the table -----------------------------------------------------------------------------------


def _changed_rows(table: str) -> list[str]:
    part = table.split("\n---\n")[0]
    return [line for line in part.splitlines() if line.startswith("| [")]


def test_a_gated_block_counts_once_with_its_gate_and_sentence_and_numpy_as_its_cause(
    project: Project,
) -> None:
    project.record(
        project.report("2.1.2", numpy="1.26.4", outcome=_gated_on_numpy_1), "--label", "torch-2.1"
    )
    project.record(project.report("2.4.1"), "--label", "torch-2.4")
    table = project.table.read_text(encoding="utf-8")
    (row,) = _changed_rows(table)
    assert row == (
        "| [a.md:21](torch/a.md?plain=1#L21) (2 个示例) | Gated<br>`requires numpy>=2` "
        "NumPy 2 prints scalars with their type. | NumPy | ⏭️ requires numpy>=2 | ✅ |"
    )
    assert "<summary>在每次运行中结果都相同的断言：1 个</summary>" in table
    folded = table.split("<details>")[1]
    assert "| [a.md:8](torch/a.md?plain=1#L8) (2 个示例) | Adding | ✅ |" in folded


def test_a_failure_without_a_gate_is_put_down_to_the_package_whose_version_changed(
    project: Project,
) -> None:
    project.record(project.report("2.4.1"), "--label", "torch-2.4")

    def fails(at: int, combination: str) -> tuple[str, str] | str:
        return ("failed", "x") if at == 8 else "passed"

    project.record(project.report("2.8.0", outcome=fails), "--label", "torch-2.8")
    (row,) = _changed_rows(project.table.read_text(encoding="utf-8"))
    assert row.startswith("| [a.md:8](torch/a.md?plain=1#L8) | Adding | torch | ✅ | ❌ expected")


def test_the_table_is_in_english_by_default_and_in_chinese_when_asked(project: Project) -> None:
    project.record(project.report(), language="en")
    english = project.table.read_text(encoding="utf-8")
    assert english.startswith("# Compatibility of the sheets' claims\n")
    assert "## Claims whose outcome differs between runs, or that fail: 0" in english
    assert "断言" not in english
    project.record(project.report(), language="zh")
    assert "## 在不同运行间结果不同或失败的断言：0 个" in project.table.read_text(encoding="utf-8")


def test_an_unknown_language_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        project.record(project.report(), language="fr")
    assert "invalid choice: 'fr' (choose from 'en', 'zh')" in capsys.readouterr().err


def test_links_are_relative_to_where_the_table_is_written(project: Project) -> None:
    report = project.report()
    elsewhere = project.root / "docs" / "compat" / "TABLE.md"
    options = ["--history", str(project.history), "--output", str(elsewhere)]
    compat.main(["record", str(report), *options, "--root", str(project.root)])
    assert "](../../cheatsheet/torch/a.md?plain=1#L8)" in elsewhere.read_text(encoding="utf-8")


def test_render_rewrites_the_table_from_the_history_alone(project: Project) -> None:
    project.record(project.report())
    table = project.table.read_bytes()
    project.table.unlink()
    options = ["--history", str(project.history), "--output", str(project.table)]
    assert compat.main(["render", *options, "--root", str(project.root), "--language", "zh"]) == 0
    assert project.table.read_bytes() == table


@settings(max_examples=50, deadline=None)
@given(
    heading=st.text(max_size=20),
    groups=st.lists(
        st.tuples(
            st.sampled_from(compat.OUTCOMES),
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
        "sentence": "",
        "results": [
            {"outcome": o, "combinations": sorted(set(c)), "reason": r.strip()}
            for o, c, r in groups
        ],
    }
    record = compat.Record(
        "torch-2.13",
        "cpu",
        {"torch": "2.13.0"},
        {},
        "",
        False,
        {"cheatsheet/a.md": ["any"]},
        {f"cheatsheet/a.md|{heading}|0123456789": claim},
    )
    path = tmp_path_factory.mktemp("history") / record.filename
    path.write_text(record.to_text(), encoding="utf-8")
    assert compat.load_record(path) == record


# --- end to end, through pytest ----------------------------------------------------------------


def test_a_deliberately_broken_claim_is_printed_after_a_real_run(
    sheets: SheetWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    sheets.write("torch/a.md", SHEET)
    root = sheets.pytester.path
    options = ["--history", "cheatsheet/history", "--output", "cheatsheet/COMPATIBILITY.md"]
    options += ["--root", str(root), "--label", "torch-2.13"]
    # The gated block runs on NumPy 2 only (the floors session runs NumPy 1).
    gated = 0 if int(numpy.__version__.split(".")[0]) >= 2 else 4
    sheets.run("--cheatsheet-report=r.json").assert_outcomes(passed=8 - gated, skipped=gated)
    assert compat.main(["record", str(root / "r.json"), *options]) == 0
    table = (root / "cheatsheet" / "COMPATIBILITY.md").read_bytes()
    sheets.write("torch/a.md", SHEET.replace(">>> 2 + 2\n4", ">>> 2 + 2\n5"))
    result = sheets.run("--cheatsheet-report=r.json")
    result.assert_outcomes(passed=6 - gated, failed=2, skipped=gated)
    capsys.readouterr()
    assert compat.main(["record", str(root / "r.json"), *options]) == 1
    out = capsys.readouterr().out
    assert "cheatsheet/torch/a.md:10  Adding  passed -> failed\n" in out
    assert "    cpu-float32 cpu-float64: expected '5', printed '4'\n" in out
    assert (root / "cheatsheet" / "COMPATIBILITY.md").read_bytes() != table


# --- the committed history -----------------------------------------------------------------------


def test_the_committed_table_is_what_the_committed_history_generates() -> None:
    history = ROOT / "cheatsheet" / "history"
    table = ROOT / "cheatsheet" / "COMPATIBILITY.md"
    records = compat.load_history(history)
    assert len({record.label for record in records if record.kind == "torch"}) >= 5
    expected = compat.render(
        records, Path("cheatsheet/COMPATIBILITY.md"), ROOT, "zh", Path("cheatsheet/history")
    )
    assert table.read_text(encoding="utf-8") == expected, (
        "cheatsheet/COMPATIBILITY.md is stale: run `nox -s compat`"
    )


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
    assert compat._escape(text) == escaped
