"""What pytest-cheatsheet costs against bare Sybil and plain ``exec``, in one run.

Generates sheets in a temporary folder, runs every command several times round robin (a noisy
neighbour slows them all alike), keeps each command's best CPU time (user + system of the child)
and prints ratios. Every run must exit 0 and pass what it holds. See benchmarks/README.md.

    python benchmarks/bench.py [--quick] [--repeats N]
    python benchmarks/bench.py --against OTHER/src [--quick] [--repeats N]  # two revisions
    python benchmarks/bench.py --floor EXAMPLES.json   # the exec floor, which the benchmark runs
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q")
ONE = ("--cheatsheet-devices=cpu", "--cheatsheet-dtypes=float32", "--cheatsheet-autocast=off")
SYBIL = ("-p", "no:cheatsheet")
DTYPES = "float32,float64,float16,bfloat16,complex64,complex128,int32,int64"
MATRIX = f"<!-- cheatsheet: devices=cpu dtypes={DTYPES} autocast=off,on -->\n\n"
COMBINATIONS = 16  # 8 dtypes x autocast off, on
PAYLOAD_KIB = 1024  # what each sheet of the RSS runs keeps in its namespace
PLUGIN_CONFTEST = "import torch  # noqa: F401 - every variant imports torch\n"
SYBIL_CONFTEST = f"""{PLUGIN_CONFTEST}from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()], patterns=["*.md"]
).pytest()
"""
EXECUTED = ("passed", "failed", "xfailed", "xpassed")


@dataclass
class Sheet:
    """A generated sheet: its text, how many blocks, its examples as (kind, source, output)."""

    text: str
    blocks: int = 0
    examples: list[tuple[str, str, str]] = field(default_factory=list)


def sheet(examples: int, *, matrix: bool = False, payload: bool = False) -> Sheet:
    """Exactly ``examples`` examples in blocks of three statements: two doctest blocks of three
    examples, then a three-line code block (one example, as Sybil counts), and so on."""
    result = Sheet("# Sheet\n\nGenerated for the benchmarks.\n\n" + (MATRIX if matrix else ""))
    block = 0
    while len(result.examples) < examples:
        if block % 3 == 2:
            code = f"y{block} = [n * n for n in range(3)]\nassert y{block} == [0, 1, 4]\n"
            code += f"z{block} = len(y{block})\n"
            result.text += f"```python\n{code}```\n\n"
            result.examples.append(("code", code, ""))
        else:
            statements = [
                (f"x{block} = torch.tensor([{block}, 1])", ""),
                (f"int(x{block}.sum())", f"{block + 1}\n"),
                (f"print('block', {block})", f"block {block}\n"),
            ]
            if block == 0:
                statements[:2] = [
                    ("import torch", ""),
                    ("torch.tensor([1, 2]).tolist()", "[1, 2]\n"),
                ]
                if matrix:
                    statements[2] = ("combination = (device, dtype, autocast)", "")
                if payload:
                    statements[2] = (f"payload = bytes(range(256)) * {4 * PAYLOAD_KIB}", "")
            statements = statements[: examples - len(result.examples)]
            doctest = "".join(f">>> {source}\n{output}" for source, output in statements)
            result.text += f"```python\n{doctest}```\n\n"
            result.examples += [("doctest", f"{source}\n", output) for source, output in statements]
        if block % 15 == 14:
            result.text += f"## Section {block // 15}\n\nProse between the blocks.\n\n"
        block += 1
    result.blocks = block
    return result


@dataclass(frozen=True)
class Project:
    root: Path
    examples: int
    blocks: int


def project(root: Path, sheets: int, examples: int, sybil: bool = False, **kind: bool) -> Project:
    """``sheets`` sheets of ``examples`` examples in root/cheatsheet/, a conftest that imports
    torch (and, for ``sybil``, is bare Sybil's documented integration) and examples.json."""
    (root / "cheatsheet").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (root / "conftest.py").write_text(SYBIL_CONFTEST if sybil else PLUGIN_CONFTEST, "utf-8")
    generated = [sheet(examples, **kind) for _ in range(sheets)]
    for number, one in enumerate(generated):
        (root / "cheatsheet" / f"sheet_{number:05d}.md").write_text(one.text, encoding="utf-8")
    floor_input = json.dumps([one.examples for one in generated])
    (root / "examples.json").write_text(floor_input, encoding="utf-8")
    return Project(root, sheets * examples, sum(one.blocks for one in generated))


def floor(path: Path) -> int:
    """Compile and exec every example, one namespace per sheet, comparing what a doctest
    prints with its expected output as plain strings; how many ran."""
    import torch

    count = 0
    for examples in json.loads(path.read_text(encoding="utf-8")):
        namespace: dict[str, Any] = {"device": "cpu", "dtype": torch.float32, "autocast": False}
        for kind, source, expected in examples:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(
                    compile(source, "<sheet>", "single" if kind == "doctest" else "exec"), namespace
                )
            if printed.getvalue() != expected:
                raise AssertionError(f"{source!r} printed {printed.getvalue()!r}, not {expected!r}")
            count += 1
    return count


@dataclass
class Command:
    """A child process to time and the line its output must hold (``N passed``)."""

    argv: tuple[str, ...]
    cwd: Path
    expect: str
    returncode: int = 0
    cpu: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    output: str = ""

    def run(self) -> None:
        """Run once; its CPU time and peak RSS from wait4, the rusage of this child alone."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out:
            child = subprocess.Popen(self.argv, cwd=self.cwd, env=env, stdout=out, stderr=out)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            self.output = out.read()
        if child.returncode != self.returncode or not re.search(self.expect, self.output, re.M):
            raise SystemExit(
                f"bench: {' '.join(self.argv)}\n  in {self.cwd} exited {child.returncode} (not "
                f"{self.returncode}) or printed no line matching {self.expect!r}:\n"
                f"{self.output[-3000:]}"
            )
        self.cpu.append(usage.ru_utime + usage.ru_stime)
        self.rss_kib.append(usage.ru_maxrss)

    @property
    def best(self) -> float:
        return min(self.cpu)


def passed(count: int) -> str:
    return rf"^{count} passed\b"


def has_items_option(cwd: Path) -> bool:
    """Whether the plugin knows ``cheatsheet_items`` (one item per block or per example)."""
    done = subprocess.run([*PYTEST, "--help"], cwd=cwd, capture_output=True, text=True, check=True)
    return "cheatsheet_items" in done.stdout


def machine() -> str:
    cpus = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    cpu = next((line.split(":")[1].strip() for line in cpus if line.startswith("model name")), "?")
    code = "import torch, sybil, pytest; from importlib.metadata import version; "
    code += "print(torch.__version__, pytest.__version__, version('sybil'))"
    torch, pytest, sybil = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    load = " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])
    return (
        f"{cpu}, nproc {os.cpu_count()}, load average {load}\n"
        f"Python {platform.python_version()}, torch {torch}, pytest {pytest}, Sybil {sybil}"
    )


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


@dataclass(frozen=True)
class Sizes:
    examples: int  # of the realistic sheet
    matrix: tuple[int, int]  # sheets x examples run in 16 combinations (16 times as many in one)
    collect: tuple[int, int]  # examples collected, in sheets of 100
    rss: tuple[int, int]  # sheets of 10 examples
    repo: str  # what of this repository runs
    repeats: int


FULL = Sizes(4_000, (4, 100), (10_000, 50_000), (20, 200), "cheatsheet/", 3)
QUICK = Sizes(60, (1, 7), (300, 1_500), (2, 6), "cheatsheet/python/builtins.md", 1)


def commands(tmp: Path, sizes: Sizes, blocks: bool, report: Path) -> dict[str, Command]:
    """Generate the projects under ``tmp``; the commands that run them, by name."""
    mode = ("-o", "cheatsheet_items=block") if blocks else ()
    plugin = (*PYTEST, *ONE, *mode)

    def items(p: Project) -> int:
        return p.blocks if blocks else p.examples

    n = sizes.examples
    real, real_sybil = project(tmp / "real", 1, n), project(tmp / "real-s", 1, n, sybil=True)
    one = project(tmp / "one", sizes.matrix[0] * COMBINATIONS, sizes.matrix[1], matrix=True)
    many = project(tmp / "many", *sizes.matrix, matrix=True)
    floor_argv = (sys.executable, __file__, "--floor", "examples.json")
    run = {
        "start floor": Command((sys.executable, "-c", "import torch"), tmp, ""),
        "start sybil": Command(
            (*PYTEST, *SYBIL), project(tmp / "e-s", 0, 0, sybil=True).root, "no tests ran", 5
        ),
        "start plugin": Command(plugin, project(tmp / "e", 0, 0).root, "no tests ran", 5),
        "floor": Command(floor_argv, real.root, passed(n)),
        "sybil": Command((*PYTEST, *SYBIL), real_sybil.root, passed(n)),
        "plugin": Command(plugin, real.root, passed(items(real))),
        "audit": Command((*plugin, "--cheatsheet-audit"), real.root, passed(items(real))),
        "one": Command(plugin, one.root, passed(items(one))),
        "16": Command((*PYTEST, *mode), many.root, passed(items(many) * COMBINATIONS)),
    }
    for count in sizes.collect:
        p = project(tmp / f"collect-{count}", count // 100, 100)
        run[f"collect {count}"] = Command(
            (*plugin, "--collect-only"), p.root, rf"^{items(p)} tests collected"
        )
    for count in sizes.rss:
        p = project(tmp / f"rss-sybil-{count}", count, 10, sybil=True, payload=True)
        run[f"rss sybil {count}"] = Command((*PYTEST, *SYBIL), p.root, passed(p.examples))
        p = project(tmp / f"rss-plugin-{count}", count, 10, payload=True)
        run[f"rss plugin {count}"] = Command(plugin, p.root, passed(items(p)))
    for granularity in ("example", "block") if blocks else ("example",):
        option = ("-o", f"cheatsheet_items={granularity}") if blocks else ()
        argv = (*PYTEST, sizes.repo, f"--cheatsheet-report={report}", *option)
        run[f"repo {granularity}"] = Command(argv, ROOT, r" passed\b")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 repeat, exits 0")
    parser.add_argument("--repeats", type=int, help="best of N (default 3)")
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--against",
        type=Path,
        metavar="SRC",
        help="another revision's src/ folder: the realistic sheet's plugin / bare Sybil ratio of "
        "both, round robin in one run",
    )
    args = parser.parse_args(argv)
    if args.floor:
        print(f"{floor(args.floor)} passed")
        return 0
    sizes = QUICK if args.quick else FULL
    if args.repeats:
        sizes = dataclasses.replace(sizes, repeats=args.repeats)
    if args.against:
        return against(args.against.resolve(), sizes)
    executed: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="cheatsheet-bench-") as temporary:
        tmp, report = Path(temporary), Path(temporary) / "report.json"
        blocks = has_items_option(ROOT)
        run = commands(tmp, sizes, blocks, report)
        for repeat in range(sizes.repeats):
            print(f"bench: repeat {repeat + 1} of {sizes.repeats}", file=sys.stderr, flush=True)
            for name, command in run.items():
                command.run()
                if name.startswith("repo "):
                    results = json.loads(report.read_text(encoding="utf-8"))["results"]
                    executed[name] = sum(result["outcome"] in EXECUTED for result in results)
    targets = table(run, executed, sizes, blocks)
    if args.quick:
        print("(--quick: the sizes are too small for the ratios to mean anything)")
        return 0
    return 0 if all(value <= limit for value, limit in targets) else 1


def against(other: Path, sizes: Sizes) -> int:
    """The realistic sheet's plugin / bare Sybil ratio of this revision and of ``other`` (a
    ``src`` folder put first on the children's PYTHONPATH), their commands round robin."""
    if not (other / "pytest_cheatsheet" / "plugin.py").is_file():
        raise SystemExit(f"bench: --against {other}: no pytest_cheatsheet/plugin.py there")
    n = sizes.examples
    with tempfile.TemporaryDirectory(prefix="cheatsheet-bench-") as temporary:
        tmp = Path(temporary)
        real, real_sybil = project(tmp / "real", 1, n), project(tmp / "real-s", 1, n, sybil=True)
        empty, empty_sybil = project(tmp / "e", 0, 0), project(tmp / "e-s", 0, 0, sybil=True)
        revisions = {"this revision": ROOT / "src", str(other): other}
        run: dict[str, dict[str, Command]] = {}
        for label, source in revisions.items():
            python = ("env", f"PYTHONPATH={source}", *PYTEST)
            plugin = (*python, *ONE, "-o", "cheatsheet_items=block")
            run[label] = {
                "start sybil": Command((*python, *SYBIL), empty_sybil.root, "no tests ran", 5),
                "sybil": Command((*python, *SYBIL), real_sybil.root, passed(n)),
                "start plugin": Command(plugin, empty.root, "no tests ran", 5),
                "plugin": Command(plugin, real.root, passed(real.blocks)),
            }
        for repeat in range(sizes.repeats):
            print(f"bench: repeat {repeat + 1} of {sizes.repeats}", file=sys.stderr, flush=True)
            for commands_of in run.values():
                for command in commands_of.values():
                    command.run()
    print(f"plugin / bare Sybil, realistic sheet of {n:,} examples: best CPU s of {sizes.repeats}")
    print(machine())
    for label, c in ((label, {k: v.best for k, v in each.items()}) for label, each in run.items()):
        net_plugin, net_sybil = c["plugin"] - c["start plugin"], c["sybil"] - c["start sybil"]
        print(
            f"  {label}: {ratio(net_plugin, net_sybil):.3f} net, "
            f"{ratio(c['plugin'], c['sybil']):.3f} total (plugin {c['plugin']:.2f} s, "
            f"bare Sybil {c['sybil']:.2f} s)"
        )
    return 0


def table(
    run: dict[str, Command], executed: dict[str, int], sizes: Sizes, blocks: bool
) -> list[tuple[float, float]]:
    """Print the times and ratios; the targets as (value, limit)."""
    c = {name: command.best for name, command in run.items()}

    def net(name: str) -> float:
        tool = "floor" if name == "floor" else "sybil" if "sybil" in name else "plugin"
        return c[name] - c[f"start {tool}"]

    def both(a: str, b: str) -> str:
        return f"{ratio(net(a), net(b)):.2f} net, {ratio(c[a], c[b]):.2f} total"

    n = sizes.examples
    print(
        f"pytest-cheatsheet benchmarks: best CPU s of {sizes.repeats} (user + system of the child)"
    )
    print(machine())
    print(f"items: one per {'block' if blocks else 'example (no cheatsheet_items option)'}\n")
    print(f"  {'':<46} {'cpu s':>6} {'net s':>6} {'µs/example':>10}")
    for name, label in (
        ("start floor", "startup: python -c 'import torch'"),
        ("start sybil", "startup: pytest, bare Sybil, no sheets"),
        ("start plugin", "startup: pytest, plugin, no sheets"),
        ("floor", f"realistic sheet, {n:,} examples: exec floor"),
        ("sybil", "  bare Sybil"),
        ("plugin", "  plugin, one combination"),
        ("audit", "  plugin --cheatsheet-audit"),
    ):
        cells = "" if name.startswith("start") else f" {net(name):6.2f} {net(name) / n * 1e6:10.0f}"
        print(f"  {label:<46} {c[name]:6.2f}{cells}")
    small, large = sizes.collect
    per_example = {count: net(f"collect {count}") / count for count in sizes.collect}
    few, lots = sizes.rss
    growth = {
        tool: (min(run[f"rss {tool} {lots}"].rss_kib) - min(run[f"rss {tool} {few}"].rss_kib))
        / (lots - few)
        for tool in ("sybil", "plugin")
    }
    targets = [
        (
            "plugin / bare Sybil, realistic sheet",
            ratio(net("plugin"), net("sybil")),
            0.5,
            both("plugin", "sybil"),
        ),
        ("16 combinations / one, per item", ratio(net("16"), net("one")), 1.1, both("16", "one")),
        (
            f"collection, per example, {large:,} / {small:,} examples",
            ratio(per_example[large], per_example[small]),
            1.2,
            f"{per_example[small] * 1e6:.0f} and {per_example[large] * 1e6:.0f} µs net",
        ),
        (
            f"peak RSS per sheet, {lots} sheets less {few}, plugin (KiB)",
            growth["plugin"],
            PAYLOAD_KIB / 4,
            f"bare Sybil {growth['sybil']:.0f} KiB; each sheet keeps {PAYLOAD_KIB} KiB",
        ),
    ]
    print(f"\n  plugin / exec floor, realistic sheet: {both('plugin', 'floor')}")
    print(f"  --cheatsheet-audit / plain run, realistic sheet: {both('audit', 'plugin')}")
    for label, value, limit, detail in targets:
        verdict = "met" if value <= limit else "MISSED"
        print(f"  {label}: {value:.2f} (target <= {limit:g}, {verdict}; {detail})")
    print(f"\npytest {sizes.repo} on this repository (net s: less the plugin's startup)")
    print(f"  {'':<26} {'cpu s':>6} {'net s':>6} {'items':>6} {'executed':>9} {'µs/executed':>12}")
    for granularity in ("example", "block"):
        label, name = f"cheatsheet_items={granularity}", f"repo {granularity}"
        if name not in c:
            print(f"  {label:<26} {'n/a':>6}")
            continue
        summary = run[name].output.strip().splitlines()[-1]
        count = sum(int(number) for number in re.findall(r"(\d+) (?!in\b)\w+", summary))
        per = net(name) / executed[name] * 1e6
        cells = f"{c[name]:6.2f} {net(name):6.2f} {count:6} {executed[name]:9} {per:12.0f}"
        print(f"  {label:<26} {cells}")
    return [(value, limit) for _, value, limit, _ in targets]


if __name__ == "__main__":
    sys.exit(main())
