"""Reader defaults: the visible block that binds ``device`` and ``dtype`` for a reader who copies
a page into a REPL, and the warning for a sheet that binds them anywhere else.

Each combination runs the reader-defaults block like any other, then gets its own ``device``,
``dtype`` and ``autocast`` back: the page reads naturally and still runs on every combination.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pytest_cheatsheet.directives import READER_DEFAULTS
from pytest_cheatsheet.seam import ParsedRegion, region_source

SHADOWED_NAMES = ("device", "dtype", "autocast")


class CheatsheetWarning(UserWarning):
    """A sheet that runs but does not verify what it seems to (filter it by this class)."""


def reader_defaults_blocks(
    marks: Iterable[tuple[int, int]],
    blocks: Sequence[tuple[int, int]],
    regions: Sequence[ParsedRegion],
) -> tuple[list[tuple[int, int]], list[int], list[tuple[int, str]]]:
    """The blocks after each reader-defaults mark (position, line): their spans, the index in
    ``regions`` of each block's last code region (after it runs, the combination's names are
    bound again), and (line, message) for a mark that has no Python block after it."""
    spans = []
    last_regions = []
    errors = []
    for position, line in marks:
        block = next((block for block in blocks if block[0] > position), None)
        inside = (
            []
            if block is None
            else [index for index, r in enumerate(regions) if _is_code_in(r, block)]
        )
        if block is None or not inside:
            errors.append((line, f"{READER_DEFAULTS} is followed by no Python code block"))
            continue
        spans.append(block)
        last_regions.append(inside[-1])
    return spans, last_regions, errors


def _is_code_in(parsed: ParsedRegion, block: tuple[int, int]) -> bool:
    return block[0] <= parsed.region.start < block[1] and parsed.runs_code


def shadowing(source: str, first_line: int) -> Iterator[tuple[int, str]]:
    """(line, name) where ``source``, whose first line is ``first_line`` of the sheet, binds
    ``device``, ``dtype`` or ``autocast`` in the sheet's namespace: by assignment, import,
    ``def`` or ``class`` at the top level, through ``global`` (or ``nonlocal``) in a function,
    a walrus in a comprehension, ``globals()[...]`` or ``exec`` of a literal string."""
    if source.isascii() and not any(name in source for name in SHADOWED_NAMES):
        return  # it cannot name them (a non-ASCII name may normalize to one)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return  # the block fails when it runs
    for node, name in _bindings(tree):
        if name in SHADOWED_NAMES:
            yield first_line + getattr(node, "lineno", 1) - 1, name


_NEW_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_NAMESPACE_CALLS = ("globals", "vars", "locals")


def _bindings(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """(node, name) for every name ``tree`` may bind in the module namespace."""
    for node in _module_scope(tree):
        for name in _bound_names(node):
            yield node, name
        if isinstance(node, _COMPREHENSIONS):  # a walrus inside binds in the module
            for inner in _comprehension_scope(node):
                if isinstance(inner, ast.NamedExpr) and isinstance(inner.target, ast.Name):
                    yield inner, inner.target.id
    for node in ast.walk(tree):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                yield node, name
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if _is_namespace_call(node.value) and isinstance(node.slice, ast.Constant):
                yield node, str(node.slice.value)
        elif isinstance(node, ast.Call):
            yield from ((node, name) for name in _names_set_by_call(node))


def _comprehension_scope(node: ast.AST) -> Iterator[ast.AST]:
    stack = list(ast.iter_child_nodes(node))
    while stack:
        inner = stack.pop()
        yield inner
        if not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(inner))


def _is_namespace_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _NAMESPACE_CALLS
    )


def _names_set_by_call(node: ast.Call) -> Iterator[str]:
    """Names a call binds in the namespace: ``globals().update(dtype=...)``, ``exec("...")``."""
    func = node.func
    if isinstance(func, ast.Attribute) and _is_namespace_call(func.value):
        if func.attr in ("update", "setdefault", "__setitem__"):
            yield from (keyword.arg for keyword in node.keywords if keyword.arg)
            for argument in node.args[:1]:
                if isinstance(argument, ast.Constant):
                    yield str(argument.value)
                elif isinstance(argument, ast.Dict):
                    yield from (
                        str(key.value) for key in argument.keys if isinstance(key, ast.Constant)
                    )
    elif isinstance(func, ast.Name) and func.id == "exec" and node.args:
        code = node.args[0]
        if isinstance(code, ast.Constant) and isinstance(code.value, str):
            try:
                inner = ast.parse(code.value)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return
            yield from (name for _, name in _bindings(inner))


def _module_scope(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes whose bindings land in the module namespace: a function or class is seen by its
    name, not its body."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if node is tree or not isinstance(node, _NEW_SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def _bound_names(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        yield node.id
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            yield alias.asname or alias.name.partition(".")[0]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name


def shadowing_message(name: str, directive: str = "<!-- cheatsheet: {} -->") -> str:
    """The warning for a binding of ``name``; ``directive`` is the sheet format's directive form
    (``.. cheatsheet: {}`` in reST)."""
    return (
        f"assigns {name!r}, which each combination sets: this and later examples may not run on "
        f"the combination they are reported for. Put reader defaults in a block after "
        f"{directive.format(READER_DEFAULTS)}, or use another name"
    )


def shadowing_warnings(
    steps: Iterable[Any],
    reader_blocks: Sequence[tuple[int, int]],
    directive: str = "<!-- cheatsheet: {} -->",
) -> tuple[tuple[int, str], ...]:
    """(line, message) for every binding of ``device`` or ``dtype`` outside reader defaults."""
    found = []
    for step in steps:
        if any(start <= step.region.start < end for start, end in reader_blocks):
            continue
        code = region_source(step.region, step.line)
        if code is not None:
            found += [(line, shadowing_message(name, directive)) for line, name in shadowing(*code)]
    return tuple(found)
