from __future__ import annotations

import textwrap

import pytest

REST = """\
Title
=====

.. cheatsheet: devices=cpu dtypes=float32,float64

.. code-block:: python

   import torch
   x = torch.ones(2, dtype=dtype)

A bare doctest:

>>> x.sum().item()
2.0

.. doctest::

   >>> str(x.dtype)
   'torch.float32'

.. cheatsheet: requires torch<2.0

.. code-block:: pycon

   >>> 1 + 1
   3
"""

MYST = """\
% cheatsheet: devices=cpu dtypes=float32,float64

```{code-block} python
import torch
y = torch.zeros(3, dtype=dtype)
```

```{doctest}
>>> str(y.dtype)
'torch.float32'
```

<!-- cheatsheet: requires torch<2.0 -->
```python
>>> 1 + 1
3
```
"""


def write(pytester: pytest.Pytester, name: str, text: str) -> None:
    path = pytester.path / "cheatsheet" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.mark.parametrize(("name", "text"), [("page.rst", REST), ("page.md", MYST)])
def test_rest_and_myst_pages_run_across_their_matrix_with_gates_at_their_lines(
    pytester: pytest.Pytester, name: str, text: str
) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    write(pytester, name, text)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rsf")
    # Per dtype: the code block and the doctests pass; 'torch.float32' fails on float64 only.
    examples = 3 if name.endswith(".rst") else 2
    result.assert_outcomes(passed=2 * examples - 1, failed=1, skipped=2)
    lines = text.splitlines()
    gate = 1 + next(i for i, line in enumerate(lines) if "requires torch<2.0" in line)
    wrong = 1 + next(i for i, line in enumerate(lines) if ">>> str(" in line)
    result.stdout.fnmatch_lines(
        [
            f"SKIPPED [[]2[]] cheatsheet/{name}:{gate}: requires torch<2.0*",
            f"FAILED cheatsheet/{name}::*float64::line:{wrong}",
        ]
    )


def test_a_rest_directive_error_names_the_file_line_and_value(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    write(pytester, "bad.rst", ".. cheatsheet: dtypes=float17\n\n>>> 1\n1\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cheatsheet/bad.rst:1: unknown dtype 'float17'; valid:*"])


def test_rest_reader_defaults_and_skip_directives_work(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    write(
        pytester,
        "readers.rst",
        """\
        .. cheatsheet: devices=cpu dtypes=float32,float64

        .. cheatsheet: reader-defaults

        .. code-block:: python

           import torch
           dtype = torch.float32

        >>> str(dtype)
        'torch.float32'

        .. skip: start

        >>> 1 / 0

        .. skip: end
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error::UserWarning")
    # The skipped example is skipped on both dtypes (a skip without a reason names its line).
    result.assert_outcomes(passed=2 + 1, skipped=2, failed=1)


MODULE = '''\
"""Small tensor helpers.

>>> double(torch.ones(2, dtype=dtype))
tensor([2., 2.])
"""

# cheatsheet: devices=cpu dtypes=float32,float64

import torch


def double(x):
    """Twice ``x``.

    >>> double(torch.tensor([1.5], dtype=dtype)).dtype == dtype
    True
    >>> double(torch.tensor([1.5], dtype=dtype)).item()
    4.0
    """
    return x * 2
'''


def test_docstrings_of_modules_under_the_paths_run_in_the_module_namespace_across_the_matrix(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\ncheatsheet_paths = src\n")
    package = pytester.path / "src" / "helpers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ops.py").write_text(MODULE)
    monkeypatch.syspath_prepend(pytester.path / "src")
    result = pytester.runpytest("-p", "no:cacheprovider", "-rf")
    # The wrong claim (3.0 printed, 4.0 written) fails at its own line on both dtypes.
    result.assert_outcomes(passed=2 * 2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "FAILED src/helpers/ops.py::*float32::line:17",
            "FAILED src/helpers/ops.py::*float64::line:17",
        ]
    )


def test_a_test_module_named_on_the_command_line_is_not_a_sheet(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    pytester.makepyfile(test_x='"""\n>>> 1\n2\n"""\n\ndef test_x():\n    pass\n')
    pytester.runpytest("-p", "no:cacheprovider", "test_x.py").assert_outcomes(passed=1)
