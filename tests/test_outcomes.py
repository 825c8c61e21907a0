"""One outcome vocabulary and one report schema: the summary, the report and the history derive
their orders and checks from them."""

from __future__ import annotations

from dataclasses import fields

from pytest_cheatsheet import outcomes, report, summary
from pytest_cheatsheet.history import records


def test_the_summary_columns_are_the_outcomes_in_pytests_order_unchecked_apart() -> None:
    assert summary.COLUMNS == ("passed", "failed", "skipped", "xfailed", "xpassed", "error")
    assert (*summary.COLUMNS, summary.UNCHECKED) == outcomes.OUTCOMES


def test_the_history_lists_passed_then_failing_then_the_rest() -> None:
    # The history files' group order and COMPATIBILITY.md's words depend on this order.
    assert records.OUTCOMES == (
        "passed",
        "failed",
        "error",
        "skipped",
        "xfailed",
        "xpassed",
        "unchecked",
    )
    assert set(records.OUTCOMES) == set(outcomes.OUTCOMES)


def test_the_fields_a_reader_requires_are_fields_the_report_writes() -> None:
    assert set(report.REQUIRED_FIELDS) <= {field.name for field in fields(report.Record)}


def test_the_failing_outcomes_are_outcomes() -> None:
    assert outcomes.FAILING.issubset(outcomes.OUTCOMES)
    assert outcomes.UNCHECKED in outcomes.OUTCOMES
