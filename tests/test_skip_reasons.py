from __future__ import annotations

from conftest import SheetWriter


def test_a_version_gate_skip_is_reported_once_per_gate_at_its_line(sheets: SheetWriter) -> None:
    sheets.write(
        "amp.md",
        """
        <!-- cheatsheet: devices=cpu dtypes=float32,float64 -->

        <!-- cheatsheet: requires torch<2.0 -->
        ```python
        >>> import torch
        >>> torch.ones(1, dtype=dtype).sum().item()
        1.0
        ```

        <!-- cheatsheet: requires numpy<1 -->
        ```python
        >>> dtype is not None
        True
        ```
        """,
    )
    result = sheets.run("-rs")
    result.assert_outcomes(skipped=6)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]4[]] cheatsheet/amp.md:3: requires torch<2.0 (have torch *)",
            "SKIPPED [[]2[]] cheatsheet/amp.md:10: requires numpy<1 (have numpy *)",
        ]
    )
