"""What a block of Python reads and binds of some names (``device``, ``dtype``...), from one parse:
which axes a sheet's code uses, and where a block rebinds a combination's names."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

# Calls that read a namespace's names without naming them: ``globals()["device"]``.
INDIRECT_READS = frozenset({"globals", "locals", "vars", "eval", "exec"})


@dataclass(frozen=True)
class BlockNames:
    """Of the names asked about: those the block reads (all of them where it reads its namespace
    indirectly), and (line in the block, name) where it binds one in the module namespace."""

    reads: frozenset[str] = frozenset()
    binds: tuple[tuple[int, str], ...] = ()


def scan(source: str, names: Collection[str]) -> BlockNames:
    """What ``source`` reads and binds of ``names``.

    A cheap check first: an ASCII source that holds none of ``names`` (nor, for what it reads,
    a call that reads names indirectly) is not parsed; a non-ASCII one is (its names may
    normalize to one of them). A source that does not parse (it fails when it runs) binds
    nothing and reads the names a plain word search finds in it, unless assigned."""
    might_bind = not source.isascii() or any(name in source for name in names)
    if not might_bind and not any(call in source for call in INDIRECT_READS):
        return BlockNames()
    parsed = _parse(source)
    if parsed is None:
        return BlockNames(reads=_words(source, names))
    loads, bindings = parsed
    reads = frozenset(names) if loads & INDIRECT_READS else loads & frozenset(names)
    binds = tuple(bind for bind in bindings if bind[1] in names) if might_bind else ()
    return BlockNames(reads=reads, binds=binds)


def _words(source: str, names: Collection[str]) -> frozenset[str]:
    if not names:
        return frozenset()
    alternatives = "|".join(map(re.escape, sorted(names)))
    return frozenset(re.findall(rf"(?<![.\w])({alternatives})\b(?!\s*=[^=])", source))


# The sheet's axes and its shadowing warnings scan the same blocks: each block is parsed once.
@functools.lru_cache(maxsize=512)
def _parse(source: str) -> tuple[frozenset[str], tuple[tuple[int, str], ...]] | None:
    """Every name ``source`` loads, in any scope, and (line, name) for each binding in the
    module namespace; None where it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    loads = frozenset(
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    )
    bindings = tuple((getattr(node, "lineno", 1), name) for node, name in _bindings(tree))
    return loads, bindings


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
    """(node, name) for every name ``tree`` may bind in the module namespace: by assignment,
    import, ``def`` or ``class`` at the top level, through ``global`` (or ``nonlocal``) in a
    function, a walrus in a comprehension, ``globals()[...]`` or ``exec`` of a literal string."""
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
