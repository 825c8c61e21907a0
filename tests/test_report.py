from __future__ import annotations

import datetime
import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import numpy
import pytest
import torch

from conftest import SheetWriter
from pytest_cheatsheet import report as report_module

SHEET = """
# 示例

<!-- cheatsheet: devices=cpu,cuda dtypes=float32,float16 -->

## 第一节

```python
>>> import torch
>>> torch.ones(2, dtype=dtype, device=device).sum()
tensor(2.)
```

## Wrong

```python
>>> 1 + 1
3
```

<!-- cheatsheet: requires torch>=99 -->
```python
>>> 2
2
```
"""


@pytest.fixture
def report(sheets: SheetWriter) -> dict[str, Any]:
    sheets.write("sheet.md", SHEET)
    result = sheets.run("--cheatsheet-report=out/report.json")
    result.assert_outcomes(passed=4, failed=2, skipped=10)
    document: dict[str, Any] = json.loads(
        (sheets.pytester.path / "out" / "report.json").read_text(encoding="utf-8")
    )
    return document


def test_the_report_names_the_versions_and_devices(report: dict[str, Any]) -> None:
    assert report["schema"] == 3
    assert report["versions"]["torch"] == torch.__version__
    assert report["versions"]["numpy"] == numpy.__version__
    assert report["versions"]["cuda"] == torch.version.cuda
    assert set(report["versions"]) == {
        "python",
        "torch",
        "cuda",
        "numpy",
        "sybil",
        "pytest_cheatsheet",
    }
    assert report["devices"]["cuda"] == "not available"
    assert report["devices"]["cpu"]
    datetime.datetime.fromisoformat(report["created"])


def test_the_report_has_one_record_per_example_and_combination(report: dict[str, Any]) -> None:
    records = {(r["combination"], r["line"]): r for r in report["results"]}
    assert len(records) == len(report["results"]) == 16
    passed = records[("cpu-float16", 9)]
    assert passed["sheet"] == "cheatsheet/sheet.md"
    assert passed["heading"] == "第一节"
    assert passed["outcome"] == "passed"
    assert passed["duration"] >= 0
    failed = records[("cpu-float32", 16)]
    assert failed["heading"] == "Wrong"
    assert failed["outcome"] == "failed"
    assert failed["reason"] == "First difference: expected 3, got 2 (integers must be equal)"
    assert (failed["expected"], failed["printed"]) == ("3\n", "2\n")
    assert (passed["expected"], passed["printed"]) == (None, None)
    gated = records[("cpu-float32", 22)]
    assert gated["outcome"] == "skipped"
    assert gated["reason"].startswith("requires torch>=99 (have torch ")
    absent = records[("cuda-float16", 9)]
    assert absent == {**absent, "outcome": "skipped", "reason": "device 'cuda' is not available"}


def test_the_report_is_the_same_under_xdist(sheets: SheetWriter) -> None:
    sheets.write("sheet.md", SHEET)
    sheets.run("-n", "2", "--cheatsheet-report=r.json").assert_outcomes(
        passed=4, failed=2, skipped=10
    )
    results = json.loads((sheets.pytester.path / "r.json").read_text())["results"]
    outcomes = sorted((r["combination"], r["line"], r["outcome"]) for r in results)
    assert len(outcomes) == 16
    assert ("cpu-float16", 16, "failed") in outcomes


def _results(path: Path) -> dict[tuple[str, int], dict[str, Any]]:
    document = json.loads(path.read_bytes().decode("utf-8"))
    return {(r["combination"], r["line"]): r for r in document["results"]}


def test_a_failed_doctest_keeps_its_expected_and_printed_output_bounded(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "sheet.md",
        """
        ```python
        >>> print("长" * 5000)
        短
        >>> int("x")
        0
        >>> raise ValueError("a python block")
        ```

        ```python
        assert False, "no doctest"
        ```
        """,
    )
    sheets.run("--cheatsheet-report=r.json").assert_outcomes(failed=4)
    results = _results(sheets.pytester.path / "r.json")
    long = results[("any", 2)]
    assert long["expected"] == "短\n"
    assert len(long["printed"]) == 2000
    assert long["printed"] == "长" * 1999 + "…"
    exception = results[("any", 4)]
    assert exception["printed"] == (
        "Traceback (most recent call last):\n    ...\n"
        "ValueError: invalid literal for int() with base 10: 'x'\n"
    )
    assert results[("any", 9)]["outcome"] == "failed"
    assert (results[("any", 9)]["expected"], results[("any", 9)]["printed"]) == (None, None)


def test_a_reason_over_its_limit_is_cut_with_an_ellipsis(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """
        ```python
        >>> raise ValueError("x" * 600)
        ```
        """,
    )
    sheets.run("--cheatsheet-report=r.json").assert_outcomes(failed=1)
    reason = _results(sheets.pytester.path / "r.json")[("any", 2)]["reason"]
    assert len(reason) == report_module.MAX_REASON
    assert reason.endswith("x…")


def test_an_example_whose_run_was_interrupted_is_not_recorded_as_passed(
    sheets: SheetWriter,
) -> None:
    sheets.write("sheet.md", "```python\n>>> 1\n1\n>>> raise KeyboardInterrupt\n```\n")
    # In process, pytester re-raises the Ctrl-C in this session unless told not to.
    result = sheets.pytester.runpytest(
        "-p", "no:cacheprovider", "cheatsheet", "--cheatsheet-report=r.json", no_reraise_ctrlc=True
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    results = _results(sheets.pytester.path / "r.json")
    assert results[("any", 2)]["outcome"] == "passed"
    assert results[("any", 4)]["outcome"] == "error"
    assert "did not complete" in results[("any", 4)]["reason"]


def test_an_example_whose_xdist_worker_crashed_is_not_recorded_as_passed(
    sheets: SheetWriter,
) -> None:
    sheets.write("sheet.md", "```python\n>>> 1\n1\n>>> import os; os._exit(1)\n```\n")
    sheets.run("-n", "1", "--cheatsheet-report=r.json")
    results = _results(sheets.pytester.path / "r.json")
    assert results[("any", 2)]["outcome"] == "passed"
    crashed = results[("any", 4)]
    assert crashed["outcome"] == "error"
    assert "crashed" in crashed["reason"]


SIMPLE = "```python\n>>> 1 + 1\n2\n```\n"


def test_the_report_is_written_through_a_symlink_into_the_existing_file(
    sheets: SheetWriter,
) -> None:
    sheets.write("sheet.md", SIMPLE)
    target = sheets.pytester.path / "kept" / "real.json"
    target.parent.mkdir()
    target.write_text("old, and longer than nothing at all " * 100)
    target.chmod(0o640)
    other_name = sheets.pytester.path / "hard-link.json"
    os.link(target, other_name)
    inode = target.stat().st_ino
    link = sheets.pytester.path / "r.json"
    link.symlink_to(target)
    sheets.run("--cheatsheet-report=r.json").assert_outcomes(passed=1)
    assert link.is_symlink()
    assert target.stat().st_ino == inode
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _results(other_name)[("any", 2)]["outcome"] == "passed"
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.json"]


def test_the_report_is_written_into_a_fifo_that_stays_a_fifo(sheets: SheetWriter) -> None:
    sheets.write("sheet.md", SIMPLE)
    fifo = sheets.pytester.path / "r.json"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    sheets.run("--cheatsheet-report=r.json").assert_outcomes(passed=1)
    reader.join(timeout=60)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(received[0])["results"][0]["outcome"] == "passed"


def test_a_fifo_nobody_reads_is_an_error_at_the_end_and_stays_a_fifo(sheets: SheetWriter) -> None:
    sheets.write("sheet.md", SIMPLE)
    fifo = sheets.pytester.path / "r.json"
    os.mkfifo(fifo)
    result = sheets.run("--cheatsheet-report=r.json")
    result.stdout.fnmatch_lines(
        ["cheatsheet: the report was not written to *r.json: *no process is reading this FIFO*"]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_device_node_is_written_to_not_replaced(sheets: SheetWriter) -> None:
    sheets.write("sheet.md", SIMPLE)
    node = sheets.pytester.path / "full"
    try:  # the same device as /dev/full, made here so that a failing test cannot break /dev
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (PermissionError, AttributeError):
        pytest.skip("cannot make a device node here")
    result = sheets.run(f"--cheatsheet-report={node}")
    result.stdout.fnmatch_lines(
        ["cheatsheet: the report was not written to *full: *No space left*"]
    )
    assert "INTERNALERROR" not in result.stdout.str()
    assert stat.S_ISCHR(node.lstat().st_mode)


@pytest.mark.parametrize(
    ("where", "problem"),
    [
        ("out", "is a directory"),
        ("sheet.md/r.json", "cannot be created: *sheet.md is not a directory"),
    ],
)
def test_a_report_path_that_cannot_be_written_is_a_usage_error_before_the_run(
    sheets: SheetWriter, where: str, problem: str
) -> None:
    sheets.write("sheet.md", SIMPLE)
    (sheets.pytester.path / "out").mkdir()
    (sheets.pytester.path / "sheet.md").write_text("a file")
    result = sheets.run(f"--cheatsheet-report={where}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --cheatsheet-report=*{where}: {problem}"])
    assert "passed" not in result.stdout.str()


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_lone_surrogates_in_outputs_are_escaped_in_the_report(
    sheets: SheetWriter, workers: tuple[str, ...]
) -> None:
    sheets.write(
        "sheet.md",
        """
        ```python
        >>> print("\\ud800 and " + __import__("os").fsdecode(b"\\xff"))
        x
        >>> 1 + 1
        3
        ```
        """,
    )
    result = sheets.run("--cheatsheet-report=r.json", "--cheatsheet-update", *workers)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*cheatsheet: what was verified*"])
    results = _results(sheets.pytester.path / "r.json")
    assert results[("any", 2)]["printed"] == "\\ud800 and \\udcff\n"
    assert "\\ud800 and \\udcff" in results[("any", 2)]["reason"] + result.stdout.str()
    result.stdout.fnmatch_lines(["cheatsheet: not updated: cheatsheet/sheet.md:2: *surrogate*"])
    sheet = (sheets.pytester.path / "cheatsheet" / "sheet.md").read_text()
    assert sheet.endswith(")\nx\n>>> 1 + 1\n2\n```\n")


@pytest.mark.parametrize("text", ["\ud800", "a\udcff b", "\udfff\ud800", "长\U0001f600"])
def test_the_report_json_is_utf_8_that_reads_back_the_same_even_for_lone_surrogates(
    text: str,
) -> None:
    data = report_module.to_json({"printed": text}).encode("utf-8")
    assert json.loads(data) == {"printed": text}
