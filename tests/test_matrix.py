from __future__ import annotations

import pytest
import torch

from pytest_cheatsheet.matrix import (
    Axes,
    AxisError,
    Combination,
    autocast_dtype_for,
    combinations,
    device_is_available,
    parse_autocast,
    parse_axis,
    parse_device,
    parse_dtype,
    split_values,
)

AXES = Axes(devices=("cpu", "cuda"), dtypes=("float32", "float16"), autocast=(False, True))


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("cpu,cuda", ["cpu", "cuda"]),
        ("cpu cuda", ["cpu", "cuda"]),
        (" cpu ,, cuda\tmps ", ["cpu", "cuda", "mps"]),
        ("", []),
        (",", []),
    ],
)
def test_split_values_splits_on_commas_and_whitespace(text: str, values: list[str]) -> None:
    assert split_values(text) == values


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:0", "cuda:1", "cuda:12", "mps", "meta"])
def test_known_devices_with_or_without_an_index_are_accepted(device: str) -> None:
    assert parse_device(device) == device


def test_a_device_type_torch_accepts_outside_the_known_list_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pytest_cheatsheet.matrix.KNOWN_DEVICE_TYPES", ("cpu",))
    assert parse_device("cuda:1") == "cuda:1"
    with pytest.raises(AxisError, match="unknown device 'gpu'; valid: cpu "):
        parse_device("gpu")


@pytest.mark.parametrize("device", ["gpu", "", "cuda:", "cuda:x", "cuda:-1", "cuda:01", "cuda:²"])
def test_an_unknown_device_is_named_with_the_valid_choices(device: str) -> None:
    with pytest.raises(AxisError) as error:
        parse_device(device)
    message = str(error.value)
    assert f"unknown device {device!r}" in message
    assert "valid: cpu, cuda, mps" in message
    assert "(optionally with an index, e.g. cuda:1)" in message


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("float32", "float32"),
        ("torch.float64", "float64"),
        ("half", "float16"),
        ("torch.half", "float16"),
        ("float", "float32"),
        ("double", "float64"),
        ("bfloat16", "bfloat16"),
        ("long", "int64"),
        ("cfloat", "complex64"),
    ],
)
def test_dtypes_are_canonicalised_from_aliases(written: str, canonical: str) -> None:
    assert parse_dtype(written) == canonical


@pytest.mark.parametrize("written", ["float17", "torch.float17", "Float32", "torch", "tensor"])
def test_an_unknown_dtype_is_named_with_the_valid_choices(written: str) -> None:
    with pytest.raises(AxisError) as error:
        parse_dtype(written)
    message = str(error.value)
    assert message.startswith(f"unknown dtype {written!r}; valid: float32, float64, float16")
    assert "int64" in message
    assert "half" not in message  # aliases are not listed twice


@pytest.mark.parametrize(("written", "on"), [("on", True), ("off", False)])
def test_autocast_is_on_or_off(written: str, on: bool) -> None:
    assert parse_autocast(written) is on


@pytest.mark.parametrize("written", ["yes", "true", "On", "1"])
def test_other_autocast_values_are_rejected(written: str) -> None:
    with pytest.raises(AxisError, match=f"unknown autocast value '{written}'; valid: off, on"):
        parse_autocast(written)


@pytest.mark.parametrize(
    ("key", "values", "parsed"),
    [
        ("devices", ["cpu", "cuda:1", "cpu"], ("cpu", "cuda:1")),
        ("dtypes", ["half", "float16", "torch.float64"], ("float16", "float64")),
        ("autocast", ["on", "off", "on"], (True, False)),
    ],
)
def test_parse_axis_canonicalises_and_drops_repeats_in_order(
    key: str, values: list[str], parsed: tuple[object, ...]
) -> None:
    assert parse_axis(key, values) == parsed


@pytest.mark.parametrize(
    ("key", "values", "message"),
    [
        ("device", ["cpu"], "unknown key 'device'; valid keys: devices, dtypes, autocast"),
        ("dtypes", [], "dtypes= needs at least one value"),
        ("dtypes", ["float32", "float17"], "unknown dtype 'float17'"),
    ],
)
def test_parse_axis_rejects_unknown_keys_empty_lists_and_bad_values(
    key: str, values: list[str], message: str
) -> None:
    with pytest.raises(AxisError, match=message):
        parse_axis(key, values)


# Axes


def test_narrowing_keeps_only_the_listed_values_in_the_axes_order() -> None:
    narrowed = AXES.narrowed({"dtypes": ["float16", "float32"], "devices": ["cuda", "mps"]})
    assert narrowed == Axes(("cuda",), ("float32", "float16"), (False, True))


def test_narrowing_to_values_not_in_the_axes_leaves_nothing() -> None:
    assert AXES.narrowed({"autocast": [None]}).autocast == ()


def test_replace_sets_whole_axes_as_tuples() -> None:
    replaced = AXES.replace(dtypes=["bfloat16"], autocast=[True])
    assert replaced == Axes(("cpu", "cuda"), ("bfloat16",), (True,))
    assert AXES.dtypes == ("float32", "float16")


# Combinations


@pytest.mark.parametrize(
    ("used", "ids"),
    [
        (
            {"devices", "dtypes"},
            [
                "cpu-float32",
                "cpu-float32-autocast",
                "cpu-float16",
                "cpu-float16-autocast",
                "cuda-float32",
                "cuda-float32-autocast",
                "cuda-float16",
                "cuda-float16-autocast",
            ],
        ),
        (set(), ["any", "autocast"]),
        ({"dtypes"}, ["float32", "float32-autocast", "float16", "float16-autocast"]),
        ({"devices"}, ["cpu", "cpu-autocast", "cuda", "cuda-autocast"]),
    ],
)
def test_combinations_name_only_the_axes_a_sheet_uses(used: set[str], ids: list[str]) -> None:
    assert [c.id for c in combinations(AXES, frozenset(used), None)] == ids


def test_an_unused_axis_contributes_one_unnamed_value() -> None:
    assert combinations(AXES, frozenset(), None) == [
        Combination(None, None, False, runs_on="cpu"),
        Combination(None, None, True, "bfloat16", runs_on="cpu"),
    ]


def test_autocast_combinations_use_the_device_types_autocast_dtype() -> None:
    autocast_dtypes = {
        c.id: c.autocast_dtype for c in combinations(AXES, frozenset({"devices"}), None)
    }
    assert autocast_dtypes == {
        "cpu": None,
        "cpu-autocast": "bfloat16",
        "cuda": None,
        "cuda-autocast": "float16",
    }


def test_a_chosen_autocast_dtype_overrides_the_device_default() -> None:
    chosen = combinations(AXES, frozenset({"devices"}), "float16")
    assert [c.autocast_dtype for c in chosen] == [None, "float16", None, "float16"]


@pytest.mark.parametrize(
    ("combination", "markers"),
    [
        (Combination("cuda:1", "float16", True, "float16"), ("cuda", "float16", "autocast")),
        (Combination("cpu", "bfloat16", False), ("cpu", "bfloat16")),
        (Combination(None, "float32", False), ("float32",)),
        (Combination(None, None, False), ()),
    ],
)
def test_markers_name_the_device_type_the_dtype_and_autocast(
    combination: Combination, markers: tuple[str, ...]
) -> None:
    assert combination.markers == markers


def test_a_combination_with_an_indexed_device_keeps_the_index_in_its_id() -> None:
    combination = Combination("cuda:1", "float16", False)
    assert (combination.id, combination.device_type) == ("cuda:1-float16", "cuda")


def test_the_namespace_defaults_to_cpu_float32_for_unused_axes() -> None:
    assert Combination(None, None, False).namespace() == {
        "device": "cpu",
        "dtype": torch.float32,
        "autocast": False,
    }
    assert Combination("cuda:1", "bfloat16", True, "float16").namespace() == {
        "device": "cuda:1",
        "dtype": torch.bfloat16,
        "autocast": True,
    }


@pytest.mark.parametrize(
    ("combination", "dtypes"),
    [
        (Combination("cpu", "float64", False), ("float64",)),
        (Combination(None, None, False), ("float32",)),
        (Combination("cpu", "float32", True, "bfloat16"), ("float32", "bfloat16")),
        (Combination("cuda", "float16", True, "float16"), ("float16", "float16")),
    ],
)
def test_dtype_names_include_the_autocast_dtype(
    combination: Combination, dtypes: tuple[str, ...]
) -> None:
    assert combination.dtype_names() == dtypes


@pytest.mark.parametrize(
    ("device_type", "dtype"),
    [("cpu", "bfloat16"), ("xpu", "bfloat16"), ("hpu", "bfloat16"), ("cuda", "float16")],
)
def test_autocast_dtype_follows_torchs_default_per_device_type(
    device_type: str, dtype: str
) -> None:
    assert autocast_dtype_for(device_type) == dtype


# Availability


def test_cpu_and_meta_are_always_available() -> None:
    assert device_is_available("cpu")
    assert device_is_available("meta")


def test_cuda_is_available_exactly_when_torch_says_so() -> None:
    assert device_is_available("cuda") is torch.cuda.is_available()


def test_a_second_cuda_device_needs_two_devices() -> None:
    assert device_is_available("cuda:1") is (torch.cuda.device_count() >= 2)


def test_a_device_type_torch_has_no_backend_for_is_unavailable() -> None:
    assert not device_is_available("xla")


@pytest.mark.parametrize(
    ("count", "available"),
    [
        (1, {"cuda": True, "cuda:0": True, "cuda:1": False}),
        (2, {"cuda": True, "cuda:0": True, "cuda:1": True, "cuda:2": False}),
    ],
)
def test_cuda_devices_on_a_simulated_gpu_machine(
    monkeypatch: pytest.MonkeyPatch, count: int, available: dict[str, bool]
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    assert {device: device_is_available(device) for device in available} == available


def test_no_cuda_device_is_available_where_cuda_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert not device_is_available("cuda")
    assert not device_is_available("cuda:0")
