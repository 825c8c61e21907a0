"""Output checking: exact on the combination an output was written for, per-number dtype
tolerance on the others.

The expected output of a doctest is compared with what a combination printed, token by token
(numbers, complex numbers, string literals, words, repr keywords, line breaks, punctuation):

- On the **written combination** numbers compare as printed: the printed number, cut or rounded
  to the digits written, must give the written number (``0.76`` for ``0.761594`` passes,
  ``0.7617`` for ``0.7616`` fails), and the signs match. A number printed or written with 15 or
  more significant digits may also differ by float64 round-off: ``ROUNDOFF`` of its magnitude.
- On **every other combination** a number may differ by ``atol + rtol * |written|`` (per dtype,
  torch.testing.assert_close's defaults, or the tolerance a sheet sets) beyond the digits not
  written, plus half a unit in the last printed digit where the printing is fixed-precision
  (torch's tensors; NumPy's arrays at 8 decimals), never for shortest reprs. The dtype is the
  number's own: the ``dtype=`` of the tensor or array repr that printed it, the combination's
  dtype (and autocast's) for a tensor that prints none, float64 for plain Python and NumPy floats.
- Integers must be equal; ``-0.0`` and ``0.0`` differ; string literals are single tokens compared
  exactly; line breaks and blank lines count outside brackets (inside a tensor or array repr
  numbers may realign and rewrap); spaces between tokens never count.
- Repr keywords the actual output adds (``device=``, ``dtype=``, ``grad_fn=``, ...) and the
  expected output does not write are ignored, except ``dtype=`` on the written combination; a
  written ``dtype=`` naming the written combination's dtype stands for the running one's.
"""

from __future__ import annotations

import doctest
import math
import re
from dataclasses import dataclass, field, replace
from decimal import MAX_EMAX, MIN_EMIN, ROUND_DOWN, Context, Decimal, InvalidOperation

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
PLAIN_FLOAT_DTYPE = "float64"
# float64 round-off allowed in a number printed with ROUNDOFF_DIGITS or more significant digits:
# 2**-50 of its magnitude, four units in the last place of a float64.
ROUNDOFF = 2.0**-50
ROUNDOFF_DIGITS = 15
NUMPY_PRECISION = 8  # NumPy rounds array elements to 8 decimals by default

_NUMBER = r"(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+|inf|nan)"
_KEYWORD = re.compile(
    rf",\s*(?P<name>{'|'.join(IGNORABLE_KEYWORDS)})"
    r"""=(?P<value><[^>\n]*>|'[^'\n]*'|"[^"\n]*"|[^,)\s]+)"""
)
_TOKEN = re.compile(
    rf"""
    (?P<keyword>{_KEYWORD.pattern})
    | (?P<complex>(?<![\w.])(?:[+-]?{_NUMBER}[+-])?{_NUMBER}j(?![\w.]))
    | (?P<number>(?<![\w.])[+-]?{_NUMBER}(?![\w.]))
    | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<ellipsis>\.\.\.)
    | (?P<word>\w+(?:\.\w+)*)
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_COMPLEX = re.compile(rf"(?P<real>[+-]?{_NUMBER}(?=[+-]))?(?P<imag>[+-]?{_NUMBER})j")
_INTEGER = re.compile(r"[+-]?\d+")
_BLANKLINE_LINE = re.compile(rf"^{re.escape(doctest.BLANKLINE_MARKER)}[ \t]*$", re.MULTILINE)
_OPENING, _CLOSING = "([{", ")]}"


@dataclass(frozen=True)
class ToleranceOverride:
    """A tolerance a sheet, a block or the ini file sets; ``None`` keeps the level below."""

    rtol: float | None = None
    atol: float | None = None
    source: str = ""

    def over(self, below: ToleranceOverride) -> ToleranceOverride:
        """This override where it sets a value, ``below`` elsewhere."""
        if self.rtol is None and self.atol is None:
            return below
        if below.rtol is None and below.atol is None:
            return self
        return ToleranceOverride(
            self.rtol if self.rtol is not None else below.rtol,
            self.atol if self.atol is not None else below.atol,
            self.source if below.source == "" else f"{self.source} over {below.source}",
        )


@dataclass(frozen=True)
class CheckContext:
    """What the checker must know of the example it checks.

    ``written``: whether this is the combination the expected output was written for (exact);
    ``dtype`` and ``autocast_dtype``: the running combination's; ``written_dtype``: the written
    combination's; ``tolerance``: what the sheet, block or ini file sets instead of the dtype's.
    """

    written: bool = True
    dtype: str = DEFAULT_DTYPE
    autocast_dtype: str | None = None
    written_dtype: str = DEFAULT_DTYPE
    tolerance: ToleranceOverride = field(default_factory=ToleranceOverride)

    def with_tolerance(self, override: ToleranceOverride | None) -> CheckContext:
        if override is None:
            return self
        return replace(self, tolerance=override.over(self.tolerance))


@dataclass(frozen=True)
class Token:
    kind: str  # keyword, number, complex, string, ellipsis, word, newline or other
    text: str
    start: int = 0
    end: int = 0
    name: str = ""  # a keyword's name
    value: str = ""  # a keyword's value
    scope: Scope | None = None  # the repr that printed a number

    @property
    def is_integer(self) -> bool:
        return self.kind == "number" and _INTEGER.fullmatch(self.text) is not None


@dataclass
class Scope:
    """A repr that prints numbers: ``tensor(...)``, ``array(...)``, ``np.float32(...)``."""

    kind: str  # "tensor" (fixed decimals), "array" (NumPy's 8 decimals) or "scalar"
    dtype: str | None = None
    keyword: str = ""  # the dtype= text that named ``dtype``


def tokenize(text: str) -> list[Token]:
    """Split printed output into tokens; spaces drop, line breaks outside brackets stay."""
    tokens: list[Token] = []
    depth = 0
    scopes: list[tuple[int, Scope | None]] = []  # (depth inside, scope) of each open bracket
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("name", "value"):  # pragma: no cover - inner groups never end a match
            continue
        piece = match.group(0)
        start, end = match.start(), match.end()
        current = next((scope for _, scope in reversed(scopes) if scope is not None), None)
        if kind == "space":
            if depth == 0 and "\n" in piece:
                tokens.append(Token("newline", "\n" * piece.count("\n"), start, end))
            continue
        if match.group("keyword") is not None:
            name, value = match.group("name"), match.group("value")
            if name == "dtype" and scopes and scopes[-1][0] == depth:
                scope = scopes[-1][1]
                if scope is not None and scope.kind in ("tensor", "array"):
                    scope.dtype = value.removeprefix("torch.")
                    scope.keyword = f"dtype={value}"
            tokens.append(Token("keyword", piece, start, end, name, value))
            continue
        if kind == "other" and piece in _OPENING:
            depth += 1
            scopes.append((depth, _scope_opened_by(tokens, start) if piece == "(" else None))
        elif kind == "other" and piece in _CLOSING:
            depth = max(0, depth - 1)
            if scopes:
                scopes.pop()
        assert kind is not None
        scope = current if kind in ("number", "complex") else None
        tokens.append(Token(kind, piece, start, end, scope=scope))
    return tokens


def _scope_opened_by(tokens: list[Token], position: int) -> Scope | None:
    """The scope a ``(`` at ``position`` opens, from the word right before it."""
    if not tokens or tokens[-1].kind != "word" or tokens[-1].end != position:
        return None
    name = tokens[-1].text.rpartition(".")[2]
    if name == "tensor":
        return Scope("tensor")
    if name == "array":
        return Scope("array")
    if name in DTYPE_TOLERANCES or name.startswith(("float", "complex")):
        return Scope("scalar", name, f"{tokens[-1].text}(...)")
    return None


@dataclass(frozen=True)
class Mismatch:
    """Why an actual output does not match: the first differing tokens and the reason."""

    reason: str


@dataclass
class Comparison:
    """The outcome of :func:`compare`, and the rules its number comparisons used."""

    mismatch: Mismatch | None
    rules: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.mismatch is None


WRITTEN_RULE = "written combination: printed digits must match"


def compare(
    expected: str, actual: str, context: CheckContext | None = None, ellipsis: bool = False
) -> Comparison:
    """Compare printed outputs token by token under ``context`` (exact when none is given)."""
    context = context or CheckContext()
    matcher = _Matcher(tokenize(expected.rstrip()), tokenize(actual.rstrip()), context, ellipsis)
    return Comparison(matcher.run(), sorted(matcher.rules))


class _Matcher:
    """Finds an alignment of expected and actual tokens: a search over (i, j) positions, since
    ``...`` (with +ELLIPSIS) and unwritten keywords may each stand for several tokens or none."""

    def __init__(
        self, want: list[Token], got: list[Token], context: CheckContext, ellipsis: bool
    ) -> None:
        self.want, self.got, self.context, self.ellipsis = want, got, context, ellipsis
        self.rules: set[str] = set()
        self.written_keywords = {token.name for token in want if token.kind == "keyword"}
        self.failure: tuple[int, int, str] | None = None

    def run(self) -> Mismatch | None:
        want, got = self.want, self.got
        stack = [(0, 0)]
        seen: set[tuple[int, int]] = set()
        while stack:
            i, j = stack.pop()
            if (i, j) in seen:
                continue
            seen.add((i, j))
            if i == len(want) and j == len(got):
                return None
            moves = []
            w = want[i] if i < len(want) else None
            g = got[j] if j < len(got) else None
            if w is not None and w.kind == "ellipsis" and self.ellipsis:
                moves.append((i + 1, j))
                if g is not None:
                    moves.append((i, j + 1))
            if g is not None and self._unwritten(g):
                moves.append((i, j + 1))
            if w is not None and self._stands_for_omitted_dtype(w):
                moves.append((i + 1, j))
            if w is not None and g is not None:
                problem = self.compare_tokens(w, g)
                if problem is None:
                    moves.append((i + 1, j + 1))
                else:
                    self._fail(i, j, problem)
            elif not moves:
                extra = g if w is None else w
                assert extra is not None
                where = "actual" if w is None else "expected"
                self._fail(i, j, f"the {where} output goes on with {_shown(extra)}")
            stack.extend(reversed(moves))
        assert self.failure is not None
        return Mismatch(self.failure[2])

    def _fail(self, i: int, j: int, reason: str) -> None:
        if self.failure is None or (i, j) > self.failure[:2]:
            self.failure = (i, j, reason)

    def _unwritten(self, token: Token) -> bool:
        """A keyword printed where none of its name is written may be skipped; on the written
        combination, whose output the reader takes as printed, not a ``dtype=``."""
        return (
            token.kind == "keyword"
            and token.name not in self.written_keywords
            and not (self.context.written and token.name == "dtype")
        )

    def _names_written_dtype(self, token: Token) -> bool:
        return token.name == "dtype" and (
            token.value.removeprefix("torch.") == self.context.written_dtype
        )

    def _stands_for_omitted_dtype(self, token: Token) -> bool:
        """A written ``dtype=<written dtype>`` on a combination whose dtype that repr omits
        (torch omits float32, NumPy float64) matches nothing."""
        if token.kind != "keyword" or not self._names_written_dtype(token):
            return False
        omitted = DEFAULT_DTYPE if token.value.startswith("torch.") else PLAIN_FLOAT_DTYPE
        return self.context.dtype == omitted

    def compare_tokens(self, want: Token, have: Token) -> str | None:
        if want.kind == "keyword" and have.kind == "keyword":
            return self._compare_keywords(want, have)
        if want.kind in ("number", "complex") and have.kind == want.kind:
            if want.kind == "complex":
                return self._compare_complex(want, have)
            return self._compare_numbers(want.text, have.text, have.scope)
        if want.kind == have.kind and want.text == have.text:
            return None
        if want.kind == "string" and have.kind == "string":
            return f"expected {want.text}, got {have.text} (string literals must be equal)"
        if "newline" in (want.kind, have.kind):
            return f"expected {_shown(want)}, got {_shown(have)} (line breaks count)"
        return f"expected {_shown(want)}, got {_shown(have)}"

    def _compare_keywords(self, want: Token, have: Token) -> str | None:
        if want.name != have.name:
            return f"expected {_shown(want)}, got {_shown(have)}"
        if self._names_written_dtype(want):
            prefix = "torch." if want.value.startswith("torch.") else ""
            if have.value == prefix + self.context.dtype:
                return None
            return (
                f"expected dtype={prefix}{self.context.dtype} (the written dtype= "
                f"{want.value} stands for this combination's dtype), got dtype={have.value}"
            )
        if want.value == have.value:
            return None
        return f"expected {want.name}={want.value}, got {have.name}={have.value}"

    def _compare_complex(self, want: Token, have: Token) -> str | None:
        if want.text == have.text:
            return None
        w, h = _complex_parts(want.text), _complex_parts(have.text)
        for written, printed, part in ((w[0], h[0], "real"), (w[1], h[1], "imaginary")):
            problem = self._compare_numbers(written, printed, have.scope, float_only=True)
            if problem is not None:
                return f"{problem} (the {part} part of {want.text} and {have.text})"
        return None

    def _compare_numbers(
        self, written: str, printed: str, scope: Scope | None, float_only: bool = False
    ) -> str | None:
        if written == printed:
            return None
        if not float_only:
            expected_is_integer = _INTEGER.fullmatch(written) is not None
            actual_is_integer = _INTEGER.fullmatch(printed) is not None
            if expected_is_integer or actual_is_integer:
                # Decimal, not int: int() refuses strings over 4300 digits.
                if (
                    expected_is_integer
                    and actual_is_integer
                    and Decimal(written) == Decimal(printed)
                ):
                    return None
                return f"expected {written}, got {printed} (integers must be equal)"
        if self.context.written:
            self.rules.add(WRITTEN_RULE)
            if digits_match(written, printed):
                return None
            return f"expected {written}, got {printed} ({WRITTEN_RULE})"
        tolerance = self.tolerance_for(scope)
        self.rules.add(tolerance.describe())
        return tolerance.check(written, printed, fixed_precision(printed, scope))

    def tolerance_for(self, scope: Scope | None) -> Tolerance:
        """The tolerance of a number printed in ``scope``."""
        override = self.context.tolerance
        if scope is not None and scope.dtype is not None:
            dtype, origin = scope.dtype, f"from {scope.keyword}"
        elif scope is not None and scope.kind == "tensor":
            dtypes = [self.context.dtype]
            if self.context.autocast_dtype is not None:
                dtypes.append(self.context.autocast_dtype)
            dtype = max(dtypes, key=lambda name: _tolerances_of(name))
            origin = "the combination's, for a tensor that prints no dtype="
        else:
            dtype, origin = PLAIN_FLOAT_DTYPE, "a plain Python or NumPy float"
        rtol, atol = _tolerances_of(dtype)
        if override.rtol is not None:
            rtol = override.rtol
        if override.atol is not None:
            atol = override.atol
        if override.rtol is not None or override.atol is not None:
            origin = f"{origin}; set by {override.source or 'the sheet'}"
        return Tolerance(rtol, atol, dtype, origin)


def _tolerances_of(dtype: str) -> tuple[float, float]:
    return DTYPE_TOLERANCES.get(dtype, DTYPE_TOLERANCES[DEFAULT_DTYPE])


def _shown(token: Token) -> str:
    if token.kind == "newline":
        count = len(token.text)
        return "a line break" if count == 1 else f"{count} line breaks ({count - 1} blank)"
    return repr(token.text.strip())


def _complex_parts(text: str) -> tuple[str, str]:
    """The real and imaginary parts as floats: Python's ``1j`` is exactly 1., like ``41.``."""
    match = _COMPLEX.fullmatch(text)
    assert match is not None
    real, imaginary = match.group("real") or "0.", match.group("imag")
    return tuple(  # type: ignore[return-value]
        part + "." if _INTEGER.fullmatch(part) else part for part in (real, imaginary)
    )


# Exact decimal arithmetic that neither overflows nor raises (``1e99999`` is a valid token).
_DECIMALS = Context(prec=80, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the token pattern admits only numbers
        return None
    return value if value.is_finite() else None


def last_digit_unit(written: str) -> Decimal:
    """The unit of the last digit written: ``0.7616`` -> 0.0001, ``1.5e-05`` -> 1e-06,
    ``1e-08`` -> 1e-08, ``12`` -> 1; 0 for torch's exact whole number ``41.``."""
    mantissa, _, exponent = written.lower().lstrip("+-").partition("e")
    _, point, fraction = mantissa.partition(".")
    if point and not fraction and not exponent:
        return Decimal(0)
    return Decimal(1).scaleb(int(exponent or 0) - len(fraction), context=_DECIMALS)


def significant_digits(text: str) -> int:
    mantissa = text.lower().lstrip("+-").partition("e")[0].replace(".", "")
    return len(mantissa.lstrip("0")) or 1


def _negative(text: str) -> bool:
    return text.startswith("-")


def digits_match(written: str, printed: str) -> bool:
    """Whether ``printed``, cut or rounded to the digits ``written`` shows, gives ``written``
    (the written combination's rule), allowing float64 round-off in long numbers."""
    if _negative(written) != _negative(printed):
        return False
    w, p = _decimal(written), _decimal(printed)
    if w is None or p is None:
        return written.lstrip("+") == printed.lstrip("+")  # nan, inf: the same word
    unit = last_digit_unit(written)
    difference = _DECIMALS.abs(_DECIMALS.subtract(p, w))
    if _DECIMALS.compare(_DECIMALS.multiply(difference, 2), unit) <= 0:
        return True
    if unit and p.quantize(unit, rounding=ROUND_DOWN, context=_DECIMALS) == w:
        return True
    return _within_roundoff(written, printed)


def _within_roundoff(written: str, printed: str) -> bool:
    if max(significant_digits(written), significant_digits(printed)) < ROUNDOFF_DIGITS:
        return False
    w, p = float(written), float(printed)
    return abs(p - w) <= ROUNDOFF * max(abs(w), abs(p))


def fixed_precision(printed: str, scope: Scope | None) -> bool:
    """Whether ``printed`` was rounded to a fixed number of decimals: any number of a torch
    tensor, a NumPy array's number at NumPy's 8 decimals; never a shortest repr."""
    if scope is not None and scope.kind == "tensor":
        return True
    if scope is None or scope.kind == "array":
        fraction = printed.lower().partition("e")[0].partition(".")[2]
        return len(fraction) == NUMPY_PRECISION
    return False


@dataclass(frozen=True)
class Tolerance:
    """How far a printed float may be from the one written, on a combination other than the
    written one: ``atol + rtol * |written|`` beyond the digits not written, plus half a unit in
    the last printed digit where that printing rounds to fixed decimals."""

    rtol: float
    atol: float
    dtype: str
    origin: str = ""

    def describe(self) -> str:
        origin = f", {self.origin}" if self.origin else ""
        return f"rtol={self.rtol:g}, atol={self.atol:g} ({self.dtype}{origin})"

    def allowed(self, written: str, printed: str, printed_rounds: bool) -> float:
        allowed = self.atol + self.rtol * abs(float(written))
        if printed_rounds:
            allowed += float(last_digit_unit(printed)) / 2
        if max(significant_digits(written), significant_digits(printed)) >= ROUNDOFF_DIGITS:
            allowed += ROUNDOFF * max(abs(float(written)), abs(float(printed)))
        return allowed

    def check(self, written: str, printed: str, printed_rounds: bool) -> str | None:
        expected, actual = float(written), float(printed)
        if math.isnan(expected) or math.isnan(actual) or math.isinf(expected) or math.isinf(actual):
            if (math.isnan(expected) and math.isnan(actual)) or expected == actual:
                return None
            return f"expected {written}, got {printed}"
        if (
            expected == actual == 0
            and not printed_rounds
            and _negative(written) != _negative(printed)
        ):
            return f"expected {written}, got {printed} (the sign of zero counts)"
        difference = distance_to_written(written, printed)
        allowed = self.allowed(written, printed, printed_rounds)
        if difference <= allowed:
            return None
        return (
            f"expected {written}, got {printed}: |difference| {difference:.3g} > allowed "
            f"{allowed:.3g} ({self.describe()})"
        )


def distance_to_written(written: str, printed: str) -> float:
    """How far ``printed`` is from the written number. Where fewer digits are written than
    printed, from every value the written digits stand for (those that, cut or rounded to the
    written digits, give them): ``0.76`` stands for 0.755 up to 0.77. Where as many are written,
    from the written number itself: the two sides were printed alike."""
    expected, actual = float(written), float(printed)
    unit = last_digit_unit(written)
    if unit <= last_digit_unit(printed):
        return abs(actual - expected)
    half = float(unit) / 2
    if expected > 0:
        low, high = expected - half, expected + 2 * half
    elif expected < 0:
        low, high = expected - 2 * half, expected + half
    else:
        low, high = -2 * half, 2 * half
    if low <= actual <= high:
        return 0.0
    return low - actual if actual < low else actual - high


class TensorOutputChecker(SybilOutputChecker):
    """A doctest OutputChecker that applies :func:`compare` where the literal check fails.

    ``context`` is what it knows of the example it checks; ``last`` keeps the last comparison
    for the message.
    """

    def __init__(self, context: CheckContext | None = None) -> None:
        super().__init__()
        self.context = context or CheckContext()
        self.last: Comparison | None = None
        # (want, got, flags) of the checks that passed, for the audit; None when not auditing.
        self.passed: list[tuple[str, str, int]] | None = None

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        matches = self.matches(want, got, optionflags)
        if matches and self.passed is not None:
            self.passed.append((want, got, optionflags))
        return matches

    def matches(self, want: str, got: str, optionflags: int) -> bool:
        """The check itself, under ``self.context``; records nothing for the audit."""
        self.last = None
        if super().check_output(want, got, optionflags):
            return True
        if not optionflags & doctest.DONT_ACCEPT_BLANKLINE:
            want = _BLANKLINE_LINE.sub("", want)
        self.last = compare(want, got, self.context, bool(optionflags & doctest.ELLIPSIS))
        return self.last.matches

    def first_difference(self) -> str | None:
        """Where the last output it rejected first differs, when the comparison found it."""
        mismatch = self.last.mismatch if self.last is not None else None
        return mismatch.reason if mismatch is not None else None

    def output_difference(self, example: doctest.Example, got: str, optionflags: int) -> str:
        difference: str = super().output_difference(example, got, optionflags)
        if self.last is not None:
            if self.last.rules:
                difference += f"Numbers compared: {'; '.join(self.last.rules)}.\n"
            if self.last.mismatch is not None:
                difference += f"First difference: {self.last.mismatch.reason}\n"
        return difference
