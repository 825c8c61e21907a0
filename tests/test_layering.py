"""The package's layers point one way: no import cycle, one seam per dependency's internals.

Every import counts: at module level, inside a function and under TYPE_CHECKING, since an
import inside a function to dodge a cycle is still a cycle.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "pytest_cheatsheet"
SOURCE = Path(__file__).resolve().parent.parent / "src" / PACKAGE
SYBIL_SEAMS = {f"{PACKAGE}.seam"}
PYTEST_SEAMS = {f"{PACKAGE}.pytest_seam"}
PLUGIN_MAX_LINES = 150
CORE = {
    f"{PACKAGE}.{name}"
    for name in (
        "fences",
        "formats",
        "matrix",
        "checker",
        "directives",
        "audit",
        "update",
        "isolation",
        "torch_defaults",
        "reach",
        "exercised",
        "optional",
        "distributions",
        "illustrations",
        "doctest_markers",
        "seeding",
        "outcomes",
        "atomic_write",
        "truncation",
        "block_names",
        "literals",
        "lines",
    )
}
# Every module's layer, lowest first: a module imports only modules of its own layer or below.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(f"{PACKAGE}.{name}" if name else PACKAGE for name in names)
    for names in (
        ("", *(module.rpartition(".")[2] for module in CORE)),
        ("seam", "pytest_seam"),
        ("output_checker", "reader_defaults", "regions", "sheet"),
        ("runner",),
        (
            "settings",
            "options",
            "doctest_options",
            "failures",
            "item_reports",
            "nodes",
            "recorder",
            "summary",
            "report",
            "hookspecs",
            "testpaths",
            "history",
            "history.claims",
            "history.records",
            "history.render",
            "history.__main__",
        ),
        ("plugin", "compat"),
    )
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


def _imports(module: str) -> Iterator[str]:
    """Every module name `module` imports, wherever in the file the import statement stands."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            # `from package import submodule` imports the submodule.
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _package_imports(module: str) -> set[str]:
    return {name for name in _imports(module) if name in MODULES and name != module}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph[node]):
            cycle = visit(target)
            if cycle:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle:
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_an_import_inside_a_function_counts() -> None:
    imported = set(_imports(f"{PACKAGE}.summary"))
    assert f"{PACKAGE}.matrix" in imported  # summary imports matrix inside a function only


def test_the_package_has_no_import_cycle() -> None:
    graph = {module: _package_imports(module) for module in MODULES}
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _layer(module: str) -> int:
    return next(rank for rank, layer in enumerate(LAYERS) if module in layer)


def test_every_module_has_one_layer() -> None:
    placed = [module for layer in LAYERS for module in layer]
    assert sorted(placed) == sorted(MODULES), "a module in no layer, in two, or gone"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_layer_above_its_own(module: str) -> None:
    above = {name for name in _package_imports(module) if _layer(name) > _layer(module)}
    assert not above, f"{module} (layer {_layer(module)}) imports upward: {sorted(above)}"


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_pure_core_imports_nothing_above_it(module: str) -> None:
    assert _package_imports(module) <= CORE


def test_the_seams_build_on_the_core_only() -> None:
    for seam in SYBIL_SEAMS | PYTEST_SEAMS:
        assert _package_imports(seam) <= CORE, seam
    # Not the checker, the audit or the updates: the layers above pass what they need.
    assert not _package_imports(f"{PACKAGE}.seam") & {
        f"{PACKAGE}.{name}" for name in ("audit", "checker", "options", "update")
    }


def _importers_of(root: str) -> set[str]:
    return {
        module
        for module in MODULES
        if any(name == root or name.startswith(root + ".") for name in _imports(module))
    }


def test_only_the_seam_imports_sybil() -> None:
    assert _importers_of("sybil") == SYBIL_SEAMS


def test_only_the_pytest_seam_imports_pytests_private_modules() -> None:
    assert _importers_of("_pytest") == PYTEST_SEAMS


@pytest.mark.parametrize("keyword", ["_use_item_location", "option.runxfail"])
def test_pytests_private_names_stay_in_the_pytest_seam(keyword: str) -> None:
    users = {
        module for module, path in MODULES.items() if keyword in path.read_text(encoding="utf-8")
    }
    assert users <= PYTEST_SEAMS


def test_the_plugin_is_hooks_on_one_screen() -> None:
    lines = len((SOURCE / "plugin.py").read_text(encoding="utf-8").splitlines())
    assert lines <= PLUGIN_MAX_LINES


def test_every_module_opens_with_a_docstring() -> None:
    missing = {
        module
        for module, path in MODULES.items()
        if ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    }
    assert not missing


def test_only_the_seam_reads_what_a_sybil_region_holds() -> None:
    # A region's parsed value, lexemes and evaluator are Sybil's layout: the seam turns them into
    # ParsedRegion's fields (doctest_lineno, checks_output, runs_code, text).
    readers = {
        module
        for module, path in MODULES.items()
        if re.search(r"\bregion\.(parsed|lexemes|evaluator)\b", path.read_text(encoding="utf-8"))
    }
    assert readers <= SYBIL_SEAMS


@pytest.mark.parametrize("name", ["SybilFailure", "LexingException", "Document"])
def test_sybils_failure_and_document_types_stay_in_the_seam(name: str) -> None:
    users = {
        module
        for module, path in MODULES.items()
        if re.search(rf"\b{name}\b", path.read_text(encoding="utf-8"))
    }
    assert users <= SYBIL_SEAMS
