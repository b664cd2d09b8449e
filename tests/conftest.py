"""Test configuration: backend reporting, the Rust-required guard, hypothesis profiles.

The suite runs twice in CI: once with the Rust extension (``GEMINI_VISION_REQUIRE_RUST=1``
makes a missing extension a hard failure) and once with ``GEMINI_VISION_BACKEND=numpy``.
Differential tests use the ``kernels`` fixture (each backend in turn) or ``rust_kernels``
and ``numpy_kernels`` to compare the two directly.
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

import gemini_vision
from gemini_vision import _numpy_kernels

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config: pytest.Config) -> str:
    import numpy
    import PIL

    return (
        f"gemini-vision backend: {gemini_vision.backend} "
        f"(numpy {numpy.__version__}, Pillow {PIL.__version__})"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("GEMINI_VISION_REQUIRE_RUST") == "1" and gemini_vision.backend != "rust":
        raise pytest.UsageError(
            "GEMINI_VISION_REQUIRE_RUST=1 but the Rust extension did not load "
            f"(backend is {gemini_vision.backend!r})"
        )


def _rust_module() -> ModuleType | None:
    try:
        from gemini_vision import _rust
    except ImportError:
        return None
    return _rust


RUST = _rust_module()
NUMPY = _numpy_kernels


@pytest.fixture(scope="session")
def rust_kernels() -> ModuleType:
    """The Rust extension module; the test is skipped when it is not built."""
    if RUST is None:
        pytest.skip("the Rust extension is not built")
    return RUST


@pytest.fixture(scope="session")
def numpy_kernels() -> ModuleType:
    """The NumPy fallback module."""
    return NUMPY


@pytest.fixture(scope="session", params=["rust", "numpy"])
def kernels(request: pytest.FixtureRequest) -> ModuleType:
    """Each backend's raw kernel module in turn (Rust skipped when not built)."""
    if request.param == "rust":
        if RUST is None:
            pytest.skip("the Rust extension is not built")
        return RUST
    return NUMPY
