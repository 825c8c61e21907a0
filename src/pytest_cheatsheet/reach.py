"""Which axes multiply a sheet's runs. A combination is a row only where the sheet could run
differently in it: its code reads the axis's name (``device``, ``dtype``), or torch's defaults
follow the combination (``torch-defaults=on``); autocast always changes the run. Otherwise an
axis from the ini collapses to one run (with a note), and one the sheet declares is an error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_cheatsheet.torch_defaults import TORCH_DEFAULT

NAMES = {"devices": "device", "dtypes": "dtype"}  # the name a sheet's code reads for an axis


def multiplied_axes(
    declared: frozenset[str], used: frozenset[str], torch_defaults: bool
) -> frozenset[str]:
    """The axes that multiply a sheet's runs: every axis with torch defaults on, else those it
    reads and those it declares (an unread declared axis is an error, or torch's own default)."""
    if torch_defaults:
        return used | declared | frozenset(NAMES)
    return used | declared


def unread_declared_axis(
    declared: Mapping[str, tuple[Any, ...]], used: frozenset[str], torch_defaults: bool
) -> str | None:
    """Why a sheet's declared axes would give rows for runs that never happened: an axis it
    declares with values other than torch's default, whose name its code never reads, with torch
    defaults off. None when there is none."""
    if torch_defaults:
        return None
    for axis, name in NAMES.items():
        values = declared.get(axis)
        if values is None or axis in used or values == (TORCH_DEFAULT[axis],):
            continue
        return (
            f"declares {axis}={','.join(map(str, values))} but its code never reads {name}, so "
            f"its tensors would have torch's default {name} ({TORCH_DEFAULT[axis]}) in every "
            f"combination: read {name} in the code, or turn torch defaults on (torch-defaults=on "
            "in this directive, or the ini option cheatsheet_torch_defaults)"
        )
    return None


def collapse_notes(
    values: Mapping[str, tuple[Any, ...]], multiplied: frozenset[str]
) -> tuple[str, ...]:
    """One note per axis of several values (``values``: each axis's, as narrowed) that runs once
    because the code never reads its name."""
    notes = []
    for axis, name in NAMES.items():
        if axis not in multiplied and len(values.get(axis, ())) > 1:
            notes.append(
                f"{axis} collapsed ({', '.join(map(str, values[axis]))}): the code never reads "
                f"{name}; set cheatsheet_torch_defaults to run it per {name}"
            )
    return tuple(notes)
