"""No input-sized allocation can abort the process (SPEC R1).

Each frame function runs in a subprocess under a 2 GiB address-space limit with
sizes that pass the 4 GiB allocation limit but cannot be mapped: the process
must survive and raise ``AllocationError`` (a ``MemoryError``), with the same
message from both backends. Before the fix the Rust backend died of SIGABRT
("memory allocation of 3200000000 bytes failed").
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from types import ModuleType

import numpy as np
import pytest

from gemini_vision.errors import AllocationError, KernelInputError
from tests.conftest import RUST

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux"
)

BACKENDS = ["numpy"] + (["rust"] if RUST is not None else [])

# Each expression runs with `masks`, `np` and `Rle` in scope.
CASES = {
    # 50 x 8000 x 8000 bools = 3.2 GB: the abort of the issue.
    "full_masks": "masks.full_masks([np.ones((9, 9), bool)] * 50, [(0, 0)] * 50, (8000, 8000))",
    "label_map": "masks.label_map([np.ones((2, 2), bool)], [(0, 0)], (30000, 30000))",
    "union": "masks.union([np.ones((2, 2), bool)], [(0, 0)], (60000, 60000))",
    "rle_decode": 'Rle.from_coco({"size": [65536, 65535], "counts": [0, 4294901760]}).decode()',
}

CHILD = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    from gemini_vision import masks
    from gemini_vision.masks import Rle
    from gemini_vision.errors import AllocationError
    limit = 2 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        {expr}
    except AllocationError as e:
        assert isinstance(e, MemoryError)
        print("AllocationError:", e)
    else:
        print("allocated")
    """
)


def _run(backend: str, expr: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GEMINI_VISION_BACKEND=backend)
    return subprocess.run(
        [sys.executable, "-c", CHILD.format(expr=expr)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_frame_functions_survive_an_address_space_limit(case: str) -> None:
    """The process lives and raises the same AllocationError message on each backend."""
    messages = set()
    for backend in BACKENDS:
        done = _run(backend, CASES[case])
        assert done.returncode == 0, (backend, done.returncode, done.stderr[-2000:])
        assert done.stdout.startswith("AllocationError:"), (backend, done.stdout)
        assert "could not be allocated" in done.stdout
        messages.add(done.stdout)
    assert len(messages) == 1, messages


def _offsets(n: int) -> np.ndarray:
    return np.zeros((n, 2), dtype=np.int64)


def test_over_the_limit_is_refused_before_allocating(kernels: ModuleType) -> None:
    """400 segments of 8000x8000 (25.6 GB) are refused by the limit, not attempted."""
    one = np.ones((1, 1), bool)
    with pytest.raises(AllocationError) as info:
        kernels.full_masks([one] * 400, _offsets(400), 8000, 8000)
    assert str(info.value) == (
        "the full masks needs 25600000000 bytes, more than the allocation limit of 4294967296 bytes"
    )
    assert isinstance(info.value, MemoryError) and isinstance(info.value, KernelInputError)
    with pytest.raises(AllocationError, match="the label map needs 40000000000 bytes"):
        kernels.label_map([one], _offsets(1), 100_000, 100_000)
    with pytest.raises(AllocationError, match="the union frame needs"):
        kernels.union([one], _offsets(1), 1 << 40, 1 << 40)
    counts = np.array([0, 2**32 - 1], dtype=np.uint32)
    with pytest.raises(AllocationError, match="the decoded mask needs 17179869184 bytes"):
        kernels.rle_decode_box(counts, 65537, 65535, 0, 0, 1 << 17, 1 << 17)


def test_resize_outputs_are_checked_alike(kernels: ModuleType) -> None:
    """A resize whose output passes the limit is refused before any work, on both backends."""
    mask = np.zeros((2, 2), np.uint8)
    expected = (
        "the resized mask needs 10000000000 bytes, more than the allocation limit of "
        "4294967296 bytes"
    )
    with pytest.raises(AllocationError) as info:
        kernels.resize_bilinear(mask, 100_000, 100_000, 13)
    assert str(info.value) == expected
    with pytest.raises(AllocationError) as info:
        kernels.resize_bilinear_threshold(mask, 100_000, 100_000, 127, 13)
    assert str(info.value) == expected
