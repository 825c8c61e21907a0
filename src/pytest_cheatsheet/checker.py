"""Output checking: exactly as printed on the combination an output was written for,
per-number dtype tolerance with both sides' rounding on the others.

The expected output of a doctest is compared with what a combination printed, token by token
(numbers, complex numbers, string literals, words, repr keywords, line breaks, punctuation):

- On the **written combination** numbers compare as text would, sign and exponent included: a
  shortest repr (Python float, NumPy scalar) is written in full, a fixed-precision print (torch,
  NumPy arrays) with the digits printed. The one allowance is float64 round-off (``ROUNDOFF`` of
  the magnitude) where the written number has ``ROUNDOFF_DIGITS`` or more significant digits.
  Fewer digits only where the sheet says so: ``1.4142...`` under +ELLIPSIS (the printed number's
  first characters), or cut or rounded where a tolerance is set.
- On **every other combination** a number may differ by ``atol + rtol * |value|`` (per dtype,
  torch.testing.assert_close's defaults, or the tolerance a sheet sets), plus half a unit of the
  last written digit where the written number is a fixed-precision print and half a unit of the
  last printed digit where the printed one is; a shortest repr has no rounding slack. The dtype
  is the number's own: the ``dtype=`` of the tensor or array repr that printed it, the
  combination's dtype (and autocast's) for a tensor that prints none, float64 for plain Python
  and NumPy floats.
- Integers must be equal; ``-0.0`` and ``0.0`` differ; string literals are single tokens compared
  exactly; line breaks and blank lines count outside brackets, trailing ones as doctest counts
  them (inside a repr's brackets, those that pair up, numbers may realign and rewrap); spaces
  between tokens never count.
- Repr keywords the actual output adds (``device=``, ``dtype=``, ``grad_fn=``, ...) and the
  expected output does not write are ignored, except ``dtype=`` on the written combination; a
  written ``dtype=`` naming the written combination's dtype stands for the running one's in a
  tensor or array of floats, never in an integer, bool or complex one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from decimal import MAX_EMAX, MIN_EMIN, ROUND_DOWN, Context, Decimal, InvalidOperation

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
    | (?P<number>(?<![\w.])[+-]?{_NUMBER}(?:(?![\w.])|(?=\.\.\.)))
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
    other_kinds: bool = False  # whether it printed an integer, a bool or a complex number

    @property
    def prints_floats(self) -> bool:
        """Whether this is a tensor or array of floats that prints no ``dtype=``: the running
        dtype where that is the one its library omits, never an integer, bool or complex one."""
        return self.kind in ("tensor", "array") and self.dtype is None and not self.other_kinds


def tokenize(text: str) -> list[Token]:
    """Split printed output into tokens; spaces drop, line breaks outside brackets stay.

    Only brackets that pair up count: a stray ``(`` or ``]`` in printed text is punctuation
    and leaves the line breaks after it counting."""
    pieces = list(_TOKEN.finditer(text))
    paired = _paired_brackets(pieces)
    tokens: list[Token] = []
    depth = 0
    scopes: list[Scope | None] = []  # the scope of each open bracket
    for index, match in enumerate(pieces):
        kind = match.lastgroup
        assert kind is not None  # "keyword", never its inner "name" or "value"
        piece = match.group(0)
        start, end = match.start(), match.end()
        current = next((scope for scope in reversed(scopes) if scope is not None), None)
        if kind == "space":
            if depth == 0 and "\n" in piece:
                tokens.append(Token("newline", "\n" * piece.count("\n"), start, end))
            continue
        if kind == "keyword":
            name, value = match.group("name"), match.group("value")
            if name == "dtype" and scopes and scopes[-1] is not None:
                scope = scopes[-1]
                if scope.kind in ("tensor", "array"):
                    scope.dtype = value.removeprefix("torch.")
                    scope.keyword = f"dtype={value}"
            tokens.append(Token("keyword", piece, start, end, name, value, scope=current))
            continue
        if index in paired and piece in _OPENING:
            depth += 1
            scopes.append(_scope_opened_by(tokens, start) if piece == "(" else None)
        elif index in paired:
            depth -= 1
            scopes.pop()
        if current is not None and (
            kind == "complex"
            or (kind == "number" and _INTEGER.fullmatch(piece))
            or (kind == "word" and piece in ("True", "False"))
        ):
            current.other_kinds = True
        tokens.append(Token(kind, piece, start, end, scope=current))
    return tokens


def _paired_brackets(pieces: list[re.Match[str]]) -> set[int]:
    """The indices of the brackets that pair up with one of the same shape."""
    paired: set[int] = set()
    stack: list[int] = []
    for index, match in enumerate(pieces):
        piece = match.group(0)
        if match.lastgroup != "other":
            continue
        if piece in _OPENING:
            stack.append(index)
        elif piece in _CLOSING:
            opening = _OPENING[_CLOSING.index(piece)]
            depth = next(
                (d for d in range(len(stack) - 1, -1, -1) if pieces[stack[d]].group(0) == opening),
                None,
            )
            if depth is not None:
                paired.update((stack[depth], index))
                del stack[depth:]
    return paired


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


WRITTEN_RULE = "written combination: printed exactly"
ABBREVIATED_RULE = "written combination: the printed digits, cut or rounded (a tolerance is set)"
ELLIPSIS_RULE = "written combination: the digits before '...' as printed"


def compare(
    expected: str, actual: str, context: CheckContext | None = None, ellipsis: bool = False
) -> Comparison:
    """Compare printed outputs token by token under ``context`` (exact when none is given).

    Line breaks count as doctest counts them, trailing ones included: like doctest's captured
    output, a text that does not end with a line break is read as if it did."""
    context = context or CheckContext()
    matcher = _Matcher(tokenize(_ended(expected)), tokenize(_ended(actual)), context, ellipsis)
    return Comparison(matcher.run(), sorted(matcher.rules))


def _ended(text: str) -> str:
    return text if text == "" or text.endswith("\n") else text + "\n"


def abbreviation_allowed(context: CheckContext) -> bool:
    """Whether the written combination may write fewer digits than printed: where the sheet
    sets a tolerance (a tolerance directive, the matrix directive's or the ini's rtol/atol)."""
    return context.tolerance.rtol is not None or context.tolerance.atol is not None


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
        self.abbreviated = abbreviation_allowed(context)

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
            if w is not None and self._stands_for_omitted_dtype(w, g):
                moves.append((i + 1, j))
            if w is not None and g is not None:
                problem = self.compare_tokens(w, g, self._before_ellipsis(i))
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

    def _before_ellipsis(self, i: int) -> bool:
        """Whether the expected token ``i`` is a number written right before ``...`` under
        +ELLIPSIS (``1.4142...``): its digits are the printed number's first ones."""
        token = self.want[i]
        following = self.want[i + 1] if i + 1 < len(self.want) else None
        return (
            self.ellipsis
            and token.kind == "number"
            and following is not None
            and following.kind == "ellipsis"
            and following.start == token.end
        )

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

    def _stands_for_omitted_dtype(self, token: Token, printed: Token | None) -> bool:
        """A written ``dtype=<written dtype>`` matches nothing on a combination whose dtype that
        repr omits (torch omits float32, NumPy float64), where the printed repr is a tensor or
        array of floats: an integer, bool or complex one that prints no dtype is not."""
        if token.kind != "keyword" or not self._names_written_dtype(token):
            return False
        omitted = DEFAULT_DTYPE if token.value.startswith("torch.") else PLAIN_FLOAT_DTYPE
        if self.context.dtype != omitted or printed is None or printed.scope is None:
            return False
        library = "tensor" if token.value.startswith("torch.") else "array"
        return printed.scope.kind == library and printed.scope.prints_floats

    def compare_tokens(self, want: Token, have: Token, before_ellipsis: bool = False) -> str | None:
        if want.kind == "keyword" and have.kind == "keyword":
            return self._compare_keywords(want, have)
        if (
            want.kind == "keyword"
            and self._names_written_dtype(want)
            and have.scope is not None
            and have.scope.other_kinds
            and not have.scope.dtype
        ):
            return (
                f"expected {_shown(want)}, got {_shown(have)} (a written dtype= stands for "
                "the running dtype in a tensor or array of floats only; this one prints "
                "integers, bools or complex numbers and no dtype=)"
            )
        if want.kind == "number" and have.kind == "number":
            return self._compare_numbers(
                want.text, have.text, want.scope, have.scope, before_ellipsis=before_ellipsis
            )
        if want.kind == "complex" and have.kind == "complex":
            return self._compare_complex(want, have)
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
            problem = self._compare_numbers(written, printed, want.scope, have.scope, part=True)
            if problem is not None:
                return f"{problem} (the {part} part of {want.text} and {have.text})"
        return None

    def _compare_numbers(
        self,
        written: str,
        printed: str,
        written_scope: Scope | None,
        printed_scope: Scope | None,
        *,
        part: bool = False,
        before_ellipsis: bool = False,
    ) -> str | None:
        """Compare a written number with a printed one: a whole number or a complex number's
        real or imaginary ``part`` (``""`` for a real part Python leaves out)."""
        if written == printed:
            return None
        if before_ellipsis and printed.startswith(written):
            return None  # as doctest's ELLIPSIS reads it: the first characters printed
        expected_is_integer = _INTEGER.fullmatch(written) is not None
        actual_is_integer = _INTEGER.fullmatch(printed) is not None
        if not part and (actual_is_integer or (expected_is_integer and not before_ellipsis)):
            # Decimal, not int: int() refuses strings over 4300 digits.
            if not (
                expected_is_integer and actual_is_integer and Decimal(written) == Decimal(printed)
            ):
                return f"expected {written}, got {printed} (integers must be equal)"
            if not self.context.written:
                return None
        if self.context.written:
            return self._compare_on_written(written, printed, before_ellipsis)
        if part:  # Python's whole parts are exact: 1j is 1., like torch's 41.
            written, printed = _exact_part(written), _exact_part(printed)
        if before_ellipsis:
            reading = "cut"
        elif self.abbreviated and last_digit_unit(written) > last_digit_unit(printed):
            reading = "cut or rounded"
        elif fixed_precision(written, written_scope):
            reading = "rounded"
        else:
            reading = "exact"
        printed_rounds = fixed_precision(printed, printed_scope)
        tolerance = self.tolerance_for(printed_scope)
        self.rules.add(tolerance.describe(reading, printed_rounds))
        return tolerance.check(written, printed, reading, printed_rounds)

    def _compare_on_written(self, written: str, printed: str, before_ellipsis: bool) -> str | None:
        """The written combination: the number as printed, digit for digit."""
        if before_ellipsis:
            rule, right = ELLIPSIS_RULE, False  # the prefix did not match
        elif self.abbreviated:
            rule, right = ABBREVIATED_RULE, digits_match(written, printed)
        else:
            rule, right = WRITTEN_RULE, printed_exactly(written, printed)
        self.rules.add(rule)
        if right:
            return None
        shown = f"{written}..." if before_ellipsis else written
        return f"expected {shown}, got {printed} ({rule})"

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
    """The real and imaginary parts as written: ``""`` for a real part left out (``1j``)."""
    match = _COMPLEX.fullmatch(text)
    assert match is not None
    return match.group("real") or "", match.group("imag")


def _exact_part(part: str) -> str:
    """A complex number's part for the tolerance: ``""`` is 0., a whole ``1`` is ``1.``."""
    return part + "." if _INTEGER.fullmatch(part) else (part or "0.")


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


def printed_exactly(written: str, printed: str) -> bool:
    """The written combination's rule: ``written`` is ``printed`` character for character,
    sign and exponent included, save float64 round-off where the written number has
    ``ROUNDOFF_DIGITS`` or more significant digits (platform noise in the last place)."""
    if written == printed:
        return True
    if _negative(written) != _negative(printed) or _decimal(written) is None:
        return False
    return _within_roundoff(written, printed)


def digits_match(written: str, printed: str) -> bool:
    """Whether ``printed``, cut or rounded to the digits ``written`` shows, gives ``written``:
    the written combination's rule where a tolerance allows abbreviating."""
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
    if significant_digits(written) < ROUNDOFF_DIGITS:
        return False
    w, p = _decimal(written), _decimal(printed)
    if w is None or p is None:
        return False
    bound = _DECIMALS.multiply(Decimal(ROUNDOFF), max(abs(w), abs(p)))
    return _DECIMALS.compare(abs(_DECIMALS.subtract(p, w)), bound) <= 0


def fixed_precision(number: str, scope: Scope | None) -> bool:
    """Whether ``number`` was rounded to a fixed number of decimals: any number of a torch
    tensor, a NumPy array's number at NumPy's 8 decimals; never a shortest repr."""
    if scope is not None and scope.kind == "tensor":
        return True
    if scope is None or scope.kind == "array":
        fraction = number.lower().partition("e")[0].partition(".")[2]
        return len(fraction) == NUMPY_PRECISION
    return False


def written_slack(written: str, reading: str) -> tuple[Decimal, Decimal]:
    """How far below and above the written number the value it was printed from may lie:
    none for an ``exact`` shortest repr, half a unit of its last digit either way where it was
    ``rounded`` to fixed decimals, up to one unit away from zero where ``cut`` (the digits
    before ``...``), and either where ``cut or rounded`` (fewer digits under a tolerance)."""
    unit = last_digit_unit(written)
    half = unit / 2
    away = {"exact": Decimal(0), "rounded": half, "cut": unit, "cut or rounded": unit}[reading]
    toward = {"exact": Decimal(0), "rounded": half, "cut": Decimal(0), "cut or rounded": half}[
        reading
    ]
    if reading in ("cut", "cut or rounded") and (_decimal(written) or 0) == 0:
        return unit, unit  # a zero's digits stand for small numbers of either sign
    return (away, toward) if _negative(written) else (toward, away)


@dataclass(frozen=True)
class Tolerance:
    """How far a printed float may be from the one written, on a combination other than the
    written one: ``atol + rtol * |value|`` for any value the written digits stand for (half a
    unit of their last digit either way where they are a fixed-precision print), plus half a
    unit of the last printed digit where that printing rounds to fixed decimals."""

    rtol: float
    atol: float
    dtype: str
    origin: str = ""

    def describe(self, reading: str = "exact", printed_rounds: bool = False) -> str:
        origin = f", {self.origin}" if self.origin else ""
        roundings = [
            side
            for side, rounds in (("written", reading != "exact"), ("printed", printed_rounds))
            if rounds
        ]
        plus = ""
        if roundings:
            digits = "digit" if len(roundings) == 1 else "digits"
            plus = f" plus half a unit of the last {' and '.join(roundings)} {digits}"
            if reading in ("cut", "cut or rounded"):
                plus += f" (the written digits {reading})"
        return f"rtol={self.rtol:g}, atol={self.atol:g} ({self.dtype}{origin}){plus}"

    def allowed(
        self, written: str, printed: str, printed_rounds: bool, reading: str = "exact"
    ) -> Decimal:
        """The largest ``|printed - written|`` allowed, on the side ``printed`` lies."""
        w, p = Decimal(written), Decimal(printed)
        below, above = written_slack(written, reading)
        side = above if p >= w else below
        value = abs(w) + max(below, above)
        allowed = _DECIMALS.add(Decimal(self.atol), _DECIMALS.multiply(Decimal(self.rtol), value))
        allowed = _DECIMALS.add(allowed, side)
        if printed_rounds:
            allowed = _DECIMALS.add(allowed, last_digit_unit(printed) / 2)
        if significant_digits(written) >= ROUNDOFF_DIGITS:
            allowed = _DECIMALS.add(
                allowed, _DECIMALS.multiply(Decimal(ROUNDOFF), max(abs(w), abs(p)))
            )
        return allowed

    def check(
        self, written: str, printed: str, reading: str = "exact", printed_rounds: bool = False
    ) -> str | None:
        expected, actual = float(written), float(printed)
        if math.isnan(expected) or math.isnan(actual) or math.isinf(expected) or math.isinf(actual):
            if (math.isnan(expected) and math.isnan(actual)) or expected == actual:
                return None
            return f"expected {written}, got {printed}"
        if (
            expected == actual == 0
            and reading == "exact"
            and not printed_rounds
            and _negative(written) != _negative(printed)
        ):
            return f"expected {written}, got {printed} (the sign of zero counts)"
        difference = abs(_DECIMALS.subtract(Decimal(printed), Decimal(written)))
        allowed = self.allowed(written, printed, printed_rounds, reading)
        if _DECIMALS.compare(difference, allowed) <= 0:
            return None
        return (
            f"expected {written}, got {printed}: |difference| {float(difference):.3g} > "
            f"allowed {float(allowed):.3g} ({self.describe(reading, printed_rounds)})"
        )
