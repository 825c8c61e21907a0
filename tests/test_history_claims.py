"""Each example's claim, computed at collection and carried by the report (schema 3): what the
history keys results by, so that recording never reads a sheet."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import SheetWriter
from pytest_cheatsheet.history.claims import text_digest

SHEET = """\
<!-- cheatsheet: devices=cpu -->

# Page

## Same source twice

```python
>>> 1 + 1
2
>>> 1 + 1
2
```

## Gated

Since torch 99 the answer is `42`, and this sentence is the gate's text in the history.

<!-- cheatsheet: requires torch>=99 -->

```python
>>> 6 * 7
42
```
"""


def _results(sheets: SheetWriter, *options: str) -> list[dict[str, Any]]:
    sheets.write("a.md", SHEET)
    sheets.run("--cheatsheet-report=r.json", *options)
    document = json.loads((sheets.pytester.path / "r.json").read_text(encoding="utf-8"))
    assert document["schema"] == 3
    return list(document["results"])


def _claims(results: list[dict[str, Any]]) -> dict[tuple[int, str], tuple[Any, ...]]:
    fields = ("claim", "block", "gate", "gate_text", "device")
    return {(r["line"], r["combination"]): tuple(r[f] for f in fields) for r in results}


def test_each_result_carries_its_claim_block_gate_and_sentence(sheets: SheetWriter) -> None:
    results = _results(sheets)
    digest = text_digest(SHEET)
    assert {r["sheet_digest"] for r in results} == {digest}
    claims = {line: claim for (line, combination), claim in _claims(results).items()}
    first, second, gated = claims[8], claims[10], claims[21]
    assert first[0].startswith("Same source twice|")
    assert second[0] == first[0] + "|2"  # alike under one heading: told apart by order
    assert first[1:] == second[1:] == (7, "", "", "cpu")
    assert gated[0].startswith("Gated|")
    assert gated[1:] == (
        20,
        "requires torch>=99",
        "Since torch 99 the answer is `42`, and this sentence is the gate's text in the history.",
        "cpu",
    )


@pytest.mark.parametrize("items", ["example", "block"])
def test_the_claims_are_the_same_in_either_granularity_and_under_xdist(
    sheets: SheetWriter, items: str
) -> None:
    sheets.pytester.makeini(f"[pytest]\ncheatsheet_items = {items}\n")
    serial = _claims(_results(sheets))
    assert _claims(_results(sheets, "-p", "xdist", "-n", "2")) == serial
