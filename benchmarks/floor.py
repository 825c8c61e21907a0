"""The floor: run a benchmark project's examples with plain ``exec``, without pytest or Sybil.

Usage: ``python benchmarks/floor.py PROJECT/examples.json``. Doctest examples are compiled in
``single`` mode, as doctest does, and what they print is compared with the expected output.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import torch


def run_examples(sheets: list[list[list[str]]]) -> int:
    """Run every sheet's examples in a fresh namespace per sheet; return how many ran."""
    count = 0
    for index, examples in enumerate(sheets):
        namespace: dict[str, Any] = {"device": "cpu", "dtype": torch.float32, "autocast": False}
        for kind, source, expected in examples:
            name = f"<sheet {index}>"
            if kind == "doctest":
                printed = io.StringIO()
                with contextlib.redirect_stdout(printed):
                    exec(compile(source, name, "single"), namespace)
                if printed.getvalue() != expected:
                    raise AssertionError(
                        f"{source!r}: expected {expected!r}, got {printed.getvalue()!r}"
                    )
            else:
                exec(compile(source, name, "exec"), namespace)
            count += 1
    return count


def main() -> None:
    sheets = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    print(f"{run_examples(sheets)} passed")


if __name__ == "__main__":
    main()
