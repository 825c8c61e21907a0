"""A reader who copies a sheet's visible code into a plain Python, block by block, gets no error.

The plugin is not involved: the visible ``python`` blocks and ``>>>`` examples of each sheet are
extracted here and run in order, in one namespace, in a fresh interpreter (forked, for speed,
from one that has imported torch, as each sheet's reader does first). Hidden
code (``<!-- invisible-code-block -->``) is not run, because a reader never sees it. Directives a
reader cannot see still decide what a reader on CPU in float32 would meet: a block gated to other
releases, skipped on this combination or expected to fail here is left out, as the plugin leaves it
out. An example whose written output is a traceback must raise that exception; any other must not.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
SHEETS = sorted(
    path
    for path in (ROOT / "cheatsheet").rglob("*.md")
    if path.name not in {"README.md", "COMPATIBILITY.md"}
)
READER = {"device": "cpu", "dtype": "float32"}

_TOKEN = re.compile(
    r"<!--(?P<comment>.*?)-->"
    r"|^(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
_PYTHON_INFO = {"python", "py", "python3", "pycon"}
_SKIP = re.compile(
    r"skip:\s*(?P<action>next|start|end)(?:\s+if\((?P<condition>.*)\))?\s*$", re.DOTALL
)
_CONDITION = re.compile(r"(?P<name>torch|numpy|python)(?P<spec>[<>=!~][^\s]*)")


def installed_version(name: str) -> Version:
    if name == "python":
        return Version(".".join(str(part) for part in sys.version_info[:3]))
    module = __import__(name)
    return Version(Version(module.__version__.split("+")[0]).base_version)


def versions_hold(text: str) -> bool:
    """Whether every ``torch>=2.4``-style condition in a directive holds here."""
    return all(
        installed_version(match["name"]) in SpecifierSet(match["spec"])
        for match in _CONDITION.finditer(text)
    )


def xfail_applies_to_reader(arguments: str) -> bool:
    """Whether an xfail directive's conditions all hold for a reader on CPU in float32."""
    for key, axis in (("dtypes", "dtype"), ("devices", "device")):
        named = re.search(rf"\b{key}=(\S+)", arguments)
        if named and READER[axis] not in named.group(1).split(","):
            return False
    return versions_hold(re.sub(r'reason="[^"]*"', "", arguments))


def _clean_condition(condition: str) -> str:
    return re.sub(r""",\s*reason=(".*?"|'.*?')\s*$""", "", condition.strip(), flags=re.DOTALL)


def reader_steps(text: str) -> list[dict[str, Any]]:
    """The steps a reader meets: code to run, examples to run, and skip directives to honour."""
    steps: list[dict[str, Any]] = []
    gate_skips_next_block = False
    for token in _TOKEN.finditer(text):
        line = text.count("\n", 0, token.start()) + 1
        comment = token["comment"]
        if comment is not None:
            comment = comment.strip()
            skip = _SKIP.match(comment)
            if skip:
                condition = skip["condition"]
                steps.append(
                    {
                        "kind": f"skip-{skip['action']}",
                        "condition": _clean_condition(condition) if condition else None,
                        "line": line,
                    }
                )
            elif comment.startswith("cheatsheet:"):
                arguments = comment.removeprefix("cheatsheet:").strip()
                if arguments.startswith("requires"):
                    gate_skips_next_block |= not versions_hold(arguments)
                elif arguments.startswith("xfail"):
                    gate_skips_next_block |= xfail_applies_to_reader(arguments)
            continue
        if token["info"].strip().split(" ")[0].lower() not in _PYTHON_INFO:
            continue
        body = token["body"]
        line += 1
        if gate_skips_next_block:
            gate_skips_next_block = False
            continue
        if body.lstrip().startswith(">>>"):
            for example in doctest.DocTestParser().get_examples(body):
                expected = None
                if example.exc_msg is not None:
                    expected = example.exc_msg.split(":", 1)[0].strip().rsplit(".", 1)[-1]
                steps.append(
                    {
                        "kind": "example",
                        "source": example.source,
                        "raises": expected,
                        "line": line + example.lineno,
                    }
                )
        else:
            steps.append({"kind": "code", "source": body, "raises": None, "line": line})
    return steps


# Runs in the fresh interpreter: the steps arrive as JSON on stdin.
_RUNNER = r"""
import contextlib, io, json, sys
steps = json.load(sys.stdin)
namespace = {"__name__": "__main__"}
skip_next = False
skipping = False

def condition_holds(condition):
    if condition is None:
        return True
    import torch
    scope = {"device": "cpu", "dtype": torch.float32, "autocast": False, "torch": torch}
    scope.update(namespace)
    return bool(eval(condition, scope))

for step in steps:
    kind = step["kind"]
    if kind == "skip-next":
        skip_next = condition_holds(step["condition"])
        continue
    if kind == "skip-start":
        skipping = condition_holds(step["condition"])
        continue
    if kind == "skip-end":
        skipping = False
        continue
    if skipping:
        continue
    if skip_next:
        skip_next = False
        continue
    mode = "exec" if kind == "code" else "single"
    code = compile(step["source"], f"<line {step['line']}>", mode)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
    except BaseException as error:
        if step["raises"] == type(error).__name__:
            continue
        print(f"line {step['line']}: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
    if step["raises"] is not None:
        message = f"line {step['line']}: expected {step['raises']}, nothing was raised"
        print(message, file=sys.stderr)
        sys.exit(1)
print(f"ran {sum(step['kind'] in ('code', 'example') for step in steps)} steps")
"""


# Forks a fresh interpreter (torch already imported, as every sheet's reader imports it first)
# for each run: a reader's plain Python, without paying torch's import again for each sheet.
_FORKS = r"""
import io, json, os, signal, sys
import torch

runner = compile(sys.argv[1], "<reader>", "exec")
for request in sys.stdin:
    job = json.loads(request)
    pid = os.fork()
    if pid == 0:
        os.chdir(job["cwd"])
        for descriptor, path in ((1, job["stdout"]), (2, job["stderr"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), descriptor)
        sys.stdin = io.StringIO(job["steps"])
        signal.alarm(600)
        status = 0
        try:
            exec(runner, {"__name__": "__main__"})
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            import traceback
            traceback.print_exc()
            status = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    _, wait_status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(wait_status), flush=True)
"""


class Reader:
    """Runs steps as a reader would, each run in an interpreter of its own."""

    def __init__(self) -> None:
        self.forks: subprocess.Popen[str] | None = None
        if hasattr(os, "fork"):
            self.forks = subprocess.Popen(
                [sys.executable, "-c", _FORKS, _RUNNER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )

    def run(self, text: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        steps = json.dumps(reader_steps(text))
        if self.forks is None:  # no fork here: a new interpreter each time
            return subprocess.run(
                [sys.executable, "-c", _RUNNER],
                input=steps,
                capture_output=True,
                text=True,
                cwd=cwd,
                timeout=600,
                check=False,
            )
        assert self.forks.stdin is not None
        assert self.forks.stdout is not None
        out, err = cwd / "reader.stdout", cwd / "reader.stderr"
        job = {"cwd": str(cwd), "stdout": str(out), "stderr": str(err), "steps": steps}
        self.forks.stdin.write(json.dumps(job) + "\n")
        self.forks.stdin.flush()
        status = int(self.forks.stdout.readline())
        return subprocess.CompletedProcess(
            [], status, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
        )

    def close(self) -> None:
        if self.forks is not None:
            assert self.forks.stdin is not None
            assert self.forks.stdout is not None
            self.forks.stdin.close()
            self.forks.wait(timeout=60)
            self.forks.stdout.close()


@pytest.fixture(scope="module")
def reader() -> Iterator[Reader]:
    running = Reader()
    yield running
    running.close()


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda path: str(path.relative_to(ROOT)))
def test_a_reader_can_run_every_sheet_in_a_plain_interpreter(
    sheet: Path, tmp_path: Path, reader: Reader
) -> None:
    result = reader.run(sheet.read_text(encoding="utf-8"), tmp_path)
    assert result.returncode == 0, f"{sheet.relative_to(ROOT)}: {result.stderr[-3000:]}"
    assert result.stdout.startswith("ran ")


@pytest.mark.parametrize(
    "sheet",
    [path for path in SHEETS if "torch" in path.parts],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_every_torch_sheet_binds_device_and_dtype_for_the_reader_before_using_them(
    sheet: Path,
) -> None:
    text = sheet.read_text(encoding="utf-8")
    defaults = re.search(
        r"<!-- cheatsheet: reader-defaults -->\s*```python\n(.*?)```", text, re.DOTALL
    )
    assert defaults, f"{sheet.name} has no reader-defaults block"
    assert 'device = "cpu"' in defaults.group(1)
    assert "dtype = torch.float32" in defaults.group(1)
    uses = [
        token.start()
        for token in _TOKEN.finditer(text)
        if token["body"] is not None and re.search(r"\b(device|dtype)\b", token["body"])
    ]
    assert uses
    assert uses[0] > defaults.start(), f"{sheet.name} uses device/dtype before its defaults"


def test_the_reader_run_fails_where_a_reader_would_fail(tmp_path: Path, reader: Reader) -> None:
    text = "```python\n>>> x = 1\n>>> undefined_name\n3\n```\n"
    result = reader.run(text, tmp_path)
    assert result.returncode == 1
    assert "line 3: NameError" in result.stderr


def test_an_example_that_should_raise_but_does_not_fails(tmp_path: Path, reader: Reader) -> None:
    text = "```python\n>>> 1 + 1\nTraceback (most recent call last):\n  ...\nTypeError: no\n```\n"
    result = reader.run(text, tmp_path)
    assert result.returncode == 1
    assert "expected TypeError, nothing was raised" in result.stderr


def test_hidden_code_is_not_run_for_the_reader(tmp_path: Path, reader: Reader) -> None:
    text = "<!-- invisible-code-block: python\nhidden = 1\n-->\n\n```python\nprint(hidden)\n```\n"
    result = reader.run(text, tmp_path)
    assert result.returncode == 1
    assert "NameError" in result.stderr


@pytest.mark.parametrize(
    ("directive", "runs"),
    [
        ("<!-- cheatsheet: requires torch>=1.0 -->", True),
        ("<!-- cheatsheet: requires torch<1.0 -->", False),
        ("<!-- cheatsheet: requires python>=3.0 numpy>=1 -->", True),
        ("<!-- cheatsheet: requires torch>=1.0,<1.1 -->", False),
        ('<!-- cheatsheet: xfail torch>=1.0 dtypes=float16 reason="x" -->', True),
        ('<!-- cheatsheet: xfail torch>=1.0 dtypes=float32 devices=cpu reason="x" -->', False),
        ('<!-- cheatsheet: xfail torch<1.0 reason="x" -->', True),
    ],
)
def test_gates_decide_which_blocks_a_reader_here_meets(directive: str, runs: bool) -> None:
    steps = reader_steps(f"{directive}\n\n```python\nx = 1\n```\n\n```python\ny = 2\n```\n")
    assert [step["source"] for step in steps] == (["x = 1\n", "y = 2\n"] if runs else ["y = 2\n"])


@pytest.mark.parametrize(
    ("directive", "runs"),
    [
        ("<!-- skip: next -->", False),
        ('<!-- skip: next if(dtype == torch.float16, reason="x") -->', True),
        ('<!-- skip: next if(device == "cpu", reason="x") -->', False),
        ('<!-- skip: next if(autocast, reason="x") -->', True),
    ],
)
def test_skips_are_judged_as_for_a_reader_on_cpu_float32(
    directive: str, runs: bool, tmp_path: Path, reader: Reader
) -> None:
    text = f"{directive}\n\n```python\n>>> raise KeyError('ran')\n>>> 1\n1\n```\n"
    result = reader.run(text, tmp_path)
    assert (result.returncode == 1) is runs, result.stderr
    assert ("KeyError" in result.stderr) is runs


def test_a_skip_directive_with_a_condition_is_honoured_in_the_interpreter(
    tmp_path: Path, reader: Reader
) -> None:
    text = (
        '<!-- skip: start if(device != "cuda", reason="needs CUDA") -->\n\n'
        "```python\nraise RuntimeError('cuda only')\n```\n\n<!-- skip: end -->\n\n"
        "```python\nx = 1\n```\n"
    )
    result = reader.run(text, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ran 2 steps"
