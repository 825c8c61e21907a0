from __future__ import annotations

import doctest
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_cheatsheet.checker import (
    DTYPE_TOLERANCES,
    Mismatch,
    TensorOutputChecker,
    Token,
    Tolerance,
    actual_dtypes,
    compare,
    digits_tolerance,
    strip_unwritten_keywords,
    tokenize,
)

FLOAT32 = Tolerance.for_dtypes(["float32"])
FLOAT16 = Tolerance.for_dtypes(["float16"])
BFLOAT16 = Tolerance.for_dtypes(["bfloat16"])
FAST = settings(max_examples=200, deadline=None)

# Exactly representable in float16 and bfloat16, so only the computation's rounding differs.
EXACT_INPUTS = torch.arange(-64, 65) / 16
ELEMENTWISE: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "exp": torch.exp,
    "softmax": lambda t: torch.softmax(t, dim=0),
    "gelu": torch.nn.functional.gelu,
    "sqrt": lambda t: t.abs().sqrt(),
    "cumsum": lambda t: t.cumsum(dim=0),
}


def tolerance_for(actual: str, *dtypes: str) -> Tolerance:
    """The tolerance TensorOutputChecker would use: the combination's dtypes and those printed."""
    return Tolerance.for_dtypes([*dtypes, *actual_dtypes(actual)])


# Unwritten keywords, written keywords


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("tensor([0.7616, 0.9640])", "tensor([0.7616, 0.9640], device='cuda:0')"),
        ("tensor([1., 2.])", "tensor([1., 2.], dtype=torch.float64)"),
        ("tensor([2., 4.])", "tensor([2., 4.], grad_fn=<MulBackward0>)"),
        ("tensor([1., 2.])", "tensor([1., 2.], requires_grad=True)"),
        ("tensor([1.])", "tensor([1.], layout=torch.sparse_coo)"),
        (
            "tensor([1.])",
            "tensor([1.], device='cuda:0', dtype=torch.float16, requires_grad=True)",
        ),
        ("tensor([0.7616, 0.9640])", "tensor([0.7617, 0.9648],\n       dtype=torch.bfloat16)"),
        ("array([0.1, 0.2])", "array([0.1, 0.2], dtype=float32)"),
        (
            "tensor([1.], dtype=torch.float64)",
            "tensor([1.], device='cuda:0', dtype=torch.float64)",
        ),
    ],
)
def test_keywords_the_expected_output_does_not_write_are_ignored(
    expected: str, actual: str
) -> None:
    assert compare(expected, actual, tolerance_for(actual)) is None


@pytest.mark.parametrize(
    ("expected", "actual", "reason"),
    [
        (
            "tensor([1.], dtype=torch.float64)",
            "tensor([1.], dtype=torch.float16)",
            "expected dtype=torch.float64, got dtype=torch.float16",
        ),
        (
            "tensor([1.], device='cuda:0')",
            "tensor([1.], device='cuda:1')",
            "expected device='cuda:0', got device='cuda:1'",
        ),
        (
            "tensor([1.], dtype=torch.float64)",
            "tensor([1.])",
            "expected ', dtype=torch.float64', got ')'",
        ),
        (
            "tensor([1.], requires_grad=True)",
            "tensor([1.], grad_fn=<MulBackward0>)",
            "expected ', requires_grad=True', got ')'",
        ),
        (
            "array([0.1, 0.2], dtype=float32)",
            "array([0.1, 0.2], dtype=float16)",
            "expected dtype=float32, got dtype=float16",
        ),
    ],
)
def test_a_keyword_written_in_the_expected_output_is_checked(
    expected: str, actual: str, reason: str
) -> None:
    assert compare(expected, actual, BFLOAT16) == Mismatch(reason)


@pytest.mark.parametrize(
    ("expected", "actual", "stripped"),
    [
        ("tensor([1.])", "tensor([1.], device='cuda:0', dtype=torch.float16)", "tensor([1.])"),
        (
            "tensor([1.], dtype=torch.float64)",
            "tensor([1.], device='cuda:0', dtype=torch.float16)",
            "tensor([1.], dtype=torch.float16)",
        ),
        ("tensor([2.])", "tensor([2.], grad_fn=<MulBackward0>)", "tensor([2.])"),
        (
            "tensor([2.], grad_fn=<MulBackward0>)",
            "tensor([2.], grad_fn=<AddBackward0>)",
            "tensor([2.], grad_fn=<AddBackward0>)",
        ),
        (
            "tensor([0.5000, 0.2500])",
            "tensor([0.5000, 0.2500],\n       dtype=torch.bfloat16)",
            "tensor([0.5000, 0.2500])",
        ),
    ],
)
def test_strip_unwritten_keywords_removes_only_keywords_the_expected_output_never_writes(
    expected: str, actual: str, stripped: str
) -> None:
    assert strip_unwritten_keywords(expected, actual) == stripped


# Tolerances


@pytest.mark.parametrize(
    ("dtypes", "rtol", "atol", "dtype"),
    [
        ([], 1.3e-6, 1e-5, "float32"),
        (["float32"], 1.3e-6, 1e-5, "float32"),
        (["float64"], 1e-7, 1e-7, "float64"),
        (["float32", "float64"], 1.3e-6, 1e-5, "float32"),
        (["float16", "bfloat16"], 1.6e-2, 1e-5, "bfloat16"),
        (["bfloat16", "float32"], 1.6e-2, 1e-5, "bfloat16"),
        (["float8_e5m2"], 0.25, 1e-5, "float8_e5m2"),
        (["int64"], 1.3e-6, 1e-5, "float32"),
        (["float32", "int64", "bool"], 1.3e-6, 1e-5, "float32"),
    ],
)
def test_the_loosest_tolerance_of_the_dtypes_in_play_is_used(
    dtypes: list[str], rtol: float, atol: float, dtype: str
) -> None:
    assert Tolerance.for_dtypes(dtypes) == Tolerance(rtol, atol, dtype)


def test_a_tolerance_describes_its_numbers_and_dtype() -> None:
    assert BFLOAT16.describe() == (
        "rtol=0.016, atol=1e-05 (bfloat16) plus half a unit in the last digit written and printed"
    )


@pytest.mark.parametrize(
    ("written", "half_unit"),
    [
        ("0.7616", 5e-5),
        ("0.76", 5e-3),
        ("-0.5", 5e-2),
        ("1.5e-05", 5e-7),
        ("1.0000e-08", 5e-13),
        ("2.5e+03", 50.0),
        ("1.2346E+10", 5e5),
        ("41.", 0.0),
        ("41", 0.0),
        ("1e-08", 0.0),
    ],
)
def test_digits_tolerance_is_half_a_unit_in_the_last_digit_written(
    written: str, half_unit: float
) -> None:
    assert digits_tolerance(written) == pytest.approx(half_unit, rel=1e-12)


def test_digits_tolerance_of_a_huge_exponent_is_infinite_rather_than_an_overflow() -> None:
    assert digits_tolerance("0.0e400") == math.inf
    assert digits_tolerance("0.0e-400") == 0.0


def test_allowed_adds_atol_rtol_and_the_rounding_of_both_printed_numbers() -> None:
    allowed = FLOAT16.allowed(2.0, "2.0000", "1.999")
    assert allowed == pytest.approx(1e-5 + 1e-3 * 2.0 + 5e-5 + 5e-4)
    assert FLOAT16.allowed(2.0, "2.") == pytest.approx(1e-5 + 1e-3 * 2.0)


# Floats within and beyond tolerance


@pytest.mark.parametrize("function", ELEMENTWISE.values(), ids=ELEMENTWISE.keys())
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16], ids=str)
def test_float32_output_holds_for_the_same_computation_in_another_dtype(
    function: Callable[[torch.Tensor], torch.Tensor], dtype: torch.dtype
) -> None:
    for inputs in torch.split(EXACT_INPUTS, 8):
        expected = repr(function(inputs))
        actual = repr(function(inputs.to(dtype)))
        dtype_name = str(dtype).removeprefix("torch.")
        assert f"dtype={dtype}" in actual
        assert compare(expected, actual, tolerance_for(actual, dtype_name)) is None, (
            expected,
            actual,
        )


def test_a_float64_result_printed_on_the_other_side_of_the_last_digit_passes() -> None:
    x = torch.tensor(0.133)
    expected, actual = repr(torch.exp(x)), repr(torch.exp(x.double()))
    assert (expected, actual) == ("tensor(1.1423)", "tensor(1.1422, dtype=torch.float64)")
    assert compare(expected, actual, tolerance_for(actual, "float64")) is None


@pytest.mark.parametrize(
    ("expected", "actual", "dtype"),
    [
        ("tensor([0.7616])", "tensor([0.7700], dtype=torch.bfloat16)", "bfloat16"),
        ("tensor(41.)", "tensor(41.5000, dtype=torch.bfloat16)", "bfloat16"),
        ("tensor([1.0000e-08])", "tensor([0.], dtype=torch.float16)", "float16"),
        ("tensor([1.5000e-05])", "tensor([1.6000e-05])", "float32"),
        ("1.2346e+10", "12346000000.0", "float32"),
        ("0.3", "0.30000000000000004", "float64"),
        ("0.5", "0.5000001", "float32"),
        ("-0.", "0.", "float32"),
        ("np.float64(0.5)", "np.float64(0.5000000001)", "float64"),
        ("np.float64(0.7615941559557649)", "np.float64(0.76159416)", "float32"),
    ],
)
def test_floats_within_the_dtype_tolerance_pass(expected: str, actual: str, dtype: str) -> None:
    assert compare(expected, actual, tolerance_for(actual, dtype)) is None


@pytest.mark.parametrize(
    ("expected", "actual", "dtype", "reason"),
    [
        (
            "tensor([0.7616])",
            "tensor([0.7700], dtype=torch.float16)",
            "float16",
            "expected 0.7616, got 0.7700: |difference| 0.0084 > allowed 0.000872",
        ),
        (
            "tensor([0.7616])",
            "tensor([0.7618])",
            "float32",
            "expected 0.7616, got 0.7618: |difference| 0.0002 > allowed 0.000111",
        ),
        (
            "tensor(41.)",
            "tensor(42., dtype=torch.bfloat16)",
            "bfloat16",
            "expected 41., got 42.: |difference| 1 > allowed 0.656",
        ),
        (
            "tensor([1.0000e-03])",
            "tensor([0.], dtype=torch.float16)",
            "float16",
            "expected 1.0000e-03, got 0.: |difference| 0.001 > allowed 1.11e-05",
        ),
        (
            "1.2346e+10",
            "1.2400e+10",
            "float32",
            "expected 1.2346e+10, got 1.2400e+10: |difference| 5.4e+07 > allowed 1.02e+06",
        ),
        (
            "0.76",
            "0.7651",
            "float32",
            "expected 0.76, got 0.7651: |difference| 0.0051 > allowed 0.00506",
        ),
    ],
)
def test_floats_beyond_the_dtype_tolerance_fail_with_the_allowed_difference(
    expected: str, actual: str, dtype: str, reason: str
) -> None:
    assert compare(expected, actual, tolerance_for(actual, dtype)) == Mismatch(reason)


def test_a_whole_number_written_as_41_dot_adds_no_rounding_of_its_own() -> None:
    assert compare("tensor([41.])", "tensor([41.04])", FLOAT32) is not None
    assert compare("tensor([41.0])", "tensor([41.04])", FLOAT32) is None


# Integers


@pytest.mark.parametrize(
    ("expected", "actual", "reason"),
    [
        ("tensor([1, 2])", "tensor([1, 3])", "expected 2, got 3 (integers must be equal)"),
        ("3", "4", "expected 3, got 4 (integers must be equal)"),
        ("-1", "1", "expected -1, got 1 (integers must be equal)"),
        ("tensor([1, 2])", "tensor([1., 2.])", "expected 1, got 1. (integers must be equal)"),
        ("tensor([1., 2.])", "tensor([1, 2])", "expected 1., got 1 (integers must be equal)"),
        ("2", "2.0", "expected 2, got 2.0 (integers must be equal)"),
    ],
)
def test_integers_must_be_equal_whatever_the_dtype_tolerance(
    expected: str, actual: str, reason: str
) -> None:
    loosest = Tolerance.for_dtypes(DTYPE_TOLERANCES)
    assert compare(expected, actual, loosest) == Mismatch(reason)


def test_equal_integers_written_differently_match() -> None:
    assert compare("+7", "7", FLOAT32) is None
    assert compare("tensor([1, 2])", "tensor([1, 2], dtype=torch.int32)", FLOAT32) is None


def test_integers_longer_than_int_str_digits_limit_are_compared_without_error() -> None:
    digits = "1" * 5000
    assert compare(digits, "+" + digits, FLOAT32) is None
    assert compare(digits, digits[:-1] + "2", FLOAT32) is not None


# Shape and structure


@pytest.mark.parametrize(
    ("expected", "actual", "reason"),
    [
        ("tensor([1., 2.])", "tensor([1., 2., 3.])", "expected ']', got ','"),
        ("tensor([1., 2., 3.])", "tensor([1., 2.])", "expected ',', got ']'"),
        ("tensor([[1., 2.]])", "tensor([1., 2.])", "expected '[', got '1.'"),
        ("tensor([1., 2.])", "array([1., 2.])", "expected 'tensor', got 'array'"),
        ("tensor(1.)", "tensor([1.])", "expected '1.', got '['"),
        ("tensor(1.)", "tensor(1.)\ntensor(2.)", "the actual output goes on with 'tensor'"),
        ("tensor(1.)\ndone", "tensor(1.)", "the expected output goes on with 'done'"),
        ("np.float64(0.5)", "np.float32(0.5)", "expected 'np.float64', got 'np.float32'"),
        ("np.float64(0.5)", "0.5", "expected 'np.float64', got '0.5'"),
        ("torch.Size([2, 3])", "torch.Size([3, 2])", "expected 2, got 3 (integers must be equal)"),
    ],
)
def test_a_different_shape_or_structure_fails(expected: str, actual: str, reason: str) -> None:
    assert compare(expected, actual, BFLOAT16) == Mismatch(reason)


# Other printed forms


def test_numpy_arrays_of_another_float_dtype_match_the_float64_output() -> None:
    values = np.array([[1.0, 2.0], [3.0, 0.5]])
    expected = repr(np.tanh(values))
    actual = repr(np.tanh(values.astype(np.float32)))
    assert "dtype=float32" in actual
    assert compare(expected, actual, tolerance_for(actual)) is None


def test_printed_numpy_arrays_without_commas_match_across_dtypes() -> None:
    values = np.array([[1.0, 2.0], [3.0, 0.5]])
    expected, actual = str(np.tanh(values)), str(np.tanh(values.astype(np.float16)))
    assert "array" not in expected
    assert expected.count("\n") == actual.count("\n") == 1
    assert compare(expected, actual, FLOAT16) is None
    assert compare(expected, str(np.tanh(values[:, :1])), FLOAT16) is not None


def test_realigned_columns_of_a_printed_tensor_match() -> None:
    values = torch.tensor([[0.5, 9.99], [2.0, 3.0]])
    expected, actual = str(values), str(values.bfloat16())
    assert "[0.5000, 9.9900]" in expected
    assert "[ 0.5000, 10.0000]" in actual
    assert compare(expected, actual, BFLOAT16) is None
    assert compare(expected, actual, FLOAT32) is not None


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        ("tensor([nan, inf, -inf])", "tensor([nan, inf, -inf], dtype=torch.float16)", True),
        ("nan", "nan", True),
        ("nan", "1.", False),
        ("1.", "nan", False),
        ("inf", "-inf", False),
        ("inf", "3.4028e+38", False),
        ("tensor([nan, 1.])", "tensor([1., nan])", False),
    ],
)
def test_nan_and_inf_match_only_themselves(expected: str, actual: str, matches: bool) -> None:
    assert (compare(expected, actual, BFLOAT16) is None) is matches


# Tokens


def test_tokenize_splits_output_into_keywords_numbers_words_and_punctuation() -> None:
    tokens = tokenize("tensor([1.5, -2, nan],\n       dtype=torch.float16)")
    assert [(token.kind, token.text) for token in tokens] == [
        ("word", "tensor"),
        ("other", "("),
        ("other", "["),
        ("number", "1.5"),
        ("other", ","),
        ("number", "-2"),
        ("other", ","),
        ("number", "nan"),
        ("other", "]"),
        ("keyword", ",\n       dtype=torch.float16"),
        ("other", ")"),
    ]
    assert (tokens[9].name, tokens[9].value) == ("dtype", "torch.float16")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1e-08", "number"),
        ("+3", "number"),
        (".5", "number"),
        ("torch.float16", "word"),
        ("x1", "word"),
        ("1.5e", "word"),
    ],
)
def test_tokenize_tells_numbers_from_words(text: str, kind: str) -> None:
    assert [token.kind for token in tokenize(text)] == [kind]


@pytest.mark.parametrize(("text", "is_integer"), [("42", True), ("-3", True), ("42.", False)])
def test_a_token_knows_whether_it_is_an_integer(text: str, is_integer: bool) -> None:
    assert Token("number", text).is_integer is is_integer
    assert not Token("word", "x").is_integer


# The doctest output checker


def test_the_checker_uses_the_combinations_dtypes() -> None:
    checker = TensorOutputChecker()
    assert not checker.check_output("tensor(41.)\n", "tensor(41.5000)\n", 0)
    checker.dtypes = ("bfloat16",)
    assert checker.check_output("tensor(41.)\n", "tensor(41.5000)\n", 0)


def test_the_checker_uses_the_dtypes_the_output_prints() -> None:
    checker = TensorOutputChecker()
    assert checker.check_output("tensor(41.)\n", "tensor(41.5000, dtype=torch.bfloat16)\n", 0)
    assert checker.last_tolerance == BFLOAT16


def test_a_literal_match_needs_no_tolerance() -> None:
    checker = TensorOutputChecker()
    assert checker.check_output("tensor([1, 2])\n", "tensor([1, 2])\n", 0)
    assert checker.last_mismatch is None
    assert checker.last_tolerance is None


def test_the_failure_message_shows_expected_got_and_the_tolerance_used() -> None:
    checker = TensorOutputChecker()
    checker.dtypes = ("float32",)
    example = doctest.Example("torch.tensor(41.)", "tensor(41.)\n")
    got = "tensor(42., dtype=torch.bfloat16)\n"
    assert not checker.check_output(example.want, got, 0)
    message = checker.output_difference(example, got, 0)
    assert "Expected:\n    tensor(41.)\n" in message
    assert "Got:\n    tensor(42., dtype=torch.bfloat16)\n" in message
    assert (
        "Numbers compared with rtol=0.016, atol=1e-05 (bfloat16) "
        "plus half a unit in the last digit written and printed.\n"
    ) in message
    assert "First difference: expected 41., got 42.: |difference| 1 > allowed 0.656\n" in message


def test_the_failure_message_names_a_structural_difference() -> None:
    checker = TensorOutputChecker()
    example = doctest.Example("t", "tensor([1, 2])\n")
    assert not checker.check_output(example.want, "tensor([1, 3])\n", 0)
    message = checker.output_difference(example, "tensor([1, 3])\n", 0)
    assert "First difference: expected 2, got 3 (integers must be equal)" in message


@pytest.mark.parametrize(
    ("want", "got", "flags", "matches"),
    [
        ("tensor([0.7616, ...])\n", "tensor([0.7616, 0.9640], dtype=torch.float16)\n", True, True),
        ("tensor([0.7616, ...])\n", "tensor([0.7616, 0.9640])\n", False, False),
        ("tensor(..., dtype=torch.float64)\n", "tensor([1.], dtype=torch.float16)\n", True, False),
        ("tensor(..., dtype=torch.float16)\n", "tensor([1.], dtype=torch.float16)\n", True, True),
        ("Traceback ...\n", "Traceback (most recent call last):\n  boom\n", True, True),
    ],
)
def test_the_ellipsis_flag_lets_dots_stand_for_anything_but_written_keywords(
    want: str, got: str, flags: bool, matches: bool
) -> None:
    optionflags = doctest.ELLIPSIS if flags else 0
    assert TensorOutputChecker().check_output(want, got, optionflags) is matches


def test_a_failed_ellipsis_pattern_reports_the_tolerance_but_no_token_difference() -> None:
    checker = TensorOutputChecker()
    example = doctest.Example("t", "tensor([0.7616, ...])\n")
    got = "tensor([0.9640, 0.7616])\n"
    assert not checker.check_output(example.want, got, doctest.ELLIPSIS)
    message = checker.output_difference(example, got, doctest.ELLIPSIS)
    assert "Numbers compared with rtol=1.3e-06, atol=1e-05 (float32)" in message
    assert "First difference" not in message


def test_a_summarised_tensor_matches_across_dtypes_with_the_ellipsis_flag() -> None:
    inputs = torch.arange(2000) / 1999
    want, got = repr(torch.tanh(inputs)), repr(torch.tanh(inputs.bfloat16()))
    assert "..." in want
    assert "..." in got
    assert want != got
    checker = TensorOutputChecker()
    assert checker.check_output(want, got, doctest.ELLIPSIS)
    assert checker.check_output(want, got, 0)
    assert not checker.check_output(want, repr(torch.tanh(inputs).flip(0)), doctest.ELLIPSIS)


# Properties


@FAST
@given(st.text(), st.text())
def test_tokenize_and_compare_never_raise_on_arbitrary_text(expected: str, actual: str) -> None:
    assert all(isinstance(token, Token) for token in tokenize(expected))
    assert isinstance(compare(expected, actual, BFLOAT16), (Mismatch, type(None)))


NUMBERISH = st.text(alphabet="0123456789.eE+-naif ([,])\n", max_size=30)


@FAST
@given(NUMBERISH, NUMBERISH, st.sampled_from(sorted(DTYPE_TOLERANCES)))
def test_compare_never_raises_on_number_like_text(expected: str, actual: str, dtype: str) -> None:
    result = compare(expected, actual, Tolerance.for_dtypes([dtype]))
    assert result is None or result.reason


INT64 = st.integers(-(2**63), 2**63 - 1)


@FAST
@given(st.lists(INT64, max_size=8), st.lists(INT64, max_size=8))
def test_the_checker_never_accepts_a_different_integer(first: list[int], second: list[int]) -> None:
    expected, actual = repr(torch.tensor(first)), repr(torch.tensor(second))
    loosest = Tolerance.for_dtypes(DTYPE_TOLERANCES)
    assert (compare(expected, actual, loosest) is None) is (first == second)


SHAPES = st.lists(st.integers(0, 3), max_size=3).map(tuple)


@FAST
@given(SHAPES, SHAPES)
def test_the_checker_never_accepts_a_different_shape(
    first: tuple[int, ...], second: tuple[int, ...]
) -> None:
    def printed(shape: tuple[int, ...]) -> str:
        return repr(torch.arange(math.prod(shape), dtype=torch.float32).reshape(shape) / 8)

    loosest = Tolerance.for_dtypes(DTYPE_TOLERANCES)
    assert (compare(printed(first), printed(second), loosest) is None) is (first == second)


def written_forms(x: float) -> st.SearchStrategy[str]:
    """The ways an expected output may write ``x``: fixed, torch's ``41.`` and scientific."""
    return st.one_of(
        st.integers(1, 6).map(lambda digits: f"{x:.{digits}f}"),
        st.just(f"{x:.0f}."),
        st.integers(0, 5).map(lambda digits: f"{x:.{digits}e}"),
    )


FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
DTYPES = st.sampled_from(sorted(DTYPE_TOLERANCES))


@FAST
@given(st.data(), FINITE, DTYPES, st.floats(-0.999, 0.999))
def test_every_value_within_the_stated_tolerance_is_accepted(
    data: st.DataObject, x: float, dtype: str, fraction: float
) -> None:
    written = data.draw(written_forms(x))
    tolerance = Tolerance.for_dtypes([dtype])
    expected = float(written)
    actual = expected + fraction * tolerance.allowed(expected, written)
    assert compare(written, repr(actual), tolerance) is None


@FAST
@given(st.data(), FINITE, DTYPES, st.floats(1.001, 100.0), st.sampled_from([-1.0, 1.0]))
def test_every_value_beyond_the_stated_tolerance_is_rejected(
    data: st.DataObject, x: float, dtype: str, factor: float, sign: float
) -> None:
    written = data.draw(written_forms(x))
    tolerance = Tolerance.for_dtypes([dtype])
    expected = float(written)
    actual = expected + sign * factor * tolerance.allowed(expected, written)
    printed = f"{actual:.16e}"  # 17 digits: the printed side adds next to no rounding
    assert abs(float(printed) - expected) > tolerance.allowed(expected, written, printed)
    assert isinstance(compare(written, printed, tolerance), Mismatch)


def test_blankline_markers_keep_the_tolerance() -> None:
    checker = TensorOutputChecker()
    assert checker.check_output("0.3\n<BLANKLINE>\n", "0.30000000000000004\n\n", 0)
    assert not checker.check_output("0.4\n<BLANKLINE>\n", "0.30000000000000004\n\n", 0)
