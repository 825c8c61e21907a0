"""An installed plugin costs a run without sheets nothing: no torch, no NumPy."""

from __future__ import annotations

import pytest

from pytest_cheatsheet.matrix import KNOWN_DTYPES

PLAIN_TEST = """
import sys

def test_plain():
    assert "torch" not in sys.modules
    assert "numpy" not in sys.modules
"""


def test_a_run_that_collects_no_sheet_imports_neither_torch_nor_numpy(
    pytester: pytest.Pytester,
) -> None:
    # Options the plugin validates at start-up, in their usual and aliased spellings.
    pytester.makeini(
        "[pytest]\ncheatsheet_items = example\n"
        "cheatsheet_dtypes = float32 float64 torch.half bfloat16 int64\n"
        "cheatsheet_devices = cpu cuda:1 mps\ncheatsheet_autocast = off on\n"
    )
    (pytester.path / "cheatsheet").mkdir()
    (pytester.path / "cheatsheet" / "notes.txt").write_text("not a sheet\n")
    pytester.makepyfile(test_plain=PLAIN_TEST)
    # pytest-doctestplus (installed for the suite's doctestplus tests) imports NumPy itself.
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:doctestplus", "--cheatsheet-dtypes=half"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["plugins:*cheatsheet*"])


def test_the_first_sheet_collected_imports_torch(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    (pytester.path / "cheatsheet").mkdir()
    (pytester.path / "cheatsheet" / "a.md").write_text(
        "```python\n>>> import sys\n>>> 'torch' in sys.modules\nTrue\n```\n"
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


@pytest.mark.parametrize(("name", "canonical"), sorted(KNOWN_DTYPES.items()))
def test_the_dtype_names_known_without_torch_are_torch_s_own(name: str, canonical: str) -> None:
    import torch

    dtype = getattr(torch, name)
    assert isinstance(dtype, torch.dtype)
    assert str(dtype) == f"torch.{canonical}"
