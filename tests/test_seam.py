"""The seam to Sybil: one module holds every use of it, and failures carry their data."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from conftest import SheetWriter

SOURCE = Path(__file__).resolve().parent.parent / "src" / "pytest_cheatsheet"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "module", sorted(p.name for p in SOURCE.glob("*.py") if p.name != "seam.py")
)
def test_no_module_but_the_seam_imports_sybil(module: str) -> None:
    imported = _imported_modules(SOURCE / module)
    assert not {name for name in imported if name.split(".")[0] == "sybil"}


def test_the_seam_comments_every_undocumented_access() -> None:
    text = (SOURCE / "seam.py").read_text(encoding="utf-8")
    # The undocumented names the seam reaches for, each with a comment that says so.
    for code in (
        "skipper.document_state.pop",
        "self.document.evaluate(example, evaluator)",
        "document.add(region)",
        "for region in self.lexers(document)",
        "for parser in sybil.parsers",
        "self.doctest_parser = ",
    ):
        index = text.index(code)
        comments = [line for line in text[:index].splitlines()[-4:] if line.strip().startswith("#")]
        assert any("undocumented" in line for line in comments), code


DIFFERING = """\
# 标题

```python
>>> print("no difference here")
First difference: what the sheet wrote, not what the checker found
```
"""


def test_the_report_reason_comes_from_the_checker_not_from_the_failure_text(
    sheets: SheetWriter,
) -> None:
    sheets.write("sheet.md", DIFFERING)
    result = sheets.run("--cheatsheet-devices=cpu", "--cheatsheet-report=r.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cheatsheet/sheet.md:4 [[]any[]]: doctest output differs"])
    (record,) = json.loads((sheets.pytester.path / "r.json").read_text())["results"]
    assert record["reason"] != "First difference: what the sheet wrote, not what the checker found"
    assert record["reason"].startswith("First difference: expected 'First'")


def test_the_report_reason_of_an_exception_is_its_last_line(sheets: SheetWriter) -> None:
    sheets.write(
        "sheet.md",
        """\
        ```python
        raise ValueError("First difference: a message, not a mismatch")
        ```

        ```python
        >>> 1 / 0
        1
        ```
        """,
    )
    result = sheets.run("--cheatsheet-report=r.json")
    result.assert_outcomes(failed=2)
    records = json.loads((sheets.pytester.path / "r.json").read_text())["results"]
    reasons = {record["line"]: record["reason"] for record in records}
    assert reasons == {
        1: "ValueError: First difference: a message, not a mismatch",
        6: "ZeroDivisionError: division by zero",
    }
