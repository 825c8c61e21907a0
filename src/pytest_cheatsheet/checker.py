"""Output checking that lets one expected output, written on CPU in float32, hold everywhere.

The expected output of a doctest is compared with what a combination printed, token by token:

- repr keywords the actual output adds (``device=``, ``dtype=``, ``grad_fn=``, ``requires_grad=``,
  ``layout=``) that the expected output does not write at that place are ignored; a keyword that is
  written is checked;
- integers must be equal; other numbers may differ by the tolerance of the dtypes in play
  (torch.testing.assert_close's defaults) plus the rounding of both printed numbers, half a unit
  in the last digit of each (like pytest's NUMBER, but no looser than rounding: ``41.`` is exact,
  ``0.76`` means 0.755 to 0.765);
- runs of whitespace are equal (tensor columns realign when a number's width changes).
"""

from __future__ import annotations

import doctest
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pytest_cheatsheet.seam import SybilOutputChecker

IGNORABLE_KEYWORDS = ("device", "dtype", "grad_fn", "requires_grad", "layout")

# torch.testing.assert_close's default (rtol, atol) per dtype; others get float32's.
DTYPE_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex32": (1e-3, 1e-5),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
    "float8_e4m3fn": (0.125, 1e-5),
    "float8_e4m3fnuz": (0.125, 1e-5),
    "float8_e5m2": (0.25, 1e-5),
    "float8_e5m2fnuz": (0.25, 1e-5),
}
DEFAULT_DTYPE = "float32"

_KEYWORD = re.compile(
    rf",\s*(?P<name>{'|'.join(IGNORABLE_KEYWORDS)})"
    r"""=(?P<value><[^>\n]*>|'[^'\n]*'|"[^"\n]*"|[^,)\s]+)"""
)
_TOKEN = re.compile(
    rf"""
    (?P<keyword>{_KEYWORD.pattern})
    | (?P<number>(?<![\w.])[+-]?(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?
                  |\d+[eE][+-]?\d+|\d+|inf|nan)(?![\w.]))
    | (?P<word>\w+(?:\.\w+)*)
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_INTEGER = re.compile(r"[+-]?\d+")
_BLANKLINE_LINE = re.compile(rf"^{re.escape(doctest.BLANKLINE_MARKER)}[ \t]*$", re.MULTILINE)
_ACTUAL_DTYPE = re.compile(r"dtype=(?:torch\.)?(\w+)")


@dataclass(frozen=True)
class Token:
    kind: str  # "keyword", "number", "word" or "other"
    text: str
    name: str = ""  # a keyword's name
    value: str = ""  # a keyword's value

    @property
    def is_integer(self) -> bool:
        return self.kind == "number" and _INTEGER.fullmatch(self.text) is not None


def tokenize(text: str) -> list[Token]:
    """Split printed output into keywords, numbers, words and punctuation; whitespace drops."""
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "space" or kind is None:
            continue
        if kind in ("name", "value"):  # pragma: no cover - inner groups never end a match
            continue
        if match.group("keyword") is not None:
            tokens.append(
                Token("keyword", match.group(0), match.group("name"), match.group("value"))
            )
        else:
            tokens.append(Token(kind, match.group(0)))
    return tokens


@dataclass(frozen=True)
class Tolerance:
    """How far a printed float may be from the one written: ``atol + rtol * |expected|``,
    plus half a unit in the last digit written and in the last digit printed."""

    rtol: float
    atol: float
    dtype: str

    @classmethod
    def for_dtypes(cls, dtypes: Iterable[str]) -> Tolerance:
        """The loosest tolerance of ``dtypes`` (the combination's and those printed)."""
        known = [name if name in DTYPE_TOLERANCES else DEFAULT_DTYPE for name in dtypes]
        candidates = [(*DTYPE_TOLERANCES[name], name) for name in known or [DEFAULT_DTYPE]]
        rtol, atol, dtype = max(candidates)
        return cls(rtol, atol, dtype)

    def allowed(self, expected: float, written: str, printed: str = "") -> float:
        """The largest |printed - written| allowed: both sides were rounded when printed, so
        ``54.5981`` (float32) and ``54.5982`` (float64) may print the same value."""
        rounding = digits_tolerance(written) + digits_tolerance(printed)
        return self.atol + self.rtol * abs(expected) + rounding

    def describe(self) -> str:
        return (
            f"rtol={self.rtol:g}, atol={self.atol:g} ({self.dtype}) "
            "plus half a unit in the last digit written and printed"
        )


def digits_tolerance(written: str) -> float:
    """Half a unit in the last digit written, the most correct rounding can add:
    ``0.7616`` -> 5e-5, ``1.5e-05`` -> 5e-7. A whole number printed as ``41.`` (torch's format
    when every element is whole) is exact: 0."""
    mantissa, _, exponent = written.lower().partition("e")
    fraction = mantissa.partition(".")[2]
    if not fraction:
        return 0.0
    # Written out for float() to parse: any exponent is read without overflow (0.0e400 -> inf).
    return float(f"0.{'0' * len(fraction)}5e{exponent or 0}")


@dataclass(frozen=True)
class Mismatch:
    """Why an actual output does not match: the first differing tokens and the reason."""

    reason: str


def compare(expected: str, actual: str, tolerance: Tolerance) -> Mismatch | None:
    """Compare printed outputs token by token; return the first mismatch, or None if they match."""
    wanted = tokenize(expected)
    got = tokenize(actual)
    i = j = 0
    while i < len(wanted) or j < len(got):
        want = wanted[i] if i < len(wanted) else None
        have = got[j] if j < len(got) else None
        if (
            have is not None
            and have.kind == "keyword"
            and not (want is not None and want.kind == "keyword" and want.name == have.name)
        ):
            j += 1
            continue
        if want is None or have is None:
            extra = have if want is None else want
            assert extra is not None
            where = "actual" if want is None else "expected"
            return Mismatch(f"the {where} output goes on with {extra.text.strip()!r}")
        problem = _compare_tokens(want, have, tolerance)
        if problem is not None:
            return Mismatch(problem)
        i += 1
        j += 1
    return None


def _compare_tokens(want: Token, have: Token, tolerance: Tolerance) -> str | None:
    if want.kind == "number" and have.kind == "number":
        return _compare_numbers(want.text, have.text, tolerance)
    if want.kind == "keyword" and have.kind == "keyword":
        if want.name == have.name and want.value == have.value:
            return None
        return f"expected {want.name}={want.value}, got {have.name}={have.value}"
    if want.kind == have.kind and want.text == have.text:
        return None
    return f"expected {want.text.strip()!r}, got {have.text.strip()!r}"


def _compare_numbers(written: str, printed: str, tolerance: Tolerance) -> str | None:
    if written == printed:
        return None
    expected_is_integer = _INTEGER.fullmatch(written) is not None
    actual_is_integer = _INTEGER.fullmatch(printed) is not None
    if expected_is_integer or actual_is_integer:
        # Decimal, not int: int() refuses strings over 4300 digits.
        if expected_is_integer and actual_is_integer and Decimal(written) == Decimal(printed):
            return None
        return f"expected {written}, got {printed} (integers must be equal)"
    expected, actual = float(written), float(printed)
    if math.isnan(expected) or math.isnan(actual) or math.isinf(expected) or math.isinf(actual):
        if expected == actual:
            return None
        return f"expected {written}, got {printed}"
    difference = abs(actual - expected)
    allowed = tolerance.allowed(expected, written, printed)
    if difference <= allowed:
        return None
    return (
        f"expected {written}, got {printed}: |difference| {difference:.3g} > allowed {allowed:.3g}"
    )


def actual_dtypes(actual: str) -> list[str]:
    """The dtypes an actual output names (``dtype=torch.float16`` -> ``float16``)."""
    return _ACTUAL_DTYPE.findall(actual)


def strip_unwritten_keywords(expected: str, actual: str) -> str:
    """Remove ignorable keywords from ``actual`` whose name ``expected`` never writes."""

    def keep_or_drop(match: re.Match[str]) -> str:
        name = match.group("name")
        if name in IGNORABLE_KEYWORDS and f"{name}=" not in expected:
            return ""
        return match.group(0)

    return _KEYWORD.sub(keep_or_drop, actual)


class TensorOutputChecker(SybilOutputChecker):
    """A doctest OutputChecker that applies :func:`compare` where the literal check fails.

    ``dtypes`` are the dtypes of the running combination; set them before each example.
    """

    def __init__(self) -> None:
        super().__init__()
        self.dtypes: Sequence[str] = ()
        self.last_mismatch: Mismatch | None = None
        self.last_tolerance: Tolerance | None = None

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        self.last_mismatch = None
        if super().check_output(want, got, optionflags):
            return True
        tolerance = Tolerance.for_dtypes([*self.dtypes, *actual_dtypes(got)])
        self.last_tolerance = tolerance
        if optionflags & doctest.ELLIPSIS and doctest.ELLIPSIS_MARKER in want:
            if super().check_output(want, strip_unwritten_keywords(want, got), optionflags):
                return True
            if doctest.ELLIPSIS_MARKER not in got:
                return False
            # Both print "...": a summarised tensor, whose numbers need the tolerance.
        if not optionflags & doctest.DONT_ACCEPT_BLANKLINE:
            want = _BLANKLINE_LINE.sub("", want)
        self.last_mismatch = compare(want, got, tolerance)
        return self.last_mismatch is None

    def output_difference(self, example: doctest.Example, got: str, optionflags: int) -> str:
        difference: str = super().output_difference(example, got, optionflags)
        if self.last_tolerance is not None:
            difference += f"Numbers compared with {self.last_tolerance.describe()}.\n"
        if self.last_mismatch is not None:
            difference += f"First difference: {self.last_mismatch.reason}\n"
        return difference
