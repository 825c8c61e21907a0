"""``--cheatsheet-audit``: perturbed expected outputs re-checked against what was printed."""

from __future__ import annotations

import doctest
import json

import pytest
from sybil import Region

from conftest import SheetWriter
from pytest_cheatsheet.audit import (
    MAX_PERTURBED_TOKENS,
    audit_output,
    checks_nothing,
    perturbations,
)
from pytest_cheatsheet.checker import CheckContext, ToleranceOverride
from pytest_cheatsheet.output_checker import TensorOutputChecker
from pytest_cheatsheet.recorder import AuditRecorder
from pytest_cheatsheet.seam import region_source


@pytest.mark.parametrize(
    ("want", "changes"),
    [
        ("0.7616", ["0.7616 -> 0.7617", "0.7616 -> 0.7615", "0.7616 -> -0.7616"]),
        ("41.", ["41. -> 42.", "41. -> 40.", "41. -> -41."]),
        ("-2", ["-2 -> -3", "-2 -> -1", "-2 -> 2"]),
        ("0", ["0 -> 1"]),  # an integer has no -0, and no digit below 0
        ("9.99", ["9.99 -> 10.00", "9.99 -> 9.98", "9.99 -> -9.99"]),
        ("1.0000e-08", ["1.0000e-08 -> 1.0001e-08", "1.0000e-08 -> 0.9999e-08", "*"]),
        (
            "0.30000000000000004",  # the 15th significant digit: round-off covers the 17th
            ["0.30000000000000004 -> 0.30000000000000104", "*", "*"],
        ),
        ("True", ["True -> False"]),
        ("'ab'", ["'ab' -> 'xb'"]),
        ("''", ["'' -> 'x'"]),
        ("nan inf", []),
        ("tensor", []),
    ],
)
def test_each_number_bool_and_string_is_perturbed_in_one_place(
    want: str, changes: list[str]
) -> None:
    found = [perturbation.change for perturbation in perturbations(want)]
    assert len(found) == len(changes)
    assert all(change == "*" or change == got for change, got in zip(changes, found, strict=True))
    for perturbation in perturbations(want):
        assert perturbation.apply(want) != want


def test_a_long_output_is_perturbed_in_a_bounded_number_of_places() -> None:
    want = repr(list(range(1, 1000)))
    assert len(perturbations(want)) == 3 * MAX_PERTURBED_TOKENS


def test_the_audit_counts_what_the_checker_catches_on_the_written_combination() -> None:
    checker = TensorOutputChecker()
    strong = audit_output(checker, "tensor([0.7616])\n", "tensor([0.7616])\n", 0)
    assert strong == {
        "perturbations": 3,
        "caught": 3,
        "within_tolerance": 0,
        "survivors": [],
        "weak": 0,
    }
    # fewer digits written than printed pass only where a tolerance is set: 0.77 rounds 0.7651
    checker.context = CheckContext(tolerance=ToleranceOverride(rtol=1e-3, source="the sheet"))
    weak = audit_output(checker, "0.76\n", "0.7651\n", 0)
    assert weak["survivors"] == ["0.76 -> 0.77"]


def test_on_another_dtype_a_number_within_its_tolerance_is_counted_not_weak() -> None:
    checker = TensorOutputChecker()
    checker.context = CheckContext(written=False, dtype="float16")
    audit = audit_output(
        checker, "tensor([0.7616])\n", "tensor([0.7617], dtype=torch.float16)\n", 0
    )
    assert audit["within_tolerance"] == 2
    assert audit["survivors"] == []
    assert audit["caught"] == 1  # the sign


def checks_nothing_in(parsed: object) -> bool:
    """checks_nothing as the runner asks it, for a region whose Region.parsed is ``parsed``."""
    region = Region(0, 1, parsed, None)
    source = region_source(region)
    return checks_nothing(
        source[0] if source is not None else None, isinstance(parsed, doctest.Example)
    )


@pytest.mark.parametrize(
    ("parsed", "nothing"),
    [
        # A doctest's value and output are compared, even an empty one: it checks something.
        (doctest.Example("import torch", ""), False),
        (doctest.Example("x = 1", ""), False),
        (doctest.Example("values.sort()", ""), False),
        (doctest.Example("x", "1\n"), False),
        (doctest.Example("assert x == 1", ""), False),
        (doctest.Example("1/0", "Traceback...\n", exc_msg="ZeroDivisionError\n"), False),
        # In a code block, imports and assignments set up; a value computed and dropped (a
        # printed one too) is what could have been checked.
        ("import torch\nx = torch.ones(2)\n", False),
        ("def f():\n    return 1\n", False),
        ("x = 1\nprint(x)\n", True),
        ("x = 1\nx.bit_length()\n", True),
        ('"""A docstring."""\nx = 1\n', False),
        ("assert x == 1\n", False),
        ("torch.testing.assert_close(a, b)\n", False),
        ("with pytest.raises(ValueError):\n    f()\n", False),
        ("x = (\n", False),  # fails when run
    ],
)
def test_blocks_and_statements_without_output_or_assert_check_nothing(
    parsed: object, nothing: bool
) -> None:
    assert checks_nothing_in(parsed) is nothing


# Fewer digits written than printed (0.76 for 0.7651) pass only under a tolerance.
SHEET = """\
# 审计
<!-- cheatsheet: tolerance rtol=1e-3 -->
```python
>>> import math
>>> 0.7651
0.76
>>> 0.5
0.5
```

```python
y = math.pi; y * 2
```

```python
assert y > 3
```
"""


def test_the_audit_lists_weak_outputs_and_code_that_checks_nothing_and_scores(
    sheets: SheetWriter,
) -> None:
    sheets.write("audit.md", SHEET)
    result = sheets.run("--cheatsheet-audit")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "*cheatsheet audit: how strong each check is*",
            "weak: cheatsheet/audit.md:5 ?any?: 0.76 -> 0.77 still passes",
            "checks nothing (a value computed and not checked): cheatsheet/audit.md: lines 11",
            "score: 2 outputs checked, 5 of 6 perturbations caught (83.3%); 1 weak examples; "
            "1 blocks or statements check nothing",
        ]
    )
    assert "audit.md:7" not in result.stdout.str()  # 0.5 is checked strongly


def test_without_the_option_there_is_no_audit(sheets: SheetWriter) -> None:
    sheets.write("audit.md", SHEET)
    result = sheets.run()
    result.assert_outcomes(passed=5)
    assert "cheatsheet audit" not in result.stdout.str()


def test_the_audit_reaches_the_json_report_and_survives_xdist(sheets: SheetWriter) -> None:
    pytest.importorskip("xdist")
    sheets.write("audit.md", SHEET)
    result = sheets.run("--cheatsheet-audit", "-n", "2", "--cheatsheet-report=report.json")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        ["weak: cheatsheet/audit.md:5 ?any?: 0.76 -> 0.77 still passes", "score: 2 outputs *"]
    )
    report = json.loads((sheets.pytester.path / "report.json").read_text(encoding="utf-8"))
    by_line = {record["line"]: record["audit"] for record in report["results"]}
    assert by_line[5]["outputs"][0]["survivors"] == ["0.76 -> 0.77"]
    assert by_line[7]["outputs"][0]["caught"] == 3
    assert by_line[4]["checks_nothing"] is False  # an import sets up
    assert by_line[11]["checks_nothing"] is True


def test_the_recorder_prints_a_score_of_nothing_when_nothing_ran() -> None:
    assert AuditRecorder().lines() == [
        "score: 0 outputs checked, 0 of 0 perturbations caught (n/a); 0 weak examples; "
        "0 blocks or statements check nothing"
    ]
