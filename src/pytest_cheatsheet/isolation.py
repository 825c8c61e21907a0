"""Global state a sheet may change, captured before each run of a sheet and restored after it."""

from __future__ import annotations

import builtins
import decimal
import logging
import math
import operator
import os
import random
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pytest_cheatsheet.optional import installed

SEED = 0
_TORCH_PRINT_OPTIONS = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")
# Switches under torch.backends that change results or speed, legacy ones first: restoring them
# in this order leaves the fp32_precision ones (torch 2.9's API) exactly as they were.
_TORCH_BACKEND_SWITCHES = (
    "cuda.matmul.allow_tf32",
    "cuda.matmul.allow_fp16_reduced_precision_reduction",
    "cuda.matmul.allow_bf16_reduced_precision_reduction",
    "cudnn.allow_tf32",
    "cudnn.benchmark",
    "cudnn.deterministic",
    "fp32_precision",
    "cuda.matmul.fp32_precision",
    "cudnn.fp32_precision",
    "cudnn.conv.fp32_precision",
    "cudnn.rnn.fp32_precision",
    "mkldnn.fp32_precision",
    "mkldnn.matmul.fp32_precision",
    "mkldnn.conv.fp32_precision",
    "mkldnn.rnn.fp32_precision",
)
_UNREADABLE = object()


@dataclass
class GlobalState:
    """What ``capture`` saw; ``restore`` puts it back, whatever the sheet did in between."""

    cwd: str
    environ: dict[str, str]
    sys_path: list[str]
    modules: dict[str, ModuleType]
    random_state: object
    recursion_limit: int
    logging: dict[str, Any]
    warnings_context: warnings.catch_warnings
    process: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    numpy: dict[str, Any] = field(default_factory=dict)
    torch: dict[str, Any] = field(default_factory=dict)
    submodules: list[tuple[ModuleType, dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def capture(cls) -> GlobalState:
        warnings_context = warnings.catch_warnings()
        warnings_context.__enter__()
        state = cls(
            cwd=os.getcwd(),
            environ=dict(os.environ),
            sys_path=list(sys.path),
            modules=dict(sys.modules),
            random_state=random.getstate(),
            recursion_limit=sys.getrecursionlimit(),
            logging=_capture_logging(),
            warnings_context=warnings_context,
        )
        state.process = _capture_process()
        state.numpy = _capture_numpy()
        state.torch = _capture_torch()
        state.attributes = _capture_attributes()
        state.submodules = _capture_submodules()
        return state

    def restore(self, warnings: bool = True) -> None:
        """Put everything back; ``warnings=False`` leaves the warnings filters and hooks as
        they are (pytest's, for the item now running: a restart mid-item must keep them)."""
        os.chdir(self.cwd)
        _restore_environ(self.environ)
        sys.path[:] = self.sys_path
        _restore_modules(self.modules, self.sys_path)
        random.setstate(self.random_state)  # type: ignore[arg-type]
        sys.setrecursionlimit(self.recursion_limit)
        _restore_logging(self.logging)
        _restore_process(self.process)
        if warnings:
            self.warnings_context.__exit__(None, None, None)
        _restore_attributes(self.attributes)
        _restore_submodules(self.submodules)
        _restore_numpy(self.numpy)
        _restore_torch(self.torch)


@dataclass
class RandomStreams:
    """The state of ``random``, NumPy's global generator and torch's CPU generator, kept
    between the items of one run so that nothing run in between changes its draws."""

    states: tuple[Any, ...] | None = None
    # NumPy's Mersenne Twister words as captured, when they are all of NumPy's state (no cached
    # Gaussian). Getting and setting NumPy's state is most of what capture() and restore() cost;
    # while the words are unchanged nothing drew from or reseeded NumPy's generator (a Gaussian
    # drawn with none cached draws words), so its state is the one captured: both are skipped.
    numpy_words: bytes | None = None

    def capture(self) -> None:
        numpy = installed("numpy")
        torch = installed("torch")
        words = _numpy_twister_words()
        if self.states is not None and words is not None and words == self.numpy_words:
            numpy_state = self.states[1]
        elif numpy is not None:
            numpy_state = numpy.random.get_state()
            if words is not None and numpy_state[3]:  # has_gauss: cached
                words = None
        else:
            numpy_state = None
        torch_state = torch.get_rng_state() if torch is not None else None
        self.states = (random.getstate(), numpy_state, torch_state)
        self.numpy_words = words

    def restore(self) -> None:
        if self.states is None:
            return
        python_state, numpy_state, torch_state = self.states
        random.setstate(python_state)
        numpy = installed("numpy") if numpy_state is not None else None
        if numpy is not None and (
            self.numpy_words is None or _numpy_twister_words() != self.numpy_words
        ):
            numpy.random.set_state(numpy_state)
        torch = installed("torch") if torch_state is not None else None
        if torch is not None:
            torch.set_rng_state(torch_state)


# The C state of NumPy's MT19937: 624 32-bit words of key and an int position.
_MT19937_STATE_BYTES = 624 * 4 + 4


def _numpy_twister_words() -> bytes | None:
    """The key and position of NumPy's global Mersenne Twister, read where the generator keeps
    them (``BitGenerator.ctypes.state_address``); None if its generator is another kind."""
    import ctypes

    numpy = installed("numpy")
    if numpy is None:
        return None
    get_bit_generator = getattr(numpy.random, "get_bit_generator", None)  # NumPy >= 1.25
    if get_bit_generator is not None:
        generator = get_bit_generator()
    else:
        generator = numpy.random.mtrand._rand._bit_generator
    if type(generator) is not numpy.random.MT19937:
        return None
    return ctypes.string_at(generator.ctypes.state_address, _MT19937_STATE_BYTES)


def seed_everything(seed: int = SEED) -> None:
    """Seed ``random``, NumPy and torch (all devices) alike."""
    random.seed(seed)
    numpy = installed("numpy")
    if numpy is not None:
        numpy.random.seed(seed)
    torch = installed("torch")
    if torch is not None:
        torch.manual_seed(seed)


def _restore_environ(saved: dict[str, str]) -> None:
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    for name, value in saved.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


def _restore_modules(saved: dict[str, ModuleType], sys_path: list[str]) -> None:
    """Put back replaced or deleted modules; drop modules a sheet imported from its own folders.

    Modules newly imported from the paths importable before the run (the standard library,
    site-packages, the project) stay: dropping torch's lazily imported submodules or a C
    extension would break the next run.
    """
    roots = [Path(entry or os.getcwd()).resolve() for entry in sys_path]
    for name in set(sys.modules) - set(saved):
        module = sys.modules[name]
        filename = getattr(module, "__file__", None)
        if filename and not _is_under(Path(filename).resolve(), roots):
            del sys.modules[name]
        elif getattr(module, "__spec__", None) is None and name.partition(".")[0] not in saved:
            del sys.modules[name]  # put there by hand (sys.modules["x"] = ...), not imported
    for name, module in saved.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module


def _is_under(path: Path, roots: list[Path]) -> bool:
    """Whether ``path`` lies in one of ``roots`` (``/a/project_2`` is not in ``/a/project``)."""
    return any(path.is_relative_to(root) for root in roots)


def _capture_logging() -> dict[str, Any]:
    """``logging.disable``, the root logger's level and its handlers other than pytest's
    (pytest swaps its own capturing handlers in and out at every test phase)."""
    root = logging.getLogger()
    return {
        "disable": root.manager.disable,
        "level": root.level,
        "handlers": [h for h in root.handlers if not _is_pytests(h)],
    }


def _is_pytests(handler: logging.Handler) -> bool:
    return type(handler).__module__.startswith("_pytest.")


def _restore_logging(saved: dict[str, Any]) -> None:
    logging.disable(saved["disable"])
    root = logging.getLogger()
    root.setLevel(saved["level"])
    for handler in [h for h in root.handlers if not _is_pytests(h)]:
        if handler not in saved["handlers"]:
            root.removeHandler(handler)
            handler.close()
    for handler in saved["handlers"]:
        if handler not in root.handlers:
            root.addHandler(handler)


_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1")
    if hasattr(signal, name)
)


def _capture_process() -> dict[str, Any]:
    """Per-process settings outside Python's modules: the decimal context, signal handlers,
    the time zone and the umask."""
    umask = os.umask(0o022)
    os.umask(umask)
    return {
        "decimal": decimal.getcontext().copy(),
        "signals": {number: signal.getsignal(number) for number in _SIGNALS},
        "timezone": (time.tzname, time.timezone, time.altzone, time.daylight),
        "umask": umask,
        "int_max_str_digits": _get_int_max_str_digits(),
    }


def _restore_process(saved: dict[str, Any]) -> None:
    """Put back what :func:`_capture_process` saw (the caller has restored ``TZ`` already)."""
    decimal.setcontext(saved["decimal"].copy())
    if threading.current_thread() is threading.main_thread():
        for number, handler in saved["signals"].items():
            if handler is not None and signal.getsignal(number) is not handler:
                signal.signal(number, handler)
    if hasattr(time, "tzset"):
        time.tzset()  # the C library rereads TZ; a sheet's TZ is gone from os.environ
    os.umask(saved["umask"])
    digits = saved["int_max_str_digits"]
    if digits is not None and _get_int_max_str_digits() != digits:
        sys.set_int_max_str_digits(digits)


def _get_int_max_str_digits() -> int | None:
    getter = getattr(sys, "get_int_max_str_digits", None)  # Python >= 3.11, 3.10.7
    return getter() if getter is not None else None


def _watched_modules() -> dict[str, Any]:
    """The objects whose attributes a sheet may replace (``math.pi = 3``) and that later
    sheets read: their attributes are put back after each run."""
    watched: dict[str, Any] = {"builtins": builtins, "math": math}
    numpy = installed("numpy")
    if numpy is not None:
        watched["numpy"] = numpy
    torch = installed("torch")
    if torch is not None:
        watched["torch"] = torch
        watched["torch.Tensor"] = torch.Tensor
    return watched


def _capture_attributes() -> dict[str, dict[str, Any]]:
    return {name: dict(vars(owner)) for name, owner in _watched_modules().items()}


def _restore_attributes(saved: dict[str, dict[str, Any]]) -> None:
    """Set back replaced or deleted attributes; drop added ones, except modules (a submodule
    imported meanwhile, such as ``torch.fx``, belongs to its package)."""
    for name, owner in _watched_modules().items():
        before = saved.get(name)
        if before is None:
            continue
        now = vars(owner)
        if len(now) == len(before) and all(
            now.get(key, _UNREADABLE) is value for key, value in before.items()
        ):
            continue
        for key in [key for key in now if key not in before]:
            if not isinstance(now[key], ModuleType) and (name, key) not in _RESTORED_BY_TORCH:
                delattr(owner, key)
        for key, value in before.items():
            if (key not in now or now[key] is not value) and (name, key) not in _RESTORED_BY_TORCH:
                setattr(owner, key, value)


# What torch's own setters keep in its module, set back through them (_restore_torch): before
# torch 2.3, torch.set_default_device keeps its device mode in torch._GLOBAL_DEVICE_CONTEXT, and
# putting the old value back would strand that mode on torch's stack.
_RESTORED_BY_TORCH = frozenset({("torch", "_GLOBAL_DEVICE_CONTEXT")})


_WATCHED_PACKAGES = ("torch.", "numpy.")


def _capture_submodules() -> list[tuple[ModuleType, dict[str, Any]]]:
    """Each public submodule of torch and NumPy imported so far (``torch.nn.functional``,
    ``numpy.fft``; not ``torch._dynamo``, whose globals torch itself changes), with a copy of
    its attributes: a copy, compared by identity, is what keeps this cheap."""
    return [
        (module, module.__dict__.copy())
        for name, module in list(sys.modules.items())
        if name.startswith(_WATCHED_PACKAGES) and "._" not in name and module is not None
    ]


def _restore_submodules(saved: list[tuple[ModuleType, dict[str, Any]]]) -> None:
    """Set back the public attributes a sheet replaced or deleted (``torch.nn.functional.relu
    = ...``); what was added stays (a lazily filled cache is the module's own)."""
    for module, before in saved:
        now = module.__dict__
        # Same length and the same objects in the same order: nothing was set or deleted (a
        # deleted key set again goes last).
        if len(now) == len(before) and all(map(operator.is_, now.values(), before.values())):
            continue
        for key, value in before.items():
            if not key.startswith("_") and now.get(key, _UNREADABLE) is not value:
                now[key] = value


def _capture_numpy() -> dict[str, Any]:
    numpy = installed("numpy")
    if numpy is None:
        return {}
    return {
        "printoptions": numpy.get_printoptions(),
        "errstate": numpy.geterr(),
        "random": numpy.random.get_state(),
    }


def _restore_numpy(saved: dict[str, Any]) -> None:
    numpy = installed("numpy") if saved else None
    if numpy is None:
        return
    numpy.set_printoptions(**saved["printoptions"])
    numpy.seterr(**saved["errstate"])
    numpy.random.set_state(saved["random"])


def _capture_torch() -> dict[str, Any]:
    torch = installed("torch")
    if torch is None:
        return {}
    # torch has no public getter for its print options; PRINT_OPTS is what set_printoptions sets.
    print_options = torch._tensor_str.PRINT_OPTS
    state: dict[str, Any] = {
        "default_dtype": torch.get_default_dtype(),
        "grad_enabled": torch.is_grad_enabled(),
        "printoptions": {name: getattr(print_options, name) for name in _TORCH_PRINT_OPTIONS},
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "deterministic_warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "matmul_precision": _float32_matmul_precision(),
        "backends": {
            switch: value
            for switch in _TORCH_BACKEND_SWITCHES
            if (value := _read_backend_switch(switch)) is not _UNREADABLE
        },
        "anomaly": torch.is_anomaly_enabled(),
        "warn_always": torch.is_warn_always_enabled(),
        "flush_denormal": _flush_denormal(),
        "rng": torch.get_rng_state(),
        "num_threads": torch.get_num_threads(),
    }
    state["default_device"] = _default_device()
    state["autocast"] = _autocast_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda_rng"] = torch.cuda.get_rng_state_all()
    return state


def _restore_torch(saved: dict[str, Any]) -> None:
    """Set back what differs (not every setter is free: the deterministic one imports inductor)."""
    torch = installed("torch") if saved else None
    if torch is None:
        return

    current = _capture_torch()
    if current["default_dtype"] != saved["default_dtype"]:
        torch.set_default_dtype(saved["default_dtype"])
    if current["grad_enabled"] != saved["grad_enabled"]:
        torch.set_grad_enabled(saved["grad_enabled"])
    if current["printoptions"] != saved["printoptions"]:
        torch.set_printoptions(**saved["printoptions"])
    if (current["deterministic"], current["deterministic_warn_only"]) != (
        saved["deterministic"],
        saved["deterministic_warn_only"],
    ):
        torch.use_deterministic_algorithms(
            saved["deterministic"], warn_only=saved["deterministic_warn_only"]
        )
    if (
        saved["matmul_precision"] is not None
        and current["matmul_precision"] != saved["matmul_precision"]
    ):
        torch.set_float32_matmul_precision(saved["matmul_precision"])
    for switch, value in saved["backends"].items():
        if _read_backend_switch(switch) != value:
            _write_backend_switch(switch, value)
    if current["anomaly"] != saved["anomaly"]:
        torch.set_anomaly_enabled(saved["anomaly"])
    if current["warn_always"] != saved["warn_always"]:
        torch.set_warn_always(saved["warn_always"])
    if current["flush_denormal"] != saved["flush_denormal"]:
        torch.set_flush_denormal(saved["flush_denormal"])
    if current["num_threads"] != saved["num_threads"]:
        torch.set_num_threads(saved["num_threads"])
    if current["autocast"] != saved["autocast"]:
        _restore_autocast(saved["autocast"])
    torch.set_rng_state(saved["rng"])
    if "cuda_rng" in saved:
        torch.cuda.set_rng_state_all(saved["cuda_rng"])
    if current.get("default_device") != saved.get("default_device"):
        default_device = saved["default_device"]
        torch.set_default_device(None if default_device == torch.device("cpu") else default_device)


# The device types torch.autocast knows (torch.is_autocast_enabled refuses others).
_AUTOCAST_DEVICE_TYPES = (
    "cpu",
    "cuda",
    "xpu",
    "mps",
    "hpu",
    "ipu",
    "xla",
    "mtia",
    "maia",
    "privateuseone",
)


def _autocast_state() -> dict[str, Any]:
    """Whether autocast is on and its dtype, per device type, and its cache switch (torch
    before 2.4 has them for cpu and cuda only, by other names)."""
    import torch

    state: dict[str, Any] = {"cache": torch.is_autocast_cache_enabled()}
    for device_type in _AUTOCAST_DEVICE_TYPES:
        try:
            state[device_type] = (
                torch.is_autocast_enabled(device_type),
                torch.get_autocast_dtype(device_type),
            )
        except (AttributeError, TypeError, RuntimeError):
            continue
    if "cpu" not in state:  # torch < 2.4
        state["legacy"] = (
            torch.is_autocast_enabled(),
            torch.get_autocast_gpu_dtype(),
            torch.is_autocast_cpu_enabled(),
            torch.get_autocast_cpu_dtype(),
        )
    return state


def _restore_autocast(saved: dict[str, Any]) -> None:
    import torch

    torch.set_autocast_cache_enabled(saved["cache"])
    for device_type in _AUTOCAST_DEVICE_TYPES:
        if device_type in saved:
            enabled, dtype = saved[device_type]
            torch.set_autocast_enabled(device_type, enabled)
            torch.set_autocast_dtype(device_type, dtype)
    if "legacy" in saved:
        gpu_enabled, gpu_dtype, cpu_enabled, cpu_dtype = saved["legacy"]
        torch.set_autocast_enabled(gpu_enabled)
        torch.set_autocast_gpu_dtype(gpu_dtype)
        torch.set_autocast_cpu_enabled(cpu_enabled)
        torch.set_autocast_cpu_dtype(cpu_dtype)


def _flush_denormal() -> bool:
    """Whether torch flushes denormal floats to zero (torch.set_flush_denormal has no getter:
    a denormal that survives a copy says no)."""
    import torch

    probe = torch.tensor([1e-310], dtype=torch.float64, device="cpu")
    return bool(probe.add(0).item() == 0.0)


def _default_device() -> Any:
    """The device factory functions use: torch.get_default_device() where it answers (torch
    2.3 to 2.8 raise AttributeError after set_default_device(None); before 2.3 it is absent),
    else the device of a new empty tensor."""
    import torch

    try:
        return torch.get_default_device()
    except AttributeError:
        return torch.empty(()).device


def _float32_matmul_precision() -> str | None:
    """torch's float32 matmul precision, or None where a mix of its legacy and fp32_precision
    settings makes torch refuse to say."""
    import torch

    try:
        return torch.get_float32_matmul_precision()
    except RuntimeError:
        return None


def _read_backend_switch(switch: str) -> Any:
    """``torch.backends.<switch>``, or _UNREADABLE where this torch lacks it or refuses to say."""
    import torch

    value: Any = torch.backends
    try:
        for name in switch.split("."):
            value = getattr(value, name)
    except (AttributeError, AssertionError, RuntimeError):  # torch < 2.2 asserts on unknown names
        return _UNREADABLE
    return value


def _write_backend_switch(switch: str, value: Any) -> None:
    import torch

    owner: Any = torch.backends
    *path, name = switch.split(".")
    for part in path:
        owner = getattr(owner, part)
    setattr(owner, name, value)


def release_device_memory(device_type: str) -> None:
    """Free what a finished combination left in the device's caching allocator.

    The caller has dropped the combination's namespace and collected garbage: a collection
    costs a quarter of a second with torch loaded, so only a device with a cache collects again.
    """
    if device_type == "cuda":
        import gc

        import torch

        if torch.cuda.is_available() and torch.cuda.is_initialized():
            gc.collect()
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
