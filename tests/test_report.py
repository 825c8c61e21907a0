from __future__ import annotations

import datetime
import json
from typing import Any

import numpy
import pytest
import torch

from conftest import SheetWriter

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
