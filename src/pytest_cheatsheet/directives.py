"""The ``<!-- cheatsheet: ... -->`` directives: the sheet's matrix and the gates before a block.

Forms (HTML comments, so GitHub shows nothing)::

    <!-- cheatsheet: devices=cpu,cuda dtypes=float32,float16 autocast=off,on -->
    <!-- cheatsheet: requires torch>=2.3 numpy<2 -->
    <!-- cheatsheet: xfail torch<2.1 dtypes=float16 devices=cpu reason="..." -->
    <!-- cheatsheet: reader-defaults -->
    <!-- cheatsheet: tolerance rtol=1e-3 atol=1e-5 -->

The matrix directive also takes ``written=<combination id>`` (the combination the expected
outputs are written for), ``rtol=``/``atol=`` (the sheet's tolerance) and ``torch-defaults=on|off``
(each combination's dtype and device as torch's defaults while the sheet runs).
"""

from __future__ import annotations

import math
import re
import shlex
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pytest_cheatsheet.checker import ToleranceOverride
from pytest_cheatsheet.matrix import (
    AXES,
    AxisError,
    Combination,
    device_type,
    parse_axis,
    split_values,
)

DIRECTIVE_NAME = "cheatsheet"
GATE_KINDS = ("requires", "xfail")
READER_DEFAULTS = "reader-defaults"
TOLERANCE = "tolerance"
TOLERANCE_KEYS = ("rtol", "atol")
TORCH_DEFAULTS = "torch-defaults"
TORCH_DEFAULTS_VALUES = ("on", "off")
MATRIX_KEYS = (*AXES, "written", TORCH_DEFAULTS, *TOLERANCE_KEYS)
PACKAGES = ("torch", "numpy", "python")


class DirectiveError(ValueError):
    """A directive that cannot be understood; ``line`` is its line in the sheet."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Requirement:
    """A gate's version condition, parsed by packaging: on torch, numpy or python
    (``torch>=2.3,<2.6``, compared with the versions the session read) or on any installed
    distribution (``scipy>=1.11``, ``kornia``), with a marker where it applies."""

    package: str
    specifier: SpecifierSet
    text: str
    marker: Marker | None = None

    def version(self, versions: Mapping[str, str]) -> str | None:
        """The installed version of the package, or None when it is not installed."""
        if self.package in versions:
            return versions[self.package]
        from pytest_cheatsheet.distributions import distribution_version

        return distribution_version(self.package)

    def holds(self, versions: Mapping[str, str]) -> bool:
        if self.marker is not None and not self.marker.evaluate():
            return True  # PEP 508: a requirement whose marker is false does not apply here
        version = self.version(versions)
        if version is None:
            return False
        return self.specifier.contains(Version(version), prereleases=True)

    def have(self, versions: Mapping[str, str]) -> str:
        version = self.version(versions)
        return (
            f"{self.package} {version}" if version is not None else f"{self.package}: not installed"
        )


@dataclass(frozen=True)
class MatrixDirective:
    """The axes a sheet overrides, by axis name."""

    line: int
    axes: dict[str, tuple[Any, ...]]
    written: str | None = None
    tolerance: ToleranceOverride = field(default_factory=ToleranceOverride)
    torch_defaults: bool | None = None  # None: the ini option's


@dataclass(frozen=True)
class BlockTolerance:
    """``tolerance rtol=... atol=...``: the tolerance of the next block's examples on the
    combinations other than the written one."""

    line: int
    tolerance: ToleranceOverride


@dataclass(frozen=True)
class Gate:
    """``requires`` (skip unless every requirement holds) or ``xfail`` (expect failure where
    every requirement and axis condition holds) for the examples of the next code block."""

    kind: str
    line: int
    requirements: tuple[Requirement, ...]
    conditions: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    reason: str | None = None

    @property
    def text(self) -> str:
        parts = [requirement.text for requirement in self.requirements]
        parts += [
            f"{axis}={','.join(map(_axis_text, values))}"
            for axis, values in self.conditions.items()
        ]
        return " ".join(parts)

    def requirements_hold(self, versions: Mapping[str, str]) -> bool:
        return all(requirement.holds(versions) for requirement in self.requirements)

    def applies_to(self, combination: Combination, versions: Mapping[str, str]) -> bool:
        """Whether every condition holds for this combination on these versions
        (``devices=cuda`` holds on every CUDA device, ``devices=cuda:1`` on that one)."""
        if not self.requirements_hold(versions):
            return False
        device = combination.target_device
        values = {
            "devices": (device, device_type(device)),
            "dtypes": (combination.dtype or "float32",),
            "autocast": (combination.autocast,),
        }
        return all(
            any(value in allowed for value in values[axis])
            for axis, allowed in self.conditions.items()
        )

    def skip_reason(self, versions: Mapping[str, str]) -> str:
        have = ", ".join(r.have(versions) for r in self.requirements)
        return f"requires {self.text} (have {have})"

    def xfail_reason(self) -> str:
        return f"expected to fail where {self.text}" + (f": {self.reason}" if self.reason else "")


@dataclass(frozen=True)
class Unmet:
    """Why an example does not run here: every ``requires`` gate of its block that does not
    hold, in file order, in one reason; reported at the first one's line."""

    line: int
    reason: str


def unmet_requirements(gates: Iterable[Gate], versions: Mapping[str, str]) -> Unmet | None:
    """The one decision on an example's ``requires`` gates: None where every one holds."""
    unmet = sorted(
        (
            gate
            for gate in gates
            if gate.kind == "requires" and not gate.requirements_hold(versions)
        ),
        key=lambda gate: gate.line,
    )
    if not unmet:
        return None
    return Unmet(unmet[0].line, " and ".join(gate.skip_reason(versions) for gate in unmet))


def _axis_text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


@dataclass(frozen=True)
class ReaderDefaults:
    """The next code block sets ``device``/``dtype`` for a reader; each combination re-binds its
    own values after running it."""

    line: int


Directive = MatrixDirective | Gate | BlockTolerance | ReaderDefaults


def parse_directive(text: str, line: int) -> Directive:
    """Parse the text after ``cheatsheet:``; raise DirectiveError naming the bad part."""
    try:
        words = shlex.split(text, comments=False)
    except ValueError as error:
        raise DirectiveError(line, f"malformed directive {text.strip()!r}: {error}") from None
    if not words:
        raise DirectiveError(
            line,
            "empty cheatsheet directive; write axes (devices=, dtypes=, autocast=) "
            f"or a gate ({', '.join(GATE_KINDS)}), {TOLERANCE} or {READER_DEFAULTS}",
        )
    if words[0] in GATE_KINDS:
        return _parse_gate(words[0], words[1:], line)
    if words[0] == READER_DEFAULTS:
        if len(words) > 1:
            raise DirectiveError(
                line, f"{READER_DEFAULTS} takes nothing after it, got {words[1]!r}"
            )
        return ReaderDefaults(line)
    if words[0] == TOLERANCE:
        return BlockTolerance(line, parse_tolerance(words[1:], line, "the tolerance directive"))
    matrix_only = [
        w for w in words if w.partition("=")[0] in ("written", TORCH_DEFAULTS, *TOLERANCE_KEYS)
    ]
    written = None
    torch_defaults = None
    for word in matrix_only:
        key, _, value = word.partition("=")
        if key == TORCH_DEFAULTS:
            if torch_defaults is not None:
                raise DirectiveError(line, f"{TORCH_DEFAULTS}= is given twice")
            if value not in TORCH_DEFAULTS_VALUES:
                raise DirectiveError(
                    line,
                    f"unknown {TORCH_DEFAULTS} value {value!r}; "
                    f"valid: {', '.join(TORCH_DEFAULTS_VALUES)}",
                )
            torch_defaults = value == "on"
        if key == "written":
            if written is not None:
                raise DirectiveError(line, "written= is given twice")
            if not value:
                raise DirectiveError(
                    line, "written= needs a combination id, e.g. written=cpu-float64"
                )
            written = value
    tolerance = parse_tolerance(
        [w for w in matrix_only if w.partition("=")[0] in TOLERANCE_KEYS],
        line,
        "the matrix directive",
    )
    axes_words = [w for w in words if w not in matrix_only]
    return MatrixDirective(
        line,
        _parse_axes(axes_words, line, allowed=AXES, valid=MATRIX_KEYS),
        written,
        tolerance,
        torch_defaults,
    )


def parse_tolerance(words: list[str], line: int, source: str) -> ToleranceOverride:
    """``rtol=1e-3 atol=1e-5`` (either or both); raise DirectiveError naming the bad part."""
    values: dict[str, float] = {}
    for word in words:
        key, equals, text = word.partition("=")
        if not equals or key not in TOLERANCE_KEYS:
            raise DirectiveError(
                line,
                f"malformed tolerance part {word!r}; valid: rtol=<number> and/or atol=<number>, "
                "e.g. tolerance rtol=1e-3 atol=1e-5",
            )
        if key in values:
            raise DirectiveError(line, f"{key}= is given twice")
        try:
            values[key] = parse_tolerance_value(key, text)
        except ValueError as error:
            raise DirectiveError(line, str(error)) from None
    if not values:
        if source == "the tolerance directive":
            raise DirectiveError(
                line, "tolerance needs rtol= and/or atol=, e.g. tolerance rtol=1e-3 atol=1e-5"
            )
        return ToleranceOverride()
    return ToleranceOverride(values.get("rtol"), values.get("atol"), f"{source} at line {line}")


def parse_tolerance_value(key: str, text: str) -> float:
    """A tolerance: a finite number >= 0; ValueError naming the value and what is valid."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{key}={text!r} is not a valid tolerance; valid: a finite number >= 0, e.g. {key}=1e-3"
        )
    return value


def _parse_axes(
    words: list[str], line: int, allowed: tuple[str, ...], valid: tuple[str, ...] | None = None
) -> dict[str, tuple[Any, ...]]:
    valid = valid or allowed
    axes: dict[str, tuple[Any, ...]] = {}
    for word in words:
        key, equals, value = word.partition("=")
        if not equals:
            raise DirectiveError(
                line,
                f"malformed directive part {word!r}; expected key=value with a key in "
                f"{', '.join(valid)}, or a directive starting with "
                f"{', '.join(GATE_KINDS)} or {TOLERANCE}",
            )
        if key not in allowed:
            raise DirectiveError(line, f"unknown key {key!r}; valid keys: {', '.join(valid)}")
        if key in axes:
            raise DirectiveError(line, f"{key}= is given twice")
        try:
            axes[key] = parse_axis(key, split_values(value))
        except AxisError as error:
            raise DirectiveError(line, str(error)) from None
    return axes


def _parse_gate(kind: str, words: list[str], line: int) -> Gate:
    requirements: list[Requirement] = []
    axis_words: list[str] = []
    reason = None
    for word in words:
        if word.startswith("reason="):
            if kind != "xfail":
                raise DirectiveError(
                    line, "reason= is only valid on xfail; requires says its own reason"
                )
            reason = word.removeprefix("reason=")
        elif word.split("=", 1)[0] in AXES:
            if kind != "xfail":
                raise DirectiveError(
                    line, f"{word!r}: requires takes versions only; axis conditions go on xfail"
                )
            axis_words.append(word)
        else:
            requirements.append(parse_requirement(word, line))
    if kind == "requires" and not requirements:
        raise DirectiveError(line, "requires needs a version condition, e.g. requires torch>=2.3")
    if kind == "xfail" and not (requirements or axis_words):
        raise DirectiveError(
            line, "xfail needs a condition: a version (torch<2.1) or an axis (dtypes=float16)"
        )
    return Gate(kind, line, tuple(requirements), _parse_axes(axis_words, line, AXES), reason)


def parse_requirement(word: str, line: int) -> Requirement:
    """One version condition of a gate: a PEP 508 requirement (packaging's) on torch, numpy,
    python or any installed distribution, with its specifiers and marker; extras and URLs mean
    nothing to a gate, which compares the installed version, and are an error."""
    try:
        parsed = Pep508Requirement(word)
    except InvalidRequirement as error:
        raise DirectiveError(line, _malformed(word, error)) from None
    name = canonicalize_name(parsed.name)
    package = name if name in PACKAGES else parsed.name
    if parsed.url or parsed.extras:
        what = "a URL" if parsed.url else f"extras ([{','.join(sorted(parsed.extras))}])"
        valid = f"{package}{parsed.specifier}"
        if not parsed.specifier:
            valid = f"e.g. {package}>=2.3"
            if package not in PACKAGES:
                valid = f"e.g. {package}>=1.0, or {package} to require it installed"
        raise DirectiveError(
            line, f"{word!r} names {what}; a gate compares the installed version: write {valid}"
        )
    if package in PACKAGES and not parsed.specifier:
        raise DirectiveError(line, f"{word!r} has no version condition; write e.g. {package}>=2.3")
    return Requirement(package, parsed.specifier, word, parsed.marker)


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _malformed(word: str, error: InvalidRequirement) -> str:
    """What is wrong with a word that is no PEP 508 requirement, and what would be valid."""
    name = _NAME.match(word)
    package = canonicalize_name(name.group()) if name is not None else ""
    if package in PACKAGES:
        return (
            f"malformed version condition {word!r}; write e.g. {package}>=2.3 or "
            f"{package}>=2.3,<2.6"
        )
    key, equals, value = word.partition("=")
    if equals and key.isidentifier() and ";" not in word and not value.startswith("="):
        return (
            f"unknown condition {word!r}; valid: a version condition on {', '.join(PACKAGES)}"
            " or any installed distribution (PEP 508, e.g. torch>=2.3, scipy>=1.11), or "
            f"{', '.join(f'{axis}=' for axis in AXES)} on xfail"
        )
    return (
        f"malformed requirement {word!r}: {error}; write a PEP 508 requirement, e.g. "
        "scipy>=1.11 or \"scipy>=1.11; python_version >= '3.12'\""
    )


def installed_versions() -> dict[str, str]:
    """The versions gates compare against: torch, numpy and Python, as release numbers (the
    session reads them once: Settings.versions)."""
    from pytest_cheatsheet.optional import installed

    versions = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in ("torch", "numpy"):
        module = installed(name)
        if module is not None:
            versions[name] = module.__version__
    for package, version in versions.items():
        try:
            Version(version)
        except InvalidVersion:  # pragma: no cover - every release we know parses
            versions[package] = version.split("+")[0]
    return versions
