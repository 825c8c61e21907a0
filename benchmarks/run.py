"""Benchmarks of pytest-cheatsheet against plain ``exec`` and bare Sybil, in one run.

Generates synthetic sheets into a temporary folder, times ``python -m pytest`` subprocesses
(best of several repeats, the variants interleaved so that a noisy neighbour hurts them alike)
and prints a table of times, ratios and whether each target is met. See benchmarks/README.md.

    python benchmarks/run.py [--quick] [--repeats N] [--clock cpu|wall] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q")
ONE_COMBINATION = (
    "--cheatsheet-devices=cpu",
    "--cheatsheet-dtypes=float32",
    "--cheatsheet-autocast=off",
)
# 2 x 8 = 16 combinations on a CPU-only machine: every dtype the examples can be run with.
MATRIX = (
    "devices=cpu dtypes=float32,float64,float16,bfloat16,complex64,complex128,int32,int64 "
    "autocast=off,on"
)
MATRIX_COMBINATIONS = 16

CHEATSHEET_CONFTEST = "import torch  # noqa: F401 - every variant pays for importing torch\n"
SYBIL_CONFTEST = """\
import torch
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser


def setup(namespace):
    # The names pytest-cheatsheet gives every example, so that the same sheets run here.
    namespace.update(device="cpu", dtype=torch.float32, autocast=False)


pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()], patterns=["*.md"], setup=setup
).pytest()
"""
STARTUP = "import torch  # noqa: F401\n"
VERSIONS = (
    "import torch, sybil, pytest; from importlib.metadata import version; "
    "print(torch.__version__, version('sybil'), pytest.__version__)"
)
RSS_OF_CHILD = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)

# --------------------------------------------------------------------------- the synthetic sheets


@dataclass
class SheetText:
    """A generated sheet and its examples as (kind, source, expected output) for the floor."""

    text: str
    examples: list[tuple[str, str, str]]


def sheet(
    examples: int,
    *,
    number: int = 0,
    matrix: str | None = None,
    uses_axes: bool = False,
    payload_kib: int = 0,
) -> SheetText:
    """A sheet of exactly ``examples`` examples: mostly sections of three doctest examples and a
    two-line code block, under a heading every five sections.

    ``uses_axes`` makes the first example read ``device``, ``dtype`` and ``autocast``, so that the
    sheet runs once per combination of its matrix; ``payload_kib`` makes an example keep that
    much memory in the sheet's namespace (to see whether namespaces outlive their sheet).
    """
    parts = [f"# Sheet {number}\n\nSynthetic examples for the benchmarks.\n"]
    found: list[tuple[str, str, str]] = []
    if matrix is not None:
        parts.append(f"<!-- cheatsheet: {matrix} -->\n")
    leading = []
    if uses_axes:
        leading.append("combination = (device, dtype, autocast)\n")
    if payload_kib:
        leading.append(f"payload = bytes(range(256)) * {4 * payload_kib}\n")
    leading = leading[:examples]
    if leading:
        parts.append("```python\n" + "".join(f">>> {source}" for source in leading) + "```\n")
        found += [("doctest", source, "") for source in leading]
    remaining = examples - len(leading)
    section = 0
    while remaining >= 4:
        if section % 5 == 0:
            parts.append(f"## Section {section // 5}\n\nProse between the blocks.\n")
        parts.append(
            "```python\n"
            f">>> a{section} = {section}\n"
            f">>> a{section} + 1\n{section + 1}\n"
            ">>> 1 + 1\n2\n"
            "```\n"
        )
        code = f"b{section} = [n * n for n in range(3)]\nassert b{section} == [0, 1, 4]\n"
        parts.append(f"```python\n{code}```\n")
        found += [
            ("doctest", f"a{section} = {section}\n", ""),
            ("doctest", f"a{section} + 1\n", f"{section + 1}\n"),
            ("doctest", "1 + 1\n", "2\n"),
            ("code", code, ""),
        ]
        remaining -= 4
        section += 1
    if remaining:
        parts.append("```python\n" + ">>> 1 + 1\n2\n" * remaining + "```\n")
        found += [("doctest", "1 + 1\n", "2\n")] * remaining
    return SheetText("\n".join(parts), found)


@dataclass(frozen=True)
class Project:
    """A generated pytest project: pytest.ini, a conftest, cheatsheet/*.md and examples.json."""

    root: Path
    sheets: int
    examples: int  # per combination, all sheets together


def write_project(
    root: Path,
    *,
    sheets: int,
    examples_per_sheet: int,
    conftest: str = CHEATSHEET_CONFTEST,
    matrix: str | None = None,
    uses_axes: bool = False,
    payload_kib: int = 0,
) -> Project:
    folder = root / "cheatsheet"
    folder.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (root / "conftest.py").write_text(conftest, encoding="utf-8")
    everything = []
    for number in range(sheets):
        generated = sheet(
            examples_per_sheet,
            number=number,
            matrix=matrix,
            uses_axes=uses_axes,
            payload_kib=payload_kib,
        )
        (folder / f"sheet_{number:05d}.md").write_text(generated.text, encoding="utf-8")
        everything.append(generated.examples)
    (root / "examples.json").write_text(json.dumps(everything), encoding="utf-8")
    return Project(root, sheets, sheets * examples_per_sheet)


# --------------------------------------------------------------------------- running and timing


@dataclass
class Command:
    """A subprocess to time, and what its output must say (a benchmark of failures is no use)."""

    name: str
    argv: Sequence[str]
    cwd: Path
    expect: str | None = None
    returncode: int = 0
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run_once(self) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            list(self.argv),
            cwd=self.cwd,
            env=environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        output = done.stdout + done.stderr
        if done.returncode != self.returncode or (
            self.expect is not None and re.search(self.expect, output) is None
        ):
            raise RuntimeError(
                f"{self.name} in {self.cwd}: exit code {done.returncode} (expected "
                f"{self.returncode}), output expected to match {self.expect!r}:\n{output[-3000:]}"
            )
        self.wall.append(elapsed)
        self.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def environment() -> dict[str, str]:
    """This environment without what would change how pytest runs."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PYTEST_") and name not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    }


def time_all(commands: Sequence[Command], repeats: int, log: Callable[[str], None]) -> None:
    """Run every command ``repeats`` times, round robin, so that noise hurts them alike."""
    for repeat in range(repeats):
        started = time.perf_counter()
        for command in commands:
            command.run_once()
        log(f"  repeat {repeat + 1}/{repeats}: {time.perf_counter() - started:.0f} s")


def peak_rss_mib(argv: Sequence[str], cwd: Path) -> float:
    """The peak RSS of ``argv`` (MiB), read in a fresh process whose only child it is."""
    done = subprocess.run(
        [sys.executable, "-c", RSS_OF_CHILD, *argv],
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1]) / 1024  # ru_maxrss is in KiB on Linux


def pytest_argv(*extra: str) -> tuple[str, ...]:
    return (*PYTEST, *extra)


def passed(count: int) -> str:
    return rf"(?m)^{count} passed\b"


def collected(count: int) -> str:
    return rf"(?m)^{count} tests? collected\b"


# --------------------------------------------------------------------------- the measurements


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is; ``--quick`` shrinks them all for a smoke test."""

    single_examples: int  # one sheet, one combination
    many_sheets: int  # a multiple of 16: sheets for one combination, / 16 for sixteen
    many_examples: int  # per sheet
    collect_items: tuple[int, ...]  # --collect-only, in sheets of collect_examples each
    collect_examples: int
    rss_sheets: tuple[int, int]  # full runs, rss_examples per sheet
    rss_examples: int
    rss_payload_kib: int  # kept in each sheet's namespace
    repeats: int


FULL = Sizes(
    single_examples=4_000,
    many_sheets=64,
    many_examples=25,
    collect_items=(1_000, 10_000, 50_000),
    collect_examples=100,
    rss_sheets=(20, 200),
    rss_examples=10,
    rss_payload_kib=1024,
    repeats=3,
)
QUICK = Sizes(
    single_examples=200,
    many_sheets=16,
    many_examples=5,
    collect_items=(100, 200, 400),
    collect_examples=100,
    rss_sheets=(2, 6),
    rss_examples=5,
    rss_payload_kib=1024,
    repeats=1,
)


@dataclass
class Plan:
    """The generated projects and the commands that run them."""

    sizes: Sizes
    startup: dict[str, Command]
    single: dict[str, Command]
    many: dict[str, Command]
    collect: dict[int, Command]
    rss: dict[tuple[str, int], tuple[Sequence[str], Path]]

    @property
    def timed(self) -> list[Command]:
        return [
            *self.startup.values(),
            *self.single.values(),
            *self.many.values(),
            *self.collect.values(),
        ]


def build_plan(root: Path, sizes: Sizes) -> Plan:
    """Write every project under ``root``; return the commands that run them."""
    if sizes.many_sheets % MATRIX_COMBINATIONS:
        raise ValueError(f"many_sheets must be a multiple of {MATRIX_COMBINATIONS}")
    floor = (sys.executable, str(HERE / "floor.py"), "examples.json")
    sybil = pytest_argv("-p", "no:cheatsheet")
    cheatsheet = pytest_argv(*ONE_COMBINATION)

    nothing: dict[str, Any] = {"sheets": 0, "examples_per_sheet": 0}
    startup = {
        "floor": Command("python, import torch", (sys.executable, "-c", STARTUP), root),
        "sybil": Command(
            "pytest, bare Sybil",
            sybil,
            write_project(root / "empty-sybil", conftest=SYBIL_CONFTEST, **nothing).root,
            returncode=5,  # no tests collected
        ),
        "cheatsheet": Command(
            "pytest-cheatsheet",
            cheatsheet,
            write_project(root / "empty-cheatsheet", **nothing).root,
            returncode=5,
        ),
    }

    n = sizes.single_examples
    one: dict[str, Any] = {"sheets": 1, "examples_per_sheet": n}
    single_sybil = write_project(root / "single-sybil", conftest=SYBIL_CONFTEST, **one).root
    single = write_project(root / "single-cheatsheet", **one).root
    single_commands = {
        "floor": Command("plain exec (floor)", floor, single, passed(n)),
        "sybil": Command("bare Sybil", sybil, single_sybil, passed(n)),
        "cheatsheet": Command("pytest-cheatsheet", cheatsheet, single, passed(n)),
    }

    items = sizes.many_sheets * sizes.many_examples
    shape: dict[str, Any] = {
        "examples_per_sheet": sizes.many_examples,
        "matrix": MATRIX,
        "uses_axes": True,
    }
    many_sybil = write_project(
        root / "many-sybil", sheets=sizes.many_sheets, conftest=SYBIL_CONFTEST, **shape
    ).root
    many = write_project(root / "many-cheatsheet", sheets=sizes.many_sheets, **shape).root
    matrix = write_project(
        root / "matrix-cheatsheet", sheets=sizes.many_sheets // MATRIX_COMBINATIONS, **shape
    ).root
    many_commands = {
        "floor": Command("plain exec (floor)", floor, many, passed(items)),
        "sybil": Command("bare Sybil", sybil, many_sybil, passed(items)),
        "cheatsheet": Command("pytest-cheatsheet, 1 combination", cheatsheet, many, passed(items)),
        "matrix": Command(
            f"pytest-cheatsheet, {MATRIX_COMBINATIONS} combinations",
            pytest_argv(),
            matrix,
            passed(items),
        ),
        "audit": Command(
            f"--cheatsheet-audit, {MATRIX_COMBINATIONS} combinations",
            pytest_argv("--cheatsheet-audit"),
            matrix,
            passed(items),
        ),
    }

    collect = {}
    for count in sizes.collect_items:
        project = write_project(
            root / f"collect-{count}",
            sheets=count // sizes.collect_examples,
            examples_per_sheet=sizes.collect_examples,
        )
        collect[count] = Command(
            f"--collect-only, {count:,} items",
            pytest_argv(*ONE_COMBINATION, "--collect-only"),
            project.root,
            collected(count),
        )

    rss = {}
    for count in sizes.rss_sheets:
        per_sheet: dict[str, Any] = {
            "sheets": count,
            "examples_per_sheet": sizes.rss_examples,
            "payload_kib": sizes.rss_payload_kib,
        }
        rss["sybil", count] = (
            sybil,
            write_project(root / f"rss-{count}-sybil", conftest=SYBIL_CONFTEST, **per_sheet).root,
        )
        rss["cheatsheet", count] = (
            cheatsheet,
            write_project(root / f"rss-{count}-cheatsheet", **per_sheet).root,
        )
    return Plan(sizes, startup, single_commands, many_commands, collect, rss)


# --------------------------------------------------------------------------- the table


@dataclass
class Target:
    description: str
    value: float
    limit: float
    detail: str = ""

    @property
    def met(self) -> bool:
        return self.value <= self.limit

    def line(self) -> str:
        verdict = "met   " if self.met else "MISSED"
        detail = f"; {self.detail}" if self.detail else ""
        return f"  [{verdict}] {self.description}: {self.value:.2f} (<= {self.limit:.2f}{detail})"


@dataclass
class Table:
    """The printed result: rows of times and ratios, then the targets.

    ``clock`` ("cpu" or "wall") is the time that net s, µs/item and the ratios use: the CPU time
    of the child (user + system) is what survives a machine shared with other work.
    """

    clock: str
    startup: dict[str, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def best(self, command: Command) -> float:
        return min(command.cpu if self.clock == "cpu" else command.wall)

    def net(self, startup: str, command: Command) -> float:
        """Best time less the best time of the same kind of process with nothing to run."""
        return self.best(command) - self.startup[startup]

    def ratio(
        self, command: Command, baseline: Command, startup: str, baseline_startup: str
    ) -> str:
        """``command`` / ``baseline``: best times, then net of startup and on the other clock."""
        best = divide(self.best(command), self.best(baseline))
        return f"{best:.2f} ({self.other_ratios(command, baseline, startup, baseline_startup)})"

    def other_ratios(
        self, command: Command, baseline: Command, startup: str, baseline_startup: str
    ) -> str:
        other = "wall" if self.clock == "cpu" else "cpu"
        other_ratio = divide(min(getattr(command, other)), min(getattr(baseline, other)))
        net = divide(self.net(startup, command), self.net(baseline_startup, baseline))
        return f"net {net:.2f}, {other} {other_ratio:.2f}"

    def heading(self, text: str) -> None:
        self.lines += ["", text]

    def row(self, command: Command, items: int, net: float | None, ratio: str = "") -> None:
        cells = f"{items or '':>7} {min(command.wall):8.2f} {min(command.cpu):7.2f}"
        if net is not None:
            cells += f" {net:7.2f} {net / items * 1e6:9.0f}"
        self.lines.append(f"  {command.name:<36} {cells}  {ratio}".rstrip())

    def text(self) -> str:
        header = (
            f"  {'':<36} {'items':>7} {'wall s':>8} {'cpu s':>7} {'net s':>7} {'µs/item':>9}  "
            f"ratio ({self.clock})"
        )
        targets = [target.line() for target in self.targets]
        return "\n".join([header, *self.lines, "", f"targets ({self.clock} time):", *targets])


def divide(numerator: float, denominator: float) -> float:
    """A ratio of times, or NaN where the denominator is noise (at or below zero)."""
    return numerator / denominator if denominator > 0 else math.nan


def make_table(plan: Plan, rss: dict[tuple[str, int], float], clock: str = "cpu") -> Table:
    """Times, ratios and targets from the measured commands."""
    sizes = plan.sizes
    table = Table(clock)
    table.startup = {name: table.best(command) for name, command in plan.startup.items()}
    table.heading(f"startup: the same process with nothing to run (net s = {clock} s - this)")
    for command in plan.startup.values():
        table.row(command, 0, None)

    def section(title: str, commands: dict[str, Command], items: int) -> None:
        table.heading(title)
        for name, command in commands.items():
            startup = "cheatsheet" if name in ("matrix", "audit") else name
            ratio = (
                ""
                if name == "sybil"
                else "x Sybil " + table.ratio(command, commands["sybil"], startup, "sybil")
            )
            table.row(command, items, table.net(startup, command), ratio)

    n = sizes.single_examples
    section(f"one sheet of {n:,} examples, one combination", plan.single, n)
    items = sizes.many_sheets * sizes.many_examples
    section(
        f"{items:,} items: {sizes.many_sheets} sheets of {sizes.many_examples} examples, or "
        f"{sizes.many_sheets // MATRIX_COMBINATIONS} of them in {MATRIX_COMBINATIONS} combinations",
        plan.many,
        items,
    )
    matrix, one = plan.many["matrix"], plan.many["cheatsheet"]
    table.lines.append(
        f"  {MATRIX_COMBINATIONS} / 1 combination, per item: "
        + table.ratio(matrix, one, "cheatsheet", "cheatsheet")
    )
    table.lines.append(
        "  --cheatsheet-audit / plain run, same sheets: "
        + table.ratio(plan.many["audit"], matrix, "cheatsheet", "cheatsheet")
    )

    table.heading(
        f"collection only, sheets of {sizes.collect_examples} examples "
        "(step: net µs per item added since the size before)"
    )
    collect = {count: table.net("cheatsheet", command) for count, command in plan.collect.items()}
    steps: list[float] = []
    previous = None
    for count, command in plan.collect.items():
        step = ""
        if previous is not None:
            steps.append((collect[count] - collect[previous]) / (count - previous))
            step = f"step {steps[-1] * 1e6:.0f} µs/item"
        table.row(command, count, collect[count], step)
        previous = count

    few, lots = sizes.rss_sheets
    table.heading(
        f"peak RSS in MiB, full runs of sheets of {sizes.rss_examples} examples, each keeping "
        f"{sizes.rss_payload_kib} KiB in its namespace"
    )
    growth = {}
    for name, label in (("sybil", "bare Sybil"), ("cheatsheet", "pytest-cheatsheet")):
        growth[name] = (rss[name, lots] - rss[name, few]) / (lots - few) * 1024
        table.lines.append(
            f"  {label:<36} {few:>4} sheets {rss[name, few]:7.1f}  {lots:>4} sheets "
            f"{rss[name, lots]:7.1f}  growth {growth[name]:7.1f} KiB/sheet"
        )

    single_sybil, single_cheatsheet = plan.single["sybil"], plan.single["cheatsheet"]
    table.targets = [
        Target(
            f"pytest-cheatsheet / bare Sybil, one sheet of {n:,} examples",
            divide(table.best(single_cheatsheet), table.best(single_sybil)),
            1.10,
            table.other_ratios(single_cheatsheet, single_sybil, "cheatsheet", "sybil"),
        ),
        Target(
            f"per item, {MATRIX_COMBINATIONS} combinations / 1 combination, net of startup",
            divide(table.net("cheatsheet", matrix), table.net("cheatsheet", one)),
            1.20,
        ),
        Target(
            "collection, µs per item of the last step / of the first step",
            divide(steps[-1], steps[0]) if len(steps) > 1 else math.nan,
            1.20,
            "1.00 = linear",
        ),
        Target(
            "peak RSS growth per sheet, pytest-cheatsheet, as a share of what a sheet keeps",
            growth["cheatsheet"] / sizes.rss_payload_kib,
            0.25,
            f"bare Sybil {growth['sybil'] / sizes.rss_payload_kib:.2f}",
        ),
    ]
    return table


def machine() -> str:
    """CPU model, cores, versions and date, for the record."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    torch, sybil, pytest = subprocess.run(
        [sys.executable, "-c", VERSIONS], capture_output=True, text=True, check=True
    ).stdout.split()
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch}, "
        f"sybil {sybil}, pytest {pytest}, {datetime.date.today().isoformat()}"
    )


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat (smoke test)")
    parser.add_argument("--repeats", type=int, help="best of N runs of each measurement")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="the time ratios and targets use (default: cpu, the child's user + system time)",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    repeats = args.repeats or sizes.repeats

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cheatsheet-bench-") as temporary:
        root = args.keep.resolve() if args.keep else Path(temporary)
        log(f"generating the projects in {root}")
        plan = build_plan(root, sizes)
        log(f"timing {len(plan.timed)} commands, best of {repeats}")
        time_all(plan.timed, repeats, log)
        log("measuring peak RSS")
        rss = {key: peak_rss_mib(command, cwd) for key, (command, cwd) in plan.rss.items()}
        table = make_table(plan, rss, args.clock)
    elapsed = time.perf_counter() - started
    print(f"pytest-cheatsheet benchmarks, best of {repeats} runs ({elapsed:.0f} s in all)")
    print(machine())
    print(table.text())
    if args.quick:
        print("(--quick: sizes too small for the targets to mean anything)")
        return 0
    return 0 if all(target.met for target in table.targets) else 1


if __name__ == "__main__":
    sys.exit(main())
