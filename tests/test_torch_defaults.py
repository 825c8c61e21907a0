"""torch's defaults per combination (``cheatsheet_torch_defaults``, ``torch-defaults=on``), no row
for a combination that did not run differently, and the coverage each combination got."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.overrides import TorchFunctionMode

from conftest import summary_table
from pytest_cheatsheet import reach, torch_defaults
from pytest_cheatsheet.exercised import TensorWatch

# Docstrings that never name dtype or device, as real projects write them. The claim at line 14
# is what float32 prints (and float64 rounds to it); bfloat16 prints 0.333984375.
MODULE = '''\
"""Numbers.

>>> import torch
>>> torch.tensor([0.5, 1.5]) * 2
tensor([1., 3.])
"""

import torch


def third():
    """One third, as the default dtype holds it.

    >>> (torch.tensor(1.0) / 3).item()
    0.3333333432674408
    """
    return torch.tensor(1.0) / 3
'''
CLAIM_LINE = 14
DTYPES = ("float32", "float64", "bfloat16")


def project(
    pytester: pytest.Pytester,
    module: str = MODULE,
    ini: str = "",
) -> Path:
    """A project whose docs/ holds the module as a sheet, one item per example."""
    pytester.makeini(
        "[pytest]\ncheatsheet_items = example\ncheatsheet_paths = docs\npythonpath = docs\n"
        "cheatsheet_devices = cpu\n" + textwrap.dedent(ini)
    )
    docs = pytester.path / "docs"
    docs.mkdir()
    path = docs / "thirds.py"
    path.write_text(module, encoding="utf-8")
    return path


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "-rfE", *args)


def verdicts(pytester: pytest.Pytester, result_path: str) -> set[tuple[str, int, str, str]]:
    document = json.loads((pytester.path / result_path).read_text(encoding="utf-8"))
    return {
        (record["sheet"], record["line"], record["combination"], record["outcome"])
        for record in document["results"]
    }


ON = "cheatsheet_dtypes = float32 float64 bfloat16\ncheatsheet_torch_defaults = true\n"


def test_with_torch_defaults_a_claim_false_in_bfloat16_fails_on_bfloat16_only(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, ini=ON)
    result = run(pytester)
    result.assert_outcomes(passed=3 * 3 - 1, failed=1)
    result.stdout.fnmatch_lines([f"FAILED docs/thirds.py::cpu-bfloat16::line:{CLAIM_LINE}*"])
    table = summary_table(result)
    assert [row.split()[0] for row in table[1:]] == [
        "cpu-bfloat16",
        "cpu-float32",
        "cpu-float64",
    ]


def test_with_torch_defaults_each_combination_computes_in_its_dtype(
    pytester: pytest.Pytester,
) -> None:
    project(
        pytester,
        '"""\n>>> import torch\n>>> torch.get_default_dtype() in (torch.float64, torch.bfloat16)\n'
        'False\n>>> torch.ones(2).dtype\ntorch.float32\n"""\n',
        ini=ON,
    )
    result = run(pytester)
    # Each expected output is float32's: the other dtypes print otherwise, and fail.
    result.assert_outcomes(passed=3 + 2, failed=2 * 2)
    failed = {line for line in result.stdout.lines if line.startswith("FAILED")}
    assert failed == {
        f"FAILED docs/thirds.py::cpu-{dtype}::line:{line}"
        for dtype in ("float64", "bfloat16")
        for line in (3, 5)
    }


def test_without_torch_defaults_ini_axes_collapse_with_a_note_per_sheet(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, ini="cheatsheet_dtypes = float32 float64 bfloat16\n")
    result = run(pytester)
    result.assert_outcomes(passed=3)
    assert [row.split()[0] for row in summary_table(result)[1:]] == ["any"]
    result.stdout.fnmatch_lines(
        [
            "docs/thirds.py: dtypes collapsed (float32, float64, bfloat16): the code never "
            "reads dtype; set cheatsheet_torch_defaults to run it per dtype"
        ]
    )


def test_an_ini_axis_of_one_value_collapses_without_a_note(pytester: pytest.Pytester) -> None:
    project(pytester)
    result = run(pytester)
    result.assert_outcomes(passed=3)
    assert "collapsed" not in result.stdout.str()


def test_an_axis_the_sheet_declares_and_never_reads_is_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, MODULE + "\n# cheatsheet: dtypes=float32,float64,bfloat16\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*docs/thirds.py:19: declares dtypes=float32,float64,bfloat16 but its code never "
            "reads dtype, so its tensors would have torch's default dtype (float32) in every "
            "combination: read dtype in the code, or turn torch defaults on (torch-defaults=on "
            "in this directive, or the ini option cheatsheet_torch_defaults)*"
        ]
    )


def test_a_declared_device_axis_never_read_is_an_error_not_a_run_on_another_device(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, MODULE + "\n# cheatsheet: devices=meta\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*docs/thirds.py:19: declares devices=meta but its code never*"])


def test_a_declared_axis_of_torchs_own_default_needs_no_reading(pytester: pytest.Pytester) -> None:
    project(pytester, MODULE + "\n# cheatsheet: devices=cpu dtypes=float32\n")
    result = run(pytester)
    result.assert_outcomes(passed=3)
    assert [row.split()[0] for row in summary_table(result)[1:]] == ["cpu-float32"]


def test_the_sheet_directive_turns_torch_defaults_on(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        MODULE + "\n# cheatsheet: dtypes=float32,float64,bfloat16 torch-defaults=on\n",
    )
    result = run(pytester)
    result.assert_outcomes(passed=3 * 3 - 1, failed=1)
    result.stdout.fnmatch_lines([f"FAILED docs/thirds.py::cpu-bfloat16::line:{CLAIM_LINE}*"])


def test_the_sheet_directive_turns_the_ini_torch_defaults_off(pytester: pytest.Pytester) -> None:
    project(pytester, MODULE + "\n# cheatsheet: torch-defaults=off\n", ini=ON)
    result = run(pytester)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["docs/thirds.py: dtypes collapsed*"])


def test_torch_defaults_in_a_markdown_directive(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    pytester.makefile(
        ".md",
        **{
            "cheatsheet/third": """\
            <!-- cheatsheet: devices=cpu dtypes=float32,bfloat16 torch-defaults=on -->

            ```python
            >>> import torch
            >>> (torch.tensor(1.0) / 3).item()
            0.3333333432674408
            ```
            """
        },
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["FAILED cheatsheet/third.md::cpu-bfloat16::line:5*"])


@pytest.mark.parametrize("value", ["yes", "1"])
def test_a_bad_torch_defaults_value_names_the_valid_ones(
    pytester: pytest.Pytester, value: str
) -> None:
    pytester.makefile(
        ".md",
        **{
            "cheatsheet/x": f"<!-- cheatsheet: torch-defaults={value} -->\n\n"
            "```python\n>>> 1\n1\n```\n"
        },
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*cheatsheet/x.md:1: unknown torch-defaults value {value!r}; valid: on, off*"]
    )


def test_torch_defaults_with_an_integer_dtype_is_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, MODULE + "\n# cheatsheet: dtypes=float32,int64 torch-defaults=on\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*docs/thirds.py:19: torch-defaults=on cannot make int64 torch's default dtype*"]
    )


def test_a_sheet_that_reads_dtype_behaves_as_before(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    pytester.makefile(
        ".md",
        **{
            "cheatsheet/reads": """\
            <!-- cheatsheet: devices=cpu dtypes=float32,bfloat16 -->

            ```python
            >>> import torch
            >>> (torch.tensor(1.0, dtype=dtype) / 3).item()
            0.3333333432674408
            >>> torch.get_default_dtype()
            torch.float32
            ```
            """
        },
    )
    result = run(pytester)
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["FAILED cheatsheet/reads.md::cpu-bfloat16::line:5*"])
    assert summary_table(result)[0].split() == [
        "combination",
        "passed",
        "failed",
        "skipped",
        "xfailed",
        "xpassed",
        "error",
    ]
    assert "collapsed" not in result.stdout.str()


def test_a_later_sheet_sees_float32_and_cpu_again(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    pytester.makefile(
        ".md",
        **{
            "cheatsheet/a_defaults": """\
            <!-- cheatsheet: devices=meta dtypes=float64 torch-defaults=on -->

            ```python
            import torch
            assert torch.get_default_dtype() == torch.float64
            assert torch.ones(1).device.type == "meta"
            ```
            """,
            "cheatsheet/b_later": """\
            ```python
            import torch
            assert torch.get_default_dtype() == torch.float32
            assert torch.ones(1).device.type == "cpu"
            ```
            """,
        },
    )
    result = run(pytester, "-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_xdist_and_k_give_the_serial_verdicts(pytester: pytest.Pytester) -> None:
    project(pytester, ini=ON)
    run(pytester, "--cheatsheet-report=serial.json").assert_outcomes(passed=8, failed=1)
    run(pytester, "-n", "2", "--cheatsheet-report=xdist.json").assert_outcomes(passed=8, failed=1)
    serial = verdicts(pytester, "serial.json")
    assert verdicts(pytester, "xdist.json") == serial
    run(pytester, "-k", f"line:{CLAIM_LINE}", "--cheatsheet-report=k.json").assert_outcomes(
        passed=2, failed=1
    )
    assert verdicts(pytester, "k.json") == {v for v in serial if v[1] == CLAIM_LINE}


def test_update_mode_writes_the_written_combinations_output_only(pytester: pytest.Pytester) -> None:
    path = project(pytester, MODULE.replace("0.3333333432674408", "0.25"), ini=ON)
    result = run(pytester, "--cheatsheet-update")
    result.assert_outcomes(passed=6, failed=3)
    assert path.read_text(encoding="utf-8") == MODULE  # float32's, not bfloat16's 0.333984375
    run(pytester).assert_outcomes(passed=8, failed=1)


def test_each_example_records_whether_it_made_a_tensor_of_its_combination(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, ini=ON)
    result = run(pytester, "--cheatsheet-report=r.json")
    document = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    exercised = {
        (record["line"], record["combination"]): record["exercised"]
        for record in document["results"]
    }
    # `import torch` makes no tensor; the other two make one of the running dtype.
    assert exercised == {
        (line, f"cpu-{dtype}"): line != 3 for line in (3, 4, CLAIM_LINE) for dtype in DTYPES
    }
    table = summary_table(result)
    assert table[0].split()[-1] == "exercised"
    assert [row.split()[-1] for row in table[1:]] == ["2", "2", "2"]


def test_a_combination_no_example_made_a_tensor_of_is_flagged_not_exercised(
    pytester: pytest.Pytester,
) -> None:
    project(
        pytester,
        '"""\n>>> import torch\n>>> torch.ones(2, dtype=torch.float32)\ntensor([1., 1.])\n"""\n',
        ini=ON,
    )
    result = run(pytester, "--cheatsheet-report=r.json")
    result.assert_outcomes(passed=6)
    table = summary_table(result)
    rows = {row.split()[0]: row for row in table[1:]}
    assert rows["cpu-float32"].split()[-1] == "1"
    assert rows["cpu-bfloat16"].endswith("0  (not exercised)")
    assert rows["cpu-float64"].endswith("0  (not exercised)")
    result.stdout.fnmatch_lines(
        [
            "*cheatsheet: not exercised*",
            "docs/thirds.py [cpu-bfloat16]: no block made a bfloat16 tensor on cpu; "
            "its passes verify nothing of bfloat16",
            "docs/thirds.py [cpu-float64]: no block made a float64 tensor on cpu; "
            "its passes verify nothing of float64",
        ]
    )
    document = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    assert not any(
        record["exercised"]
        for record in document["results"]
        if record["combination"] != "cpu-float32"
    )


def test_records_have_no_exercised_key_without_torch_defaults(pytester: pytest.Pytester) -> None:
    project(pytester)
    run(pytester, "--cheatsheet-report=r.json").assert_outcomes(passed=3)
    document = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    assert all("exercised" not in record for record in document["results"])


# -- the pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "used", "torch_defaults", "multiplied"),
    [
        (set(), set(), False, set()),
        (set(), {"dtypes"}, False, {"dtypes"}),
        ({"devices"}, {"dtypes"}, False, {"devices", "dtypes"}),
        (set(), set(), True, {"devices", "dtypes"}),
        ({"autocast"}, set(), True, {"autocast", "devices", "dtypes"}),
    ],
)
def test_axes_multiply_where_the_code_reads_them_or_torch_defaults_follow_them(
    declared: set[str], used: set[str], torch_defaults: bool, multiplied: set[str]
) -> None:
    assert reach.multiplied_axes(frozenset(declared), frozenset(used), torch_defaults) == multiplied


@pytest.mark.parametrize(
    ("declared", "used", "torch_defaults", "error"),
    [
        ({"dtypes": ("float32", "float64")}, set(), False, "declares dtypes=float32,float64"),
        ({"dtypes": ("float64",)}, set(), False, "declares dtypes=float64"),
        ({"devices": ("cuda",)}, {"dtypes"}, False, "declares devices=cuda"),
        ({"dtypes": ("float32", "float64")}, {"dtypes"}, False, None),
        ({"dtypes": ("float32", "float64")}, set(), True, None),
        ({"dtypes": ("float32",), "devices": ("cpu",)}, set(), False, None),
        ({"autocast": (False, True)}, set(), False, None),
    ],
)
def test_a_declared_axis_unread_with_torch_defaults_off_is_named(
    declared: dict[str, tuple[Any, ...]], used: set[str], torch_defaults: bool, error: str | None
) -> None:
    found = reach.unread_declared_axis(declared, frozenset(used), torch_defaults)
    if error is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(error)
        assert "torch-defaults=on" in found
        assert "cheatsheet_torch_defaults" in found


def test_collapse_notes_name_only_the_unread_axes_of_several_values() -> None:
    values = {"devices": ("cpu", "cuda"), "dtypes": ("float32",)}
    assert reach.collapse_notes(values, frozenset()) == (
        "devices collapsed (cpu, cuda): the code never reads device; "
        "set cheatsheet_torch_defaults to run it per device",
    )
    assert reach.collapse_notes(values, frozenset({"devices"})) == ()


@pytest.mark.parametrize(
    ("dtype", "floating"),
    [
        ("float32", "float32"),
        ("bfloat16", "bfloat16"),
        ("complex64", "float32"),
        ("complex128", "float64"),
        ("int64", None),
        ("bool", None),
    ],
)
def test_the_default_dtype_of_a_combination_is_its_floating_dtype(
    dtype: str, floating: str | None
) -> None:
    assert torch_defaults.default_dtype_for(dtype) == floating


def test_a_dtype_this_torch_refuses_as_its_default_is_named_with_the_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(dtype: torch.dtype) -> None:
        if dtype == torch.bfloat16:
            raise TypeError("only floating-point types are supported as the default type")

    monkeypatch.setattr(torch, "set_default_dtype", refuse)
    problem = torch_defaults.torch_defaults_problem(("float32", "bfloat16"), ("cpu",))
    assert problem is not None
    assert f"cannot make bfloat16 the default dtype on torch {torch.__version__}" in problem
    assert "only floating-point types" in problem


def test_a_torch_without_set_default_device_is_named_for_devices_other_than_cpu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(torch, "set_default_device")
    assert torch_defaults.torch_defaults_problem(("float32",), ("cpu",)) is None
    problem = torch_defaults.torch_defaults_problem(("float32",), ("cpu", "cuda"))
    assert problem is not None
    assert "needs torch.set_default_device (torch 2.0 or later)" in problem


def test_the_watch_sees_a_tensor_of_its_dtype_on_its_device_and_nothing_else() -> None:
    watch = TensorWatch("float64", "cpu")
    with watch.watching():
        torch.ones(2, dtype=torch.float32) + 1
        torch.arange(3)
    assert not watch.made
    with watch.watching():
        torch.max(torch.tensor([1.0, 2.0], dtype=torch.float64), dim=0)
    assert watch.made
    with watch.watching():
        torch.ones(2, dtype=torch.float64, device="meta")
    assert not watch.made


def test_the_watch_leaves_torchs_mode_stack_as_the_example_left_it() -> None:
    class Other(TorchFunctionMode):
        pass

    depth = torch._C._len_torch_function_stack()
    other = Other()
    watch = TensorWatch("float32", "cpu")
    with watch.watching():
        other.__enter__()  # type: ignore[no-untyped-call]  # left open by the example, as set_default_device before torch 2.3
    try:
        assert torch._C._len_torch_function_stack() == depth + 1
        assert torch.overrides._get_current_function_mode() is other  # type: ignore[no-untyped-call]
    finally:
        other.__exit__(None, None, None)  # type: ignore[no-untyped-call]
    assert torch._C._len_torch_function_stack() == depth


def test_the_plugins_own_default_devices_collapse_without_a_note(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".md", **{"cheatsheet/sorting": "```python\n>>> sorted([2, 1])\n[1, 2]\n```\n"}
    )
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert "collapsed" not in result.stdout.str()
    pytester.makeini("[pytest]\ncheatsheet_devices = cpu meta\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["cheatsheet/sorting.md: devices collapsed (cpu, meta): *"])
