"""Each run of a sheet starts from the defaults and seed 0, and leaves nothing behind."""

from __future__ import annotations

import builtins
import importlib
import logging
import random
import shutil
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis  # noqa: F401 - imported lazily by its pytest plugin; pytester would re-import it
import numpy as np
import pytest
import torch

from conftest import SheetWriter
from pytest_cheatsheet import isolation

# Every combination checks the defaults and records its first draws, then changes all it can.
CHANGE_EVERYTHING = """
    # 全局状态
    <!-- cheatsheet: dtypes=float32,float64 -->

    ```python
    >>> import builtins, logging, os, random, sys, tempfile, warnings, weakref
    >>> import numpy as np
    >>> import torch
    >>> probe = builtins.cheatsheet_probe
    >>> probe.draws.append((random.random(), float(np.random.rand()), torch.rand(1).item()))
    >>> [ref() for ref in probe.tensors if ref() is not None]
    []
    >>> "defined_in_this_run" in dir()
    False
    >>> dtype in (torch.float32, torch.float64)
    True
    >>> torch.get_default_dtype(), torch.get_default_device()
    (torch.float32, device(type='cpu'))
    >>> torch.is_grad_enabled(), torch.are_deterministic_algorithms_enabled()
    (True, False)
    >>> torch._tensor_str.PRINT_OPTS.precision, np.get_printoptions()["precision"]
    (4, 8)
    >>> matmul = torch.backends.cuda.matmul
    >>> torch.get_float32_matmul_precision(), getattr(matmul, "fp32_precision", "none")
    ('highest', 'none')
    >>> torch.backends.cudnn.benchmark, torch.is_anomaly_enabled(), np.geterr()["divide"]
    (False, False, 'warn')
    >>> logging.root.manager.disable, sys.getrecursionlimit() == probe.recursion_limit
    (0, True)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.warn("a warning, not an error", UserWarning)
    >>> len(caught)
    1
    >>> os.getcwd() == probe.cwd, "CHEATSHEET_PROBE" in os.environ
    (True, False)
    >>> [path for path in probe.workdirs if path in sys.path]
    []
    >>> "cheatsheet_probe_module" in sys.modules
    False
    ```

    ```python
    >>> tensor = torch.ones(3)
    >>> probe.tensors.append(weakref.ref(tensor))
    >>> defined_in_this_run = True
    >>> torch.set_default_dtype(torch.float64)
    >>> torch.set_default_device("meta")
    >>> torch.set_printoptions(precision=2)
    >>> np.set_printoptions(precision=2)
    >>> _ = torch.set_grad_enabled(False)
    >>> torch.use_deterministic_algorithms(True)
    >>> if hasattr(matmul, "fp32_precision"):  # torch 2.9's API; mixed with the old, it raises
    ...     matmul.fp32_precision = "tf32"
    >>> torch.backends.cudnn.benchmark = True
    >>> _ = torch.autograd.set_detect_anomaly(True)
    >>> _ = np.seterr(all="raise")
    >>> logging.disable(logging.CRITICAL)
    >>> sys.setrecursionlimit(probe.recursion_limit + 1000)
    >>> warnings.simplefilter("error")
    >>> workdir = tempfile.mkdtemp()
    >>> probe.workdirs.append(workdir)
    >>> os.chdir(workdir)
    >>> os.environ["CHEATSHEET_PROBE"] = "1"
    >>> sys.path.insert(0, workdir)
    >>> with open("cheatsheet_probe_module.py", "w") as module:
    ...     _ = module.write("VALUE = 42\\n")
    >>> import cheatsheet_probe_module
    >>> cheatsheet_probe_module.VALUE
    42
    ```
"""


@pytest.fixture
def probe(sheets: SheetWriter, monkeypatch: pytest.MonkeyPatch) -> Iterator[types.SimpleNamespace]:
    """What the sheets record, shared with this process as ``builtins.cheatsheet_probe``."""
    recorded = types.SimpleNamespace(
        draws=[],
        tensors=[],
        workdirs=[],
        cwd=str(sheets.pytester.path),
        recursion_limit=sys.getrecursionlimit(),
    )
    monkeypatch.setattr(builtins, "cheatsheet_probe", recorded, raising=False)
    yield recorded
    for workdir in recorded.workdirs:
        shutil.rmtree(workdir, ignore_errors=True)


def seed_0_draws() -> tuple[float, float, float]:
    generator = torch.Generator().manual_seed(0)
    return (
        random.Random(0).random(),
        float(np.random.RandomState(0).rand()),
        torch.rand(1, generator=generator).item(),
    )


@pytest.mark.filterwarnings("always::UserWarning")
def test_every_combination_starts_from_defaults_and_seed_0_whatever_ran_before(
    sheets: SheetWriter, probe: types.SimpleNamespace
) -> None:
    # Each of the 4 combinations checks, then changes: all but the first check after another
    # combination of the same sheet or of the other sheet changed everything.
    sheets.write("a_first.md", CHANGE_EVERYTHING)
    sheets.write("z_second.md", CHANGE_EVERYTHING)
    python_random_state = random.getstate()
    # Without pytest's own per-test warnings filters, only the plugin restores them.
    result = sheets.run("-p", "no:warnings")
    result.assert_outcomes(passed=4 * 44)
    assert probe.draws == [seed_0_draws()] * 4
    assert len(probe.tensors) == 4
    assert all(ref() is None for ref in probe.tensors)
    # The session leaves this process as it found it.
    assert torch.get_default_dtype() == torch.float32
    assert torch.get_default_device() == torch.device("cpu")
    assert torch.is_grad_enabled()
    assert not torch.are_deterministic_algorithms_enabled()
    assert torch._tensor_str.PRINT_OPTS.precision == 4
    assert torch.get_float32_matmul_precision() == "highest"
    assert not torch.backends.cudnn.benchmark
    assert logging.root.manager.disable == 0
    assert np.get_printoptions()["precision"] == 8
    assert "cheatsheet_probe_module" not in sys.modules
    assert random.getstate() == python_random_state


def test_a_sheet_that_exits_floods_stdout_or_breaks_imports_affects_only_its_own_examples(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "a_damage.md",
        """
        ```python
        import os, sys
        print("x" * 5_000_000)
        sys.modules["json"] = None
        sys.path[:] = []
        os.chdir("/")
        ```

        ```python
        >>> import json
        Traceback (most recent call last):
        ModuleNotFoundError: import of json halted; None in sys.modules
        ```

        ```python
        raise SystemExit(3)
        ```

        ```python
        >>> raise SystemExit(4)
        ```

        ```python
        >>> print("still running")
        still running
        ```
        """,
    )
    sheets.write(
        "z_after.md",
        """
        ```python
        >>> import json, os, sys
        >>> json.dumps([1])
        '[1]'
        >>> os.getcwd() == "/", len(sys.path) > 0
        (False, True)
        ```
        """,
    )
    result = sheets.run("-v")
    result.stdout.fnmatch_lines(
        [
            "*a_damage.md::any::line:1 PASSED*",
            "*a_damage.md::any::line:10 PASSED*",
            "*a_damage.md::any::line:15 FAILED*",
            "*a_damage.md::any::line:20 FAILED*",
            "*a_damage.md::any::line:24 PASSED*",
            "*z_after.md::any::line:2 PASSED*",
            "*z_after.md::any::line:3 PASSED*",
            "*z_after.md::any::line:5 PASSED*",
        ]
    )
    result.assert_outcomes(passed=6, failed=2)
    assert "x" * 1000 not in result.stdout.str()


def test_a_tensor_of_one_combination_is_freed_before_the_next_begins(
    sheets: SheetWriter, probe: types.SimpleNamespace
) -> None:
    # A reference cycle keeps the tensor alive until a garbage collection.
    sheets.write(
        "cycle.md",
        """
        <!-- cheatsheet: dtypes=float32,float64,bfloat16 -->

        ```python
        >>> import builtins, torch, weakref
        >>> probe = builtins.cheatsheet_probe
        >>> [ref() for ref in probe.tensors if ref() is not None]
        []
        >>> class Holder:
        ...     pass
        >>> holder = Holder()
        >>> holder.tensor = torch.zeros(1024, dtype=dtype)
        >>> holder.cycle = holder
        >>> probe.tensors.append(weakref.ref(holder.tensor))
        ```
        """,
    )
    sheets.run().assert_outcomes(passed=3 * 8)
    assert len(probe.tensors) == 3
    assert all(ref() is None for ref in probe.tensors)


def test_names_defined_in_one_combination_are_absent_in_the_next(sheets: SheetWriter) -> None:
    sheets.write(
        "names.md",
        """
        <!-- cheatsheet: dtypes=float32,float64 autocast=off,on -->

        ```python
        >>> sorted(name for name in dir() if not name.startswith("__") and name != "getfixture")
        ['autocast', 'device', 'dtype']
        >>> defined_in_a_run = dtype
        ```
        """,
    )
    sheets.run().assert_outcomes(passed=4 * 2)


def test_a_module_imported_from_a_sibling_of_an_importable_folder_is_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    importable = tmp_path / "project"
    sibling = tmp_path / "project_scratch"  # its path starts with the importable folder's
    importable.mkdir()
    sibling.mkdir()
    (sibling / "cheatsheet_scratch_module.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(importable))
    state = isolation.GlobalState.capture()
    try:
        sys.path.insert(0, str(sibling))
        importlib.import_module("cheatsheet_scratch_module")
    finally:
        state.restore()
    assert "cheatsheet_scratch_module" not in sys.modules


def test_process_settings_and_replaced_attributes_do_not_outlive_the_sheet(
    sheets: SheetWriter,
) -> None:
    sheets.write(
        "a_change.md",
        """
        ```python
        import builtins, decimal, logging, math, os, signal, time
        import numpy, torch
        decimal.getcontext().prec = 3
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        torch.set_flush_denormal(True)
        os.environ["TZ"] = "Asia/Shanghai"
        time.tzset()
        os.umask(0o077)
        logging.getLogger().addHandler(logging.NullHandler())
        torch.set_warn_always(True)
        math.pi = 3
        torch.tensor = lambda *args, **kwargs: "not a tensor"
        torch.Tensor.__repr__ = lambda self: "not a tensor"
        numpy.pi = 3
        builtins.len = lambda value: 0
        builtins.cheatsheet_leftover = True
        ```
        """,
    )
    sheets.write(
        "z_check.md",
        """
        ```python
        >>> import builtins, decimal, logging, math, os, signal, time
        >>> import numpy, torch
        >>> decimal.getcontext().prec
        28
        >>> signal.getsignal(signal.SIGINT) is signal.default_int_handler
        True
        >>> signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        True
        >>> torch.tensor([1e-310], dtype=torch.float64).item() != 0
        True
        >>> "TZ" in os.environ, time.tzname == probe_tzname
        (False, True)
        >>> current = os.umask(0o022); _ = os.umask(current); current == probe_umask
        True
        >>> [h for h in logging.getLogger().handlers if type(h) is logging.NullHandler]
        []
        >>> torch.is_warn_always_enabled()
        False
        >>> math.pi, numpy.pi
        (3.141592653589793, 3.141592653589793)
        >>> torch.tensor([1.0, 2.0])
        tensor([1., 2.])
        >>> len([1, 2]), hasattr(builtins, "cheatsheet_leftover")
        (2, False)
        ```
        """,
    )
    import os
    import time

    umask = os.umask(0o022)
    os.umask(umask)
    sheets.pytester.makeconftest(
        f"""
        import builtins, signal
        builtins.probe_tzname = {time.tzname!r}
        builtins.probe_umask = {umask!r}
        # The handlers the sheets must find again, whatever the process had before (an xdist
        # worker's may differ): the first sheet changes them, the second checks they are back.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        """
    )
    result = sheets.run("--cheatsheet-devices=cpu")
    result.assert_outcomes(passed=14)


def test_a_later_sheets_wrong_claim_fails_after_an_earlier_sheets_monkeypatch(
    sheets: SheetWriter,
) -> None:
    sheets.write("a_patch.md", "```python\nimport math\nmath.pi = 3\n```\n")
    sheets.write("z_claim.md", "```python\n>>> import math\n>>> math.pi\n3\n```\n")
    result = sheets.run("--cheatsheet-devices=cpu")
    result.assert_outcomes(passed=2, failed=1)


# -- the random streams kept between the items of a run -----------------------------------------


def _draws() -> tuple[float, ...]:
    return (
        random.random(),
        float(np.random.rand()),
        float(np.random.randn()),
        torch.rand(1).item(),
    )


def _drop_the_cached_gaussian() -> None:
    state = np.random.get_state()
    assert isinstance(state, tuple)
    np.random.set_state((*state[:3], 0, 0.0))


@pytest.mark.parametrize(
    "between",
    [
        lambda: None,
        lambda: np.random.seed(99),
        lambda: (random.seed(1), np.random.rand(), torch.manual_seed(1)),
        lambda: np.random.standard_normal(),  # consumes the Gaussian the example left cached
        _drop_the_cached_gaussian,
    ],
    ids=["nothing", "numpy-reseeded", "all-drawn-from", "gaussian-drawn", "gaussian-dropped"],
)
@pytest.mark.parametrize("gaussians", [0, 1], ids=["none-cached", "one-cached"])
def test_the_random_streams_continue_whatever_ran_between_two_items(
    between: Any, gaussians: int
) -> None:
    streams = isolation.RandomStreams()
    isolation.seed_everything()
    for _ in range(gaussians):  # an odd number of Gaussians: NumPy caches the next one
        np.random.standard_normal()
    streams.capture()
    expected = _draws()
    streams.restore()
    assert _draws() == expected  # restored after the draws of the item itself
    streams.restore()
    streams.capture()  # the next item ends having drawn nothing
    between()
    streams.restore()
    assert _draws() == expected
