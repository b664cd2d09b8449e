"""The backend switch (SPEC M9)."""

from __future__ import annotations

import os
import subprocess
import sys

import gemini_vision


def _backend_in_subprocess(value: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GEMINI_VISION_BACKEND": value}
    return subprocess.run(
        [sys.executable, "-c", "import gemini_vision; print(gemini_vision.backend)"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_backend_is_a_known_name() -> None:
    """``gemini_vision.backend`` names the active kernels."""
    assert gemini_vision.backend in ("rust", "numpy")


def test_env_var_forces_numpy() -> None:
    """``GEMINI_VISION_BACKEND=numpy`` selects the fallback even when Rust is built."""
    result = _backend_in_subprocess("numpy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "numpy"


def test_unknown_backend_name_is_refused() -> None:
    """A misspelt backend name is an import error that names the variable, not a silent default."""
    result = _backend_in_subprocess("rsut")
    assert result.returncode != 0
    assert "GEMINI_VISION_BACKEND" in result.stderr


def test_import_does_not_load_numpy() -> None:
    """``import gemini_vision`` stays cheap: NumPy loads only when a kernel is used."""
    code = "import sys, gemini_vision; print('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
