from __future__ import annotations

import cmath
import decimal
import doctest
import inspect
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pytest_cheatsheet.checker import (
    ABBREVIATED_RULE,
    DTYPE_TOLERANCES,
    ROUNDOFF,
    WRITTEN_RULE,
    CheckContext,
    Mismatch,
    Token,
    Tolerance,
    ToleranceOverride,
    compare,
    digits_match,
    last_digit_unit,
    printed_exactly,
    tokenize,
    written_slack,
)
from pytest_cheatsheet.output_checker import TensorOutputChecker

FAST = settings(max_examples=200, deadline=None)
WRITTEN = CheckContext(written=True, dtype="float32")
DTYPES = ("float32", "float64", "float16", "bfloat16")
TORCH_DTYPES = {name: getattr(torch, name) for name in DTYPES}


def on(dtype: str, **changes: object) -> CheckContext:
    """The context of an example on a combination of ``dtype``; the written one is float32."""
    if dtype == "float32" and not changes:
        return WRITTEN
    return CheckContext(written=False, dtype=dtype, written_dtype="float32", **changes)  # type: ignore[arg-type]


def matches(expected: str, actual: str, context: CheckContext, ellipsis: bool = False) -> bool:
    return compare(expected, actual, context, ellipsis).matches


def reason(expected: str, actual: str, context: CheckContext) -> str:
    mismatch = compare(expected, actual, context).mismatch
    assert mismatch is not None, (expected, actual)
    return mismatch.reason


def printed(value: object) -> str:
    return repr(value)


# The wrong outputs of the issue: each fails on the written combination (cpu-float32) and on
# cpu-float64. (written, printed on float32, printed on float64)

MOMENTUM = inspect.signature(torch.nn.BatchNorm2d).parameters["momentum"].default
TANH_1 = torch.tanh(torch.tensor([1.0]))
WRONG_OUTPUTS = {
    "a default written 0.2 for 0.1": ("0.2", repr(MOMENTUM), repr(MOMENTUM)),
    "a shortest repr 0.5 written 0.54": ("0.54", repr(0.5), repr(0.5)),
    "float32's eps written as float64's": (
        "2.220446049250313e-16",
        repr(torch.finfo(torch.float32).eps),
        repr(torch.finfo(torch.float32).eps),
    ),
    "1e-08 written 1e-06": ("1e-06", repr(1e-08), repr(1e-08)),
    "a small tensor element written 100 times too big": (
        "tensor([1.0000e-06, 1.])",
        repr(torch.tensor([1e-8, 1.0])),
        repr(torch.tensor([1e-8, 1.0], dtype=torch.float64)),
    ),
    "one unit in the last written digit": (
        "tensor([0.7617])",
        repr(TANH_1),
        repr(TANH_1.double()),
    ),
    "a number inside a string literal": ("'3.12'", repr("3.11"), repr("3.11")),
    "spaces inside a string literal": ("'a, b'", repr("a,b"), repr("a,b")),
    "a bfloat16 tensor beside a float32 one loosens only itself": (
        "(tensor([0.7617], dtype=torch.bfloat16), tensor([0.7617]))",
        repr((TANH_1.bfloat16(), TANH_1)),
        repr((TANH_1.bfloat16(), TANH_1.double())),
    ),
    "-0.0 for 0.0": ("-0.0", repr(0.0), repr(0.0)),
    "a Decimal's digits": ("Decimal('0.333')", repr(decimal.Decimal("0.3333")), "x"),
    "a float in a dict": ("{'lr': 1.6}", repr({"lr": 1.5}), repr({"lr": 1.5})),
    "round(2.675, 2) written as school rounds it": (
        "2.68",
        repr(round(2.675, 2)),
        repr(round(2.675, 2)),
    ),
    "a formatted number is text": ("'0.3333'", repr(f"{1 / 3:.2f}"), repr(f"{1 / 3:.2f}")),
    "a line break written as a space": ("a b", "a\nb", "a\nb"),
    "a missing blank line": ("a\nb", "a\n\nb", "a\n\nb"),
    "a 17-digit float64 result with a wrong digit": (
        "0.7615941559557658",
        repr(math.tanh(1.0)),
        repr(math.tanh(1.0)),
    ),
}
WRONG_OUTPUTS["a Decimal's digits"] = (
    "Decimal('0.333')",
    repr(decimal.Decimal("0.3333")),
    repr(decimal.Decimal("0.3333")),
)


@pytest.mark.parametrize(
    ("written", "on_float32", "on_float64"), WRONG_OUTPUTS.values(), ids=WRONG_OUTPUTS.keys()
)
def test_every_wrong_output_of_the_issue_fails_on_float32_and_float64(
    written: str, on_float32: str, on_float64: str
) -> None:
    assert not matches(written, on_float32, WRITTEN)
    # 3e-16 off: within float64's tolerance on another dtype; and two fixed-decimal prints one
    # unit apart may be the same value rounded either side of a boundary (test_boundary_...)
    if written not in ("0.7615941559557658", "tensor([0.7617])"):
        assert not matches(written, on_float64, on("float64"))


# The right outputs: each passes on the written combination and on float64, float16, bfloat16.


def prints_in(dtype: str, make: Callable[[torch.dtype], object]) -> str:
    return repr(make(TORCH_DTYPES[dtype]))


RIGHT_TORCH_OUTPUTS: dict[str, Callable[[torch.dtype], object]] = {
    "tanh": lambda d: torch.tanh(torch.tensor([1.0, 2.0], dtype=d)),
    "a small and a large element": lambda d: torch.tensor([1e-8, 1.0], dtype=d),
    "realigned 2D columns": lambda d: torch.tensor([[0.5, 9.99], [2.0, 3.0]], dtype=d),
    "a 3D print with blank lines": lambda d: torch.arange(8, dtype=d).reshape(2, 2, 2) / 7,
    "return_types": lambda d: torch.max(torch.tensor([[1.0, 5.0], [3.0, 2.0]], dtype=d), dim=1),
    "nan, inf and -0.": lambda d: torch.tensor([-0.0, math.nan, math.inf, -math.inf], dtype=d),
    "scientific notation": lambda d: torch.tensor([12345.678, 0.001], dtype=d),
    "grad_fn": lambda d: torch.tensor([0.5, 1.5], dtype=d, requires_grad=True) * 3,
    "requires_grad": lambda d: torch.nn.Parameter(torch.tensor([0.25], dtype=d)),
    "a summarised tensor": lambda d: torch.tanh(torch.arange(2000, dtype=d) / 1999),
    "a Size beside a tensor": lambda d: (torch.ones(2, 3, dtype=d).shape, torch.ones(1, dtype=d)),
    "an integer result": lambda d: torch.tensor([0.5, 2.0, 1.0], dtype=d).argmax(),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make", RIGHT_TORCH_OUTPUTS.values(), ids=RIGHT_TORCH_OUTPUTS.keys())
def test_a_right_torch_output_written_on_float32_passes_on_every_dtype(
    make: Callable[[torch.dtype], object], dtype: str
) -> None:
    written = prints_in("float32", make)
    assert matches(written, prints_in(dtype, make), on(dtype)), (written, prints_in(dtype, make))


@pytest.mark.parametrize("dtype", DTYPES)
def test_complex_tensors_compare_their_real_and_imaginary_parts(dtype: str) -> None:
    complex_dtype = {"float64": torch.complex128}.get(dtype, torch.complex64)
    value = torch.exp(1j * torch.tensor(1.0, dtype=torch.float64)).to(complex_dtype)
    assert repr(value).startswith("tensor(0.5403+0.8415j")
    assert matches("tensor(0.5403+0.8415j)", repr(value), on(dtype))
    assert not matches("tensor(0.5403+0.8417j)", repr(value), on("float64"))
    assert not matches("tensor(0.5405+0.8415j)", repr(value), on("float64"))
    assert not matches("tensor(0.5404+0.8415j)", repr(value), WRITTEN)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("written", "actual", "right"),
    [
        ("(0.5403023058681398+0.8414709848078965j)", repr(cmath.exp(1j)), True),
        ("(0.5403+0.8415j)", repr(cmath.exp(1j)), False),  # a shortest repr, abbreviated
        ("(0.5403-0.8415j)", repr(cmath.exp(1j)), False),
        ("(nan+nanj)", repr(complex(math.nan, math.nan)), True),
        ("(nan+1j)", repr(complex(math.nan, math.nan)), False),
        ("1j", repr(1j), True),
        ("2j", repr(1j), False),
    ],
)
def test_python_complex_numbers_compare_numerically(
    written: str, actual: str, right: bool, dtype: str
) -> None:
    assert matches(written, actual, on(dtype)) is right


@pytest.mark.parametrize("dtype", DTYPES)
def test_fewer_digits_written_than_printed_fail_everywhere_unless_a_tolerance_is_set(
    dtype: str,
) -> None:
    value = repr(math.tanh(1.0))
    tensor = prints_in(dtype, RIGHT_TORCH_OUTPUTS["tanh"])
    assert not matches("0.76", value, on(dtype))
    # elsewhere a tensor's written digits stand for any value they round: only the written
    # combination tells that torch printed more
    assert not matches(
        "tensor([0.76, 0.96])", prints_in("float32", RIGHT_TORCH_OUTPUTS["tanh"]), WRITTEN
    )
    tolerance = ToleranceOverride(rtol=1e-3, source="the tolerance directive")
    loose = CheckContext(written=dtype == "float32", dtype=dtype, tolerance=tolerance)
    assert matches("0.76", value, loose)
    assert matches("tensor([0.76, 0.96])", tensor, loose)
    assert not matches("0.75", value, loose)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_ellipsis_flag_keeps_numbers_compared_where_it_elides_nothing(dtype: str) -> None:
    actual = prints_in(dtype, RIGHT_TORCH_OUTPUTS["tanh"])
    assert matches("tensor([0.7616, ...])", actual, on(dtype), ellipsis=True)
    assert not matches("tensor([0.7000, ...])", actual, on(dtype), ellipsis=True)
    assert not matches("tensor([0.7616, ...])", actual, on(dtype), ellipsis=False)


# The written combination: numbers compare as printed


@pytest.mark.parametrize(
    ("written", "printed", "right"),
    [
        ("0.7616", "0.7616", True),
        ("0.7617", "0.7616", False),
        ("0.76", "0.761594", False),  # fewer digits written than printed
        ("0.7616", "0.761594", False),  # rounded
        ("0.76", "0.7651", False),  # cut
        ("0.2", "0.1", False),
        ("1e-06", "1e-08", False),
        ("1e-8", "1e-08", False),  # the exponent as printed
        ("1.0000e-08", "1.0000e-08", True),
        ("1.0001e-08", "1.0000e-08", False),
        ("41.", "41.", True),
        ("41.", "41.5", False),
        ("41.0", "41.", False),
        ("-0.5", "0.5", False),
        ("+0.5", "0.5", False),
        ("-0.0000", "0.0000", False),
        ("-0.00", "-0.0012", False),
        ("0.30000000000000004", "0.30000000000000004", True),
        ("0.30000000000000004", "0.3", True),  # 15+ digits written: float64 round-off
        ("0.3", "0.30000000000000004", False),  # 1.1 * 3's lesson: the print is not 0.3
        ("3.3", "3.3000000000000003", False),
        ("0.30000000000000104", "0.30000000000000004", False),  # beyond round-off
        ("-0.30000000000000004", "0.3", False),
        ("nan", "nan", True),
        ("inf", "-inf", False),
        ("1e+300", "1e+300", True),
    ],
)
def test_on_the_written_combination_numbers_are_printed_exactly(
    written: str, printed: str, right: bool
) -> None:
    assert printed_exactly(written, printed) is right
    assert matches(f"[{written}]", f"[{printed}]", WRITTEN) is right
    doctest_verdict = doctest.OutputChecker().check_output(f"[{written}]\n", f"[{printed}]\n", 0)
    if written != "0.30000000000000004":  # the round-off allowance is ours
        assert doctest_verdict is right


@pytest.mark.parametrize(
    ("written", "printed", "right"),
    [
        ("0.76", "0.761594", True),  # more digits printed than written
        ("0.7616", "0.761594", True),  # the written digits round the printed ones
        ("0.76", "0.7651", True),  # the written digits cut the printed ones
        ("0.77", "0.761594", False),
        ("-0.00", "-0.0012", True),
        ("0.3", "0.30000000000000004", True),
        ("-0.3", "0.30000000000000004", False),
    ],
)
def test_under_a_tolerance_the_written_combination_may_cut_or_round_the_printed_digits(
    written: str, printed: str, right: bool
) -> None:
    assert digits_match(written, printed) is right
    context = CheckContext(tolerance=ToleranceOverride(rtol=0.5, source="the sheet"))
    comparison = compare(f"[{written}]", f"[{printed}]", context)
    assert comparison.matches is right
    assert comparison.rules == [ABBREVIATED_RULE]


def test_the_round_off_bound_is_four_float64_units_in_the_last_place() -> None:
    assert ROUNDOFF == 4 * 2.0**-52
    x = 0.30000000000000004
    assert printed_exactly(repr(x), repr(x + 3 * math.ulp(x)))
    assert not printed_exactly(repr(x), repr(x + 8 * math.ulp(x)))
    assert not printed_exactly("0.3", repr(0.3 + math.ulp(0.3)))  # 1 digit written: none


def test_a_dtype_printed_but_not_written_fails_on_the_written_combination_only() -> None:
    actual = "tensor([1., 2.], dtype=torch.float64)"
    assert reason("tensor([1., 2.])", actual, WRITTEN) == (
        "expected ')', got ', dtype=torch.float64'"
    )
    assert matches("tensor([1., 2.])", actual, on("float64"))


@pytest.mark.parametrize(
    "actual",
    [
        "tensor([2., 4.], grad_fn=<MulBackward0>)",
        "tensor([2., 4.], requires_grad=True)",
        "tensor([2., 4.], device='cuda:0')",
    ],
)
def test_unwritten_grad_fn_requires_grad_and_device_are_ignored_everywhere(actual: str) -> None:
    assert matches("tensor([2., 4.])", actual, WRITTEN)
    assert matches("tensor([2., 4.])", actual, on("float16"))


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("tensor([1.], dtype=torch.float64)", "tensor([1.], dtype=torch.float16)"),
        ("tensor([1.], device='cuda:0')", "tensor([1.], device='cuda:1')"),
        ("tensor([2.], grad_fn=<MulBackward0>)", "tensor([2.], grad_fn=<AddBackward0>)"),
        ("tensor([1.], requires_grad=True)", "tensor([1.])"),
        ("array([1.], dtype=int32)", "array([1.], dtype=int64)"),
    ],
)
def test_a_written_keyword_is_checked_literally(expected: str, actual: str) -> None:
    assert not matches(expected, actual, WRITTEN)
    assert not matches(expected, actual, on("float16"))


# A written dtype= naming the written dtype stands for the running combination's dtype


@pytest.mark.parametrize(
    ("written", "printed", "context", "right"),
    [
        # NumPy prints dtype=float32 on float32 and nothing on float64
        ("array([0.5], dtype=float32)", "array([0.5], dtype=float32)", on("float32"), True),
        ("array([0.5], dtype=float32)", "array([0.5])", on("float64"), True),
        ("array([0.5], dtype=float32)", "array([0.5], dtype=float16)", on("float16"), True),
        ("array([0.5], dtype=float32)", "array([0.5], dtype=float32)", on("float16"), False),
        ("array([0.5], dtype=float32)", "array([0.5])", on("float16"), False),
        # torch prints nothing on float32 and dtype=torch.float64 on float64
        (
            "tensor([0.5], dtype=torch.float64)",
            "tensor([0.5])",
            CheckContext(written=False, dtype="float32", written_dtype="float64"),
            True,
        ),
        (
            "tensor([0.5], dtype=torch.float64)",
            "tensor([0.5], dtype=torch.float16)",
            CheckContext(written=False, dtype="float16", written_dtype="float64"),
            True,
        ),
        (
            "tensor([0.5], dtype=torch.float64)",
            "tensor([0.5], dtype=torch.float64)",
            CheckContext(written=False, dtype="float16", written_dtype="float64"),
            False,
        ),
        # another written dtype= is literal
        ("tensor([1], dtype=torch.int32)", "tensor([1], dtype=torch.int32)", on("float16"), True),
        ("tensor([1], dtype=torch.int32)", "tensor([1])", on("float16"), False),
    ],
)
def test_a_written_dtype_naming_the_written_dtype_stands_for_the_running_dtype(
    written: str, printed: str, context: CheckContext, right: bool
) -> None:
    assert matches(written, printed, context) is right


def test_numpy_arrays_written_with_the_written_dtype_hold_on_every_numpy_dtype() -> None:
    written = repr(np.arange(3, dtype=np.float32) / np.float32(3))
    assert written.endswith("dtype=float32)")
    for dtype in ("float64", "float16"):
        numpy_dtype = getattr(np, dtype)
        actual = repr(np.arange(3, dtype=numpy_dtype) / numpy_dtype(3))
        assert matches(written, actual, on(dtype)), actual


# Other combinations: the tolerance of the dtype that printed each number


@pytest.mark.parametrize(
    ("written", "printed", "context"),
    [
        ("tensor([0.7616])", "tensor([0.7618], dtype=torch.float16)", on("float64")),
        ("tensor([0.7616])", "tensor([0.7656])", on("bfloat16")),
        ("tensor([0.7616])", "tensor([0.7656])", on("float32", autocast_dtype="bfloat16")),
        ("np.float32(0.7615942)", "np.float32(0.7615945)", on("float64")),
        ("array([0.7616])", "array([0.7618], dtype=float16)", on("float64")),
    ],
)
def test_a_number_takes_the_tolerance_of_the_dtype_that_printed_it(
    written: str, printed: str, context: CheckContext
) -> None:
    assert matches(written, printed, context)
    assert not matches(written, printed, WRITTEN)


@pytest.mark.parametrize(
    ("written", "printed", "context"),
    [
        # a plain float stays float64 beside a bfloat16 tensor
        (
            "(tensor([0.7616], dtype=torch.bfloat16), 0.7616)",
            "(tensor([0.7656], dtype=torch.bfloat16), 0.7656)",
            on("bfloat16"),
        ),
        # a tensor that prints no dtype on a float64 combination is float64's
        ("tensor([0.7616])", "tensor([0.7618])", on("float64")),
        # a NumPy array that prints no dtype is float64
        ("array([0.76159416])", "array([0.7616])", on("float16")),
        # a Python float: float64, never a torch dtype's tolerance
        ("0.7615941559557649", "0.76171875", on("float16")),
    ],
)
def test_a_number_is_not_loosened_by_another_numbers_dtype(
    written: str, printed: str, context: CheckContext
) -> None:
    assert not matches(written, printed, context)


def test_the_bfloat16_part_of_a_mixed_output_is_loosened_and_the_float_is_not() -> None:
    written = "(tensor([0.7616], dtype=torch.bfloat16), 0.25)"
    assert matches(written, "(tensor([0.7656], dtype=torch.bfloat16), 0.25)", on("bfloat16"))
    assert not matches(written, "(tensor([0.7656], dtype=torch.bfloat16), 0.26)", on("bfloat16"))


@pytest.mark.parametrize(
    ("written", "printed", "rounds", "right"),
    [
        # torch rounds to 4 decimals: half a printed unit counts
        ("tensor([0.76160])", "tensor([0.7616], dtype=torch.float64)", True, True),
        # a shortest repr rounds nothing: 0.7616 is exact
        ("0.76160", "0.7616", False, True),
        ("0.76163", "0.7616", False, False),
    ],
)
def test_printed_side_rounding_counts_for_fixed_decimals_never_for_shortest_reprs(
    written: str, printed: str, rounds: bool, right: bool
) -> None:
    assert matches(written, printed, on("float64")) is right
    tolerance = Tolerance(1e-7, 1e-7, "float64")
    number, actual = written.strip("tensor([])"), printed.split("[")[-1].split("]")[0]
    with_rounding = tolerance.allowed(number, actual, printed_rounds=True)
    assert tolerance.allowed(number, actual, printed_rounds=False) < with_rounding


@pytest.mark.parametrize(
    ("written", "reading", "below", "above"),
    [
        ("0.7616", "exact", "0", "0"),  # a shortest repr is the value
        ("0.7616", "rounded", "0.00005", "0.00005"),  # a fixed-decimal print
        ("-0.7616", "rounded", "0.00005", "0.00005"),
        ("1.0000e-08", "rounded", "5e-13", "5e-13"),
        ("41.", "rounded", "0", "0"),  # torch's whole-number format is exact
        ("1.4142", "cut", "0", "0.0001"),  # the digits before '...'
        ("-1.4142", "cut", "0.0001", "0"),
        ("0.76", "cut or rounded", "0.005", "0.01"),  # fewer digits under a tolerance
        ("-0.76", "cut or rounded", "0.01", "0.005"),
        ("0.00", "cut or rounded", "0.01", "0.01"),
    ],
)
def test_the_written_slack_is_what_the_written_digits_leave_open(
    written: str, reading: str, below: str, above: str
) -> None:
    assert written_slack(written, reading) == (decimal.Decimal(below), decimal.Decimal(above))


@pytest.mark.parametrize(
    ("written", "unit"),
    [
        ("0.7616", "0.0001"),
        ("-0.5", "0.1"),
        ("1.5e-05", "1e-06"),
        ("1.0000e-08", "1e-12"),
        ("1e-08", "1e-08"),
        ("12", "1"),
        ("41.", "0"),
    ],
)
def test_last_digit_unit_is_the_place_of_the_last_written_digit(written: str, unit: str) -> None:
    assert last_digit_unit(written) == decimal.Decimal(unit)


def test_integers_must_be_equal_whatever_the_tolerance() -> None:
    loose = on("bfloat16", tolerance=ToleranceOverride(rtol=0.5, atol=1.0))
    assert reason("tensor([1, 2])", "tensor([1, 3])", loose) == (
        "expected 2, got 3 (integers must be equal)"
    )
    assert not matches("2", "2.0", loose)
    assert not matches("+7", "7", WRITTEN)  # the written combination: as printed
    assert matches("+7", "7", loose)
    assert matches("1" * 5000, "1" * 5000, WRITTEN)
    assert not matches("1" * 5000, "1" * 4999 + "2", loose)


@pytest.mark.parametrize(
    ("written", "printed", "right"),
    [
        ("nan", "nan", True),
        ("tensor([nan, inf, -inf])", "tensor([nan, inf, -inf], dtype=torch.float16)", True),
        ("nan", "1.", False),
        ("inf", "-inf", False),
        ("inf", "3.4028e+38", False),
        ("-0.0", "0.0", False),
        ("tensor([-0.])", "tensor([0.], dtype=torch.float16)", True),  # torch rounds to -0.
    ],
)
def test_nan_inf_and_the_sign_of_zero_on_another_dtype(
    written: str, printed: str, right: bool
) -> None:
    assert matches(written, printed, on("float16")) is right


def test_a_tolerance_override_replaces_the_dtypes_but_never_loosens_the_written_one() -> None:
    override = ToleranceOverride(rtol=0.05, atol=None, source="the tolerance directive")
    assert not matches("tensor([0.7616])", "tensor([0.79], dtype=torch.float16)", on("float16"))
    assert matches(
        "tensor([0.7616])", "tensor([0.79], dtype=torch.float16)", on("float16", tolerance=override)
    )
    assert not matches(
        "tensor([0.7616])", "tensor([0.79])", CheckContext(written=True, tolerance=override)
    )


def test_tolerance_overrides_stack_key_by_key() -> None:
    block = ToleranceOverride(rtol=1e-2, source="block")
    sheet = ToleranceOverride(rtol=1e-3, atol=1e-4, source="sheet")
    assert block.over(sheet) == ToleranceOverride(1e-2, 1e-4, "block over sheet")
    assert ToleranceOverride().over(sheet) == sheet
    assert block.over(ToleranceOverride()) == block


# Strings, words and line breaks


@pytest.mark.parametrize(
    ("written", "printed", "right"),
    [
        ("'a, b'", "'a, b'", True),
        ("'a,b'", "'a, b'", False),
        ("['0.5', 0.5]", "['0.50', 0.5]", False),
        ("'it\\'s'", "'it\\'s'", True),
        ('"x y"', '"x  y"', False),
        ("b'ab'", "b'ab'", True),
        ("{'lr': 0.1}", "{'lr':0.1}", True),  # spaces between tokens do not count
        ("[1,2]", "[1, 2]", True),
    ],
)
def test_string_literals_are_single_exact_tokens(written: str, printed: str, right: bool) -> None:
    assert matches(written, printed, on("float16")) is right
    assert matches(written, printed, WRITTEN) is right


# (written, printed, right, whether doctest's verdict is the same: it is, but where brackets
# rewrap a repr)
@pytest.mark.parametrize(
    ("written", "printed", "right", "as_doctest"),
    [
        ("a\nb", "a b", False, True),
        ("a\nb", "a\nb", True, True),
        ("a\n\nb", "a\nb", False, True),
        ("a\n<BLANKLINE>\nb", "a\n\nb", True, True),
        ("tensor([[1., 2.], [3., 4.]])", "tensor([[1., 2.],\n        [3., 4.]])", True, False),
        ("[[0. 1.]\n [2. 3.]]", "[[0. 1.] [2. 3.]]", True, False),  # NumPy's print rewraps
        ("x", "x\n\n\n", False, True),  # trailing blank lines count
        ("x\n<BLANKLINE>\n<BLANKLINE>", "x\n\n", True, True),
        ("x\n<BLANKLINE>", "x", False, True),
        ("a (b\nc", "a (b c", False, True),  # a stray bracket keeps line breaks counting
        ("a ]b\nc", "a ]b c", False, True),
        ("a (b\nc", "a (b\nc", True, True),
        ("f(a\nb)", "f(a b)", True, False),  # inside brackets that pair up they rewrap
        ("[1, (2\n3]", "[1, (2 3]", True, False),  # the stray '(' inside the list: nothing
    ],
)
def test_line_breaks_count_outside_brackets_only(
    written: str, printed: str, right: bool, as_doctest: bool
) -> None:
    checker = TensorOutputChecker()
    assert checker.check_output(written + "\n", printed + "\n", 0) is right
    doctest_verdict = doctest.OutputChecker().check_output(written + "\n", printed + "\n", 0)
    assert (doctest_verdict is right) is as_doctest


def test_blank_line_markers_are_literal_with_dont_accept_blankline() -> None:
    checker = TensorOutputChecker()
    assert checker.check_output("<BLANKLINE>\nA 65.0\n", "\nA 65.0\n", 0)
    assert not checker.check_output(
        "<BLANKLINE>\nA 65.0\n", "\nA 65.0\n", doctest.DONT_ACCEPT_BLANKLINE
    )


# Categories of the peer checkers' tests (pytest-doctestplus FLOAT_CMP, scipy_doctest
# DTChecker), in our own values: numbers with whitespace, fewer digits, blank lines, ellipsis
# across lines, printed arrays, nan, complex nan, containers, namedtuples, rank-3 arrays and
# NumPy's abbreviations.


@pytest.mark.parametrize(
    ("written", "printed", "ellipsis", "right"),
    [
        ("P 80.0\nQ   81.0  ", "P 80.0\nQ 81.0", False, True),
        ("P 80.0\nQ 81.01", "P 80.0\nQ 81.0", False, False),
        ("P 80.0\n...\nT 84.0", "P 80.0\nQ 81.0\nR 82.0\nT 84.0", True, True),
        ("P 80.0\n...\nT 84.5", "P 80.0\nQ 81.0\nR 82.0\nT 84.0", True, False),
        ("P 80.0\n...", "P 80.0\nQ 81.0", True, True),
        ("...U 85.0", "P 80.0\nQ 81.0", True, False),
        ("array([0.25, 0.5, 1.])", "array([0.25, 0.5 , 1.  ])", False, True),
        ("[0.25 0.5 1.]", "[0.25 0.5  1.  ]", False, True),
        ("np.float64(nan)", "np.float64(nan)", False, True),
        ("np.complex128(nan+nanj)", "np.complex128(nan+nanj)", False, True),
        ("{'p': 0.25, 'q': 0.75}", "{'p': 0.25, 'q': 0.75}", False, True),
        ("{'p': 0.25, 'q': {'r': 0.75}}", "{'p': 0.25, 'q': {'r': 0.76}}", False, False),
        ("[(3, 0.125), (4, 0.25)]", "[(3, 0.125), (4, 0.25)]", False, True),
        ("[(3, 0.125), (4, 0.25)]", "[(3, 0.125), (5, 0.25)]", False, False),
        ("Result(stat=2.5,\n       p=0.125)", "Result(stat=2.5, p=0.125)", False, True),
        ("Result(stat=2.5, p=0.125)", "(2.5, 0.125)", False, False),
        ("array([1, 2, 3])", "array([1., 2., 3.])", False, False),  # scipy: equal; we: not
        (
            "array([0, 1, ..., 8, 9], shape=(10,))",
            "array([0, 1, ..., 8, 9], shape=(10,))",
            False,
            True,
        ),
        (
            "array([0, 1, ..., 8, 9], shape=(10,))",
            "array([0, 1, ..., 8, 9], shape=(11,))",
            False,
            False,
        ),
    ],
)
def test_the_peer_checkers_classic_cases(
    written: str, printed: str, ellipsis: bool, right: bool
) -> None:
    assert matches(written, printed, WRITTEN, ellipsis) is right


@pytest.mark.parametrize("numpy_dtype", ["int64", "float64", "float32"])
def test_rank_3_numpy_arrays_with_blank_lines_match_printed_or_repr(numpy_dtype: str) -> None:
    values = np.arange(12, dtype=numpy_dtype).reshape(2, 3, 2)
    checker = TensorOutputChecker()
    for text in (repr(values), str(values)):
        want = text.replace("\n\n", "\n<BLANKLINE>\n") + "\n"
        assert checker.check_output(want, text + "\n", 0)
        assert not checker.check_output(want.replace("11", "12"), text + "\n", 0)


# Tokens


def test_tokenize_splits_output_into_tokens_and_keeps_line_breaks_outside_brackets() -> None:
    tokens = tokenize("tensor([1.5, -2],\n       dtype=torch.float16)\n'a b' 1+2j ...")
    assert [(token.kind, token.text) for token in tokens] == [
        ("word", "tensor"),
        ("other", "("),
        ("other", "["),
        ("number", "1.5"),
        ("other", ","),
        ("number", "-2"),
        ("other", "]"),
        ("keyword", ",\n       dtype=torch.float16"),
        ("other", ")"),
        ("newline", "\n"),
        ("string", "'a b'"),
        ("complex", "1+2j"),
        ("ellipsis", "..."),
    ]
    scope = tokens[3].scope
    assert scope is not None
    assert (scope.kind, scope.dtype) == ("tensor", "float16")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1e-08", "number"),
        ("+3", "number"),
        (".5", "number"),
        ("0.5403+0.8415j", "complex"),
        ("nan+nanj", "complex"),
        ("torch.float16", "word"),
        ("x1", "word"),
        ("1.5e", "word"),
        ("'0.5'", "string"),
    ],
)
def test_tokenize_tells_numbers_from_words_and_strings(text: str, kind: str) -> None:
    assert [token.kind for token in tokenize(text)] == [kind]


@pytest.mark.parametrize(("text", "is_integer"), [("42", True), ("-3", True), ("42.", False)])
def test_a_token_knows_whether_it_is_an_integer(text: str, is_integer: bool) -> None:
    assert Token("number", text).is_integer is is_integer
    assert not Token("word", "x").is_integer


# The doctest output checker and its message


def test_the_checker_is_exact_without_a_context() -> None:
    checker = TensorOutputChecker()
    assert not checker.check_output("tensor(41.)\n", "tensor(41.5000)\n", 0)
    checker.context = on("bfloat16")
    assert checker.check_output("tensor(41.)\n", "tensor(41.5000)\n", 0)


def test_the_message_names_the_written_combination_rule() -> None:
    checker = TensorOutputChecker()
    example = doctest.Example("torch.tanh(x)", "tensor([0.7617])\n")
    assert not checker.check_output(example.want, "tensor([0.7616])\n", 0)
    message = checker.output_difference(example, "tensor([0.7616])\n", 0)
    assert "Expected:\n    tensor([0.7617])\n" in message
    assert f"Numbers compared: {WRITTEN_RULE}.\n" in message
    assert f"First difference: expected 0.7617, got 0.7616 ({WRITTEN_RULE})\n" in message


def test_the_message_names_the_tolerance_and_the_dtype_it_came_from() -> None:
    checker = TensorOutputChecker()
    checker.context = on("float16")
    example = doctest.Example("t", "tensor([0.7616])\n")
    got = "tensor([0.7700], dtype=torch.float16)\n"
    assert not checker.check_output(example.want, got, 0)
    message = checker.output_difference(example, got, 0)
    assert (
        "Numbers compared: rtol=0.001, atol=1e-05 (float16, from dtype=torch.float16) plus half "
        "a unit of the last written and printed digits.\n"
    ) in message
    assert "First difference: expected 0.7616, got 0.7700: |difference| 0.0084 > allowed" in (
        message
    )


def test_the_message_has_no_tolerance_line_when_no_numbers_were_compared() -> None:
    checker = TensorOutputChecker()
    checker.context = on("float16")
    example = doctest.Example("s", "'3.12'\n")
    assert not checker.check_output(example.want, "'3.11'\n", 0)
    message = checker.output_difference(example, "'3.11'\n", 0)
    assert "Numbers compared" not in message
    assert "First difference: expected '3.12', got '3.11' (string literals must be equal)" in (
        message
    )


def test_a_literal_match_needs_no_comparison() -> None:
    checker = TensorOutputChecker()
    assert checker.check_output("tensor([1, 2])\n", "tensor([1, 2])\n", 0)
    assert checker.last is None


def test_passed_checks_are_kept_for_the_audit_only_when_asked() -> None:
    checker = TensorOutputChecker()
    checker.check_output("1\n", "1\n", 0)
    assert checker.passed is None
    checker.passed = []
    checker.check_output("1\n", "1\n", 0)
    checker.check_output("1\n", "2\n", 0)
    assert checker.passed == [("1\n", "1\n", 0)]


def test_a_differing_structure_is_named() -> None:
    assert reason("tensor([1., 2.])", "tensor([1., 2., 3.])", WRITTEN) == "expected ']', got ','"
    assert reason("tensor(1.)", "tensor(1.)\ntensor(2.)", WRITTEN) == (
        "the actual output goes on with 'tensor'"
    )
    assert reason("tensor(1.)\ndone", "tensor(1.)", WRITTEN) == (
        "the expected output goes on with 'done'"
    )
    assert reason("tensor(1.)", "tensor(1.)\n\n", WRITTEN) == (
        "expected a line break, got 2 line breaks (1 blank) (line breaks count)"
    )


# Properties


@FAST
@given(st.text(), st.text(), st.sampled_from(DTYPES), st.booleans())
def test_tokenize_and_compare_never_raise_on_arbitrary_text(
    expected: str, actual: str, dtype: str, ellipsis: bool
) -> None:
    assert all(isinstance(token, Token) for token in tokenize(expected))
    result = compare(expected, actual, on(dtype), ellipsis)
    assert result.mismatch is None or isinstance(result.mismatch, Mismatch)


NUMBERISH = st.text(alphabet="0123456789.eE+-naifj ([,])\n'", max_size=30)


@FAST
@given(NUMBERISH, NUMBERISH, st.sampled_from(DTYPES))
def test_compare_never_raises_on_number_like_text(expected: str, actual: str, dtype: str) -> None:
    result = compare(expected, actual, on(dtype))
    assert result.mismatch is None or result.mismatch.reason


FLOAT32_VALUES = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32), min_size=1, max_size=6
)


@FAST
@given(FLOAT32_VALUES, st.data())
def test_any_changed_written_digit_of_a_float32_tensor_fails_on_the_written_combination(
    values: list[float], data: st.DataObject
) -> None:
    text = repr(torch.tensor(values, dtype=torch.float32))
    numbers = [token for token in tokenize(text) if token.kind == "number"]
    token = data.draw(st.sampled_from(numbers))
    digits = [token.start + i for i, char in enumerate(token.text) if char.isdigit()]
    position = data.draw(st.sampled_from(digits))
    new_digit = data.draw(st.sampled_from([d for d in "0123456789" if d != text[position]]))
    wrong = text[:position] + new_digit + text[position + 1 :]
    wrong_number = wrong[token.start : token.end]
    assume(decimal.Decimal(wrong_number) != decimal.Decimal(token.text))  # 0.0000e+10 is 0
    assert not matches(wrong, text, WRITTEN), (wrong, text)


def written_forms(x: float) -> st.SearchStrategy[str]:
    """The ways an expected output may write ``x``: fixed, torch's ``41.`` and scientific."""
    return st.one_of(
        st.integers(1, 6).map(lambda digits: f"{x:.{digits}f}"),
        st.just(f"{x:.0f}."),
        st.integers(0, 5).map(lambda digits: f"{x:.{digits}e}"),
    )


FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
TOLERANCE_DTYPES = st.sampled_from(sorted(DTYPE_TOLERANCES))


@FAST
@given(st.data(), FINITE, TOLERANCE_DTYPES, st.floats(-0.999, 0.999))
def test_any_value_within_the_stated_tolerance_passes_on_another_dtype(
    data: st.DataObject, x: float, dtype: str, fraction: float
) -> None:
    written = data.draw(written_forms(x))
    rtol, atol = DTYPE_TOLERANCES[dtype]
    expected = float(written)
    actual = expected + fraction * (atol + rtol * abs(expected))
    printed = f"tensor({actual!r}, dtype=torch.{dtype})"
    assert matches(f"tensor({written})", printed, on("float16")), (written, printed)


@FAST
@given(st.data(), FINITE, TOLERANCE_DTYPES, st.floats(1.01, 100.0), st.sampled_from([-1.0, 1.0]))
def test_any_value_beyond_the_stated_tolerance_fails_on_another_dtype(
    data: st.DataObject, x: float, dtype: str, factor: float, sign: float
) -> None:
    written = data.draw(written_forms(x))
    rtol, atol = DTYPE_TOLERANCES[dtype]
    expected = float(written)
    unwritten = float(last_digit_unit(written))
    actual = expected + sign * (factor * (atol + rtol * abs(expected)) + 2 * unwritten)
    printed = f"tensor({actual:.16e}, dtype=torch.{dtype})"
    assert not matches(f"tensor({written})", printed, on("float16")), (written, printed)


INT64 = st.integers(-(2**63), 2**63 - 1)


@FAST
@given(st.lists(INT64, max_size=8), st.lists(INT64, max_size=8), st.sampled_from(DTYPES))
def test_the_checker_never_accepts_a_different_integer(
    first: list[int], second: list[int], dtype: str
) -> None:
    expected, actual = repr(torch.tensor(first)), repr(torch.tensor(second))
    assert matches(expected, actual, on(dtype)) is (first == second)


SHAPES = st.lists(st.integers(0, 3), max_size=3).map(tuple)


@FAST
@given(SHAPES, SHAPES, st.sampled_from(DTYPES))
def test_the_checker_never_accepts_a_different_shape(
    first: tuple[int, ...], second: tuple[int, ...], dtype: str
) -> None:
    def shaped(shape: tuple[int, ...]) -> str:
        return repr(torch.arange(math.prod(shape), dtype=torch.float32).reshape(shape) / 8)

    assert matches(shaped(first), shaped(second), on(dtype)) is (first == second)


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(DTYPES))
def test_a_python_float_always_matches_its_own_repr(x: float, dtype: str) -> None:
    assert matches(repr(x), repr(x), on(dtype))
    assert matches(f"[{x!r}, {x!r}]", f"[{x!r},{x!r}]", on(dtype))
    assert compare(repr(x), repr(x), on(dtype)).rules == []
