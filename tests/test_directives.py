from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_cheatsheet.directives import (
    Directive,
    DirectiveError,
    Gate,
    MatrixDirective,
    installed_versions,
    parse_directive,
    unmet_requirements,
)
from pytest_cheatsheet.matrix import Combination

VERSIONS = {"torch": "2.13.0+cpu", "numpy": "2.4.6", "python": "3.11.7"}


def parse_matrix(text: str) -> MatrixDirective:
    directive = parse_directive(text, 3)
    assert isinstance(directive, MatrixDirective)
    return directive


def parse_gate(text: str) -> Gate:
    directive = parse_directive(text, 3)
    assert isinstance(directive, Gate)
    return directive


def directive_error(text: str) -> DirectiveError:
    with pytest.raises(DirectiveError) as error:
        parse_directive(text, 12)
    assert error.value.line == 12
    assert str(error.value) == error.value.message
    return error.value


# Matrix directives


@pytest.mark.parametrize(
    ("text", "axes"),
    [
        ("devices=cpu,cuda", {"devices": ("cpu", "cuda")}),
        ('devices="cpu cuda"', {"devices": ("cpu", "cuda")}),
        ("devices='cpu, cuda:1'", {"devices": ("cpu", "cuda:1")}),
        ("dtypes=half,torch.float64", {"dtypes": ("float16", "float64")}),
        ("dtypes=float,double,bfloat16", {"dtypes": ("float32", "float64", "bfloat16")}),
        ("dtypes=half,float16", {"dtypes": ("float16",)}),
        ("autocast=off,on", {"autocast": (False, True)}),
        (
            "devices=cpu,cuda:1 dtypes=float32 autocast=on",
            {"devices": ("cpu", "cuda:1"), "dtypes": ("float32",), "autocast": (True,)},
        ),
    ],
)
def test_a_matrix_directive_lists_canonical_axis_values(
    text: str, axes: dict[str, tuple[object, ...]]
) -> None:
    assert parse_matrix(text) == MatrixDirective(3, axes)


def test_a_comma_then_a_space_outside_quotes_starts_a_new_part() -> None:
    error = directive_error("devices=cpu, cuda")
    assert "malformed directive part 'cuda'" in error.message


@pytest.mark.parametrize(
    ("text", "bad", "choices"),
    [
        ("devices=gpu", "unknown device 'gpu'", ["cpu", "cuda", "mps", "e.g. cuda:1"]),
        ("devices=cuda:x", "unknown device 'cuda:x'", ["cpu", "cuda"]),
        ("dtypes=float17", "unknown dtype 'float17'", ["float32", "float64", "float16", "int64"]),
        ("dtypes=torch.float17", "unknown dtype 'torch.float17'", ["bfloat16"]),
        ("autocast=maybe", "unknown autocast value 'maybe'", ["off, on"]),
        ("colour=red", "unknown key 'colour'", ["devices, dtypes, autocast"]),
    ],
)
def test_an_unknown_value_is_named_with_the_valid_choices(
    text: str, bad: str, choices: list[str]
) -> None:
    message = directive_error(text).message
    assert bad in message
    assert all(choice in message for choice in choices)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("devices=cpu devices=cuda", "devices= is given twice"),
        ("dtypes=", "dtypes= needs at least one value"),
        ("dtypes=,", "dtypes= needs at least one value"),
        ("", "empty cheatsheet directive; write axes (devices=, dtypes=, autocast=) or a gate"),
        ("   ", "empty cheatsheet directive"),
        ("devices", "malformed directive part 'devices'; expected key=value"),
        ("devices='cpu", 'malformed directive "devices=\'cpu": No closing quotation'),
        ('xfail reason="unclosed', "No closing quotation"),
    ],
)
def test_a_malformed_matrix_directive_is_an_error_at_its_line(text: str, message: str) -> None:
    assert message in directive_error(text).message


# Gates


def test_requires_takes_one_version_condition() -> None:
    gate = parse_gate("requires torch>=2.3")
    assert (gate.kind, gate.line, gate.conditions, gate.reason) == ("requires", 3, {}, None)
    assert [(r.package, str(r.specifier), r.text) for r in gate.requirements] == [
        ("torch", ">=2.3", "torch>=2.3")
    ]


def test_requires_takes_several_packages_and_ranges() -> None:
    gate = parse_gate("requires torch>=2.3,<2.6 numpy<2 python>=3.10")
    assert [(r.package, r.text) for r in gate.requirements] == [
        ("torch", "torch>=2.3,<2.6"),
        ("numpy", "numpy<2"),
        ("python", "python>=3.10"),
    ]
    assert gate.text == "torch>=2.3,<2.6 numpy<2 python>=3.10"


def test_xfail_takes_versions_axis_conditions_and_a_quoted_reason() -> None:
    gate = parse_gate('xfail torch<2.1 dtypes=float16 devices=cpu reason="half is not exact"')
    assert gate.kind == "xfail"
    assert [r.text for r in gate.requirements] == ["torch<2.1"]
    assert gate.conditions == {"dtypes": ("float16",), "devices": ("cpu",)}
    assert gate.reason == "half is not exact"
    assert gate.text == "torch<2.1 dtypes=float16 devices=cpu"


def test_xfail_canonicalises_its_axis_conditions() -> None:
    gate = parse_gate("xfail dtypes=half,torch.bfloat16 autocast=on")
    assert gate.requirements == ()
    assert gate.conditions == {"dtypes": ("float16", "bfloat16"), "autocast": (True,)}
    assert gate.text == "dtypes=float16,bfloat16 autocast=on"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("requires", "requires needs a version condition, e.g. requires torch>=2.3"),
        ("requires torch", "'torch' has no version condition; write e.g. torch>=2.3"),
        ("requires dtypes=float16", "'dtypes=float16': requires takes versions only"),
        ("requires torch>=2 reason=old", "reason= is only valid on xfail"),
        ("requires jax>>1", "malformed requirement 'jax>>1'"),
        ("xfail torchvision=0.1", "unknown condition 'torchvision=0.1'; valid: a version"),
        ("requires torch>>2", "malformed version condition 'torch>>2'; write e.g. torch>=2.3"),
        ("requires numpy<2.x", "malformed version condition 'numpy<2.x'"),
        ("xfail", "xfail needs a condition"),
        ('xfail reason="flaky"', "xfail needs a condition"),
        ("xfail dtypes=float17", "unknown dtype 'float17'"),
        ("xfail colour=red", "unknown condition 'colour=red'"),
    ],
)
def test_a_malformed_gate_is_an_error_naming_the_bad_part(text: str, message: str) -> None:
    assert message in directive_error(text).message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("requires torch[cuda]>=2.3", "'torch[cuda]>=2.3' names extras ([cuda])"),
        ("requires scipy[all]>=1.11", "'scipy[all]>=1.11' names extras ([all])"),
        ('requires "kornia @ https://example.org/kornia.whl"', "names a URL"),
        ('requires "torch @ https://example.org/torch.whl"', "names a URL"),
    ],
)
def test_extras_and_urls_mean_nothing_in_a_gate_and_are_an_error(text: str, message: str) -> None:
    error = directive_error(text).message
    assert message in error
    assert "a gate compares the installed version" in error


@pytest.mark.parametrize(
    ("text", "package", "specifier"),
    [
        ("requires torch>=2.3,<2.15", "torch", "<2.15,>=2.3"),
        ("requires Torch>=2.3", "torch", ">=2.3"),  # names normalize as pip's do
        ("requires NumPy<3", "numpy", "<3"),
        ('requires "torch (>=2.3)"', "torch", ">=2.3"),
        # A distribution whose name starts with a package's is its own distribution.
        ("requires torch-geometric>=2", "torch-geometric", ">=2"),
        ("requires python-dateutil>=2.8", "python-dateutil", ">=2.8"),
        ("requires numpy_financial", "numpy_financial", ""),
    ],
)
def test_a_gate_word_is_a_pep_508_requirement(text: str, package: str, specifier: str) -> None:
    (requirement,) = parse_gate(text).requirements
    assert (requirement.package, str(requirement.specifier)) == (package, specifier)


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("requires \"torch>=2.3; python_version >= '3'\"", True),
        ("requires \"torch>=99; python_version >= '3'\"", False),
        # PEP 508: a requirement whose marker is false does not apply here.
        ("requires \"torch>=99; python_version < '3'\"", True),
        ("requires \"python>=3.12; sys_platform == 'no-such-platform'\"", True),
    ],
)
def test_a_marker_on_torch_numpy_or_python_says_where_the_condition_applies(
    text: str, holds: bool
) -> None:
    assert parse_gate(text).requirements_hold(VERSIONS) is holds


def test_unknown_condition_errors_list_the_valid_packages_and_axes() -> None:
    message = directive_error("xfail colour=red").message
    assert all(name in message for name in ("torch", "numpy", "python", "devices=", "dtypes="))


# Gates against versions and combinations


@pytest.mark.parametrize(
    ("text", "torch_version", "holds"),
    [
        ("requires torch>=2.3", "2.13.0+cpu", True),
        ("requires torch>=2.14", "2.13.0+cpu", False),
        ("requires torch>=2.3,<2.14", "2.13.0+cpu", True),
        ("requires torch==2.13.0", "2.13.0+cpu", True),
        ("requires torch>=2.13", "2.14.0.dev20260101", True),
        ("requires torch>=2.14.0.dev0", "2.14.0.dev20260101", True),
        ("requires torch>=2.13", "2.16.0.dev20261201", True),
        ("requires torch>=2.3,<2.15", "2.13.0+cpu", True),
        ("requires torch>=2.3,<2.15", "2.16.0.dev20261201", False),
        # PEP 440: a nightly of 2.14 is before 2.14 and not "below 2.14" either.
        ("requires torch>=2.14", "2.14.0.dev20260101", False),
        ("requires torch<2.14", "2.14.0.dev20260101", False),
        ("requires torch>=2.3 numpy<2", "2.13.0+cpu", False),
        ("requires torch>=2.3 numpy>=2 python>=3.10", "2.13.0+cpu", True),
    ],
)
def test_requirements_hold_on_matching_versions(text: str, torch_version: str, holds: bool) -> None:
    versions = {**VERSIONS, "torch": torch_version}
    assert parse_gate(text).requirements_hold(versions) is holds


CPU_FLOAT16 = Combination("cpu", "float16", False)


@pytest.mark.parametrize(
    ("text", "combination", "applies"),
    [
        ("xfail dtypes=float16", CPU_FLOAT16, True),
        ("xfail dtypes=float16", Combination("cpu", "float32", False), False),
        ("xfail dtypes=float32", Combination("cpu", None, False), True),
        ("xfail devices=cpu", Combination(None, "float16", False), True),
        ("xfail devices=cuda", Combination("cuda", "float16", False), True),
        ("xfail devices=cuda", Combination("cuda:1", "float16", False), True),
        ("xfail devices=cuda:1", Combination("cuda:1", "float16", False), True),
        ("xfail devices=cuda:1", Combination("cuda:0", "float16", False), False),
        ("xfail devices=cuda:1", Combination("cuda", "float16", False), False),
        ("xfail autocast=on", Combination("cpu", "float32", True, "bfloat16"), True),
        ("xfail autocast=on", CPU_FLOAT16, False),
        ("xfail devices=cpu dtypes=float16", CPU_FLOAT16, True),
        ("xfail devices=cuda dtypes=float16", CPU_FLOAT16, False),
        ("xfail torch>=2.3 dtypes=float16", CPU_FLOAT16, True),
        ("xfail torch<2.1 dtypes=float16", CPU_FLOAT16, False),
        ("xfail torch<2.14", CPU_FLOAT16, True),
    ],
)
def test_an_xfail_gate_applies_where_every_condition_holds(
    text: str, combination: Combination, applies: bool
) -> None:
    assert parse_gate(text).applies_to(combination, VERSIONS) is applies


def test_a_skip_reason_names_the_requirements_and_the_versions_installed() -> None:
    gate = parse_gate("requires torch>=2.14 numpy<2")
    assert gate.skip_reason(VERSIONS) == (
        "requires torch>=2.14 numpy<2 (have torch 2.13.0+cpu, numpy 2.4.6)"
    )


def test_the_unmet_requires_gates_are_one_reason_in_file_order_at_the_first_ones_line() -> None:
    numpy_gate = parse_directive("requires numpy<2", 7)
    torch_gate = parse_directive("requires torch>=2.14", 5)
    holds = parse_directive("requires python>=3", 6)
    xfail = parse_directive("xfail torch>=99", 4)
    gates = [gate for gate in (numpy_gate, holds, xfail, torch_gate) if isinstance(gate, Gate)]
    unmet = unmet_requirements(gates, VERSIONS)
    assert unmet is not None
    assert (unmet.line, unmet.reason) == (
        5,
        "requires torch>=2.14 (have torch 2.13.0+cpu) and requires numpy<2 (have numpy 2.4.6)",
    )
    assert unmet_requirements(gates[1:3], VERSIONS) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            'xfail torch<2.1 dtypes=float16 devices=cpu reason="half is not exact"',
            "expected to fail where torch<2.1 dtypes=float16 devices=cpu: half is not exact",
        ),
        ("xfail autocast=off", "expected to fail where autocast=off"),
    ],
)
def test_an_xfail_reason_names_the_conditions_and_the_written_reason(
    text: str, reason: str
) -> None:
    assert parse_gate(text).xfail_reason() == reason


def test_installed_versions_parse_and_satisfy_the_package_requirements() -> None:
    versions = installed_versions()
    assert set(versions) == {"torch", "numpy", "python"}
    assert parse_gate("requires torch>=2.0 numpy>=1.23 python>=3.10").requirements_hold(versions)


# Properties


def parse_or_error(text: str) -> Directive | DirectiveError:
    try:
        return parse_directive(text, 1)
    except DirectiveError as error:
        return error


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_parses_or_raises_only_a_directive_error(text: str) -> None:
    result = parse_or_error(text)
    if isinstance(result, DirectiveError):
        assert (result.line, bool(result.message)) == (1, True)
    else:
        assert isinstance(result, (MatrixDirective, Gate))


WORDS = st.sampled_from(
    [
        "requires",
        "xfail",
        "torch>=2.3",
        "numpy<2",
        "python",
        "devices=",
        "dtypes=",
        "autocast=",
        "cuda:1",
        "half",
        "on",
        ",",
        "=",
        "reason=",
        '"',
        "'",
        " ",
        ":",
        "²",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, max_size=8).map("".join))
def test_directive_like_text_parses_or_raises_only_a_directive_error(text: str) -> None:
    result = parse_or_error(text)
    assert isinstance(result, (MatrixDirective, Gate, DirectiveError))
