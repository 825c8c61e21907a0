from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import numpy
import pytest
import torch

from conftest import SheetWriter
from pytest_cheatsheet.compat import ReportError, load, main, render

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
    assert report["schema"] == 1
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


def _run(label: str, outcomes: dict[int, tuple[str, str]]) -> dict[str, Any]:
    return {
        "schema": 1,
        "created": "2026-11-26T00:00:00+00:00",
        "versions": {
            "python": "3.11.7",
            "torch": f"{label}+cpu",
            "cuda": None,
            "numpy": "1.26.4",
            "sybil": "10.1.0",
            "pytest_cheatsheet": "0.1.0",
        },
        "platform": "linux x86_64",
        "devices": {"cpu": "x86_64"},
        "results": [
            {
                "sheet": "cheatsheet/torch/a.md",
                "line": line,
                "heading": f"heading {line}",
                "combination": "cpu-float32",
                "outcome": outcome,
                "reason": reason,
                "duration": 0.1,
            }
            for line, (outcome, reason) in outcomes.items()
        ],
    }


def test_compat_puts_rows_that_differ_between_versions_first(tmp_path: Path) -> None:
    old = _run("2.1.2", {5: ("passed", ""), 9: ("failed", "NameError: x")})
    new = _run("2.13.0", {5: ("passed", ""), 9: ("passed", "")})
    paths = []
    for run in (new, old):
        path = tmp_path / f"{run['versions']['torch']}.json"
        path.write_text(json.dumps(run))
        paths.append(path)
    text = render([load(path) for path in paths], today=datetime.date(2026, 11, 26))
    table = [line for line in text.splitlines() if line.startswith("| [a.md]")]
    assert table == [
        "| [a.md](torch/a.md?plain=1#L9) | heading 9 | 9 | ❌ failed (cpu-float32): NameError: x "
        "| ✅ passed |",
        "| [a.md](torch/a.md?plain=1#L5) | heading 5 | 5 | ✅ passed | ✅ passed |",
    ]
    assert "| 表格 | 小节 | 行 | torch 2.1.2 | torch 2.13.0 |" in text
    assert "生成于 2026-11-26" in text
    assert "| 2.1.2+cpu | 3.11.7 | 1.26.4 |" in text


def test_compat_leaves_out_skips_of_absent_devices(tmp_path: Path) -> None:
    run = _run("2.13.0", {5: ("passed", "")})
    run["results"].append({**run["results"][0], "combination": "cuda-float32"})
    run["results"][-1].update(outcome="skipped", reason="device 'cuda' is not available")
    path = tmp_path / "r.json"
    path.write_text(json.dumps(run))
    assert "| 5 | ✅ passed |" in render([load(path)])


def test_compat_refuses_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"schema": 2}))
    with pytest.raises(ReportError, match=r"r\.json: schema 2, expected 1"):
        load(path)
    path.write_text("{")
    with pytest.raises(ReportError, match="not a readable JSON report"):
        load(path)


def test_compat_command_writes_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_run("2.4.1", {3: ("skipped", "requires torch>=2.5")})))
    output = tmp_path / "COMPATIBILITY.md"
    assert main([str(path), "--output", str(output)]) == 0
    assert "⏭️ skipped (cpu-float32): requires torch>=2.5" in output.read_text(encoding="utf-8")
    assert "1 runs" in capsys.readouterr().out
