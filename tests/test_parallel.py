"""Running part of a sheet: xdist workers, one example alone, and only the last failures."""

from __future__ import annotations

import re
from collections import defaultdict

import hypothesis  # noqa: F401 - imported lazily by its pytest plugin; pytester would re-import it
import pytest

from conftest import SheetWriter, summary_table

# 3 sheets: 16 examples on cpu and cuda (cuda skipped here), 21 that need the examples before
# them (the RNG and a name), and 8 with a failing claim: 35 passed, 2 failed, 8 skipped.
SHEETS = {
    "a_devices.md": """
        # 设备
        <!-- cheatsheet: devices=cpu,cuda dtypes=float32,float64 -->

        ```python
        >>> import torch
        >>> x = torch.arange(3, dtype=dtype, device=device)
        >>> x.sum().item()
        3.0
        >>> x.device.type == device
        True
        ```
    """,
    "b_random.md": """
        # 随机
        <!-- cheatsheet: dtypes=float32,float64,bfloat16 -->

        ```python
        >>> import torch
        >>> first = torch.rand(3)
        >>> step = 1
        ```

        ```python
        >>> step += 1
        >>> torch.rand(1)
        tensor([0.1320])
        >>> step
        2
        >>> first.to(dtype).dtype == dtype
        True
        ```
    """,
    "c_fails.md": """
        # 失败
        <!-- cheatsheet: autocast=off,on -->

        ```python
        >>> total = 41
        >>> total + 1
        43
        >>> total += 1
        >>> total
        42
        ```
    """,
}
OUTCOMES = {"passed": 35, "failed": 2, "skipped": 8}
WORKER_LINE = re.compile(r"^\[(gw\d+)\] .*(?:PASSED|FAILED|SKIPPED) (\S+)::line:\d+", re.MULTILINE)


def workers_by_combination(result: pytest.RunResult) -> dict[str, set[str]]:
    workers = defaultdict(set)
    for worker, combination in WORKER_LINE.findall(result.stdout.str()):
        workers[combination].add(worker)
    return dict(workers)


def test_two_workers_give_the_serial_outcomes_and_summary_with_load_and_loadscope(
    sheets: SheetWriter,
) -> None:
    for name, text in SHEETS.items():
        sheets.write(name, text)
    serial = sheets.run()
    serial.assert_outcomes(**OUTCOMES)

    load = sheets.run("-n", "2", "--dist", "load", "-v")
    load.assert_outcomes(**OUTCOMES)
    assert summary_table(load) == summary_table(serial)
    # load hands out the first examples one by one, so some combination is split over both
    # workers: each worker ran the examples before its own as set-up.
    assert any(len(workers) == 2 for workers in workers_by_combination(load).values())

    loadscope = sheets.run("-n", "2", "--dist", "loadscope", "-v")
    loadscope.assert_outcomes(**OUTCOMES)
    assert summary_table(loadscope) == summary_table(serial)
    workers = workers_by_combination(loadscope)
    assert len(workers) == 9
    assert all(len(names) == 1 for names in workers.values()), workers


def test_one_example_run_alone_sees_the_names_and_random_state_of_those_before(
    sheets: SheetWriter,
) -> None:
    sheets.write("b_random.md", SHEETS["b_random.md"])
    result = sheets.run("-k", "float64 and (line:12 or line:14)", "-v")
    result.stdout.fnmatch_lines(
        ["*b_random.md::float64::line:12 PASSED*", "*b_random.md::float64::line:14 PASSED*"]
    )
    result.assert_outcomes(passed=2)


def test_last_failed_reruns_only_the_failed_examples_after_their_set_up(
    sheets: SheetWriter,
) -> None:
    for name, text in SHEETS.items():
        sheets.write(name, text)
    first = sheets.pytester.runpytest("cheatsheet")
    first.assert_outcomes(**OUTCOMES)
    again = sheets.pytester.runpytest("cheatsheet", "--lf", "-v")
    again.assert_outcomes(failed=2)
    again.stdout.fnmatch_lines(
        [
            "run-last-failure: rerun previous 2 failures*",
            "*c_fails.md::any::line:6 FAILED*",
            "*c_fails.md::autocast::line:6 FAILED*",
        ]
    )
    # The failure is the claim's own (41 + 1 is not 43), not a NameError from a skipped set-up.
    again.stdout.fnmatch_lines(["Expected:", "    43", "Got:", "    42"])
    assert "NameError" not in again.stdout.str()
