""".ci/gpu: the script a CUDA machine without network runs from a wheelhouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "gpu"


def test_the_gpu_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


def test_the_gpu_script_installs_from_the_wheelhouse_only_and_runs_the_cuda_combinations() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    assert 'pip install --no-index --find-links "$wheelhouse"' in text
    assert "--system-site-packages" in text  # the machine's own torch
    assert "--cheatsheet-devices=cuda" in text
    assert "--cheatsheet-require-devices=cuda" in text
    assert "-m pytest tests/ " in text
    assert "-k cuda" in text


def test_the_gpu_script_without_a_wheelhouse_says_how_to_call_it(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        capture_output=True,
        text=True,
        env={**os.environ, "WHEELHOUSE": str(tmp_path / "missing")},
    )
    assert result.returncode == 2
    assert "usage: .ci/gpu WHEELHOUSE" in result.stderr


@pytest.mark.skipif(
    "torch" in sys.modules and sys.modules["torch"].cuda.is_available(), reason="CUDA is here"
)
def test_the_gpu_script_on_a_machine_without_cuda_stops_before_installing(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert result.returncode == 1
    assert "no CUDA device here" in result.stderr
    assert not (SCRIPT.parent.parent / ".venv-gpu").exists()
