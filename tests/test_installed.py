"""The package under test is the installed wheel (run by ``scripts/test-wheel.sh``).

``GEMINI_VISION_EXPECT_INSTALLED`` names the environment the wheel went into;
without it (the ordinary runs, on the source tree) this file is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import gemini_vision

PREFIX = os.environ.get("GEMINI_VISION_EXPECT_INSTALLED")
pytestmark = pytest.mark.skipif(PREFIX is None, reason="not a wheel run (scripts/test-wheel.sh)")


def test_the_package_and_its_extension_come_from_the_wheel() -> None:
    from gemini_vision import _rust

    assert PREFIX is not None
    prefix = Path(PREFIX).resolve()
    for module in (gemini_vision, _rust):
        assert module.__file__ is not None
        assert Path(module.__file__).resolve().is_relative_to(prefix), module.__file__
    assert gemini_vision.backend == "rust"
    assert Path(_rust.__file__).name.endswith(".abi3.so")


def test_the_cli_entry_point_is_installed() -> None:
    assert PREFIX is not None
    assert (Path(PREFIX) / "bin" / "gemini-vision").is_file()
