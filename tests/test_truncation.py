"""The one truncation rule, used by every message, report field and page that shortens a text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_cheatsheet.truncation import ELLIPSIS, shorten


@pytest.mark.parametrize(
    ("text", "limit", "short"),
    [
        ("", 5, ""),
        ("abcde", 5, "abcde"),
        ("abcdef", 5, "abcd…"),
        ("长" * 10, 4, "长长长…"),
        ("a  b\nc", 10, "a  b\nc"),  # plain text keeps its white space
        ("ab   cdef", 5, "ab  …"),  # and is cut where it is cut
        ("x" * 2001, 2000, "x" * 1999 + "…"),
    ],
)
def test_a_text_longer_than_its_limit_keeps_limit_minus_one_characters_and_an_ellipsis(
    text: str, limit: int, short: str
) -> None:
    assert shorten(text, limit) == short


@pytest.mark.parametrize(
    ("text", "limit", "short"),
    [
        ("a  b\n c", 10, "a b c"),  # one line, even when it is not cut
        ("abc  defgh", 5, "abc…"),  # no space before the ellipsis
        ("see `torch.tanh` here", 12, "see…"),  # not inside a code span
        ("see `torch.tanh` here", 18, "see `torch.tanh`…"),
        ("`a` and `b`", 11, "`a` and `b`"),
    ],
)
def test_markdown_is_one_line_and_never_cut_inside_a_code_span(
    text: str, limit: int, short: str
) -> None:
    assert shorten(text, limit, markdown=True) == short


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80), limit=st.integers(1, 60), markdown=st.booleans())
def test_a_shortened_text_fits_its_limit_and_says_it_was_cut(
    text: str, limit: int, markdown: bool
) -> None:
    whole = " ".join(text.split()) if markdown else text
    short = shorten(text, limit, markdown=markdown)
    if len(whole) <= limit:
        assert short == whole
    else:
        assert len(short) <= limit
        assert short.endswith(ELLIPSIS)
        assert whole.startswith(short[:-1])
