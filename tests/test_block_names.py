"""The one name scan: what a block reads (the axes a sheet uses) and binds (the names it
shadows), from one parse, with a cheap check before it and a fallback where it does not parse."""

from __future__ import annotations

import ast

import pytest

from pytest_cheatsheet import block_names
from pytest_cheatsheet.block_names import BlockNames, scan

AXES = ("device", "dtype")
SHADOWED = ("device", "dtype", "autocast")


@pytest.mark.parametrize(
    ("source", "reads"),
    [
        ("x = 1", set()),
        ("print(device)", {"device"}),
        ("torch.ones(2, dtype=dtype, device=device)", {"device", "dtype"}),
        ("x.device", set()),  # an attribute, not the name
        ("device = 'cpu'", set()),  # a binding, not a read
        ("def f():\n    return dtype", {"dtype"}),  # any scope
        ("globals()['dev' + 'ice']", {"device", "dtype"}),  # a namespace read indirectly
        ("vars()", {"device", "dtype"}),
        ("eval(name)", {"device", "dtype"}),
        ("exec(code)", {"device", "dtype"}),
        ("\uff44type", {"dtype"}),  # a full-width d: Python reads it as dtype
        ("print(device", {"device"}),  # no parse: a word search
        ("device = (", set()),  # no parse: an assignment is not a read
        ("x == dtype ==", {"dtype"}),
        ("(((((", set()),
    ],
)
def test_a_block_reads_the_names_it_loads_or_all_where_it_reads_its_namespace(
    source: str, reads: set[str]
) -> None:
    assert scan(source, AXES).reads == reads


@pytest.mark.parametrize(
    ("source", "binds"),
    [
        ("x = 1", []),
        ("device = 'cpu'", [(1, "device")]),
        ("x = 1\ndtype = 2", [(2, "dtype")]),
        ("[(dtype := d) for d in ds]", [(1, "dtype")]),  # a walrus binds in the module
        ("[[(device := d) for d in ds] for ds in x]", [(1, "device")]),
        ("[(lambda: (dtype := 1)) for d in ds]", []),  # in a lambda's own scope
        ("def f():\n    global device\n    device = 1", [(2, "device")]),
        ("def f():\n    device = 1", []),
        ("globals()['dtype'] = 1", [(1, "dtype")]),
        ("globals().update(device='cpu')", [(1, "device")]),
        ("vars().setdefault('autocast', True)", [(1, "autocast")]),
        ("x = 1\nexec('y = 2\\ndtype = 3')", [(2, "dtype")]),  # at the exec call's line
        ("import numpy as dtype", [(1, "dtype")]),
        ("class autocast:\n    pass", [(1, "autocast")]),
        ("\uff44evice = 1", [(1, "device")]),  # non-ASCII: parsed, normalized
        ("dtype ==", []),  # no parse: it fails when it runs
        ("print(device)", []),
    ],
)
def test_a_block_binds_names_in_the_module_namespace(
    source: str, binds: list[tuple[int, str]]
) -> None:
    assert list(scan(source, SHADOWED).binds) == binds


def test_only_the_names_asked_about_are_reported() -> None:
    found = scan("device = dtype\nautocast = x", AXES)
    assert found == BlockNames(reads=frozenset({"dtype"}), binds=((1, "device"),))


@pytest.mark.parametrize("source", ["x = 1", "y = f(z)", "import torch"])
def test_an_ascii_block_naming_none_of_the_names_is_not_parsed(
    monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    def refuse(*args: object, **kwargs: object) -> ast.Module:
        raise AssertionError("parsed")

    monkeypatch.setattr(ast, "parse", refuse)
    block_names._parse.cache_clear()
    assert scan(source, SHADOWED) == BlockNames()


def test_a_block_naming_only_a_namespace_call_is_scanned_for_reads_not_bindings() -> None:
    # The binding's name is spelled by an escape: the cheap check for bindings finds no name.
    found = scan("exec('dev\\x69ce = 1')", AXES)
    assert found == BlockNames(reads=frozenset(AXES))


def test_a_block_too_deep_to_parse_reads_by_word_search_and_binds_nothing() -> None:
    source = "(" * 100_000 + "device" + ")" * 100_000
    assert scan(source, AXES) == BlockNames(reads=frozenset({"device"}))
