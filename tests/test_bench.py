"""benchmarks/bench.py's sheets hold the examples they promise and pass; nothing here is timed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser


def _load_bench() -> ModuleType:
    """benchmarks/ is a folder of scripts, not a package."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"
    spec = importlib.util.spec_from_file_location("bench", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it runs
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@pytest.mark.parametrize("examples", [1, 2, 3, 4, 7, 8, 100])
@pytest.mark.parametrize("kind", [{}, {"matrix": True}, {"payload": True}])
def test_a_sheet_holds_exactly_the_examples_and_blocks_it_promises(
    examples: int, kind: dict[str, bool], tmp_path: Path
) -> None:
    generated = bench.sheet(examples, **kind)
    path = tmp_path / "sheet.md"
    path.write_text(generated.text, encoding="utf-8")
    document = Sybil(parsers=[PythonCodeBlockParser(), SkipParser()]).parse(path)
    assert len(generated.examples) == len(list(document.examples())) == examples
    assert generated.text.count("```python\n") == generated.blocks
    assert generated.blocks == examples // 7 * 3 + [0, 1, 1, 1, 2, 2, 2][examples % 7]


def _plugin_items(pytester: pytest.Pytester, project: Any) -> int:
    """What the plugin passes: one item per block where it has ``cheatsheet_items``."""
    try:
        pytester.parseconfig().getini("cheatsheet_items")
    except ValueError:
        return int(project.examples)
    return int(project.blocks)


@pytest.mark.parametrize("kind", [{}, {"matrix": True}, {"payload": True}])
def test_every_example_passes_under_the_plugin_in_one_combination_and_the_floor(
    pytester: pytest.Pytester, kind: dict[str, bool]
) -> None:
    project = bench.project(pytester.path, 2, 11, **kind)
    result = pytester.runpytest("-p", "no:cacheprovider", *bench.ONE)
    result.assert_outcomes(passed=_plugin_items(pytester, project))
    assert bench.floor(pytester.path / "examples.json") == project.examples == 22


def test_every_example_passes_under_bare_sybil(pytester: pytest.Pytester) -> None:
    project = bench.project(pytester.path, 2, 11, sybil=True, payload=True)
    pytester.runpytest("-p", "no:cacheprovider", *bench.SYBIL).assert_outcomes(passed=22)
    assert project.examples == 22


def test_a_matrix_sheet_is_collected_in_sixteen_combinations(pytester: pytest.Pytester) -> None:
    project = bench.project(pytester.path, 1, 11, matrix=True)
    result = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q")
    items = _plugin_items(pytester, project) * bench.COMBINATIONS
    result.stdout.fnmatch_lines([f"{items} tests collected*"])


def test_the_floor_fails_on_a_wrong_output(tmp_path: Path) -> None:
    examples = tmp_path / "examples.json"
    examples.write_text(json.dumps([[["doctest", "1 + 1\n", "3\n"]]]), encoding="utf-8")
    with pytest.raises(AssertionError, match="printed '2\\\\n', not '3\\\\n'"):
        bench.floor(examples)


def test_against_prints_both_revisions_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    source = Path(__file__).resolve().parent.parent / "src"
    sizes = bench.Sizes(30, (1, 7), (300, 1_500), (2, 6), "", 1)
    assert bench.against(source, sizes) == 0
    printed = capsys.readouterr().out
    assert "this revision: " in printed
    assert f"{source}: " in printed
    assert printed.count(" net, ") == 2


def test_against_a_folder_without_the_plugin_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"no pytest_cheatsheet/plugin\.py there"):
        bench.main(["--against", str(tmp_path)])
