"""Devices: absent ones are skipped with a reason, present ones run (simulated here on CPU)."""

from __future__ import annotations

import hypothesis  # noqa: F401 - imported lazily by its pytest plugin; pytester would re-import it
import pytest
import torch

from conftest import SheetWriter

DEVICE_SHEET = """
    # 设备
    <!-- cheatsheet: devices=cpu,cuda dtypes=float32,float16 -->

    ```python
    >>> import torch
    >>> device in ("cpu", "cuda"), dtype in (torch.float32, torch.float16)
    (True, True)
    >>> print(device)
    cpu
    ```
"""


@pytest.fixture
def simulated_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """One CUDA device, as far as availability checks go; the sheets never touch it."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Simulated GPU")


def test_cuda_combinations_are_skipped_with_a_reason_when_absent(sheets: SheetWriter) -> None:
    assert not torch.cuda.is_available()
    sheets.write("x.md", DEVICE_SHEET)
    result = sheets.run("-v", "-rs")
    result.stdout.fnmatch_lines(
        [
            "*x.md::cpu-float32::line:5 PASSED*",
            "*x.md::cpu-float16::line:8 PASSED*",
            "*x.md::cuda-float32::line:5 SKIPPED (device 'cuda'*",
            "*x.md::cuda-float16::line:8 SKIPPED (device 'cuda'*",
            "torch *; devices: cpu: *, cuda: not available",
            "combination * passed * failed * skipped*",
            "cpu-float16 * 3 * 0 * 0 *",
            "cpu-float32 * 3 * 0 * 0 *",
            "cuda-float16 * 0 * 0 * 3 * (device 'cuda' is not available)",
            "cuda-float32 * 0 * 0 * 3 * (device 'cuda' is not available)",
            "SKIPPED [[]6[]] *: device 'cuda' is not available",
        ]
    )
    result.assert_outcomes(passed=6, skipped=6)


def test_a_device_skip_is_reported_at_the_sheet_not_the_plugin(sheets: SheetWriter) -> None:
    sheets.write("x.md", DEVICE_SHEET)
    result = sheets.run("-rs", "-k", "cuda")
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]6[]] cheatsheet/x.md:2: device 'cuda' is not available"]
    )
    assert "nodes.py" not in result.stdout.str()
    assert "item_reports.py" not in result.stdout.str()


@pytest.mark.usefixtures("simulated_cuda")
def test_cuda_combinations_run_and_are_selectable_and_summarised_where_cuda_is_available(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "x.md",
        """
        <!-- cheatsheet: devices=cpu,cuda dtypes=float32,float16 -->
        ```python
        >>> device, dtype.is_floating_point
        ('cuda', True)
        ```
        """,
    )
    result = sheets.run("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "cheatsheet/x.md::cpu-float32::line:3",
            "cheatsheet/x.md::cpu-float16::line:3",
            "cheatsheet/x.md::cuda-float32::line:3",
            "cheatsheet/x.md::cuda-float16::line:3",
            "4 tests collected*",
        ]
    )
    result = sheets.run("-k", "cuda")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*cheatsheet: what was verified*",
            "torch *; devices: cuda: Simulated GPU",
            "combination * passed * failed * skipped*",
            "cuda-float16 * 1 * 0 * 0 *",
            "cuda-float32 * 1 * 0 * 0 *",
        ]
    )
    result = sheets.run("-m", "cuda and float16", "-v")
    result.stdout.fnmatch_lines(["*x.md::cuda-float16::line:3 PASSED*"])
    result.assert_outcomes(passed=1)


@pytest.mark.usefixtures("simulated_cuda")
def test_other_device_names_are_accepted_and_skipped_when_absent(sheets: SheetWriter) -> None:
    sheets.write(
        "x.md",
        """
        <!-- cheatsheet: devices=cpu,cuda:1,xpu,mps -->
        ```python
        >>> device
        'cpu'
        ```
        """,
    )
    result = sheets.run("-v")
    result.stdout.fnmatch_lines(
        [
            "*x.md::cpu::line:3 PASSED*",
            "*x.md::cuda:1::line:3 SKIPPED*",
            "*x.md::xpu::line:3 SKIPPED*",
            "*x.md::mps::line:3 SKIPPED*",
            "*cheatsheet: what was verified*",
            "combination * passed * failed * skipped*",
            "cpu * 1 * 0 * 0 *",
            "cuda:1 * 0 * 0 * 1 * (device 'cuda:1' is not available)",
            "mps * 0 * 0 * 1 * (device 'mps' is not available)",
            "xpu * 0 * 0 * 1 * (device 'xpu' is not available)",
        ]
    )
    result.assert_outcomes(passed=1, skipped=3)


@pytest.mark.usefixtures("simulated_cuda")
def test_autocast_lowers_to_float16_on_cuda_and_bfloat16_on_cpu_by_default(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "amp.md",
        """
        <!-- cheatsheet: devices=cpu,cuda autocast=off,on -->
        ```python
        >>> import torch
        >>> torch.is_autocast_enabled(device) == autocast
        True
        >>> lower = torch.float16 if device == "cuda" else torch.bfloat16
        >>> not autocast or torch.get_autocast_dtype(device) == lower
        True
        ```
        """,
    )
    result = sheets.run("-v")
    result.stdout.fnmatch_lines(["*amp.md::cuda-autocast::line:7 PASSED*"])
    result.assert_outcomes(passed=4 * 4)
