"""The device x dtype x autocast matrix: axis values, their validation and the combinations."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

AXES = ("devices", "dtypes", "autocast")
AUTOCAST_VALUES = ("off", "on")

# Device types torch knows, as listed by torch.device's own error message. Other names are
# accepted when torch.device() accepts them (a renamed privateuse1 backend, say).
KNOWN_DEVICE_TYPES = (
    "cpu",
    "cuda",
    "mps",
    "xpu",
    "hip",
    "hpu",
    "ipu",
    "mtia",
    "maia",
    "xla",
    "lazy",
    "meta",
    "vulkan",
    "mkldnn",
    "opengl",
    "opencl",
    "ideep",
    "ve",
    "fpga",
    "privateuseone",
)
COMMON_DTYPES = ("float32", "float64", "float16", "bfloat16")

# The lower precision each device type's autocast uses by default (torch.get_autocast_dtype).
DEFAULT_AUTOCAST_DTYPE = {"cpu": "bfloat16", "xpu": "bfloat16", "hpu": "bfloat16"}
FALLBACK_AUTOCAST_DTYPE = "float16"


class AxisError(ValueError):
    """An axis value or key that is not valid; the message names the value and the choices."""


@dataclass(frozen=True)
class Axes:
    """The values each axis may take, as validated canonical names."""

    devices: tuple[str, ...]
    dtypes: tuple[str, ...]
    autocast: tuple[bool, ...]

    def narrowed(self, narrowing: Mapping[str, Sequence[Any]]) -> Axes:
        """Keep, on each axis ``narrowing`` names, only the values it lists (in our order)."""
        return self.replace(
            **{
                axis: [value for value in getattr(self, axis) if value in allowed]
                for axis, allowed in narrowing.items()
            }
        )

    def replace(self, **values: Sequence[Any]) -> Axes:
        merged: dict[str, tuple[Any, ...]] = {
            "devices": self.devices,
            "dtypes": self.dtypes,
            "autocast": self.autocast,
        }
        merged.update({key: tuple(value) for key, value in values.items()})
        return Axes(**merged)


@dataclass(frozen=True)
class Combination:
    """One run of a sheet: a device, a dtype and whether autocast is on.

    ``device`` and ``dtype`` are ``None`` where the sheet never uses that axis (and does not
    declare it): the sheet then runs once for it, and the id and markers leave it out. Such a
    run still needs a device: ``runs_on``, the first of the axis's devices available here (or
    its first, which is then skipped as absent).
    """

    device: str | None
    dtype: str | None
    autocast: bool
    autocast_dtype: str | None = None
    runs_on: str | None = None

    @property
    def target_device(self) -> str:
        """The device this combination's examples run on."""
        return self.device or self.runs_on or "cpu"

    @property
    def id(self) -> str:
        parts = [part for part in (self.device, self.dtype) if part is not None]
        if self.autocast:
            parts.append("autocast")
        return "-".join(parts) or "any"

    @property
    def device_type(self) -> str:
        return device_type(self.target_device)

    @property
    def markers(self) -> tuple[str, ...]:
        names = []
        if self.device is not None:
            names.append(marker_name(self.device_type))
        if self.dtype is not None:
            names.append(marker_name(self.dtype))
        if self.autocast:
            names.append("autocast")
        return tuple(names)

    def namespace(self) -> dict[str, Any]:
        """The names every example of this combination sees: ``device``, ``dtype``, ``autocast``
        (without torch, a sheet that uses no dtype gets ``dtype = None``)."""
        from pytest_cheatsheet.optional import installed

        torch = installed("torch")
        return {
            "device": self.target_device,
            "dtype": getattr(torch, self.dtype or "float32") if torch is not None else None,
            "autocast": self.autocast,
        }

    def dtype_names(self) -> tuple[str, ...]:
        """The dtypes whose rounding may show in this combination's outputs."""
        names = [self.dtype or "float32"]
        if self.autocast_dtype is not None:
            names.append(self.autocast_dtype)
        return tuple(names)


def marker_name(value: str) -> str:
    return value.replace(":", "_")


def device_type(device: str) -> str:
    return device.split(":", 1)[0]


def combinations(axes: Axes, used: frozenset[str], autocast_dtype: str | None) -> list[Combination]:
    """Every combination of ``axes``; an axis not in ``used`` contributes one unnamed value
    (none where the axis has no value left: narrowed away, the sheet has nothing to run)."""
    devices: Iterable[str | None] = axes.devices if "devices" in used else (None,)
    dtypes: Iterable[str | None] = axes.dtypes if "dtypes" in used else (None,)
    if not axes.devices or not axes.dtypes:
        return []
    runs_on = None
    if "devices" not in used:
        runs_on = next((d for d in axes.devices if device_is_available(d)), axes.devices[0])
    return [
        Combination(
            device,
            dtype,
            autocast,
            (autocast_dtype or autocast_dtype_for(device_type(device or runs_on or "cpu")))
            if autocast
            else None,
            runs_on,
        )
        for device, dtype, autocast in itertools.product(devices, dtypes, axes.autocast)
    ]


def split_values(text: str) -> list[str]:
    """Split an axis list written with commas and/or whitespace."""
    return [value for value in text.replace(",", " ").split() if value]


def parse_axis(key: str, values: Sequence[str]) -> tuple[Any, ...]:
    """Validate and canonicalise the values of one axis; raise AxisError naming the bad one."""
    if key not in AXES:
        raise AxisError(f"unknown key {key!r}; valid keys: {', '.join(AXES)}")
    if not values:
        raise AxisError(f"{key}= needs at least one value")
    parsed: list[Any] = []
    for value in values:
        if key == "devices":
            canonical: Any = parse_device(value)
        elif key == "dtypes":
            canonical = parse_dtype(value)
        else:
            canonical = parse_autocast(value)
        if canonical not in parsed:
            parsed.append(canonical)
    return tuple(parsed)


def parse_device(value: str) -> str:
    kind, colon, index = value.partition(":")
    if (colon and not re.fullmatch(r"0|[1-9][0-9]*", index)) or not _is_device_type(kind):
        raise AxisError(
            f"unknown device {value!r}; valid: {', '.join(KNOWN_DEVICE_TYPES)} "
            "(optionally with an index, e.g. cuda:1)"
        )
    return value


def _is_device_type(kind: str) -> bool:
    if kind in KNOWN_DEVICE_TYPES:
        return True
    if not kind.isidentifier():
        return False
    import torch

    try:
        torch.device(kind)
    except (RuntimeError, ValueError):
        return False
    return True


# torch's dtype names and aliases, so that the usual ones are validated without importing torch
# (a run that collects no sheet should not pay for it); other names are looked up in torch.
KNOWN_DTYPES = {
    **{name: name for name in COMMON_DTYPES},
    **{name: name for name in ("complex64", "complex128", "complex32", "bool", "uint8", "int8")},
    **{name: name for name in ("int16", "int32", "int64", "uint16", "uint32", "uint64")},
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "cfloat": "complex64",
    "cdouble": "complex128",
    "chalf": "complex32",
    "short": "int16",
    "int": "int32",
    "long": "int64",
}


def parse_dtype(value: str) -> str:
    name = value.removeprefix("torch.")
    canonical = KNOWN_DTYPES.get(name) or _dtype_names().get(name)
    if canonical is None:
        others = sorted(set(_dtype_names().values()) - set(COMMON_DTYPES))
        raise AxisError(
            f"unknown dtype {value!r}; valid: {', '.join(COMMON_DTYPES)}, "
            f"or any other torch dtype ({', '.join(others)})"
        )
    return canonical


@cache
def _dtype_names() -> dict[str, str]:
    """Every ``torch.<name>`` that is a dtype, mapped to its canonical name (half -> float16)."""
    import torch

    names = {}
    for name in dir(torch):
        value = getattr(torch, name, None)
        if isinstance(value, torch.dtype):
            names[name] = str(value).removeprefix("torch.")
    return names


def parse_autocast(value: str) -> bool:
    if value not in AUTOCAST_VALUES:
        raise AxisError(f"unknown autocast value {value!r}; valid: {', '.join(AUTOCAST_VALUES)}")
    return value == "on"


def autocast_dtype_for(device_type_name: str) -> str:
    return DEFAULT_AUTOCAST_DTYPE.get(device_type_name, FALLBACK_AUTOCAST_DTYPE)


def supported_autocast_dtypes(device_type_name: str) -> tuple[str, ...]:
    """The common dtypes ``torch.autocast`` accepts on this device type here (it warns and
    turns itself off for the others)."""
    import warnings

    import torch

    supported = []
    for name in COMMON_DTYPES:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with torch.autocast(device_type_name, dtype=getattr(torch, name)):
                    pass
            except (RuntimeError, ValueError):
                continue
        if not any("autocast" in str(warning.message) for warning in caught):
            supported.append(name)
    return tuple(supported)


def check_autocast_dtype(autocast_dtype: str, devices: Iterable[str]) -> None:
    """Raise AxisError if autocast refuses ``autocast_dtype`` on one of ``devices`` that is
    available here (on an absent one its combinations are skipped anyway)."""
    for kind in dict.fromkeys(device_type(device) for device in devices):
        if not device_is_available(kind):
            continue
        supported = supported_autocast_dtypes(kind)
        if autocast_dtype not in supported:
            raise AxisError(
                f"autocast on {kind} does not support {autocast_dtype}; "
                f"valid: {', '.join(supported) or 'none'}"
            )


def device_is_available(device: str) -> bool:
    """Whether torch can run on ``device`` here (``cuda:1`` needs two CUDA devices)."""
    kind, _, index = device.partition(":")
    if kind in ("cpu", "meta"):
        return True
    from pytest_cheatsheet.optional import installed

    torch = installed("torch")
    if torch is None:
        return False
    backend = getattr(torch, kind, None)
    is_available = getattr(backend, "is_available", None)
    if is_available is None or not is_available():
        return False
    if index:
        device_count = getattr(backend, "device_count", None)
        return device_count is not None and int(index) < device_count()
    return True
