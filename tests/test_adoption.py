"""README's "Use it in your project", followed literally in a fresh project."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"

MYST_PAGE = """\
% cheatsheet: dtypes=float32,float64

```{code-block} python
import torch
```

```{doctest}
>>> torch.ones(2, dtype=dtype).sum().item()
2.0
```
"""

REST_PAGE = """\
Sums
====

.. code-block:: python

   import torch

>>> torch.arange(4, dtype=dtype).sum().item()
6.0
"""

MODULE = '''\
"""Sums.

>>> total(torch.ones(3, dtype=dtype))
3.0
"""

import torch


def total(x):
    return x.sum().item()
'''

ROOT_README = """\
# Project

```python
>>> import torch
>>> torch.zeros(1, dtype=dtype).dtype in (torch.float32, torch.float64)
True
```
"""


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(text: str, language: str) -> list[str]:
    fence = re.escape("````" if language == "markdown" else "```")
    return re.findall(rf"^{fence}{language}\n(.*?)^{fence}$", text, re.MULTILINE | re.DOTALL)


def test_readme_s_adoption_section_verifies_a_project_across_two_dtypes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    adopt = section("Use it in your project")
    assert "pip install pytest-cheatsheet" in blocks(adopt, "bash")[0]
    (pyproject,) = blocks(adopt, "toml")
    (page,) = blocks(adopt, "markdown")
    page_name = re.search(r"`(docs/\w+\.md)`", adopt)
    assert page_name is not None
    assert blocks(adopt, "bash")[1].strip() == "pytest"

    assert 'add `"src"` to `cheatsheet_paths`' in adopt
    pyproject = pyproject.replace(
        'cheatsheet_paths = ["docs",', 'cheatsheet_paths = ["docs", "src",'
    )
    assert '"src"' in pyproject
    pytester.path.joinpath("pyproject.toml").write_text(pyproject, encoding="utf-8")
    files = {
        page_name.group(1): page,
        "docs/myst.md": MYST_PAGE,
        "docs/api/sums.rst": REST_PAGE,
        "README.md": ROOT_README,
        "src/project/__init__.py": "",
        "src/project/sums.py": MODULE,
    }
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    monkeypatch.setenv("PYTHONPATH", str(pytester.path / "src"))  # as an installed package

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    # One item per code block: softmax.md: the reader-defaults block and a doctest block (of 2
    # examples) on cpu and cuda; myst: 2 blocks; rest: 2; README: 1 (of 2 examples); sums.py:
    # 1 docstring; each in float32 and float64, and one unit test. The table counts examples.
    cpu = (2 + 2 + 2 + 1 + 1) * 2
    result.assert_outcomes(passed=cpu + 1, skipped=2 * 2)
    result.stdout.fnmatch_lines(
        [
            "*cheatsheet: what was verified*",
            "combination * passed * failed * skipped*",
            "cpu-float32 * 3 * 0 * 0 *",
            "cpu-float64 * 3 * 0 * 0 *",
            "cuda-float32 * 0 * 0 * 3 * (device 'cuda' is not available)",
            "float32 * 7 * 0 * 0 *",
            "float64 * 7 * 0 * 0 *",
        ]
    )

    monkeypatch.chdir(pytester.path / "docs" / "api")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2 * 2)
    result.stdout.fnmatch_lines(["configfile: pyproject.toml", "sums.rst .... *"])
