"""Whether an example exercised its combination: made a tensor of the combination's dtype on its
device. A torch function mode looks at the result of each torch call the example makes itself
(calls inside a torch function run with the mode set aside, so they cost nothing), until one
matches."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


class TensorWatch:
    """Watches the examples of one combination run for a tensor of ``dtype`` on ``device``."""

    def __init__(self, dtype: str, device: str) -> None:
        self.dtype = dtype
        self.device = device
        self.made = False
        self._mode: Any = None

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Record, for what runs inside, whether it made such a tensor (``made``)."""
        if self._mode is None:
            self._mode = _watch_mode(self.dtype, self.device)
        mode = self._mode
        mode.made = False
        mode.__enter__()
        try:
            yield
        finally:
            _remove_mode(mode)
            self.made = mode.made


def _watch_mode(dtype: str, device: str) -> Any:
    import torch
    from torch.overrides import TorchFunctionMode

    wanted_dtype = getattr(torch, dtype)
    wanted_type, _, index = device.partition(":")
    wanted_index = int(index) if index else None

    def matches(value: Any) -> bool:
        if isinstance(value, torch.Tensor):
            if value.dtype != wanted_dtype:
                return False
            where = value.device
            return where.type == wanted_type and wanted_index in (None, where.index)
        if isinstance(value, (tuple, list)):  # torch.max's (values, indices), torch.split's
            return any(isinstance(each, torch.Tensor) and matches(each) for each in value)
        return False

    class Watch(TorchFunctionMode):
        made = False

        def __torch_function__(
            self,
            func: Any,
            types: Any,
            args: tuple[Any, ...] = (),
            kwargs: dict[str, Any] | None = None,
        ) -> Any:
            result = func(*args, **(kwargs or {}))
            if not self.made and matches(result):
                self.made = True
            return result

    return Watch()


def _remove_mode(mode: Any) -> None:
    """Take ``mode`` off torch's function-mode stack, wherever it is: an example may have left a
    mode of its own above it (``torch.set_default_device`` before torch 2.3 pushes one), which a
    plain ``__exit__`` would pop instead. torch has no public way to do this: its private stack
    functions, in this one place."""
    try:
        from torch._C import _len_torch_function_stack
        from torch.overrides import _pop_mode, _push_mode
    except ImportError:  # pragma: no cover - every release from 2.0 has them
        mode.__exit__(None, None, None)
        return
    above = []
    for _ in range(_len_torch_function_stack()):
        top = _pop_mode()  # type: ignore[no-untyped-call]
        if top is mode:
            break
        above.append(top)
    for top in reversed(above):
        _push_mode(top)  # type: ignore[no-untyped-call]
