"""pytest-doctestplus's module markers in a Python module sheet: ``__doctest_skip__`` (a list of
patterns) skips the docstrings it names, ``__doctest_requires__`` (patterns -> modules) skips
them unless every module imports here. Patterns are fnmatch patterns on a docstring's qualified
name (``Class.*``, ``func``), ``*`` for all, ``.`` for the module's own docstring, as there. The
markers are read from the module's source, as literals, without importing it."""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from pytest_cheatsheet.directives import Gate
from pytest_cheatsheet.distributions import distribution_version
from pytest_cheatsheet.lines import line_of

SKIP = "__doctest_skip__"
REQUIRES = "__doctest_requires__"


@dataclass(frozen=True)
class MarkerGate(Gate):
    """A ``requires`` gate from a module marker: ``modules`` must import (with their version
    conditions); none given, the docstring is listed in ``__doctest_skip__``."""

    modules: tuple[str, ...] = ()

    def requirements_hold(self, versions: Mapping[str, str]) -> bool:
        return bool(self.modules) and not self._missing()

    def skip_reason(self, versions: Mapping[str, str]) -> str:
        if not self.modules:
            return f"listed in {SKIP}"
        return f"requires {', '.join(self._missing())} ({REQUIRES}; not importable here)"

    def _missing(self) -> list[str]:
        return [module for module in self.modules if not _importable(module)]


def _importable(entry: str) -> bool:
    try:
        requirement = Requirement(entry)
    except InvalidRequirement:
        return False
    try:
        if importlib.util.find_spec(requirement.name) is None:
            return False
    except (ImportError, ValueError):
        return False
    if not requirement.specifier:
        return True
    version = distribution_version(requirement.name.partition(".")[0])
    return version is not None and requirement.specifier.contains(version, prereleases=True)


def marker_gates(
    text: str, docstrings: list[tuple[int, int]]
) -> dict[tuple[int, int], tuple[Gate, ...]]:
    """The gates of each docstring span of the module source ``text`` that a marker names."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    skips, requires = _markers(tree)
    if not skips and not requires:
        return {}
    names = dict(_docstring_names(tree))  # docstring line -> qualified name
    gates: dict[tuple[int, int], tuple[Gate, ...]] = {}
    for span in docstrings:
        name = names.get(line_of(text, span[0]))
        if name is None:
            continue
        found: list[Gate] = []
        for line, pattern, modules in (*skips, *requires):
            if _matches(pattern, name):
                found.append(MarkerGate("requires", line, (), modules=modules))
        if found:
            gates[span] = tuple(found)
    return gates


def _matches(pattern: str, name: str) -> bool:
    if pattern == "*":
        return True
    if pattern == ".":
        return name == ""
    return bool(name) and fnmatch.fnmatch(name, pattern)


def _markers(
    tree: ast.Module,
) -> tuple[list[tuple[int, str, tuple[str, ...]]], list[tuple[int, str, tuple[str, ...]]]]:
    skips: list[tuple[int, str, tuple[str, ...]]] = []
    requires: list[tuple[int, str, tuple[str, ...]]] = []
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name) or target.id not in (SKIP, REQUIRES):
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            continue  # not a literal: computed at import time, which this does not do
        if target.id == SKIP:
            skips = [(node.lineno, str(pattern), ()) for pattern in value]
        else:
            requires = [
                (node.lineno, str(pattern), tuple(map(str, modules)))
                for patterns, modules in dict(value).items()
                for pattern in (patterns if isinstance(patterns, tuple) else (patterns,))
            ]
    return skips, requires


def _docstring_names(node: ast.AST, prefix: str = "") -> Iterator[tuple[int, str]]:
    """(line of the docstring's opening quotes, qualified name) of every docstring; the
    module's own has the name ``""``."""
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        yield body[0].value.lineno, prefix
    for child in body:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield from _docstring_names(child, f"{prefix}.{child.name}".lstrip("."))
