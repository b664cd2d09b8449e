"""The fuzz smoke of SPEC R5: each target of ``fuzz/`` for 5,000 atheris inputs.

Every target first runs on its seeds here (fast, both backends), then under
atheris in a subprocess with a fixed seed so a failure reproduces. Longer runs:
``python fuzz/run.py TARGET -runs=N`` (see ``fuzz/run.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz.targets import SEEDS, TARGETS

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("GV_FUZZ_RUNS", "5000"))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_pass_their_target(name: str) -> None:
    assert SEEDS[name], "every target has seeds to start from"
    for seed in SEEDS[name]:
        TARGETS[name](seed)


def test_a_finding_is_reported() -> None:
    """A target fails on what it must not accept (one that cannot fail finds nothing)."""
    from fuzz import targets

    def broken(data: bytes) -> object:
        raise KeyError("candidates")

    targets._PARSERS.insert(0, broken)
    try:
        with pytest.raises(KeyError):
            targets.fuzz_wire(b"\x01{}")
    finally:
        targets._PARSERS.remove(broken)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_smoke(name: str, tmp_path: Path) -> None:
    pytest.importorskip(
        "atheris", reason="atheris is installed with the test extra on CPython < 3.12"
    )
    command = [
        sys.executable,
        str(ROOT / "fuzz" / "run.py"),
        name,
        f"-runs={RUNS}",
        "-seed=1",
        "-max_len=4096",
        f"-artifact_prefix={tmp_path}/",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    crashes = sorted(
        p.name for p in tmp_path.iterdir() if p.name.startswith(("crash", "timeout", "oom"))
    )
    assert done.returncode == 0 and not crashes, done.stdout[-3000:] + done.stderr[-6000:]
