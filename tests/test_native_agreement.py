"""Existing docs adopt the plugin: on fixture projects written as projects write them for
pytest's own doctest (``--doctest-modules``, ``doctest_optionflags``, ``doctest_namespace``,
autouse fixtures), the plugin gives every docstring the verdict pytest's doctest gives it."""

from __future__ import annotations

import doctest
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_cheatsheet.doctest_options import optionflags

RECORDER = """
import pytest

VERDICTS = {}


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report):
    line = report.location[1]
    if report.when == "call" or report.outcome != "passed":
        if line not in VERDICTS or VERDICTS[line] == "passed":
            VERDICTS[line] = report.outcome


def pytest_sessionfinish(session):
    import json, os

    with open(os.environ["VERDICTS_FILE"], "w") as out:
        json.dump(sorted(VERDICTS.items()), out)
"""


@dataclass
class Verdicts:
    """Each docstring's verdict (``passed``, ``failed``, ``skipped``), by the 0-based line of
    the docstring's opening quotes (native) or of its first example (the plugin)."""

    by_line: dict[int, str] = field(default_factory=dict)

    def per_docstring(self, docstring_lines: list[int]) -> dict[int, str]:
        """The verdicts keyed by the docstring that holds each line."""
        keyed: dict[int, str] = {}
        for line, outcome in self.by_line.items():
            owner = max(start for start in docstring_lines if start <= line)
            if keyed.get(owner, "passed") == "passed":
                keyed[owner] = outcome
        return keyed


def _verdicts(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str) -> Verdicts:
    import json

    out = pytester.path / f"verdicts-{len(list(pytester.path.glob('verdicts-*')))}.json"
    monkeypatch.setenv("VERDICTS_FILE", str(out))
    result = pytester.runpytest_subprocess("-p", "recorder", "-p", "no:cacheprovider", *args)
    assert result.ret in (0, 1), result.stdout.str()
    return Verdicts({int(line): outcome for line, outcome in json.loads(out.read_text())})


def _project(pytester: pytest.Pytester, ini: str, files: dict[str, str]) -> None:
    pytester.makepyfile(recorder=RECORDER)
    pytester.makeini("[pytest]\n" + textwrap.dedent(ini))
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _docstring_lines(source: str) -> list[int]:
    """The 0-based lines of a module's docstrings' opening quotes, as doctest reports them."""
    import ast

    tree = ast.parse(source)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                lines.append(body[0].lineno - 1)
    return sorted(lines)


def assert_same_verdicts(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    expected: dict[int, str],
    native_args: tuple[str, ...] = ("--doctest-modules", "-p", "no:cheatsheet"),
) -> None:
    """Run ``module`` under pytest's doctest and under the plugin; both must give each docstring
    the verdict ``expected`` (by 0-based docstring line) gives it."""
    source = (pytester.path / module).read_text(encoding="utf-8")
    docstrings = _docstring_lines(source)
    native = _verdicts(pytester, monkeypatch, *native_args, module)
    plugin = _verdicts(pytester, monkeypatch, module)
    assert native.per_docstring(docstrings) == expected, "native doctest"
    assert plugin.per_docstring(docstrings) == expected, "the plugin"


GEOMETRY = '''
"""Tiny geometry helpers.

>>> CORNERS = 4
>>> CORNERS
4
"""

SCALE = 3


def area(width, height):
    """
    >>> SCALE = 10
    >>> area(2, 5)
    10
    """
    return width * height


def scaled(length):
    """
    >>> SCALE * 2
    6
    """
    return length * SCALE


def corners():
    """
    >>> CORNERS
    4
    """
'''


def test_each_docstring_runs_in_a_fresh_copy_of_its_module_globals(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester, "cheatsheet_paths = lib\n", {"lib/geometry.py": GEOMETRY})
    # The module docstring binds CORNERS; area rebinds SCALE; neither reaches another docstring:
    # scaled sees the module's SCALE, and corners fails on a name only another docstring bound.
    assert_same_verdicts(
        pytester,
        monkeypatch,
        "lib/geometry.py",
        {0: "passed", 11: "passed", 20: "passed", 28: "failed"},
    )


def test_a_name_defined_only_in_another_docstring_fails_with_a_name_error(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, "cheatsheet_paths = lib\n", {"lib/geometry.py": GEOMETRY})
    result = pytester.runpytest("-p", "no:doctest", "lib")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*NameError: name 'CORNERS' is not defined*"])


SEEDED = '''
"""Draws that hold under the project's seed.

>>> import random
>>> random.randint(1, 1000)
990
"""


def again():
    """
    >>> import random
    >>> random.randint(1, 1000)
    990
    >>> GREETING
    'hello'
    """


def flagged():
    """
    >>> list(range(30))
    [0, 1, 2, ..., 29]
    >>> raise ValueError("the detail differs")
    Traceback (most recent call last):
    ValueError: another detail
    """
'''

SEEDING_CONFTEST = """
import random

import pytest


@pytest.fixture(autouse=True)
def _seed_every_doctest():
    random.seed(1234)


@pytest.fixture(autouse=True)
def _names(doctest_namespace):
    doctest_namespace["GREETING"] = "hello"
"""


def test_doctest_optionflags_namespace_and_autouse_fixtures_apply_as_in_pytest_doctest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(
        pytester,
        "cheatsheet_paths = lib\ndoctest_optionflags = ELLIPSIS IGNORE_EXCEPTION_DETAIL\n",
        {"lib/seeded.py": SEEDED, "lib/conftest.py": SEEDING_CONFTEST},
    )
    assert_same_verdicts(
        pytester, monkeypatch, "lib/seeded.py", {0: "passed", 9: "passed", 19: "passed"}
    )


def test_without_ellipsis_in_doctest_optionflags_an_ellipsis_is_text(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(
        pytester,
        "cheatsheet_paths = lib\ndoctest_optionflags = IGNORE_EXCEPTION_DETAIL\n",
        {"lib/seeded.py": SEEDED, "lib/conftest.py": SEEDING_CONFTEST},
    )
    assert_same_verdicts(
        pytester, monkeypatch, "lib/seeded.py", {0: "passed", 9: "passed", 19: "failed"}
    )


def test_pytests_default_optionflags_are_ellipsis(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(
        pytester,
        "cheatsheet_paths = lib\n",
        {"lib/seeded.py": SEEDED, "lib/conftest.py": SEEDING_CONFTEST},
    )
    # ELLIPSIS holds; the exception's detail differs without IGNORE_EXCEPTION_DETAIL.
    assert_same_verdicts(
        pytester, monkeypatch, "lib/seeded.py", {0: "passed", 9: "passed", 19: "failed"}
    )


def test_a_function_scoped_autouse_fixture_runs_before_each_block_of_a_markdown_sheet(
    pytester: pytest.Pytester,
) -> None:
    _project(
        pytester,
        "",
        {
            "cheatsheet/conftest.py": SEEDING_CONFTEST,
            "cheatsheet/draws.md": """
                ```python
                >>> import random
                >>> random.randint(1, 1000)
                990
                ```

                Again, as the project's fixture reseeds before every block:

                ```python
                >>> random.randint(1, 1000)
                990
                >>> GREETING
                'hello'
                ```
                """,
        },
    )
    result = pytester.runpytest("cheatsheet")
    result.assert_outcomes(passed=2)
    # Run alone, the second block replays the first as set-up and still sees the seed.
    result = pytester.runpytest("cheatsheet", "-k", "line:10")
    result.assert_outcomes(passed=1, deselected=1)


@pytest.mark.parametrize("addopts", ["--doctest-modules", "--doctest-glob=*.md"])
def test_files_the_plugin_collects_are_not_collected_again_by_pytests_doctest(
    pytester: pytest.Pytester, addopts: str
) -> None:
    _project(
        pytester,
        f"cheatsheet_paths = lib cheatsheet\naddopts = {addopts}\n",
        {
            "lib/geometry.py": GEOMETRY,
            "cheatsheet/sorting.md": """
                ```python
                >>> sorted([3, 1, 2])
                [1, 2, 3]
                ```
                """,
            "other/plain.py": '"""\n>>> 1 + 1\n2\n"""\n',
            "other/plain.md": "Two and two:\n\n>>> 2 + 2\n4\n",
        },
    )
    result = pytester.runpytest("-v", "lib", "cheatsheet", "other")
    # One item per docstring and block; pytest's doctest still runs what the plugin does not
    # collect (other/plain.py under --doctest-modules, other/plain.md under --doctest-glob).
    result.stdout.no_fnmatch_line("*lib/geometry.py::geometry*")
    result.stdout.no_fnmatch_line("*cheatsheet/sorting.md::sorting.md*")
    result.assert_outcomes(passed=4 + 1, failed=1)


REST_PAGE = """
Clamping
~~~~~~~~

A section underlined with tildes is reST, not a Markdown fence.

.. code-block:: python

    values = [5, -2, 9]

>>> [min(max(v, 0), 6) for v in values]
[5, 0, 6]

Sorting
~~~~~~~

.. doctest::

    >>> sorted(values)
    [-2, 5, 9]

>>> len(values)
3
"""

MARKDOWN_PAGE = """
# Clamping

~~~python
values = [5, -2, 9]
~~~

```python
>>> [min(max(v, 0), 6) for v in values]
[5, 0, 6]
```

```{doctest}
>>> sorted(values)
[-2, 5, 9]
```
"""


def _bare_sybil_examples(path: Path) -> int:
    """How many examples bare Sybil's parsers for the file's format find in it."""
    from sybil import Sybil
    from sybil.parsers import myst, rest

    parsers: list[Any] = (
        [rest.PythonCodeBlockParser(), rest.DocTestParser()]
        if path.suffix == ".rst"
        else [myst.PythonCodeBlockParser(), myst.DocTestDirectiveParser()]
    )
    document = Sybil(parsers=parsers).parse(path)
    return len(list(document.examples()))


@pytest.mark.parametrize(("name", "text"), [("page.rst", REST_PAGE), ("page.md", MARKDOWN_PAGE)])
def test_every_example_bare_sybil_finds_in_a_page_is_collected(
    pytester: pytest.Pytester, name: str, text: str
) -> None:
    page = pytester.path / "cheatsheet" / name
    page.parent.mkdir()
    page.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    pytester.makeini("[pytest]\ncheatsheet_items = example\n")
    expected = _bare_sybil_examples(page)
    assert expected >= 3
    result = pytester.runpytest("-p", "no:doctest", "cheatsheet")
    result.assert_outcomes(passed=expected)


def test_an_example_that_may_vary_runs_unchecked_and_is_never_verified(
    pytester: pytest.Pytester,
) -> None:
    import json

    _project(
        pytester,
        "",
        {
            "cheatsheet/ids.md": """
                ```python
                >>> import uuid
                >>> uuid.uuid4().hex  # may vary
                '6f1c0e0de1d34bd6a6dd9e6a1c3b8f5e'
                >>> object()  # doctest: +MAY_VARY
                <object object at 0x0>
                >>> 1 / 0  # may vary
                0
                ```
                """,
        },
    )
    result = pytester.runpytest("cheatsheet", "--cheatsheet-report=report.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ZeroDivisionError*", "combination *unchecked", "any *1 * 2"])
    records = json.loads((pytester.path / "report.json").read_text())["results"]
    assert [(r["line"], r["outcome"]) for r in records] == [
        (2, "passed"),
        (3, "unchecked"),
        (5, "unchecked"),
        (7, "failed"),
    ]


MARKED = '''
"""Markers doctestplus reads.

>>> 1 + 1
2
"""

__doctest_skip__ = ["Fragile.*", "broken"]
__doctest_requires__ = {("needs_*",): ["surely_not_a_module_here"], "uses_json": ["json"]}


def broken():
    """
    >>> undefined_name
    """


class Fragile:
    def method(self):
        """
        >>> undefined_name
        """


def needs_missing():
    """
    >>> import surely_not_a_module_here
    """


def uses_json():
    """
    >>> import json
    >>> json.dumps([1])
    '[1]'
    """
'''


def test_doctest_skip_and_requires_markers_skip_as_in_doctestplus(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pytest_doctestplus")
    _project(pytester, "cheatsheet_paths = lib\n", {"lib/marked.py": MARKED})
    expected = {0: "passed", 11: "skipped", 18: "skipped", 24: "skipped", 30: "passed"}
    assert_same_verdicts(
        pytester,
        monkeypatch,
        "lib/marked.py",
        expected,
        native_args=("--doctest-plus", "--doctest-modules", "-p", "no:cheatsheet"),
    )


def test_the_plugin_runs_its_sheets_with_doctest_plus_active(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_doctestplus")
    _project(pytester, "cheatsheet_paths = lib\n", {"lib/marked.py": MARKED})
    result = pytester.runpytest_subprocess("--doctest-plus", "--doctest-modules", "lib")
    result.assert_outcomes(passed=2, skipped=3)


def test_the_shadowing_warning_in_a_rest_page_names_the_rest_directive(
    pytester: pytest.Pytester,
) -> None:
    page = pytester.path / "cheatsheet" / "page.rst"
    page.parent.mkdir()
    page.write_text(".. code-block:: python\n\n    dtype = 'float64'\n", encoding="utf-8")
    result = pytester.runpytest("cheatsheet")
    result.stdout.fnmatch_lines(["*Put reader defaults in a block after .. cheatsheet: reader-*"])
    result.stdout.no_fnmatch_line("*<!--*")


def test_a_package_module_imports_as_pytest_imports_a_test_module(
    pytester: pytest.Pytester,
) -> None:
    _project(
        pytester,
        "cheatsheet_paths = src\n",
        {
            "src/shapes/__init__.py": "",
            "src/shapes/units.py": "CM = 10\n",
            "src/shapes/length.py": '''
                """
                >>> to_mm(3)
                30
                """
                from .units import CM


                def to_mm(cm):
                    return cm * CM
                ''',
        },
    )
    pytester.runpytest("src").assert_outcomes(passed=1)
    pytester.runpytest("src", "--import-mode=importlib").assert_outcomes(passed=1)


def test_a_module_that_cannot_be_imported_names_the_setting_to_add(
    pytester: pytest.Pytester,
) -> None:
    _project(
        pytester,
        "cheatsheet_paths = lib\n",
        {"lib/broken.py": '"""\n>>> 1\n1\n"""\nimport surely_not_a_module_here\n'},
    )
    result = pytester.runpytest("lib")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*cannot import broken.py as pytest imports test modules*`pythonpath`*"]
    )


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ((), 0),
        (("ELLIPSIS",), doctest.ELLIPSIS),
        (("ELLIPSIS", "NORMALIZE_WHITESPACE"), doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE),
        (("NUMBER",), doctest.register_optionflag("NUMBER")),
        (("ALLOW_UNICODE", "ALLOW_BYTES"), None),
    ],
)
def test_optionflags_are_read_as_pytests_doctest_reads_them(
    names: tuple[str, ...], expected: int | None
) -> None:
    flags = optionflags(names)
    if expected is not None:
        assert flags == expected
    else:
        assert flags
        assert all(flags & doctest.OPTIONFLAGS_BY_NAME[name] for name in names)


def test_an_unknown_optionflag_is_a_usage_error_listing_the_valid_ones() -> None:
    with pytest.raises(pytest.UsageError, match="'ELIPSIS' is not a doctest option flag; valid: "):
        optionflags(["ELIPSIS"])
