"""What importing costs: a fresh interpreter that imports one thing, side by side (issue 15).

Each round starts ``python -c "<statement>"``; the ``nothing`` row (``pass``) is
the interpreter's own start-up, so an import costs its row minus that one.
``google-genai`` (the ``bench`` extra) is the official SDK's client, for scale.
Bytecode caching follows the environment (set ``PYTHONDONTWRITEBYTECODE`` to
time the first import after an install without compiled files). For the
breakdown per module: ``python -X importtime -c "from gemini_vision.client import Client"``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

STATEMENTS = {
    "nothing": "pass",
    "gemini_vision": "import gemini_vision",
    "gemini_vision.client": "from gemini_vision.client import Client",
    "google-genai": "from google.genai import Client",
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("what", list(STATEMENTS))
def test_import(benchmark: BenchmarkFixture, what: str) -> None:
    if what == "google-genai" and not _installed("google.genai"):
        pytest.skip("google-genai is not installed (the bench extra)")
    benchmark.group = "import in a fresh interpreter"
    benchmark.extra_info["impl"] = what
    command = [sys.executable, "-c", STATEMENTS[what]]
    result = benchmark.pedantic(
        subprocess.run, args=(command,), kwargs={"check": True}, rounds=7, warmup_rounds=1
    )
    assert result.returncode == 0
