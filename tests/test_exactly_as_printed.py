"""Exactly as printed: the written combination compares numbers digit for digit; the other
combinations allow both sides' rounding; a written ``dtype=`` stands for the running dtype only
in a tensor or array of floats. Where the checker imitates doctest, doctest's verdict is
computed beside it."""

from __future__ import annotations

import cmath
import doctest
import math
import re
from decimal import Decimal

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pytest_cheatsheet.checker import (
    DTYPE_TOLERANCES,
    ELLIPSIS_RULE,
    ROUNDOFF,
    ROUNDOFF_DIGITS,
    WRITTEN_RULE,
    CheckContext,
    Tolerance,
    compare,
    last_digit_unit,
    significant_digits,
    tokenize,
)
from pytest_cheatsheet.output_checker import TensorOutputChecker

FAST = settings(max_examples=300, deadline=None)
WRITTEN32 = CheckContext(written=True, dtype="float32", written_dtype="float32")
WRITTEN64 = CheckContext(written=True, dtype="float64", written_dtype="float64")
ON_FLOAT64 = CheckContext(written=False, dtype="float64", written_dtype="float32")
RTOL64, ATOL64 = DTYPE_TOLERANCES["float64"]


def ours(want: str, got: str, context: CheckContext, flags: int = 0) -> bool:
    """The plugin's verdict, through the doctest OutputChecker it installs."""
    checker = TensorOutputChecker()
    checker.context = context
    return checker.check_output(want + "\n", got + "\n", flags)


def doctests(want: str, got: str, flags: int = 0) -> bool:
    return doctest.OutputChecker().check_output(want + "\n", got + "\n", flags)


# Must fail on the written combination: abbreviated shortest reprs, torch prints with fewer
# digits than printed, complex numbers, and integer/bool/complex values written with a float
# dtype=. (written, the live value printed, the written combination)

SIGMOID = torch.sigmoid(torch.tensor(0.5))
SIGMOIDS = torch.sigmoid(torch.tensor([0.5, 1.0]))
MUST_FAIL: dict[str, tuple[str, object, CheckContext]] = {
    "1.1 * 3 written 3.3": ("3.3", 1.1 * 3, WRITTEN32),
    "math.sqrt(2) written 1.4142": ("1.4142", math.sqrt(2), WRITTEN32),
    "10 / 7 written 1.43": ("1.43", 10 / 7, WRITTEN32),
    "0.1 + 0.2 written 0.3": ("0.3", 0.1 + 0.2, WRITTEN64),
    "a float rounded up in its last digit": ("0.33333333333333", 1 / 3, WRITTEN32),
    "np.float16 abbreviated": ("np.float16(0.333)", np.float16(1) / np.float16(3), WRITTEN32),
    "np.float32 abbreviated": ("np.float32(0.333)", np.float32(1) / np.float32(3), WRITTEN32),
    "np.float32 rounded": ("np.float32(0.3333333)", np.float32(1) / np.float32(3), WRITTEN32),
    "np.float64 abbreviated": ("np.float64(0.3333)", np.float64(1) / 3, WRITTEN64),
    "np.longdouble abbreviated": ("np.longdouble('0.3333')", np.longdouble(1) / 3, WRITTEN64),
    "a 0-d tensor cut to 2 decimals": ("tensor(0.62)", SIGMOID, WRITTEN32),
    "a 0-d tensor cut to 1 decimal": ("tensor(0.6)", SIGMOID, WRITTEN32),
    "a 0-d tensor rounded to 3 decimals": ("tensor(0.623)", SIGMOID, WRITTEN32),
    "an n-d tensor abbreviated": ("tensor([0.62, 0.73])", SIGMOIDS, WRITTEN32),
    "a float64 tensor abbreviated": (
        "tensor(0.62, dtype=torch.float64)",
        SIGMOID.double(),
        WRITTEN64,
    ),
    "a float16 tensor abbreviated": (
        "tensor(0.623, dtype=torch.float16)",
        SIGMOID.half(),
        WRITTEN32,
    ),
    "a scientific tensor abbreviated": (
        "tensor([1.00e-08, 1.00e+00])",
        torch.tensor([1e-8, 1.0]),
        WRITTEN32,
    ),
    "a Python complex abbreviated": ("(0.5403+0.8415j)", cmath.exp(1j), WRITTEN32),
    "a Python complex's imaginary part abbreviated": (
        "(0.5403023058681398+0.84147j)",
        cmath.exp(1j),
        WRITTEN32,
    ),
    "np.complex64 abbreviated": (
        "np.complex64(0.5403+0.8415j)",
        np.complex64(cmath.exp(1j)),
        WRITTEN32,
    ),
    "a complex tensor abbreviated": (
        "tensor(0.540+0.841j)",
        torch.exp(1j * torch.tensor(1.0)),
        WRITTEN32,
    ),
}
WRONG_DTYPE_CLAIMS: dict[str, tuple[str, object, CheckContext]] = {
    "an integer tensor written as float32": (
        "tensor([1, 2], dtype=torch.float32)",
        torch.tensor([1, 2]),
        WRITTEN32,
    ),
    "a bool tensor written as float32": (
        "tensor([ True, False], dtype=torch.float32)",
        torch.tensor([True, False]),
        WRITTEN32,
    ),
    "a complex tensor written as float32": (
        "tensor(0.5403+0.8415j, dtype=torch.float32)",
        torch.exp(1j * torch.tensor(1.0)),
        WRITTEN32,
    ),
    "a NumPy integer array written with the float64 combination's dtype": (
        "array([1, 2], dtype=float64)",
        np.array([1, 2]),
        WRITTEN64,
    ),
    "a NumPy bool array written with the float64 combination's dtype": (
        "array([ True, False], dtype=float64)",
        np.array([True, False]),
        WRITTEN64,
    ),
}
MUST_FAIL.update(WRONG_DTYPE_CLAIMS)


@pytest.mark.parametrize(("written", "value", "context"), MUST_FAIL.values(), ids=MUST_FAIL.keys())
def test_an_output_not_written_as_printed_fails_on_the_written_combination_as_in_doctest(
    written: str, value: object, context: CheckContext
) -> None:
    printed = repr(value)
    assert written != printed
    assert not ours(written, printed, context), (written, printed)
    assert not doctests(written, printed)
    assert ours(printed, printed, context)  # the full repr passes


@pytest.mark.parametrize(
    ("written", "value", "context"), WRONG_DTYPE_CLAIMS.values(), ids=WRONG_DTYPE_CLAIMS.keys()
)
def test_an_integer_bool_or_complex_value_never_passes_for_a_written_float_dtype_elsewhere(
    written: str, value: object, context: CheckContext
) -> None:
    for dtype in ("float16", "float32", "float64"):
        other = CheckContext(written=False, dtype=dtype, written_dtype=context.written_dtype)
        assert not ours(written, repr(value), other), dtype


def test_a_float_tensor_written_with_the_written_dtype_still_stands_for_the_running_one() -> None:
    assert ours(
        "tensor([0.5000, 1.5000], dtype=torch.float32)", "tensor([0.5000, 1.5000])", WRITTEN32
    )
    assert ours("tensor([], dtype=torch.float32)", "tensor([])", WRITTEN32)  # no elements
    assert ours("array([0.5], dtype=float64)", "array([0.5])", WRITTEN64)
    assert not ours("array([0.5], dtype=float64)", "array([1, 2])", WRITTEN64)


def test_the_message_names_a_dtype_that_a_non_float_value_does_not_print() -> None:
    checker = TensorOutputChecker()
    example = doctest.Example("x", "tensor([1, 2], dtype=torch.float32)\n")
    assert not checker.check_output(example.want, "tensor([1, 2])\n", 0)
    assert "in a tensor or array of floats only" in checker.output_difference(
        example, "tensor([1, 2])\n", 0
    )


# Must pass: full reprs, and abbreviations the sheet asks for with +ELLIPSIS.

FULL_REPRS: dict[str, object] = {
    "1.1 * 3": 1.1 * 3,
    "math.sqrt(2)": math.sqrt(2),
    "a tiny float": 5e-324,
    "np.float16": np.float16(1) / np.float16(3),
    "np.float32": np.float32(1) / np.float32(3),
    "np.float64": np.float64(1) / 3,
    "a complex": cmath.exp(1j),
    "np.complex64": np.complex64(cmath.exp(1j)),
    "a 0-d tensor": SIGMOID,
    "an n-d tensor": torch.sigmoid(torch.arange(12.0).reshape(2, 3, 2) / 7),
    "a float64 tensor": SIGMOID.double(),
    "a complex tensor": torch.exp(1j * torch.arange(3.0)),
    "a NumPy array": np.arange(4) / 7,
    "a float32 NumPy array": np.arange(4, dtype=np.float32) / np.float32(7),
    "an integer tensor": torch.tensor([1, 2]),
    "a bool tensor": torch.tensor([True, False]),
}


@pytest.mark.parametrize("value", FULL_REPRS.values(), ids=FULL_REPRS.keys())
def test_a_full_repr_passes_on_the_written_combination(value: object) -> None:
    printed = repr(value)
    want = printed.replace("\n\n", "\n<BLANKLINE>\n")
    assert ours(want, printed, WRITTEN32)
    assert doctests(want, printed)


ELLIPSIS_ABBREVIATIONS = [
    ("1.4142...", repr(math.sqrt(2))),
    ("3.3...", repr(1.1 * 3)),
    ("np.float32(0.333...)", repr(np.float32(1) / np.float32(3))),
    ("tensor(0.62...)", repr(SIGMOID)),
    ("tensor([0.62..., 0.73...])", repr(SIGMOIDS)),
    ("(0.5403...+0.8414...j)", repr(cmath.exp(1j))),
    ("-1.41...", repr(-math.sqrt(2))),
]


@pytest.mark.parametrize(("written", "printed"), ELLIPSIS_ABBREVIATIONS)
def test_ellipsis_abbreviations_pass_where_doctest_passes_them(written: str, printed: str) -> None:
    assert doctests(written, printed, doctest.ELLIPSIS)
    assert ours(written, printed, WRITTEN32, doctest.ELLIPSIS)
    assert not ours(written, printed, WRITTEN32)  # only with +ELLIPSIS
    assert not doctests(written, printed)


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("1.4143...", repr(math.sqrt(2))),
        ("-1.4142...", repr(math.sqrt(2))),
        ("tensor(0.63...)", repr(SIGMOID)),
        ("3.31...", repr(1.1 * 3)),
    ],
)
def test_ellipsis_abbreviations_with_other_digits_fail_as_in_doctest(
    written: str, printed: str
) -> None:
    assert not doctests(written, printed, doctest.ELLIPSIS)
    comparison = compare(written, printed, WRITTEN32, ellipsis=True)
    assert not comparison.matches
    assert comparison.rules == [ELLIPSIS_RULE]


def test_an_ellipsis_abbreviation_holds_on_another_dtype_within_its_tolerance() -> None:
    on_float16 = CheckContext(written=False, dtype="float16")
    printed = repr(SIGMOID.half())  # tensor(0.6226, dtype=torch.float16)
    assert ours("tensor(0.622...)", printed, on_float16, doctest.ELLIPSIS)
    assert not ours("tensor(0.61...)", printed, on_float16, doctest.ELLIPSIS)


# Other combinations: both fixed-precision prints round. Boundary cases are found by search.


def _search(complex_values: bool) -> list[tuple[str, str]]:
    """Search values computed in float32 and float64 whose 4-decimal prints differ by a
    unit: the float32 value sits near a rounding boundary."""
    angles = torch.arange(1, 20001, dtype=torch.float64) * 0.0137
    found = []
    for position in range(angles.numel()):
        angle = angles[position]
        if complex_values:
            low = torch.exp(1j * angle.float())
            high = torch.exp(1j * angle)
        else:
            low, high = torch.sin(angle.float()), torch.sin(angle)
        written, printed = repr(low), repr(high)
        if written != printed.replace(", dtype=torch.float64", "").replace(
            ", dtype=torch.complex128", ""
        ):
            found.append((written, printed))
            if len(found) == 5:
                break
    return found


REAL_BOUNDARIES = _search(complex_values=False)
COMPLEX_BOUNDARIES = _search(complex_values=True)


@pytest.mark.parametrize(("written", "printed"), REAL_BOUNDARIES + COMPLEX_BOUNDARIES)
def test_a_float32_print_near_a_rounding_boundary_passes_on_float64(
    written: str, printed: str
) -> None:
    assert ours(written, printed, ON_FLOAT64), (written, printed)
    # a true boundary case: the printed side's half unit and float64's tolerance alone fail it
    only_printed = Tolerance(RTOL64, ATOL64, "float64")
    parts = [
        (w, p)
        for w, p in zip(_parts(written), _parts(printed), strict=True)
        if Decimal(w) != Decimal(p)
    ]
    assert parts
    assert all(only_printed.check(w, p, "exact", printed_rounds=True) for w, p in parts)


def _parts(text: str) -> list[str]:
    """The numbers of a repr (a complex one's real and imaginary parts), as written."""
    return re.findall(r"[+-]?\d+(?:\.\d*)?(?:e[+-]\d+)?", text.partition(", dtype")[0])


def test_the_search_found_boundary_cases_for_real_and_imaginary_parts() -> None:
    assert len(REAL_BOUNDARIES) == 5
    assert len(COMPLEX_BOUNDARIES) == 5
    for written, printed in COMPLEX_BOUNDARIES:
        assert "j" in written
        assert "j" in printed


def test_a_shortest_repr_gets_no_rounding_slack() -> None:
    # 0.1 written as a Python float is 0.1: 0.10001 printed is beyond float64's tolerance
    assert not ours("0.1", "0.10001", ON_FLOAT64)
    # the same digits printed by torch round: half a unit of the fourth decimal either side
    assert ours("tensor(0.1000)", "tensor(0.1001, dtype=torch.float64)", ON_FLOAT64)
    assert not ours("tensor(0.1000)", "tensor(0.1002, dtype=torch.float64)", ON_FLOAT64)


# Properties


FLOAT32 = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)


@FAST
@given(st.lists(FLOAT32, min_size=1, max_size=4), st.floats(-1.0, 1.0))
def test_a_float32_print_passes_on_float64_whenever_the_values_are_within_its_tolerance(
    values: list[float], fraction: float
) -> None:
    low = torch.tensor(values, dtype=torch.float32)
    high = low.double() + fraction * (ATOL64 + RTOL64 * low.double().abs())
    for x32, x64 in zip(low.tolist(), high.tolist(), strict=True):
        bound = Decimal(ATOL64) + Decimal(RTOL64) * abs(Decimal(x32))
        assume(abs(Decimal(x64) - Decimal(x32)) <= bound)
    for written, printed in ((repr(low), repr(high)), (repr(low[0]), repr(high[0]))):
        assert ours(written, printed, ON_FLOAT64), (written, printed)


@FAST
@given(FLOAT32, FLOAT32, st.floats(-1.0, 1.0), st.floats(-1.0, 1.0))
def test_a_complex64_print_passes_on_complex128_whenever_both_parts_are_within_tolerance(
    real: float, imaginary: float, real_fraction: float, imaginary_fraction: float
) -> None:
    low = torch.complex(torch.tensor(real), torch.tensor(imaginary))
    parts = []
    for x32, fraction in ((real, real_fraction), (imaginary, imaginary_fraction)):
        x64 = x32 + fraction * (ATOL64 + RTOL64 * abs(x32))
        bound = Decimal(ATOL64) + Decimal(RTOL64) * abs(Decimal(x32))
        assume(abs(Decimal(x64) - Decimal(x32)) <= bound)
        parts.append(x64)
    high = torch.complex(
        torch.tensor(parts[0], dtype=torch.float64), torch.tensor(parts[1], dtype=torch.float64)
    )
    assert ours(repr(low), repr(high), ON_FLOAT64), (repr(low), repr(high))


def _changed_digit(data: st.DataObject, text: str) -> str:
    numbers = [token for token in tokenize(text) if token.kind in ("number", "complex")]
    token = data.draw(st.sampled_from(numbers))
    digits = [token.start + i for i, char in enumerate(token.text) if char.isdigit()]
    position = data.draw(st.sampled_from(digits))
    new_digit = data.draw(st.sampled_from([d for d in "0123456789" if d != text[position]]))
    return text[:position] + new_digit + text[position + 1 :]


def _within_roundoff(wrong: str, text: str) -> bool:
    """Whether the one changed number of ``wrong`` has 15 or more significant digits and is
    within float64 round-off of the printed one: the allowance for platform noise."""
    for written, printed in zip(_parts(wrong), _parts(text), strict=True):
        if written == printed:
            continue
        difference = abs(Decimal(written) - Decimal(printed))
        bound = Decimal(ROUNDOFF) * max(abs(Decimal(written)), abs(Decimal(printed)))
        return significant_digits(written) >= ROUNDOFF_DIGITS and difference <= bound
    return False


def _reprs(value: float) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            repr(value),
            repr(np.float32(value)),
            repr(np.float64(value)),
            repr(torch.tensor(value)),
            repr(torch.tensor([value, -value / 3])),
            repr(complex(value, value / 7)),
        ]
    )


@FAST
@given(FLOAT32, st.data())
def test_any_changed_digit_fails_on_the_written_combination(
    value: float, data: st.DataObject
) -> None:
    text = data.draw(_reprs(value))
    wrong = _changed_digit(data, text)
    assume(not _within_roundoff(wrong, text))
    comparison = compare(wrong, text, WRITTEN32)
    assert not comparison.matches, (wrong, text)
    assert WRITTEN_RULE in comparison.rules or "integers must be equal" in str(comparison.mismatch)


@FAST
@given(FLOAT32, st.data())
def test_any_dropped_last_digit_fails_on_the_written_combination(
    value: float, data: st.DataObject
) -> None:
    text = data.draw(_reprs(value))
    numbers = [t for t in tokenize(text) if t.kind == "number" and last_digit_unit(t.text) > 0]
    numbers = [t for t in numbers if "e" not in t.text and len(t.text.partition(".")[2]) > 1]
    assume(numbers)
    token = data.draw(st.sampled_from(numbers))
    wrong = text[: token.end - 1] + text[token.end :]
    assume(not _within_roundoff(wrong, text))
    assert not compare(wrong, text, WRITTEN32).matches, (wrong, text)
    assert not doctests(wrong, text)
