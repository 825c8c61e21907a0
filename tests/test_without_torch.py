"""Without torch (and without NumPy), Python and NumPy sheets run; a sheet that needs torch's
devices or dtypes says so."""

from __future__ import annotations

import pytest

BLOCKER = """
import sys

for name in {names!r}:
    sys.modules[name] = None  # `import name` raises ImportError, as where it is not installed
"""


def _run(pytester: pytest.Pytester, blocked: tuple[str, ...], *args: str) -> pytest.RunResult:
    pytester.makepyfile(blocker=BLOCKER.format(names=blocked))
    return pytester.runpytest_subprocess("-p", "blocker", "-p", "no:cacheprovider", *args)


def test_python_sheets_run_without_torch_or_numpy(pytester: pytest.Pytester) -> None:
    sheet = pytester.path / "cheatsheet" / "sorting.md"
    sheet.parent.mkdir()
    sheet.write_text(
        "```python\n>>> import random\n>>> sorted([3, 1, 2])\n[1, 2, 3]\n>>> random.random()\n"
        "0.8444218515250481\n```\n",
        encoding="utf-8",
    )
    result = _run(pytester, ("torch", "numpy"), "cheatsheet")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*torch not installed*", "any * 3 * 0 *"])


def test_numpy_sheets_run_without_torch(pytester: pytest.Pytester) -> None:
    sheet = pytester.path / "cheatsheet" / "arrays.md"
    sheet.parent.mkdir()
    sheet.write_text(
        "```python\n>>> import numpy as np\n>>> np.arange(3).sum()\nnp.int64(3)\n"
        ">>> np.random.rand()\n0.5488135039273248\n```\n",
        encoding="utf-8",
    )
    result = _run(pytester, ("torch",), "cheatsheet")
    result.assert_outcomes(passed=1)


def test_a_sheet_that_declares_dtypes_without_torch_is_a_clear_error(
    pytester: pytest.Pytester,
) -> None:
    sheet = pytester.path / "cheatsheet" / "tensors.md"
    sheet.parent.mkdir()
    sheet.write_text(
        "<!-- cheatsheet: dtypes=float32,float64 -->\n\n```python\n>>> 1\n1\n```\n",
        encoding="utf-8",
    )
    result = _run(pytester, ("torch",), "cheatsheet")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*cheatsheet/tensors.md:1: its matrix needs torch (dtypes), which is not installed*"]
    )
