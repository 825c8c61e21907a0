"""torch's defaults per combination: with ``torch-defaults=on`` each combination runs its sheet
with its dtype as ``torch.set_default_dtype`` and its device as ``torch.set_default_device``, so
code that names neither computes in the combination's dtype on its device.

The isolation of a run (``GlobalState``) captures torch's defaults before and restores them after.
"""

from __future__ import annotations

from typing import Any

# The dtype torch's default becomes for a combination's dtype: a floating dtype as it is, a
# complex one as its real part (complex literals then take that precision).
FLOATING_DTYPES = {
    "float32": "float32",
    "float64": "float64",
    "float16": "float16",
    "bfloat16": "bfloat16",
    "complex32": "float16",
    "complex64": "float32",
    "complex128": "float64",
}
# Where torch's defaults come from when torch defaults are off, and what unread code runs on.
TORCH_DEFAULT = {"devices": "cpu", "dtypes": "float32"}


def default_dtype_for(dtype: str) -> str | None:
    """The floating dtype that becomes torch's default for ``dtype``; None for a dtype torch
    cannot make its default (integers, bool, float8)."""
    return FLOATING_DTYPES.get(dtype)


def torch_defaults_problem(dtypes: tuple[str, ...], devices: tuple[str, ...]) -> str | None:
    """Why this torch cannot run these dtypes and devices as its defaults; None if it can."""
    import torch

    for dtype in dtypes:
        floating = default_dtype_for(dtype)
        if floating is None:
            return (
                f"torch-defaults=on cannot make {dtype} torch's default dtype: "
                "torch.set_default_dtype takes a floating dtype (float32, float64, float16, "
                "bfloat16; a complex dtype runs as its real one); drop it from this sheet's "
                "dtypes or read dtype in the code"
            )
        refusal = _default_dtype_refusal(floating)
        if refusal is not None:
            return (
                f"torch-defaults=on cannot make {floating} the default dtype on torch "
                f"{torch.__version__}: torch.set_default_dtype refuses it ({refusal})"
            )
    if any(device != "cpu" for device in devices) and not hasattr(torch, "set_default_device"):
        return (
            f"torch-defaults=on on devices other than cpu needs torch.set_default_device "
            f"(torch 2.0 or later); this is torch {torch.__version__}"
        )
    return None


def _default_dtype_refusal(floating: str) -> str | None:
    import torch

    before = torch.get_default_dtype()
    try:
        torch.set_default_dtype(getattr(torch, floating))
    except (TypeError, RuntimeError) as error:
        return str(error) or type(error).__name__
    finally:
        torch.set_default_dtype(before)
    return None


def apply_torch_defaults(dtype: str | None, device: str) -> None:
    """Make ``dtype``'s floating dtype and ``device`` torch's defaults (left as they are for the
    CPU, where an extra device mode would only cost every torch call)."""
    import torch

    floating = default_dtype_for(dtype or "float32") or "float32"
    torch.set_default_dtype(getattr(torch, floating))
    if device != "cpu" or _current_default_device(torch).type != "cpu":
        torch.set_default_device(device)


def _current_default_device(torch: Any) -> Any:
    return torch.empty(()).device
