"""Gates take any PEP 508 requirement on any installed distribution, markers included."""

from __future__ import annotations

import pytest

from conftest import SheetWriter
from pytest_cheatsheet.directives import DirectiveError, parse_directive


def test_requires_gates_on_any_distribution_version_and_marker(sheets: SheetWriter) -> None:
    sheets.write(
        "gates.md",
        """
        <!-- cheatsheet: requires packaging>=20 -->
        ```python
        >>> 1 + 1
        2
        ```

        <!-- cheatsheet: requires packaging<1 -->
        ```python
        >>> never_run
        ```

        <!-- cheatsheet: requires surely-not-a-distribution-here -->
        ```python
        >>> never_run
        ```

        <!-- cheatsheet: requires "surely-not-a-distribution-here>=1; python_version < '3'" -->
        ```python
        >>> 2 + 2
        4
        ```
        """,
    )
    result = sheets.run("-rs")
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*gates.md:7: requires packaging<1 (have packaging *)",
            "*gates.md:12: requires surely-not-a-distribution-here "
            "(have surely-not-a-distribution-here: not installed)",
        ],
        consecutive=False,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("requires jax>>1", "malformed requirement 'jax>>1'"),
        ("requires ~=1", "malformed requirement '~=1'"),
    ],
)
def test_a_malformed_requirement_is_an_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(DirectiveError) as error:
        parse_directive(text, 3)
    assert message in error.value.message
