"""line_of numbers a position as counting the line breaks before it does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pytest_cheatsheet.lines import line_of


@given(st.text(alphabet="ab\n\r", max_size=60), st.data())
def test_line_of_is_one_more_than_the_line_breaks_before_the_position(
    text: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    assert line_of(text, position) == text.count("\n", 0, position) + 1


def test_a_position_on_a_line_break_is_on_the_line_the_break_ends() -> None:
    assert [line_of("ab\ncd\n", position) for position in range(7)] == [1, 1, 1, 2, 2, 2, 3]
