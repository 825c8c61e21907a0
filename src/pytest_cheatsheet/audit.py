"""``--cheatsheet-audit``: how strong each check is, at no extra execution.

Each doctest output that passed is re-checked, by the same checker and in the same combination,
with its expected output made wrong in one place at a time: each number's last written digit up
and down (the 15th significant digit of a number long enough for float64 round-off to cover its
last), its sign, a flipped ``True``/``False``, one character of each string literal. A wrong
version that still passes survives. On the written combination every survivor makes the example
weak; on the others a number's survivor is what that dtype's tolerance allows and is only
counted, any other survivor makes it weak. Python blocks and ``>>>`` statements without output
and without an assert check nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Protocol

from pytest_cheatsheet.checker import (
    ROUNDOFF_DIGITS,
    CheckContext,
    Token,
    significant_digits,
    tokenize,
)

MAX_PERTURBED_TOKENS = 64  # per output, evenly spread: a 1000-number tensor costs no more
NUMBER_KINDS = ("digit", "sign")


@dataclass(frozen=True)
class Perturbation:
    """The expected output made wrong in one place."""

    kind: str  # "digit", "sign", "bool" or "string"
    before: str
    after: str
    start: int
    end: int

    def apply(self, want: str) -> str:
        return want[: self.start] + self.after + want[self.end :]

    @property
    def change(self) -> str:
        return f"{self.before} -> {self.after}"


def perturbations(want: str) -> list[Perturbation]:
    """Every one-place wrong version of ``want`` the audit tries."""
    tokens = [token for token in tokenize(want) if _perturbable(token)]
    if len(tokens) > MAX_PERTURBED_TOKENS:
        step = len(tokens) / MAX_PERTURBED_TOKENS
        tokens = [tokens[int(index * step)] for index in range(MAX_PERTURBED_TOKENS)]
    found: list[Perturbation] = []
    for token in tokens:
        found += _perturbations_of(token)
    return found


def _perturbable(token: Token) -> bool:
    if token.kind == "number":
        return token.text.lstrip("+-") not in ("nan", "inf")
    return token.kind == "string" or (token.kind == "word" and token.text in ("True", "False"))


def _perturbations_of(token: Token) -> list[Perturbation]:
    text, start, end = token.text, token.start, token.end

    def make(kind: str, after: str) -> Perturbation:
        return Perturbation(kind, text, after, start, end)

    if token.kind == "word":
        return [make("bool", "False" if text == "True" else "True")]
    if token.kind == "string":
        quote, body = text[0], text[1:-1]
        changed = ("y" if body[0] == "x" else "x") + body[1:] if body else "x"
        return [make("string", quote + changed + quote)]
    found = [make("digit", shifted) for shifted in _shifted_digits(text)]
    if not (token.is_integer and int(text) == 0):  # an integer has no -0
        found.append(make("sign", text[1:] if text[0] in "+-" else "-" + text))
    return found


def _shifted_digits(text: str) -> list[str]:
    """``text`` with its last written digit one up and one down (or its 15th significant
    digit where it has more, which float64 round-off may cover), in the same format."""
    sign = text[0] if text[0] in "+-" else ""
    mantissa, e, exponent = _split_exponent(text[len(sign) :])
    whole, point, fraction = mantissa.partition(".")
    digits = whole + fraction
    place = len(digits) - 1
    if significant_digits(text) >= ROUNDOFF_DIGITS:
        first = next((index for index, char in enumerate(digits) if char != "0"), 0)
        place = min(first + ROUNDOFF_DIGITS - 1, place)
    shifted = []
    for delta in (1, -1):
        head = int(digits[: place + 1]) + delta
        if head < 0:
            continue
        new = str(head).rjust(place + 1, "0") + digits[place + 1 :]
        cut = len(new) - len(fraction)
        shifted.append(f"{sign}{new[:cut]}{point}{new[cut:]}{e}{exponent}")
    return shifted


def _split_exponent(body: str) -> tuple[str, str, str]:
    for marker in "eE":
        if marker in body:
            return body.partition(marker)
    return body, "", ""


class Checker(Protocol):
    """The output checker of the example audited: its context, and the check itself."""

    context: CheckContext

    def matches(self, want: str, got: str, optionflags: int) -> bool: ...


def audit_output(checker: Checker, want: str, got: str, optionflags: int) -> dict[str, Any]:
    """Re-check every perturbation of ``want`` against ``got`` under the checker's context."""
    written = checker.context.written
    tried = perturbations(want)
    survivors = [p for p in tried if checker.matches(p.apply(want), got, optionflags)]
    within = [p for p in survivors if not written and p.kind in NUMBER_KINDS]
    weak = [p for p in survivors if p not in within]
    return {
        "perturbations": len(tried),
        "caught": len(tried) - len(survivors),
        "within_tolerance": len(within),
        "survivors": [p.change for p in weak][:20],
        "weak": len(weak),
    }


def checks_nothing(source: str | None, is_doctest: bool) -> bool:
    """A code block (its ``source``; None: not code) that computes a value and drops it (a bare
    expression, a ``print``) with no assert: it could have checked something. A ``>>>``
    statement's value and output are always compared, and imports and assignments set up:
    neither is listed."""
    if source is None or is_doctest:
        return False
    return _drops_a_value(source) and not _asserts(source)


def _drops_a_value(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False  # it fails when run: that checks something
    return any(
        isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant)
        for node in tree.body
    )


def _asserts(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True  # it fails when run: that checks something
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assert, ast.Raise)):
            return True
        if isinstance(node, ast.Call):
            name = str(getattr(node.func, "attr", None) or getattr(node.func, "id", ""))
            if name.startswith("assert") or name in ("raises", "warns", "fail"):
                return True
    return False
