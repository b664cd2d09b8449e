"""The batch path: records per second, one thread vs all threads vs the guide's Python loop.

Two workloads, each record a segmentation answer with 10 masks:

- ``64x64``: 64x64 soft PNG probability maps, boxes 5-30% of a 1024x768 image's sides;
- ``real-style``: masks with the properties of the model's own (the public
  cookbook's: 256x256 binary grey, filter type 0, zlib level 9, about 850 base64
  characters), boxes of about 320x240 in a 1280x960 image
  (``gemini_vision.cli.bench.real_style_records``).

The reference is what people write
from the guide: ``json.loads``, then per mask Pillow decode, Pillow BILINEAR
resize to the box, NumPy threshold, and ``pycocotools.mask.encode`` of the
full frame. Ours is ``gemini_vision.batch.process`` (masks in one fused call).

Each row's ``extra_info`` (``--benchmark-json``) holds ``us_per_mask`` (wall,
best round) and ``cpu_us_per_mask`` (CPU time of all the process's threads,
best round): on a shared host whose cores slow down when both are busy, the
all-threads row's CPU per mask rises above the one-thread row's, and the
ratio of the two rows' times says more about the host than about the code.

``GV_BENCH_RECORDS`` sets the record count (default 10,000 when benchmarking,
50 when the benchmarks run as tests), ``GV_BENCH_ROUNDS`` the rounds (default 1;
on a shared machine take the minimum of several). The records are made in chunks of at
most 1,000 that are processed again until the count is reached, so memory
stays small; run as tests, every chunk's rows are checked against the reference.

Targets (issues 5 and 15): all threads >= 1.85x one thread on two cores; one
thread >= 10x the reference loop and at most 30 us per mask on real-style masks.
``GV_BENCH_WORKLOAD`` (``64x64`` or ``real-style``) runs one workload only.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from gemini_vision import batch
from gemini_vision.cli.bench import real_style_records, reference_rows, synthetic_records

pytest.importorskip("pyarrow")
pytest.importorskip("pycocotools")

CHUNK = 1000
WORKLOADS = {"64x64": synthetic_records, "real-style": real_style_records}
CHOSEN = [os.environ["GV_BENCH_WORKLOAD"]] if "GV_BENCH_WORKLOAD" in os.environ else list(WORKLOADS)


@pytest.fixture(scope="module", params=CHOSEN)
def workload(request: pytest.FixtureRequest) -> tuple[str, int, list[dict[str, Any]]]:
    """(workload name, records to process, one chunk of records)."""
    disabled = request.config.getoption("benchmark_disable", False)
    count = int(os.environ.get("GV_BENCH_RECORDS", "50" if disabled else "10000"))
    return request.param, count, WORKLOADS[request.param](min(count, CHUNK))


def _run(process: Any, count: int, chunk: list[dict[str, Any]], cpu: list[float]) -> Any:
    """Process ``count`` records a chunk at a time; append the round's CPU seconds to ``cpu``."""
    done, last = 0, None
    start = time.process_time()
    while done < count:
        part = chunk[: count - done]
        last = process(part)
        done += len(part)
    cpu.append(time.process_time() - start)
    return last


@pytest.mark.parametrize("impl", ["1 thread", "all threads", "reference loop"])
def test_batch_records_per_second(
    benchmark: BenchmarkFixture, workload: tuple[str, int, list[dict[str, Any]]], impl: str
) -> None:
    name, count, chunk = workload
    benchmark.group = f"batch, {name} masks: {count} records x 10 masks"
    benchmark.extra_info.update(
        {"impl": impl, "records": count, "cores": os.cpu_count(), "workload": name}
    )
    if impl == "reference loop":
        process: Any = reference_rows
    else:
        threads = 1 if impl == "1 thread" else None

        def process(records: list[dict[str, Any]]) -> Any:
            return batch.process(records, threads=threads)

        benchmark.extra_info["backend"] = __import__("gemini_vision").backend
    rounds = int(os.environ.get("GV_BENCH_ROUNDS", "1"))
    cpu: list[float] = []
    last = benchmark.pedantic(_run, args=(process, count, chunk, cpu), rounds=rounds, iterations=1)
    if benchmark.stats is not None:
        benchmark.extra_info["records_per_second"] = count / benchmark.stats.stats.min
        benchmark.extra_info["us_per_mask"] = benchmark.stats.stats.min / (count * 10) * 1e6
        # CPU time of every thread: with all threads, CPU per mask well above one
        # thread's means the cores ran slower together (a shared host), not that
        # the code scaled badly.
        benchmark.extra_info["cpu_us_per_mask"] = min(cpu) / (count * 10) * 1e6
    if impl != "reference loop":
        # The last chunk's rows (its first 50 records) are the reference's, mask for mask.
        expected = reference_rows(chunk[:50])
        got = [
            (
                r["id"],
                r["label"],
                (r["x0"], r["y0"], r["x1"], r["y1"]),
                r["rle_counts"].encode(),
                r["area"],
            )
            for r in last.to_pylist()
            if r["id"] < 50
        ]
        assert got == expected
