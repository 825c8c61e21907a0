"""What watching for the combination's tensors costs (the "exercised" column, with torch
defaults on), in one run: the same sheets with the watch and with it replaced by a no-op (in that
project's conftest.py), round robin, best CPU time (user + system of the child) of each; and the
same net of what the run costs before its first example (``--collect-only``: start-up, imports,
collection), which the watch does not touch.

    python benchmarks/exercised.py [--sheets N] [--examples N] [--repeats N] [--unmatched]

``--unmatched``: the worst case, blocks that make float32 tensors only (an explicit dtype), so
that on float64 and bfloat16 the watch looks at every torch call of every block.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q")
INI = "[pytest]\ncheatsheet_devices = cpu\n"
MATRIX = "<!-- cheatsheet: dtypes=float32,float64,bfloat16 torch-defaults=on -->\n\n"
COMBINATIONS = 3
# Doc examples as real projects write them: torch calls that name no dtype, printed or not.
BLOCK = """\
```python
>>> x = torch.arange(6.0).reshape(2, 3)
>>> x.sum(dim=0)
tensor([3., 5., 7.])
>>> y = torch.ones(3) * 2 + x[0]
>>> torch.softmax(torch.tensor([1.0, 1.0]), dim=0)
tensor([0.5000, 0.5000])
>>> (x.mean() + y.max()).item() > 0
True
```

"""
UNMATCHED = (
    BLOCK.replace("torch.arange(6.0)", "torch.arange(6.0, dtype=torch.float32)")
    .replace("torch.ones(3)", "torch.ones(3, dtype=torch.float32)")
    .replace("torch.tensor([1.0, 1.0])", "torch.tensor([1.0, 1.0], dtype=torch.float32)")
)
EXAMPLES_PER_BLOCK = 6
NO_WATCH = """\
import contextlib

import torch  # noqa: F401 - as the watched project's conftest

from pytest_cheatsheet.exercised import TensorWatch

TensorWatch.watching = lambda self: contextlib.nullcontext()  # type: ignore[method-assign]
"""


def project(root: Path, sheets: int, blocks: int, watched: bool, block: str) -> None:
    (root / "cheatsheet").mkdir(parents=True)
    (root / "pytest.ini").write_text(INI)
    conftest = "import torch  # noqa: F401\n" if watched else NO_WATCH
    (root / "conftest.py").write_text(conftest)
    text = "# Sheet\n\n" + MATRIX + "```python\n>>> import torch\n```\n\n" + block * blocks
    for index in range(sheets):
        (root / "cheatsheet" / f"sheet{index}.md").write_text(text)


def cpu_time(cwd: Path, expected: str, *options: str) -> float:
    before = os.times()
    done = subprocess.run([*PYTEST, *options], cwd=cwd, capture_output=True, text=True)
    after = os.times()
    if done.returncode != 0 or expected not in done.stdout:
        raise SystemExit(f"{cwd.name}: expected {expected!r}\n{done.stdout[-3000:]}")
    return (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sheets", type=int, default=10)
    parser.add_argument("--examples", type=int, default=120, help="per sheet, about")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--unmatched", action="store_true", help="the worst case (above)")
    args = parser.parse_args(argv)
    blocks = max(1, args.examples // EXAMPLES_PER_BLOCK)
    runs = args.sheets * (1 + blocks * EXAMPLES_PER_BLOCK) * COMBINATIONS
    expected = f"{args.sheets * (1 + blocks) * COMBINATIONS} passed"  # one item per block
    with tempfile.TemporaryDirectory() as tmp:
        roots = {name: Path(tmp, name) for name in ("watched", "unwatched")}
        for name, root in roots.items():
            block = UNMATCHED if args.unmatched else BLOCK
            project(root, args.sheets, blocks, watched=name == "watched", block=block)
        best = dict.fromkeys([*roots, "collection"], float("inf"))
        collected = f"{args.sheets * (1 + blocks) * COMBINATIONS} tests collected"
        for _ in range(args.repeats):
            for name, root in roots.items():
                best[name] = min(best[name], cpu_time(root, expected))
            best["collection"] = min(
                best["collection"], cpu_time(roots["watched"], collected, "--collect-only")
            )
    watched, unwatched, fixed = best["watched"], best["unwatched"], best["collection"]
    extra = (watched - unwatched) / runs * 1e6
    print(f"{runs} example runs ({args.sheets} sheets x {COMBINATIONS} combinations)")
    print(f"without the watch  {unwatched:.2f} s CPU")
    print(f"with the watch     {watched:.2f} s CPU ({extra:+.1f} µs an example)")
    print(f"start-up and collection (--collect-only)  {fixed:.2f} s CPU")
    print(f"ratio, whole runs  {watched / unwatched:.3f}")
    print(f"ratio, examples    {(watched - fixed) / (unwatched - fixed):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
