"""When a project's fixtures seed: the plugin seeds ``random``, NumPy and torch with 0 when a
combination's run starts; a fixture that applies to a block (a conftest's autouse fixture that
reseeds before every doctest, as projects write for pytest's doctest) runs after that and wins,
before that block and, when earlier blocks are replayed as set-up, before each of them."""

from __future__ import annotations

import random
from typing import Any

from pytest_cheatsheet.isolation import RandomStreams
from pytest_cheatsheet.optional import installed


def fingerprint() -> tuple[Any, ...]:
    """The state of the random streams the plugin keeps per run, comparable with ``==``."""
    numpy = installed("numpy")
    torch = installed("torch")
    numpy_state: Any = numpy.random.get_state() if numpy is not None else None
    return (
        random.getstate(),
        numpy_state[1].tobytes() if numpy_state is not None else None,
        numpy_state[2:] if numpy_state is not None else None,
        _torch_state(torch, numpy) if torch is not None else None,
    )


def streams_left_by(before: tuple[Any, ...]) -> RandomStreams | None:
    """The random streams as they are now, if something (the block's fixtures) changed them
    since ``before``; else None."""
    if fingerprint() == before:
        return None
    streams = RandomStreams()
    streams.capture()
    return streams


def _torch_state(torch: Any, numpy: Any) -> bytes:
    state = torch.get_rng_state()
    return bytes(state.numpy().tobytes() if numpy is not None else state.tolist())
