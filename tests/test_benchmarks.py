"""benchmarks/run.py: its sheets hold the examples it promises and pass; its table adds up.

Nothing here times anything: the generators, the plan and the table are checked on tiny inputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

from conftest import load_benchmark

run = load_benchmark("run")
floor = load_benchmark("floor")


def _examples_sybil_finds(text: str, tmp_path: Path) -> int:
    path = tmp_path / "sheet.md"
    path.write_text(text, encoding="utf-8")
    document = Sybil(parsers=[PythonCodeBlockParser(), SkipParser()]).parse(path)
    return len(list(document.examples()))


@pytest.mark.parametrize("examples", [0, 1, 3, 4, 5, 26, 103])
@pytest.mark.parametrize(
    "options",
    [{}, {"uses_axes": True, "matrix": run.MATRIX}, {"uses_axes": True, "payload_kib": 4}],
)
def test_a_sheet_holds_exactly_the_examples_it_promises(
    examples: int, options: dict[str, object], tmp_path: Path
) -> None:
    generated = run.sheet(examples, **options)
    assert len(generated.examples) == examples
    assert _examples_sybil_finds(generated.text, tmp_path) == examples


def test_the_floor_runs_every_example_of_a_project(tmp_path: Path) -> None:
    project = run.write_project(tmp_path, sheets=3, examples_per_sheet=11, uses_axes=True)
    sheets = json.loads((tmp_path / "examples.json").read_text(encoding="utf-8"))
    assert project.examples == floor.run_examples(sheets) == 33


def test_the_floor_fails_on_a_wrong_expected_output() -> None:
    with pytest.raises(AssertionError, match="expected '3\\\\n', got '2\\\\n'"):
        floor.run_examples([[["doctest", "1 + 1\n", "3\n"]]])


def _write(pytester: pytest.Pytester, variant: str, examples_per_sheet: int) -> None:
    run.write_project(
        pytester.path,
        sheets=2,
        examples_per_sheet=examples_per_sheet,
        conftest=run.SYBIL_CONFTEST if variant == "sybil" else run.CHEATSHEET_CONFTEST,
        matrix=run.MATRIX,
        uses_axes=True,
        payload_kib=1,
    )


@pytest.mark.parametrize(
    ("variant", "args"),
    [("cheatsheet", run.ONE_COMBINATION), ("sybil", ("-p", "no:cheatsheet"))],
)
def test_every_generated_example_passes_once_in_one_combination_and_in_bare_sybil(
    pytester: pytest.Pytester, variant: str, args: tuple[str, ...]
) -> None:
    _write(pytester, variant, examples_per_sheet=7)
    pytester.runpytest("-p", "no:cacheprovider", *args).assert_outcomes(passed=2 * 7)


def test_a_sheet_of_the_matrix_is_collected_in_sixteen_combinations(
    pytester: pytest.Pytester,
) -> None:
    _write(pytester, "cheatsheet", examples_per_sheet=7)
    result = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q")
    result.stdout.fnmatch_lines([f"{2 * 7 * run.MATRIX_COMBINATIONS} tests collected*"])
    assert run.MATRIX_COMBINATIONS == 16


def test_the_quick_plan_expects_the_items_its_projects_hold(tmp_path: Path) -> None:
    sizes = run.QUICK
    plan = run.build_plan(tmp_path, sizes)
    many = sizes.many_sheets * sizes.many_examples
    assert plan.single["cheatsheet"].expect == run.passed(sizes.single_examples)
    assert {command.expect for command in plan.many.values()} == {run.passed(many)}
    matrix_sheets = list((plan.many["matrix"].cwd / "cheatsheet").glob("*.md"))
    assert len(matrix_sheets) * sizes.many_examples * run.MATRIX_COMBINATIONS == many
    assert sorted(plan.collect) == sorted(sizes.collect_items)
    for count, command in plan.collect.items():
        assert (
            len(list((command.cwd / "cheatsheet").glob("*.md"))) * sizes.collect_examples == count
        )
    assert set(plan.rss) == {
        (name, count) for name in ("sybil", "cheatsheet") for count in sizes.rss_sheets
    }


def test_the_table_reports_every_target_from_the_best_times(tmp_path: Path) -> None:
    plan = run.build_plan(tmp_path, run.QUICK)
    for command in plan.timed:
        command.wall = [9.0, 2.0]
        command.cpu = [1.0, 1.5]
    plan.single["sybil"].cpu = [1.5]
    plan.single["cheatsheet"].cpu = [1.6]
    rss = {key: 100.0 for key in plan.rss}
    rss["sybil", run.QUICK.rss_sheets[1]] = 104.0
    table = run.make_table(plan, rss)
    text = table.text()
    assert "targets (cpu time):" in text
    assert "  --cheatsheet-audit / plain run, same sheets: 1.00 (" in text
    assert len(table.targets) == 4
    sybil_target = table.targets[0]
    assert sybil_target.value == pytest.approx(1.6 / 1.5)
    assert sybil_target.met is True
    rss_target = table.targets[3]
    assert rss_target.value == 0.0
    assert "bare Sybil 1.00" in rss_target.detail
    assert run.make_table(plan, rss, "wall").targets[0].value == pytest.approx(1.0)
